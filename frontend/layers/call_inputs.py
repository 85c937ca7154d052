"""What ``Layer.__call__`` does to its inputs: NumPy data and number lists become tensors of the
active backend, and floating tensors are cast to the layer's dtype (autocasting).

Both run on every layer call, so what a type and dtype mean is worked out once and cached.
"""

from __future__ import annotations

import numpy as np

from plugnet import backend as _backend
from plugnet import ops
from plugnet.dtypes import is_float
from plugnet.variables import Variable

# Native dtype object -> (name, is floating), so autocasting costs one dict lookup.
_dtype_info_cache: dict = {}
# (type, native dtype) -> (is a tensor of the active backend, dtype name, is floating),
# valid for the backend in _input_kinds_owner.
_input_kinds: dict = {}
_input_kinds_owner = [None]


def dtype_info(x) -> tuple:
    native = getattr(x, "dtype", None)
    info = _dtype_info_cache.get(native) if native is not None else None
    if info is None:
        name = ops.dtype(x)
        info = (name, is_float(name))
        if native is not None:
            try:
                _dtype_info_cache[native] = info
            except TypeError:
                pass
    return info


def _is_number_list(x) -> bool:
    first = x[0]
    while isinstance(first, (list, tuple)) and first:
        first = first[0]
    return isinstance(first, (int, float, bool, np.generic))


def _input_kind(x, native):
    """(is a tensor of the active backend, dtype name, is floating) for ``x``, cached per type and dtype."""
    active = _backend.active()
    if _input_kinds_owner[0] is not active:
        _input_kinds.clear()
        _input_kinds_owner[0] = active
    key = (type(x), native)
    try:
        return _input_kinds[key]
    except KeyError:
        pass
    except TypeError:  # an unhashable dtype object
        return None
    kind = None
    if ops.is_tensor(x):
        name, floating = dtype_info(x)
        kind = (True, name, floating)
    else:
        kind = (False, None, False)
    _input_kinds[key] = kind
    return kind


def convert_input(x, dtype: str, autocast: bool):
    """Tensors stay (floating ones cast to ``dtype``), arrays and number lists become tensors."""
    native = getattr(x, "dtype", None)
    if native is not None:
        kind = _input_kind(x, native)
        if kind is not None and kind[0]:
            if autocast and kind[2] and kind[1] != dtype:
                return ops.cast(x, dtype)
            return x
    if ops.is_tensor(x):
        if autocast:
            name, floating = dtype_info(x)
            if floating and name != dtype:
                return ops.cast(x, dtype)
        return x
    if isinstance(x, Variable) or x is None or isinstance(x, (str, bytes)):
        return x
    if isinstance(x, (list, tuple)):
        if x and _is_number_list(x):
            return convert_input(ops.convert_to_tensor(np.asarray(x)), dtype, autocast)
        return type(x)(convert_input(item, dtype, autocast) for item in x)
    if isinstance(x, dict):
        return {key: convert_input(value, dtype, autocast) for key, value in x.items()}
    if isinstance(x, (np.ndarray, np.generic, int, float)):
        array = np.asarray(x)
        if autocast and array.dtype.kind == "f":
            return ops.convert_to_tensor(array, dtype)
        return ops.convert_to_tensor(array)
    return x
