"""Where each of a model's values lives in a weights file, and loading them back strictly.

Keys follow Keras 3's layout. A layer's own variables are ``<path>vars/<i>``
(``i`` in creation order); its sublayers sit under ``<path>layers/<key>/``,
where ``<key>`` is the sublayer's class in snake case, numbered in the order
the parent holds them (``dense``, ``dense_1``...). Keys use the class and the
position rather than the layer's name, so a second copy of an architecture
(whose automatic names are ``dense_2``, ``dense_3``...) reads the same file.
A :class:`~plugnet.random.SeedGenerator` held by a layer (Dropout's) is
stored as ``<path>seed_generators/<attribute>``: int64 ``[initial seed,
draws]``, so a restored model draws the masks the original would have drawn.
The optimizer's variables are ``optimizer/vars/<i>`` (``iterations`` first).

Values are the canonical arrays ``get_weights`` returns (Keras's layout,
channels_last kernels) whatever backend wrote them, so a file written on one
backend loads on any other.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from plugnet import ops
from plugnet.layers.input_spec import format_shape
from plugnet.layers.naming import to_snake_case
from plugnet.random import SeedGenerator

OPTIMIZER_PREFIX = "optimizer/vars/"


@dataclass
class _Slot:
    """One value of the model: its key, its layer, and how to read and write it."""

    key: str
    layer: object
    target: object  # a Variable or a SeedGenerator
    label: str

    @property
    def shape(self) -> tuple:
        return (2,) if isinstance(self.target, SeedGenerator) else tuple(self.target.shape)

    @property
    def dtype(self) -> str:
        return "int64" if isinstance(self.target, SeedGenerator) else self.target.dtype

    def read(self) -> np.ndarray:
        if isinstance(self.target, SeedGenerator):
            return np.asarray(self.target.state, dtype="int64")
        return self.target.numpy()

    def write(self, array: np.ndarray) -> None:
        if isinstance(self.target, SeedGenerator):
            self.target.state = (int(array[0]), int(array[1]))
        else:
            self.target.assign(ops.convert_to_tensor(array, self.target.dtype))


def model_slots(model) -> list[_Slot]:
    """Every value of ``model`` (variables of all its layers, seed generators), each once, keyed."""
    slots: list[_Slot] = []
    _walk(model, "", set(), set(), slots)
    return slots


def _walk(layer, prefix: str, seen_layers: set, seen_values: set, slots: list) -> None:
    seen_layers.add(id(layer))
    for index, variable in enumerate(layer._direct_variables()):
        if id(variable) not in seen_values:  # a variable shared with a layer visited earlier is stored there
            seen_values.add(id(variable))
            label = f"'{getattr(variable, 'path', None) or variable.name}'"
            slots.append(_Slot(f"{prefix}vars/{index}", layer, variable, label))
    for attribute, value in list(vars(layer).items()):
        if isinstance(value, SeedGenerator) and id(value) not in seen_values:
            seen_values.add(id(value))
            slots.append(_Slot(f"{prefix}seed_generators/{attribute}", layer, value, f"seed generator {attribute!r}"))
    counts: dict[str, int] = {}
    for sublayer in layer._sublayers():
        base = to_snake_case(type(sublayer).__name__)
        count = counts.get(base, 0)
        counts[base] = count + 1
        if id(sublayer) not in seen_layers:
            _walk(sublayer, f"{prefix}layers/{base if count == 0 else f'{base}_{count}'}/", seen_layers,
                  seen_values, slots)


def collect(model, include_optimizer: bool = True) -> dict:
    """``key -> array`` for every value of ``model``, and of its optimizer when it is built."""
    tensors = {slot.key: slot.read() for slot in model_slots(model)}
    optimizer = getattr(model, "optimizer", None)
    if include_optimizer and optimizer is not None and optimizer.built:
        store: dict = {}
        optimizer.save_own_variables(store)
        tensors.update({f"{OPTIMIZER_PREFIX}{key}": np.asarray(value) for key, value in store.items()})
    return tensors


def load_model_values(model, tensors: dict, source: str, skip_mismatch: bool = False) -> None:
    """Assign ``tensors`` (from :func:`collect`'s layout) to ``model``'s values.

    Every check runs before anything is assigned: a value missing from the
    file, a key the model does not have, or a shape or dtype that differs is a
    ValueError naming the layer, the expected and the found value. With
    ``skip_mismatch`` the layers concerned are skipped with a warning instead.
    Optimizer entries are ignored here (see :func:`load_optimizer_values`).
    """
    slots = model_slots(model)
    file_keys = [key for key in tensors if not key.startswith(OPTIMIZER_PREFIX)]
    if file_keys and not model.built:
        raise ValueError(
            f"{source}: model '{model.name}' is not built yet, so it has no weights to load the file's "
            f"{len(file_keys)} arrays into. Call it on data or call model.build(input_shape) first."
        )
    layers = {id(slot.layer): slot.layer for slot in slots}
    problems: dict[int, list[str]] = {}
    for slot in slots:
        problem = _slot_problem(slot, tensors)
        if problem:
            problems.setdefault(id(slot.layer), []).append(problem)
    known = {slot.key for slot in slots}
    orphans = []
    for key in file_keys:
        if key in known:
            continue
        layer = _layer_for_key(key, slots)
        if layer is None:
            orphans.append(key)
        else:
            problems.setdefault(id(layer), []).append(
                f"the file has {key!r} {format_shape(tensors[key].shape)}, which the layer does not have"
            )
    messages = []
    for layer_id, found in problems.items():
        holds = ", ".join(f"{slot.label} {format_shape(slot.shape)}" for slot in slots if id(slot.layer) == layer_id)
        messages.append(f"layer '{layers[layer_id].name}' (holds {holds}): " + "; ".join(found))
    if orphans:
        shown = ", ".join(f"{key!r} {format_shape(tensors[key].shape)}" for key in orphans[:8])
        more = f" and {len(orphans) - 8} more" if len(orphans) > 8 else ""
        messages.append(f"the file has arrays for layers that model '{model.name}' does not have: {shown}{more}")
    if messages and not skip_mismatch:
        raise ValueError(
            f"{source} does not match model '{model.name}' ({len(slots)} values expected, "
            f"{len(file_keys)} in the file):\n  " + "\n  ".join(messages)
            + "\nThe file must come from the same architecture; load_weights(..., skip_mismatch=True) skips the "
              "layers that differ."
        )
    if messages:
        warnings.warn(f"{source}: skipping mismatched weights:\n  " + "\n  ".join(messages), stacklevel=3)
    for slot in slots:
        if id(slot.layer) not in problems:
            slot.write(tensors[slot.key])


def _slot_problem(slot: _Slot, tensors: dict) -> str | None:
    array = tensors.get(slot.key)
    if array is None:
        return f"{slot.label} is missing from the file (key {slot.key!r})"
    if tuple(array.shape) != slot.shape:
        return (f"{slot.label} expects shape {format_shape(slot.shape)}, the file has shape "
                f"{format_shape(array.shape)} (key {slot.key!r})")
    if array.dtype.name != slot.dtype:
        return f"{slot.label} expects dtype {slot.dtype}, the file has {array.dtype.name} (key {slot.key!r})"
    return None


def _layer_for_key(key: str, slots: list[_Slot]):
    """The layer whose values share ``key``'s path, if any (for an extra array in the file)."""
    prefix = key.rsplit("/", 2)[0] + "/" if key.count("/") >= 2 else ""
    for slot in slots:
        own = slot.key.rsplit("/", 2)[0] + "/" if slot.key.count("/") >= 2 else ""
        if own == prefix:
            return slot.layer
    return None


def load_optimizer_values(model, tensors: dict, source: str, strict: bool) -> bool:
    """Restore the optimizer state in ``tensors`` (if any) into ``model.optimizer``.

    The optimizer is first built for ``model.trainable_variables`` (as the
    first training step would build it), so its slots exist to be assigned.
    A count, shape or dtype mismatch raises ValueError when ``strict``, else
    warns and leaves the optimizer as it was (Keras's ``load_weights``
    behaviour). Returns whether state was restored.
    """
    saved = {key[len(OPTIMIZER_PREFIX):]: value for key, value in tensors.items() if key.startswith(OPTIMIZER_PREFIX)}
    optimizer = getattr(model, "optimizer", None)
    if not saved or optimizer is None:
        return False
    if not optimizer.built:
        optimizer.build(model.trainable_variables)
    variables = optimizer.variables
    problem = None
    if set(saved) != {str(i) for i in range(len(variables))}:
        problem = (f"optimizer {optimizer.name!r} has {len(variables)} variables, the file has {len(saved)} "
                   f"({OPTIMIZER_PREFIX}0...)")
    else:
        for index, variable in enumerate(variables):
            array = saved[str(index)]
            if tuple(array.shape) != tuple(variable.shape) or array.dtype.name != variable.dtype:
                problem = (f"optimizer {optimizer.name!r} variable {index} ({variable.name!r}) expects "
                           f"{variable.dtype} {format_shape(variable.shape)}, the file has "
                           f"{array.dtype.name} {format_shape(array.shape)}")
                break
    if problem is not None:
        if strict:
            raise ValueError(f"{source}: {problem}. Load with compile=False to skip the optimizer state.")
        warnings.warn(f"{source}: skipping the optimizer state: {problem}.", stacklevel=3)
        return False
    optimizer.load_own_variables(saved)
    return True
