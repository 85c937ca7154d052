"""Logs: metric values handed to callbacks, computed only when someone reads them.

Turning a metric into a Python float costs a device-to-host copy (on GPU
backends, a synchronization), so a training step returns :class:`LazyLogs`:
a mapping that asks the model for its metric values the first time it is
read (by the progress bar at its refresh rate, by a callback that looks at
batch logs) and never otherwise.
"""

from __future__ import annotations

from collections.abc import MutableMapping

import numpy as np

from plugnet import ops


def to_python(value):
    """A metric value as a Python number (a NumPy array when it is not a scalar)."""
    if isinstance(value, (int, float)):
        return value
    # Methods are looked up on the class: a TensorFlow tensor answers a missing attribute slowly,
    # and its generic conversion costs several times its own .numpy().
    kind = type(value)
    item = getattr(kind, "item", None)
    if item is not None:
        if getattr(value, "ndim", None) == 0:
            return item(value)  # a scalar ndarray or torch tensor: one call, as a hand-written loop makes
    else:
        to_numpy = getattr(kind, "numpy", None)
        if to_numpy is not None:
            array = np.asarray(to_numpy(value))
            return array.item() if array.ndim == 0 else array
    array = np.asarray(ops.convert_to_numpy(value) if ops.is_tensor(value) else value)
    return array.item() if array.ndim == 0 else array


def pythonify(logs) -> dict:
    """A plain dict of Python numbers from any mapping of metric values."""
    return {name: to_python(value) for name, value in logs.items()}


class LazyLogs(MutableMapping):
    """A mapping of metric values computed on first access by ``compute()``.

    Reads and writes work as on a dict (``compute_metrics`` overrides may add
    entries, as Keras's documentation shows); the values are those of the
    metrics at the time of the first read.
    """

    __slots__ = ("_compute", "_values")

    def __init__(self, compute):
        self._compute = compute
        self._values = None

    def _materialized(self) -> dict:
        values = self._values
        if values is None:
            values = self._values = dict(self._compute())
        return values

    def __getitem__(self, key):
        return self._materialized()[key]

    def __setitem__(self, key, value):
        self._materialized()[key] = value

    def __delitem__(self, key):
        del self._materialized()[key]

    def __iter__(self):
        return iter(self._materialized())

    def __len__(self) -> int:
        return len(self._materialized())

    # Mapping's mixins would look every key up again; read the computed dict directly.
    def items(self):
        return self._materialized().items()

    def keys(self):
        return self._materialized().keys()

    def values(self):
        return self._materialized().values()

    def copy(self) -> dict:
        return dict(self._materialized())

    def __repr__(self) -> str:
        return repr(self._materialized()) if self._values is not None else "LazyLogs(<not computed yet>)"
