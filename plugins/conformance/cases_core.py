"""Sample calls of the conversion and creation ops, with NumPy references."""

import numpy as np

from .harness import Case, sample

CASES = {
    "convert_to_tensor": [Case(sample(2, 3)), Case(sample(3), dtype="float64", grad=False)],
    "convert_to_numpy": [Case(sample(2, 3))],
    "shape": [Case(sample(2, 3, 4))],
    "ndim": [Case(sample(2, 3, 4))],
    "size": [Case(sample(2, 3, 4))],
    "dtype": [Case(sample(2, 3)), Case(sample(3, low=0, high=9, dtype="int32"))],
    "cast": [Case(sample(2, 3), "float64"), Case(sample(4, low=-5, high=5), "int32")],
    "stop_gradient": [Case(sample(2, 3))],
    "zeros": [Case((2, 3)), Case((4,), dtype="int32")],
    "ones": [Case((2, 3)), Case((3,), dtype="float64")],
    "full": [Case((2, 2), 3.5)],
    "zeros_like": [Case(sample(2, 3))],
    "ones_like": [Case(sample(2, 3))],
    "full_like": [Case(sample(2, 3), 7.0)],
    "arange": [Case(5), Case(1, 7, 2), Case(0.0, 1.0, 0.25)],
    "linspace": [Case(0.0, 1.0, 5)],
    "eye": [Case(3), Case(3, 4, 1)],
}


def _shape(x):
    return np.asarray(np.shape(x))


REFERENCE = {
    "convert_to_tensor": lambda x, dtype=None: np.asarray(x, dtype),
    "convert_to_numpy": np.asarray,
    "shape": _shape,
    "ndim": np.ndim,
    "size": np.size,
    "dtype": lambda x: "float32" if x.dtype == np.float64 else str(x.dtype),
    "cast": lambda x, dtype: np.asarray(x).astype(dtype),
    "stop_gradient": lambda x: x,
    "zeros": lambda shape, dtype="float32": np.zeros(shape, dtype),
    "ones": lambda shape, dtype="float32": np.ones(shape, dtype),
    "full": lambda shape, v, dtype="float32": np.full(shape, v, dtype),
    "zeros_like": np.zeros_like,
    "ones_like": np.ones_like,
    "full_like": np.full_like,
    "arange": np.arange,
    "linspace": lambda a, b, n=50: np.linspace(a, b, n),
    "eye": np.eye,
}
