"""dtype names: plugnet speaks strings (``"float32"``), as Keras 3 does."""

from __future__ import annotations

import numpy as np

FLOATX = "float32"

_ALIASES = {"float": "float32", "int": "int32", "double": "float64", "half": "float16", "bool_": "bool"}


def floatx() -> str:
    """The default float dtype: ``"float32"``."""
    return FLOATX


_CACHE: dict = {}


def standardize_dtype(dtype) -> str:
    """A dtype name for anything naming a dtype: a string, a NumPy dtype or type,
    a Python type, or a framework dtype (``torch.float32``, ``tf.float32``)."""
    try:
        return _CACHE[dtype]  # called on every cast and loss: remember each answer
    except (KeyError, TypeError):
        pass
    name = _standardize(dtype)
    try:
        _CACHE[dtype] = name
    except TypeError:
        pass
    return name


def _standardize(dtype) -> str:
    if dtype is None:
        return FLOATX
    if isinstance(dtype, str):
        name = dtype
    elif dtype is float:
        return FLOATX
    elif dtype is int:
        return "int32"
    elif dtype is bool:
        return "bool"
    elif hasattr(dtype, "as_numpy_dtype"):  # tf.DType
        name = np.dtype(dtype.as_numpy_dtype).name
    else:
        text = str(dtype)
        name = text[len("torch."):] if text.startswith("torch.") else np.dtype(dtype).name
    name = _ALIASES.get(name, name)
    try:
        return np.dtype(name).name if name != "bfloat16" else name
    except TypeError:
        raise ValueError(f"Unknown dtype {dtype!r}.") from None


def is_float(dtype) -> bool:
    return standardize_dtype(dtype).startswith(("float", "bfloat"))
