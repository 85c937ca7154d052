"""Ops checked by their properties instead of against a NumPy reference.

Random ops have no fixed result, so each is checked for shape, dtype,
determinism per seed and range or statistics; ``is_tensor`` for what it
accepts. ``PROPERTIES[op]`` lists the checks of that op, each a function
whose docstring's first line names it in failure messages.

Statistics use 20,000 samples and tolerances of about five standard errors,
and the seeds are fixed: a correct backend passes every run, and a wrong
distribution (wrong scale, wrong bounds, the wrong survivors of dropout)
misses by far more.
"""

from __future__ import annotations

import numpy as np

from plugnet import GradientTape, ops

from .expect import expect, expect_close, expect_equal, host

N = 20_000
SHAPE = (2, 3, 4)
TRUNCATED_STD = 0.8796  # the standard deviation of a standard normal cut at +-2


def _seeding(name, draw) -> None:
    a, b = host(draw(7)), host(draw(7))
    expect(np.array_equal(a, b), f"{name}: two calls with seed=7 gave different numbers")
    expect(not np.array_equal(a, host(draw(8))), f"{name}: seeds 7 and 8 gave the same numbers")
    expect(not np.array_equal(host(draw(None)), host(draw(None))),
           f"{name}: two calls with seed=None gave the same numbers")


def _float_shape_and_dtype(name, sampler) -> None:
    out = sampler(SHAPE, seed=0)
    expect_equal(f"{name}({SHAPE}): shape", tuple(ops.shape(out)), SHAPE)
    expect_equal(f"{name}({SHAPE}): dtype", ops.dtype(out), "float32")
    expect_equal(f"{name}({SHAPE}, dtype='float64'): dtype", ops.dtype(sampler(SHAPE, dtype="float64", seed=0)),
                 "float64")


def _statistic(what: str, got: float, want: float, tolerance: float) -> None:
    expect(abs(got - want) <= tolerance, f"{what}: {got:.4f}, expected {want:.4f} +- {tolerance}")


# -- random_normal -------------------------------------------------------------


def normal_seeding():
    """random_normal: same seed, same numbers; other or no seed, others"""
    _seeding("random_normal", lambda seed: ops.random_normal((50,), seed=seed))


def normal_shape_dtype():
    """random_normal: shape and dtype"""
    _float_shape_and_dtype("random_normal", ops.random_normal)


def normal_statistics():
    """random_normal: mean and stddev"""
    x = host(ops.random_normal((N,), mean=2.0, stddev=3.0, seed=3)).astype(np.float64)
    _statistic("random_normal(mean=2, stddev=3): sample mean", x.mean(), 2.0, 0.1)
    _statistic("random_normal(mean=2, stddev=3): sample stddev", x.std(), 3.0, 0.1)


# -- random_uniform ------------------------------------------------------------


def uniform_seeding():
    """random_uniform: same seed, same numbers; other or no seed, others"""
    _seeding("random_uniform", lambda seed: ops.random_uniform((50,), seed=seed))


def uniform_shape_dtype():
    """random_uniform: shape and dtype"""
    _float_shape_and_dtype("random_uniform", ops.random_uniform)


def uniform_range_statistics():
    """random_uniform: range [minval, maxval), mean and stddev"""
    x = host(ops.random_uniform((N,), minval=-2.0, maxval=6.0, seed=4)).astype(np.float64)
    expect(x.min() >= -2.0 and x.max() < 6.0,
           f"random_uniform(minval=-2, maxval=6): values in [{x.min()}, {x.max()}], expected within [-2, 6)")
    _statistic("random_uniform(minval=-2, maxval=6): sample mean", x.mean(), 2.0, 0.1)
    _statistic("random_uniform(minval=-2, maxval=6): sample stddev", x.std(), 8 / np.sqrt(12), 0.05)


# -- truncated_normal ------------------------------------------------------------


def truncated_seeding():
    """truncated_normal: same seed, same numbers; other or no seed, others"""
    _seeding("truncated_normal", lambda seed: ops.truncated_normal((50,), seed=seed))


def truncated_shape_dtype():
    """truncated_normal: shape and dtype"""
    _float_shape_and_dtype("truncated_normal", ops.truncated_normal)


def truncated_range_statistics():
    """truncated_normal: within two stddevs, mean and stddev"""
    x = host(ops.truncated_normal((N,), mean=1.0, stddev=0.5, seed=5)).astype(np.float64)
    worst = float(np.abs(x - 1.0).max())
    expect(worst <= 1.0 + 1e-6, f"truncated_normal(mean=1, stddev=0.5): a value {worst} from the mean, expected <= 1")
    _statistic("truncated_normal(mean=1, stddev=0.5): sample mean", x.mean(), 1.0, 0.02)
    _statistic("truncated_normal(mean=1, stddev=0.5): sample stddev", x.std(), 0.5 * TRUNCATED_STD, 0.02)


# -- randint ---------------------------------------------------------------------


def randint_seeding():
    """randint: same seed, same numbers; other or no seed, others"""
    _seeding("randint", lambda seed: ops.randint((50,), 0, 1000, seed=seed))


def randint_shape_dtype_range():
    """randint: shape, dtype and range [minval, maxval)"""
    out = ops.randint(SHAPE, 0, 10, seed=0)
    expect_equal(f"randint({SHAPE}, 0, 10): shape", tuple(ops.shape(out)), SHAPE)
    expect_equal(f"randint({SHAPE}, 0, 10): dtype", ops.dtype(out), "int32")
    expect_equal("randint(..., dtype='int64'): dtype", ops.dtype(ops.randint((2,), 0, 3, dtype="int64", seed=1)),
                 "int64")
    x = host(ops.randint((N,), -3, 5, seed=1))
    expect_equal("randint(minval=-3, maxval=5): the values drawn", sorted(np.unique(x).tolist()), list(range(-3, 5)))


# -- dropout ---------------------------------------------------------------------


def dropout_seeding():
    """dropout: same seed, same mask; other or no seed, others"""
    _seeding("dropout", lambda seed: ops.dropout(np.ones((50,), np.float32), 0.5, None, seed))


def dropout_identity_at_rate_zero():
    """dropout: rate 0 is the identity"""
    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    expect_close("dropout(x, rate=0)", ops.dropout(x, 0.0, None, 1), x, rtol=0, atol=0)


def dropout_scaling_and_rate():
    """dropout: survivors scaled by 1 / (1 - rate), about `rate` of them zeroed"""
    out = host(ops.dropout(np.full((N,), 2.0, np.float32), 0.3, None, 11))
    expect_equal("dropout(float32 x, 0.3): dtype", str(out.dtype), "float32")
    kept = out != 0
    expect(np.allclose(out[kept], 2.0 / 0.7, rtol=1e-6),
           f"dropout(2.0, rate=0.3): survivors {np.unique(out[kept])[:5].tolist()}, expected {2.0 / 0.7:.6f}")
    _statistic("dropout(rate=0.3): fraction zeroed", float((~kept).mean()), 0.3, 0.02)


def dropout_noise_shape():
    """dropout: noise_shape broadcasts one decision along its size-1 axes"""
    out = host(ops.dropout(np.ones((64, 5, 3), np.float32), 0.5, (None, 1, 3), 2))
    expect(np.array_equal(out, np.broadcast_to(out[:, :1, :], out.shape)),
           "dropout(x (64, 5, 3), noise_shape=(None, 1, 3)): the mask differs along axis 1, expected one "
           "decision per (batch, channel)")
    expect(0 < (out == 0).mean() < 1, "dropout(noise_shape=(None, 1, 3)): dropped everything or nothing")


def dropout_gradient():
    """dropout: the gradient is the mask over the keep probability"""
    x = ops.convert_to_tensor(np.linspace(-1.0, 1.0, 600).reshape(20, 30))
    with GradientTape() as tape:
        tape.watch(x)
        y = ops.dropout(x, 0.4, None, 21)
    (grad,) = tape.gradient(y, [x])
    mask = host(ops.dropout(np.ones((20, 30)), 0.4, None, 21))  # the same seed draws the same mask
    expect_close("gradient of dropout(x, 0.4, seed=21)", grad, mask)


# -- is_tensor -------------------------------------------------------------------


def is_tensor_answers():
    """is_tensor: True for the backend's tensors, False for lists and numbers"""
    expect(ops.is_tensor(ops.convert_to_tensor(np.ones(2, np.float32))), "is_tensor(convert_to_tensor(x)) is False")
    expect(ops.is_tensor(ops.ones((2,))), "is_tensor(ones((2,))) is False")
    expect(not ops.is_tensor([1.0, 2.0]), "is_tensor([1.0, 2.0]) is True")
    expect(not ops.is_tensor(3.0), "is_tensor(3.0) is True")


PROPERTIES = {
    "random_normal": [normal_seeding, normal_shape_dtype, normal_statistics],
    "random_uniform": [uniform_seeding, uniform_shape_dtype, uniform_range_statistics],
    "truncated_normal": [truncated_seeding, truncated_shape_dtype, truncated_range_statistics],
    "randint": [randint_seeding, randint_shape_dtype_range],
    "dropout": [dropout_seeding, dropout_identity_at_rate_zero, dropout_scaling_and_rate, dropout_noise_shape,
                dropout_gradient],
    "is_tensor": [is_tensor_answers],
}
