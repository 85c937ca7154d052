"""Batches from in-memory arrays: NumPy arrays, backend tensors, or lists/dicts of them.

The arrays are brought to the host once (floating data as float32, Keras's
default float type), then each batch is a slice of them: a view when the
data is not shuffled, one gather per array when it is.
"""

from __future__ import annotations

import math

import numpy as np

from plugnet import ops
from plugnet import random as plugnet_random
from plugnet.layers.structure import flatten, pack_like
from plugnet.training.data_adapter import DataAdapter, pack_x_y_sample_weight, register_data_adapter

DEFAULT_BATCH_SIZE = 32


def is_array_like(value) -> bool:
    """An array we can slice on the host: an ndarray, a backend tensor, or anything with ``__array__``."""
    if isinstance(value, np.ndarray):
        return True
    if isinstance(value, (str, bytes, dict, list, tuple)) or value is None:
        return False
    return hasattr(value, "__array__") or ops.is_tensor(value)


def _is_array_structure(value) -> bool:
    if isinstance(value, dict):
        return bool(value) and all(_is_array_structure(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return bool(value) and all(v is None or _is_array_structure(v) for v in value)
    return is_array_like(value)


def to_host_array(value) -> np.ndarray:
    """``value`` as a NumPy array; float64 becomes float32 as in Keras."""
    if not isinstance(value, np.ndarray):
        value = ops.convert_to_numpy(value) if ops.is_tensor(value) else value
    array = np.asarray(value)
    if array.dtype == np.float64:
        array = array.astype(np.float32)
    return array


def _named_leaves(value, name: str):
    """(name, leaf) pairs, names as a user would write them: ``x``, ``x[0]``, ``x['a']``."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _named_leaves(item, f"{name}[{key!r}]")
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            yield from _named_leaves(item, f"{name}[{i}]")
    elif value is not None:
        yield name, value


def check_data_cardinality(x, y=None, sample_weight=None) -> int:
    """The common number of samples of every array; a ValueError naming each size otherwise."""
    if sample_weight is None and type(x) is type(y) and ops.is_tensor(x):
        # One input, one target (train_on_batch's usual call): two shapes to compare.
        x_shape, y_shape = ops.shape(x), ops.shape(y)
        if x_shape and y_shape and x_shape[0] == y_shape[0]:
            return int(x_shape[0])
    named = [*_named_leaves(x, "x"), *_named_leaves(y, "y"), *_named_leaves(sample_weight, "sample_weight")]
    if not named:
        raise ValueError("No data: x is empty.")
    sizes = []
    for name, leaf in named:
        shape = tuple(ops.shape(leaf)) if ops.is_tensor(leaf) else np.shape(leaf)
        if not shape:
            raise ValueError(f"{name} is a scalar (shape ()); every array needs a first axis of samples.")
        sizes.append((name, int(shape[0])))
    if len({n for _, n in sizes}) > 1:
        listing = ", ".join(f"{name} has {n}" for name, n in sizes)
        raise ValueError(
            f"All arrays must have the same number of samples (length of the first axis), but {listing}."
        )
    return sizes[0][1]


def class_weight_to_sample_weights(y, class_weight: dict) -> np.ndarray:
    """Per-sample weights ``class_weight[class of sample]`` (1.0 for classes not in the dict).

    The class of a sample is ``argmax`` of a one-hot ``y``, else the rounded
    label (``y`` of shape ``(n,)`` or ``(n, 1)``), as Keras reads it.
    """
    if isinstance(y, (list, tuple, dict)):
        raise ValueError("`class_weight` is only supported for models with a single output; y is a "
                         f"{type(y).__name__} of several targets. Pass per-output `sample_weight` instead.")
    labels = to_host_array(y)
    if labels.ndim > 2:
        raise ValueError(
            f"`class_weight` needs targets of shape (n,), (n, 1) or one-hot (n, classes); got y of shape {labels.shape}."
        )
    if labels.ndim == 2:
        labels = np.argmax(labels, axis=-1) if labels.shape[-1] != 1 else labels[:, 0]
    labels = np.round(labels).astype(np.int64)
    weights = np.ones(labels.shape[0], dtype=np.float32)
    for cls, weight in class_weight.items():
        weights[labels == int(cls)] = float(weight)
    return weights


def _broadcast_sample_weight(y, sample_weight):
    """One sample-weight array for a multi-output ``y`` is used for every output (Keras)."""
    containers = (list, tuple, dict)
    if sample_weight is None or not isinstance(y, containers) or isinstance(sample_weight, containers):
        return sample_weight
    if isinstance(y, dict):
        return {key: sample_weight for key in y}
    return type(y)(sample_weight for _ in y)


def train_validation_split(arrays, validation_split: float):
    """Split ``(x, y, sample_weight)`` into a training and a validation part.

    The validation part is the last ``validation_split`` fraction of the
    samples, taken before any shuffling (as in Keras).
    """
    if not 0.0 < validation_split < 1.0:
        raise ValueError(f"validation_split must be a float in (0, 1), got {validation_split!r}.")
    x, y, sample_weight = arrays
    if not all(v is None or _is_array_structure(v) for v in arrays):
        raise ValueError(
            "validation_split is only supported for NumPy arrays or tensors (or lists/dicts of them), "
            f"not for x of type {type(x).__name__}. Pass validation_data=(x_val, y_val) instead."
        )
    n = check_data_cardinality(x, y, sample_weight)
    split_at = int(math.floor(n * (1.0 - validation_split)))
    if split_at == 0 or split_at == n:
        raise ValueError(
            f"The training data has {n} samples, which cannot be split into a training and a validation "
            f"set with validation_split={validation_split}. Provide more data or another validation_split."
        )

    def part(sl):
        return tuple(None if v is None else _map_leaves(lambda a: a[sl], v) for v in arrays)

    return part(slice(0, split_at)), part(slice(split_at, n))


def _map_leaves(fn, value):
    if isinstance(value, dict):
        return {k: _map_leaves(fn, v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_map_leaves(fn, v) for v in value)
    return None if value is None else fn(value)


def _packer(structure):
    """A fast ``leaves -> batch`` function for the structure of one batch."""
    if type(structure) is tuple and not any(isinstance(item, (list, tuple, dict)) for item in structure):
        return tuple
    if not isinstance(structure, (list, tuple, dict)):
        return lambda leaves: leaves[0]
    return lambda leaves: pack_like(structure, leaves)


@register_data_adapter
class ArrayDataAdapter(DataAdapter):
    """Batches of NumPy arrays or tensors (or lists/dicts of them), shuffled per epoch if asked.

    ``shuffle=True`` draws a new permutation of the samples before each epoch
    from plugnet's global seed stream (reproducible after
    :func:`plugnet.utils.set_random_seed`); ``shuffle="batch"`` keeps each
    batch a contiguous slice and shuffles the order of the batches. The last,
    partial batch is included.
    """

    supports_validation_split = True

    @classmethod
    def can_handle(cls, x, y=None) -> bool:
        return _is_array_structure(x)

    def __init__(self, x, y=None, sample_weight=None, batch_size=None, steps=None, shuffle=False, class_weight=None):
        if y is not None and not _is_array_structure(y):
            raise ValueError(
                f"y must be an array (or a list/dict of arrays) when x is an array; got {type(y).__name__}."
            )
        if sample_weight is not None and class_weight is not None:
            raise ValueError(
                "You cannot pass both `class_weight` and `sample_weight`; class weights become sample weights."
            )
        x, y, sample_weight = (None if v is None else _map_leaves(to_host_array, v) for v in (x, y, sample_weight))
        if class_weight is not None:
            if y is None:
                raise ValueError("`class_weight` needs targets `y`.")
            sample_weight = class_weight_to_sample_weights(y, class_weight)
        sample_weight = _broadcast_sample_weight(y, sample_weight)
        self._num_samples = check_data_cardinality(x, y, sample_weight)
        if shuffle not in (True, False, "batch"):
            raise ValueError(f"shuffle must be True, False or 'batch', got {shuffle!r}.")
        if batch_size is None:
            batch_size = int(math.ceil(self._num_samples / steps)) if steps else DEFAULT_BATCH_SIZE
        if int(batch_size) < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}.")
        self._batch_size = int(batch_size)
        self._shuffle = shuffle
        # One generator per adapter, seeded from plugnet's global stream: reproducible after
        # set_random_seed, and a permutation per epoch costs microseconds.
        self._rng = np.random.default_rng(plugnet_random.draw_seed(None)) if shuffle else None
        structure = pack_x_y_sample_weight(x, y, sample_weight)
        self._leaves = flatten(structure)
        self._pack = _packer(structure)

    @property
    def num_batches(self) -> int:
        return int(math.ceil(self._num_samples / self._batch_size))

    @property
    def batch_size(self) -> int:
        return self._batch_size

    @property
    def num_samples(self) -> int:
        return self._num_samples

    @property
    def shuffle_state(self):
        """The position of the shuffling generator (JSON-ready), or None when not shuffling.

        Setting it back makes the next epochs draw the same orders again:
        ``BackupAndRestore`` saves it so that a resumed ``fit`` continues exactly.
        """
        return None if self._rng is None else plugnet_random.generator_state(self._rng)

    @shuffle_state.setter
    def shuffle_state(self, state) -> None:
        if self._rng is None:
            raise ValueError("Cannot restore a shuffle state: this data is not shuffled (fit(..., shuffle=False)).")
        plugnet_random.set_generator_state(self._rng, state, "the order in which the training data is shuffled")

    def get_iterator(self):
        n, size, leaves, pack = self._num_samples, self._batch_size, self._leaves, self._pack
        starts = range(0, n, size)
        if self._shuffle == "batch":
            starts = [starts[i] for i in self._rng.permutation(len(starts))]
        elif self._shuffle and len(starts) > 1:
            # (With one batch per epoch, an order of its rows changes nothing a step computes.)
            order = self._rng.permutation(n)
            for start in starts:
                index = order[start:start + size]
                yield pack([None if a is None else a.take(index, axis=0) for a in leaves])
            return
        for start in starts:
            window = slice(start, start + size)
            yield pack([None if a is None else a[window] for a in leaves])
