"""Python data (numbers, lists, NumPy arrays of them) as every backend reads it.

Framework-free, so each backend (and a third party's) gives plugnet's answer
to ``ops.convert_to_tensor([1, 2])`` or ``ops.convert_to_tensor(0.5)``.
"""

from __future__ import annotations

import numpy as np

_INT32 = np.iinfo(np.int32)


def natural_array(data) -> np.ndarray:
    """``data`` as NumPy reads it, then Keras's choice of dtype: float64 becomes float32, and
    int64 becomes int32 when every value fits (Python's ints and floats are 64-bit to NumPy)."""
    array = np.asarray(data)
    if array.dtype == np.float64:
        return array.astype(np.float32)
    if array.dtype == np.int64 and (array.size == 0 or (_INT32.min <= array.min() and array.max() <= _INT32.max)):
        return array.astype(np.int32)
    return array


def host_array(backend: str, data, dtype=None) -> np.ndarray:
    """Host ``data`` (an ndarray, a NumPy scalar, Python numbers or nested lists of them) as an
    ndarray for backend ``backend`` to make a tensor of: in ``dtype`` (a NumPy dtype) when given,
    else NumPy data in its own dtype and Python data in Keras's (:func:`natural_array`).
    Objects and strings, which no tensor holds, are a TypeError naming the backend."""
    if isinstance(data, np.ndarray):
        array = data if dtype is None else data.astype(dtype, copy=False)
    elif dtype is not None:
        array = np.asarray(data, dtype=dtype)
    elif isinstance(data, np.generic):
        array = np.asarray(data)
    else:
        try:
            array = natural_array(data)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"The {backend!r} backend cannot make a tensor of a {type(data).__name__}: {exc}") from None
    if array.dtype.kind in "OUSV":
        raise TypeError(f"The {backend!r} backend cannot make a tensor of {type(data).__name__} {data!r:.80}.")
    return array
