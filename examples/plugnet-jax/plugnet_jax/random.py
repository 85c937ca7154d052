"""Seeded sampling and dropout (JAX).

JAX has no hidden random state: every sampler takes a key. The key comes
from ``seed``: an int, or an integer scalar tensor (a SeedGenerator's value,
traced inside a compiled step, where a Python-side generator would freeze
its first draw into the compiled code). The same seed gives the same numbers
on every call, whether given as an int or as a tensor.

``seed=None`` draws the next key of the backend's own stream, which
:func:`set_seed` (called by ``plugnet.utils.set_random_seed``) restarts.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from plugnet.plugins.nn_args import noise_shape as noise_shape_of

from .core import as_shape, exact, jax_dtype, operand, tensor
from .templates import prepares


class _Stream:
    """The keys for ``seed=None``: key(seed) folded with a counter."""

    def __init__(self, seed: int = 0):
        self.seed, self.count = seed, 0

    def next_seed(self) -> int:
        self.count += 1
        return (self.seed * 1_000_003 + self.count) % (2**31 - 1)


_stream = _Stream(int(np.random.SeedSequence().entropy % (2**31 - 1)))


def set_seed(seed) -> None:
    """Restart the stream that ``seed=None`` draws from."""
    _stream.seed, _stream.count = int(seed), 0


def _key(seed):
    """A JAX key for an int, an integer scalar tensor, or None."""
    if seed is None:
        seed = _stream.next_seed()
    if isinstance(seed, (int, np.integer)):
        return jax.random.key(int(seed) % 2**32)
    seed = tensor(seed)
    if not jnp.issubdtype(seed.dtype, jnp.integer) or seed.ndim != 0:
        raise ValueError(f"`seed` must be an int, an integer scalar tensor or None, got {seed!r}.")
    return jax.random.key(seed.astype(jnp.uint32))


def _float_dtype(op, dtype):
    dtype = jax_dtype(dtype)
    if not jnp.issubdtype(dtype, jnp.floating):
        raise ValueError(f"{op}: `dtype` must be a float type, got {dtype.name!r} (use randint for integers).")
    return dtype


def _generated(dtype):
    """The dtype JAX samples in for ``dtype``: float64 needs x64 inside jax.random, so it is drawn in float32."""
    return jnp.dtype("float32") if dtype == jnp.float64 else dtype


def _scaled(z, scale, offset, dtype):
    """``z * scale + offset`` in ``dtype``."""
    z = z.astype(dtype)
    return (z * exact(scale, z) + exact(offset, z)).astype(dtype)


def random_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    dtype = _float_dtype("random_normal", dtype)
    z = jax.random.normal(_key(seed), as_shape(shape), _generated(dtype))
    return _scaled(z, stddev, mean, dtype)


def random_uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    dtype = _float_dtype("random_uniform", dtype)
    u = jax.random.uniform(_key(seed), as_shape(shape), _generated(dtype))
    minval, maxval = operand(minval), operand(maxval)
    return _scaled(u, maxval - minval, minval, dtype)


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    # Normal samples conditioned on |z| < 2: the law of redrawing until within two deviations.
    dtype = _float_dtype("truncated_normal", dtype)
    z = jax.random.truncated_normal(_key(seed), -2.0, 2.0, as_shape(shape), _generated(dtype))
    return _scaled(z, stddev, mean, dtype)


def randint(shape, minval, maxval, dtype="int32", seed=None):
    dtype = jax_dtype("int32" if dtype is None else dtype)
    if not jnp.issubdtype(dtype, jnp.integer):
        raise ValueError(f"randint: `dtype` must be an integer type, got {dtype.name!r}.")
    return jax.random.randint(_key(seed), as_shape(shape), int(minval), int(maxval), dtype)


# -- dropout ---------------------------------------------------------------------


def dropout(inputs, rate, noise_shape=None, seed=None):
    rate = float(rate)
    if not 0.0 <= rate < 1.0:
        raise ValueError(f"dropout: `rate` must be in [0, 1), got {rate}.")
    x = tensor(inputs)
    if not jnp.issubdtype(x.dtype, jnp.floating):
        x = x.astype(jnp.float32)
    if rate == 0.0:
        return x
    keep = jax.random.bernoulli(_key(seed), 1.0 - rate, noise_shape_of("dropout", x.shape, noise_shape))
    return jnp.where(keep, x * exact(1.0 / (1.0 - rate), x), jnp.zeros((), x.dtype))


@prepares(dropout)
def _(inputs, rate, noise_shape=None, seed=None):
    # The seed becomes data: a recorded dropout is compiled once, not once per seed, and
    # seed=None draws its key here, on every call, not once when the op is compiled.
    if seed is None:
        seed = _stream.next_seed()
    if isinstance(seed, (int, np.integer)):
        seed = jnp.asarray(int(seed) % 2**32, jnp.uint32)
    return inputs, rate, None if noise_shape is None else tuple(noise_shape), seed
