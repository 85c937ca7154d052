"""Random ops and plugnet.random: seeds, shapes, dtypes, statistics, dropout and its gradient."""

import numpy as np
import pytest

import plugnet
from plugnet import ops
from plugnet.random import SeedGenerator

N = 100_000


def _np(x):
    return np.asarray(ops.convert_to_numpy(x))


SAMPLERS = {
    "random_normal": lambda seed, shape=(3, 4), **kw: ops.random_normal(shape, seed=seed, **kw),
    "random_uniform": lambda seed, shape=(3, 4), **kw: ops.random_uniform(shape, seed=seed, **kw),
    "truncated_normal": lambda seed, shape=(3, 4), **kw: ops.truncated_normal(shape, seed=seed, **kw),
    "randint": lambda seed, shape=(3, 4), **kw: ops.randint(shape, 0, 1000, seed=seed, **kw),
    "dropout": lambda seed, shape=(3, 4), **kw: ops.dropout(np.ones(shape, np.float32), 0.5, None, seed),
}


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_int_seed_is_deterministic(name):
    sample = SAMPLERS[name]
    np.testing.assert_array_equal(_np(sample(7, shape=(50,))), _np(sample(7, shape=(50,))))
    assert not np.array_equal(_np(sample(7, shape=(50,))), _np(sample(8, shape=(50,))))


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_no_seed_gives_fresh_numbers(name):
    sample = SAMPLERS[name]
    assert not np.array_equal(_np(sample(None, shape=(50,))), _np(sample(None, shape=(50,))))


@pytest.mark.parametrize("name", ["random_normal", "random_uniform", "truncated_normal"])
def test_float_samplers_shape_and_dtype(name):
    sample = SAMPLERS[name]
    out = sample(0, shape=(2, 3, 4))
    assert ops.shape(out) == (2, 3, 4)
    assert ops.dtype(out) == "float32"
    assert ops.dtype(sample(0, dtype="float64")) == "float64"
    assert ops.dtype(sample(0, dtype="float16")) == "float16"
    with pytest.raises(ValueError, match="float"):
        sample(0, dtype="int32")


def test_randint_shape_dtype_and_range():
    out = _np(ops.randint((N,), -3, 5, seed=1))
    assert out.dtype == np.int32
    assert out.min() == -3 and out.max() == 4
    assert set(np.unique(out)) == set(range(-3, 5))
    assert ops.dtype(ops.randint((2,), 0, 3, dtype="int64", seed=1)) == "int64"


def test_normal_statistics():
    x = _np(ops.random_normal((N,), mean=2.0, stddev=3.0, seed=3))
    assert abs(x.mean() - 2.0) < 0.05
    assert abs(x.std() - 3.0) < 0.05


def test_uniform_statistics_and_bounds():
    x = _np(ops.random_uniform((N,), minval=-2.0, maxval=6.0, seed=4))
    assert x.min() >= -2.0 and x.max() < 6.0
    assert abs(x.mean() - 2.0) < 0.05
    assert abs(x.std() - 8 / np.sqrt(12)) < 0.05


def test_truncated_normal_bounds_and_statistics():
    x = _np(ops.truncated_normal((N,), mean=1.0, stddev=0.5, seed=5))
    assert np.all(np.abs(x - 1.0) <= 2 * 0.5 + 1e-6)
    assert abs(x.mean() - 1.0) < 0.01
    # A standard normal cut at +-2 has standard deviation 0.8796.
    assert abs(x.std() - 0.5 * 0.8796) < 0.01


def test_dropout_rate_zero_is_identity():
    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    np.testing.assert_array_equal(_np(ops.dropout(x, 0.0, None, 1)), x)


def test_dropout_scales_survivors_and_zeroes_about_rate():
    x = np.full((N,), 2.0, np.float32)
    out = _np(ops.dropout(x, 0.3, None, 11))
    assert out.dtype == np.float32
    kept = out != 0
    np.testing.assert_allclose(out[kept], 2.0 / 0.7, rtol=1e-6)
    assert abs((~kept).mean() - 0.3) < 0.01


def test_dropout_noise_shape_broadcasts():
    x = np.ones((64, 5, 3), np.float32)
    out = _np(ops.dropout(x, 0.5, (None, 1, 3), 2))
    # Each (batch, channel) pair is kept or dropped along the whole middle axis.
    np.testing.assert_array_equal(out, np.broadcast_to(out[:, :1, :], out.shape))
    assert 0 < (out == 0).mean() < 1
    with pytest.raises(ValueError, match="noise_shape"):
        ops.dropout(x, 0.5, (64, 2, 3), 2)


def test_dropout_gradient_is_the_mask_over_keep_probability():
    x = np.zeros((20, 30))
    x[::2] = np.linspace(-1, 1, 30)  # zeros included: the mask must not be read off the output
    x = ops.convert_to_tensor(x)
    with plugnet.GradientTape() as tape:
        tape.watch(x)
        y = ops.dropout(x, 0.4, None, 21)
    (grad,) = tape.gradient(y, [x])
    mask = _np(ops.dropout(np.ones((20, 30)), 0.4, None, 21))  # same seed: the same mask, scaled
    np.testing.assert_allclose(_np(grad), mask)
    assert set(np.unique(mask)) == {0.0, 1 / 0.6}


def test_unseeded_dropout_gradient_matches_its_own_mask():
    x = ops.convert_to_tensor(np.ones((40, 40), np.float32))
    with plugnet.GradientTape() as tape:
        tape.watch(x)
        y = ops.dropout(x, 0.5, None, None)
    (grad,) = tape.gradient(y, [x])
    np.testing.assert_allclose(_np(grad), _np(y))  # with inputs of ones, out is the scaled mask


def test_dropout_rejects_bad_rate():
    with pytest.raises(ValueError, match="rate"):
        ops.dropout(np.ones(3), 1.0, None, 0)
    with pytest.raises(ValueError, match="rate"):
        plugnet.random.dropout(np.ones(3), -0.1)


def test_seed_generator_streams_are_reproducible():
    a, b = SeedGenerator(42), SeedGenerator(42)
    draws_a = [_np(plugnet.random.normal((5,), seed=a)) for _ in range(3)]
    draws_b = [_np(plugnet.random.normal((5,), seed=b)) for _ in range(3)]
    for da, db in zip(draws_a, draws_b):
        np.testing.assert_array_equal(da, db)
    assert not np.array_equal(draws_a[0], draws_a[1])
    assert not np.array_equal(draws_a[1], draws_a[2])
    other = SeedGenerator(43)
    assert not np.array_equal(_np(plugnet.random.normal((5,), seed=other)), draws_a[0])


def test_seed_generator_state_round_trips():
    gen = SeedGenerator(7)
    gen.next()
    saved = gen.state
    first = [int(ops.convert_to_numpy(gen.next())) for _ in range(3)]
    gen.state = saved
    assert [int(ops.convert_to_numpy(gen.next())) for _ in range(3)] == first
    assert len(set(first)) == 3


def test_global_seed_makes_unseeded_frontend_calls_reproducible():
    plugnet.utils.set_random_seed(123)
    a = _np(plugnet.random.uniform((6,)))
    plugnet.utils.set_random_seed(123)
    np.testing.assert_array_equal(_np(plugnet.random.uniform((6,))), a)
