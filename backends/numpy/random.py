"""Seeded sampling and dropout (NumPy).

An int ``seed`` gives the same numbers on every call; ``None`` draws fresh
entropy. Samples are generated in float32 directly where NumPy's Generator
can (``dtype=`` of ``standard_normal`` / ``random``), which halves the work
of generating float64 and casting.
"""

from __future__ import annotations

import numpy as np

from plugnet.plugins.nn_args import noise_shape as noise_shape_of

from . import autograd
from .autograd import vjp
from .core import _dtype


def _rng(seed):
    return np.random.default_rng(None if seed is None else int(seed))


def _float_dtype(op, dtype):
    dtype = _dtype(dtype)
    if not np.issubdtype(dtype, np.floating):
        raise ValueError(f"{op}: `dtype` must be a float type, got {dtype.name!r} (use randint for integers).")
    return dtype


def _generated(dtype):
    """The dtype NumPy's Generator produces directly that is closest to ``dtype``."""
    return np.float32 if dtype == np.float32 or dtype.itemsize < 4 else np.float64


def _shape(shape):
    return (int(shape),) if np.ndim(shape) == 0 else tuple(int(d) for d in shape)


def _scaled(z, scale, offset, dtype):
    """``z * scale + offset`` in ``dtype``, in place when the sizes allow it."""
    if np.ndim(scale) == 0 and np.ndim(offset) == 0:
        z *= z.dtype.type(scale)
        z += z.dtype.type(offset)
        return z.astype(dtype, copy=False)
    return (z * scale + offset).astype(dtype, copy=False)


def random_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    dtype = _float_dtype("random_normal", dtype)
    z = _rng(seed).standard_normal(_shape(shape), dtype=_generated(dtype))
    return _scaled(z, stddev, mean, dtype)


def random_uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    dtype = _float_dtype("random_uniform", dtype)
    u = _rng(seed).random(_shape(shape), dtype=_generated(dtype))
    return _scaled(u, np.subtract(maxval, minval), minval, dtype)


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    dtype = _float_dtype("truncated_normal", dtype)
    rng = _rng(seed)
    generated = _generated(dtype)
    z = rng.standard_normal(_shape(shape), dtype=generated)
    outside = np.flatnonzero(np.abs(z) > 2)  # about 4.6% of draws; each round redraws only those
    while outside.size:
        redraw = rng.standard_normal(outside.size, dtype=generated)
        z.flat[outside] = redraw
        outside = outside[np.abs(redraw) > 2]
    return _scaled(z, stddev, mean, dtype)


def randint(shape, minval, maxval, dtype="int32", seed=None):
    dtype = np.dtype("int32" if dtype is None else _dtype(dtype))
    if not np.issubdtype(dtype, np.integer):
        raise ValueError(f"randint: `dtype` must be an integer type, got {dtype.name!r}.")
    return _rng(seed).integers(int(minval), int(maxval), size=_shape(shape), dtype=dtype)


# -- dropout ---------------------------------------------------------------------

def _keep_scale(inputs, rate, noise_shape, seed, dtype):
    """The mask / (1 - rate), of the noise shape, in ``dtype``."""
    keep = _rng(seed).random(noise_shape_of("dropout", np.shape(inputs), noise_shape), dtype=np.float32) >= rate
    return keep * dtype.type(1.0 / (1.0 - rate))


def _dropout_dtype(inputs):
    dtype = np.asarray(inputs).dtype
    return dtype if np.issubdtype(dtype, np.floating) else np.dtype("float32")


def dropout(inputs, rate, noise_shape=None, seed=None):
    rate = float(rate)
    if not 0.0 <= rate < 1.0:
        raise ValueError(f"dropout: `rate` must be in [0, 1), got {rate}.")
    x = np.asarray(inputs)
    if rate == 0.0:
        return x
    dtype = _dropout_dtype(x)
    keep = _keep_scale(x, rate, noise_shape, seed, dtype)
    # The backward rule reuses the mask: with seed=None it could not be drawn again.
    return autograd.save(x.astype(dtype, copy=False) * keep, keep)


@vjp(dropout)
def _(g, out, inputs, rate, noise_shape=None, seed=None):
    rate = float(rate)
    if rate == 0.0:
        return g, None, None, None
    keep = autograd.saved(out)
    if keep is None:
        if seed is None:
            raise RuntimeError("dropout: the mask of an unseeded call is only kept while a GradientTape records it.")
        keep = _keep_scale(inputs, rate, noise_shape, seed, _dropout_dtype(np.asarray(inputs)))
    return g * keep, None, None, None
