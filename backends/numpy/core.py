"""Conversion, creation, dtypes, variables and devices for the NumPy backend."""

from __future__ import annotations

import numpy as np

from plugnet.dtypes import standardize_dtype
from plugnet.plugins.host_data import host_array

from .autograd import Tensor, plain, vjp


def _dtype(dtype, default: str = "float32"):
    return np.dtype(default if dtype is None else standardize_dtype(dtype))


# -- conversion ----------------------------------------------------------------


def convert_to_tensor(x, dtype=None):
    x = plain(x)
    if dtype is None and type(x) is np.ndarray:
        return x
    if isinstance(x, (list, tuple)):
        x = [plain(i) for i in x]
    return host_array("numpy", x, None if dtype is None else _dtype(dtype))


@vjp(convert_to_tensor)
def _(g, out, x, dtype=None):
    source = np.asarray(x).dtype
    return (g.astype(source, copy=False) if np.issubdtype(source, np.inexact) else None), None


def convert_to_numpy(x):
    return np.asarray(plain(x))


def is_tensor(x):
    return type(x) in (np.ndarray, Tensor) or isinstance(x, np.generic)


def shape(x):
    kind = type(x)
    if kind is np.ndarray:
        return x.shape
    if kind is Tensor:
        value = x._value
        return value.shape if type(value) is np.ndarray else np.shape(value)
    return tuple(np.shape(x))


def ndim(x):
    return x.ndim if type(x) is np.ndarray else np.ndim(plain(x))


def size(x):
    return int(np.size(plain(x)))


def dtype(x):
    x = plain(x)
    return standardize_dtype(x.dtype if hasattr(x, "dtype") else host_array("numpy", x).dtype)


def cast(x, dtype):
    return np.asarray(x).astype(_dtype(dtype), copy=False)


@vjp(cast)
def _(g, out, x, dtype):
    source = np.asarray(x).dtype
    if not (np.issubdtype(source, np.inexact) and np.issubdtype(out.dtype, np.inexact)):
        return None, None
    return g.astype(source, copy=False), None


def stop_gradient(x):
    return plain(x)


# -- creation ------------------------------------------------------------------


def zeros(shape, dtype=None):
    return np.zeros(shape, _dtype(dtype))


def ones(shape, dtype=None):
    return np.ones(shape, _dtype(dtype))


def full(shape, fill_value, dtype=None):
    return np.full(shape, fill_value, _dtype(dtype))


def zeros_like(x, dtype=None):
    return np.zeros_like(x, dtype=None if dtype is None else _dtype(dtype))


def ones_like(x, dtype=None):
    return np.ones_like(x, dtype=None if dtype is None else _dtype(dtype))


def full_like(x, fill_value, dtype=None):
    return np.full_like(x, fill_value, dtype=None if dtype is None else _dtype(dtype))


def arange(start, stop=None, step=1, dtype=None):
    if dtype is None:
        is_int = all(isinstance(v, (int, np.integer)) for v in (start, stop, step) if v is not None)
        dtype = "int32" if is_int else "float32"
    if stop is None:
        start, stop = 0, start
    return np.arange(start, stop, step, dtype=_dtype(dtype))


def linspace(start, stop, num=50, dtype=None):
    return np.linspace(start, stop, num, dtype=_dtype(dtype))


def eye(N, M=None, k=0, dtype=None):
    return np.eye(N, M, k, dtype=_dtype(dtype))


# -- variables and devices ------------------------------------------------------


def variable(value, dtype, trainable):
    """A Variable's storage: a private, writable array."""
    return np.array(plain(value), dtype=_dtype(dtype), copy=True)


def assign(storage, value):
    """Write in place (casting to the storage's dtype), so references to the storage stay valid."""
    storage[...] = plain(value)
    return storage


def assign_add(storage, delta):
    np.add(storage, plain(delta), out=storage, casting="unsafe")
    return storage


def assign_sub(storage, delta):
    np.subtract(storage, plain(delta), out=storage, casting="unsafe")
    return storage


def devices():
    return ["cpu"]
