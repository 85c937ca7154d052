"""What a resumed ``fit`` needs beyond the weights file, as JSON-ready data.

An epoch's results depend on the model's values (weights, BatchNormalization
statistics, each layer's :class:`~plugnet.random.SeedGenerator` position), the
optimizer's state (all of which a weights file holds) and on randomness
outside the model: the order the array adapter shuffles the data in, and the
global streams that draws without an explicit seed come from (plugnet's, and
NumPy's and Python's, which :func:`plugnet.utils.set_random_seed` seeds too).
:func:`capture` records the latter; :func:`restore` puts them back, so the
epochs after a restore compute what an uninterrupted run computes.

Backend frameworks' own generators are not recorded: plugnet's random ops
always pass an explicit seed, so they never draw from them.
"""

from __future__ import annotations

import random as _py_random
import warnings

import numpy as np

from plugnet import random as plugnet_random


def training_data_adapter(model):
    """The data adapter of the ``fit`` running on ``model`` (None outside ``fit``)."""
    batches = getattr(model, "_fit_batches", None)
    return None if batches is None else batches.adapter


def shuffle_state(model):
    """The shuffle position of the running ``fit``'s training data; None when it is not shuffled."""
    adapter = training_data_adapter(model)
    return getattr(adapter, "shuffle_state", None)


def capture(data_shuffle_state) -> dict:
    """The random state of a training run at this point, as JSON-ready data.

    ``data_shuffle_state`` is the training data's shuffle position to record
    (from :func:`shuffle_state`, taken when the epoch to be replayed begins).
    """
    return {
        "random": {
            "plugnet": plugnet_random.get_global_state(),
            "numpy": _numpy_global_state(),
            "python": _python_state(),
        },
        "shuffle": data_shuffle_state,
    }


def restore(model, state: dict, source: str) -> None:
    """Put back what :func:`capture` recorded; ``source`` (a file name) is named in errors.

    Raises a ValueError when the state is malformed. A change of ``shuffle``
    between the runs only warns, as the run can go on, though not identically.
    """
    saved_random = state.get("random") if isinstance(state, dict) else None
    if not isinstance(saved_random, dict):
        # A malformed file is a ValueError, as JSON's own errors are.
        raise ValueError(f"{source}: expected a JSON object with a 'random' object, got {str(state)[:200]}.")  # noqa: TRY004
    try:
        plugnet_random.set_global_state(saved_random.get("plugnet"))
    except ValueError as error:
        raise ValueError(f"{source}: {error}") from None
    _set_numpy_global_state(saved_random.get("numpy"), source)
    _set_python_state(saved_random.get("python"), source)
    _restore_shuffle(model, state.get("shuffle"), source)


def _restore_shuffle(model, saved, source: str) -> None:
    adapter = training_data_adapter(model)
    shuffles = getattr(adapter, "shuffle_state", None) is not None
    if saved is None and not shuffles:
        return
    if saved is None or not shuffles:
        warnings.warn(
            f"{source} was written by a fit whose training data was {'not ' if saved is None else ''}shuffled, "
            f"but this fit's data is {'' if shuffles else 'not '}shuffled: training goes on from the backup, "
            "but not in the order an uninterrupted run would have used.",
            stacklevel=4,
        )
        return
    adapter.shuffle_state = saved


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# -- NumPy's and Python's global generators (as JSON lists) ----------------------------------------


def _numpy_global_state() -> list:
    name, keys, position, has_gauss, cached_gaussian = np.random.get_state()
    return [name, keys.tolist(), int(position), int(has_gauss), float(cached_gaussian)]


def _set_numpy_global_state(saved, source: str) -> None:
    try:
        name, keys, position, has_gauss, cached_gaussian = saved
        np.random.set_state((str(name), np.asarray(keys, dtype=np.uint32), int(position), int(has_gauss),
                             float(cached_gaussian)))
    except (TypeError, ValueError) as error:
        raise ValueError(f"{source}: the saved state of NumPy's global generator is malformed ({error}).") from None


def _python_state() -> list:
    version, internal, gauss_next = _py_random.getstate()
    return [version, list(internal), gauss_next]


def _set_python_state(saved, source: str) -> None:
    try:
        version, internal, gauss_next = saved
        if gauss_next is not None:
            gauss_next = float(gauss_next)
        _py_random.setstate((int(version), tuple(int(item) for item in internal), gauss_next))
    except (TypeError, ValueError) as error:
        raise ValueError(f"{source}: the saved state of Python's `random` generator is malformed ({error}).") from None
