"""Seeded sampling and dropout (TensorFlow).

Every sampler is one of TensorFlow's *stateless* ops, keyed by ``[seed, 0]``:
the same seed gives the same numbers on every call, and the seed may be an
integer tensor (a Variable's value inside ``tf.function``), where a Python-side
generator would freeze its first draw into the compiled graph. ``seed=None``
draws the key with a stateful op instead, so every call (and every run of a
compiled step) gets fresh numbers, reproducible after ``tf.random.set_seed``.
"""

from __future__ import annotations

import tensorflow as tf

from plugnet.plugins.nn_args import noise_shape as noise_shape_of

from .core import FLOATS, INTEGERS, int32, int64, read, static_or_dynamic_shape, tensor, tf_dtype

_SEED_MAX = 2**31 - 1


def _key(seed):
    """The stateless ops' shape-[2] seed for an int, an integer tensor, or None."""
    if seed is None:
        return tf.random.uniform([2], 0, _SEED_MAX, dtype=int64)
    if isinstance(seed, int):
        return tf.constant([seed, 0], int64)
    seed = tensor(seed)
    if seed.dtype not in INTEGERS or seed.shape.rank != 0:
        raise ValueError(f"`seed` must be an int, an integer scalar tensor or None, got {seed!r}.")
    return tf.stack([tf.cast(seed, int64), tf.constant(0, int64)])


def _float_dtype(op, dtype):
    dtype = tf_dtype(dtype)
    if dtype not in FLOATS:
        raise ValueError(f"{op}: `dtype` must be a float type, got {dtype.name!r} (use randint for integers).")
    return dtype


def _shape(shape):
    return [shape] if isinstance(shape, int) else shape


def random_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    dtype = _float_dtype("random_normal", dtype)
    return tf.random.stateless_normal(_shape(shape), _key(seed), mean, stddev, dtype)


def random_uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    dtype = _float_dtype("random_uniform", dtype)
    return tf.random.stateless_uniform(_shape(shape), _key(seed), minval, maxval, dtype)


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    # TensorFlow's truncated normal redraws beyond two standard deviations, as the contract says.
    dtype = _float_dtype("truncated_normal", dtype)
    return tf.random.stateless_truncated_normal(_shape(shape), _key(seed), mean, stddev, dtype)


def randint(shape, minval, maxval, dtype="int32", seed=None):
    dtype = tf_dtype("int32" if dtype is None else dtype)
    if dtype not in INTEGERS:
        raise ValueError(f"randint: `dtype` must be an integer type, got {dtype.name!r}.")
    drawn = dtype if dtype in (int32, int64) else int64  # the stateless op draws these two directly
    out = tf.random.stateless_uniform(_shape(shape), _key(seed), minval, maxval, dtype=drawn)
    return out if drawn is dtype else tf.cast(out, dtype)


# -- dropout ---------------------------------------------------------------------------


def dropout(inputs, rate, noise_shape=None, seed=None):
    rate = float(rate)
    if not 0.0 <= rate < 1.0:
        raise ValueError(f"dropout: `rate` must be in [0, 1), got {rate}.")
    x = read(inputs)
    if x.dtype not in FLOATS:
        x = tf.cast(x, tf.float32)
    if rate == 0.0:
        return x
    shape = noise_shape_of("dropout", static_or_dynamic_shape(x), noise_shape)
    keep = tf.random.stateless_uniform(shape, _key(seed)) >= rate
    # TensorFlow differentiates the product: the gradient is the same mask / (1 - rate).
    return x * (tf.cast(keep, x.dtype) * (1.0 / (1.0 - rate)))
