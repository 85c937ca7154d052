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
