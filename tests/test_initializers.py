"""plugnet.initializers: statistics from the fan formulas, seeds, configs and get()."""

import math

import numpy as np
import pytest

import plugnet
from plugnet import initializers
from plugnet.random import SeedGenerator

# A shape large enough that sample statistics sit close to the formulas.
DENSE = (400, 600)
CONV = (3, 3, 64, 96)  # receptive field 9: fan_in 576, fan_out 864


def _np(x):
    return plugnet.ops.convert_to_numpy(x)


@pytest.mark.parametrize(
    "shape, fans",
    [((), (1, 1)), ((7,), (7, 7)), ((3, 5), (3, 5)), ((3, 4, 5), (12, 15)), (CONV, (576, 864)), ((2, 2, 2, 3, 4), (24, 32))],
)
def test_compute_fans(shape, fans):
    assert initializers.compute_fans(shape) == fans


@pytest.mark.parametrize(
    "cls, scale, mode, distribution",
    [
        (initializers.GlorotUniform, 1.0, "fan_avg", "uniform"),
        (initializers.GlorotNormal, 1.0, "fan_avg", "truncated_normal"),
        (initializers.HeNormal, 2.0, "fan_in", "truncated_normal"),
        (initializers.HeUniform, 2.0, "fan_in", "uniform"),
        (initializers.LecunNormal, 1.0, "fan_in", "truncated_normal"),
        (initializers.LecunUniform, 1.0, "fan_in", "uniform"),
    ],
)
@pytest.mark.parametrize("shape", [DENSE, CONV], ids=["dense", "conv"])
def test_named_variance_scaling_statistics(cls, scale, mode, distribution, shape):
    fan_in, fan_out = initializers.compute_fans(shape)
    fan = {"fan_in": fan_in, "fan_avg": (fan_in + fan_out) / 2}[mode]
    expected_var = scale / fan
    init = cls(seed=7)
    assert (init.scale, init.mode, init.distribution) == (scale, mode, distribution)
    values = _np(init(shape))
    assert values.shape == shape and values.dtype == np.float32
    assert abs(values.mean()) < 0.02 * math.sqrt(expected_var)
    assert values.var() == pytest.approx(expected_var, rel=0.03)
    if distribution == "uniform":
        limit = math.sqrt(3 * expected_var)
        assert np.abs(values).max() <= limit
        assert np.abs(values).max() > 0.99 * limit
    else:
        # Truncated at two standard deviations of the untruncated normal.
        assert np.abs(values).max() <= 2 * math.sqrt(expected_var) / 0.87962566103423978 + 1e-6


def test_variance_scaling_untruncated_and_fan_out():
    init = initializers.VarianceScaling(scale=3.0, mode="fan_out", distribution="untruncated_normal", seed=1)
    values = _np(init(DENSE))
    assert values.var() == pytest.approx(3.0 / DENSE[1], rel=0.03)
    # Untruncated: some samples beyond two standard deviations.
    assert np.abs(values).max() > 3 * math.sqrt(3.0 / DENSE[1])


def test_variance_scaling_normal_is_truncated_alias():
    assert initializers.VarianceScaling(distribution="normal").distribution == "truncated_normal"


@pytest.mark.parametrize(
    "kwargs, message",
    [({"scale": 0.0}, "scale"), ({"mode": "fan_mid"}, "fan_in, fan_out, fan_avg"), ({"distribution": "cauchy"}, "uniform")],
)
def test_variance_scaling_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        initializers.VarianceScaling(**kwargs)


def test_random_normal_uniform_truncated_statistics():
    values = _np(initializers.RandomNormal(mean=1.0, stddev=2.0, seed=3)(DENSE))
    assert values.mean() == pytest.approx(1.0, abs=0.02)
    assert values.std() == pytest.approx(2.0, rel=0.02)
    values = _np(initializers.RandomUniform(minval=-3.0, maxval=1.0, seed=3)(DENSE))
    assert values.min() >= -3.0 and values.max() < 1.0
    assert values.mean() == pytest.approx(-1.0, abs=0.02)
    values = _np(initializers.TruncatedNormal(mean=0.5, stddev=0.1, seed=3)(DENSE))
    assert values.min() >= 0.3 - 1e-6 and values.max() <= 0.7 + 1e-6
    assert values.std() == pytest.approx(0.1 * 0.87962566103423978, rel=0.03)


def test_keras_defaults():
    assert initializers.RandomNormal().get_config() == {"mean": 0.0, "stddev": 0.05, "seed": None}
    assert initializers.RandomUniform().get_config() == {"minval": -0.05, "maxval": 0.05, "seed": None}
    assert initializers.TruncatedNormal().get_config() == {"mean": 0.0, "stddev": 0.05, "seed": None}
    assert initializers.VarianceScaling().get_config() == {
        "scale": 1.0, "mode": "fan_in", "distribution": "truncated_normal", "seed": None,
    }
    assert initializers.Constant().get_config() == {"value": 0.0}


def test_int_seed_repeats_values_on_every_call_and_instance():
    a = _np(initializers.GlorotUniform(seed=11)((5, 6)))
    b = initializers.GlorotUniform(seed=11)
    np.testing.assert_array_equal(a, _np(b((5, 6))))
    np.testing.assert_array_equal(a, _np(b((5, 6))))
    assert not np.array_equal(a, _np(initializers.GlorotUniform(seed=12)((5, 6))))


def test_unseeded_instances_differ_but_follow_the_global_seed():
    plugnet.utils.set_random_seed(5)
    first = initializers.HeNormal()
    second = initializers.HeNormal()
    a, b = _np(first((4, 4))), _np(second((4, 4)))
    assert not np.array_equal(a, b)
    # Keras 3: an unseeded instance repeats its own values.
    np.testing.assert_array_equal(a, _np(first((4, 4))))
    plugnet.utils.set_random_seed(5)
    np.testing.assert_array_equal(a, _np(initializers.HeNormal()((4, 4))))


def test_seed_generator_gives_fresh_reproducible_values():
    init = initializers.RandomNormal(seed=SeedGenerator(3))
    a, b = _np(init((6,))), _np(init((6,)))
    assert not np.array_equal(a, b)
    again = initializers.RandomNormal(seed=SeedGenerator(3))
    np.testing.assert_array_equal(a, _np(again((6,))))
    rebuilt = initializers.RandomNormal.from_config(init.get_config())
    np.testing.assert_array_equal(a, _np(rebuilt((6,))))


def test_bad_seed_is_rejected():
    with pytest.raises(ValueError, match="seed"):
        initializers.RandomNormal(seed="abc")


def test_deterministic_initializers():
    np.testing.assert_array_equal(_np(initializers.Zeros()((2, 3))), np.zeros((2, 3), np.float32))
    np.testing.assert_array_equal(_np(initializers.Ones()((4,), dtype="float64")), np.ones(4))
    assert _np(initializers.Ones()((4,), dtype="float64")).dtype == np.float64
    np.testing.assert_array_equal(_np(initializers.Constant(2.5)((2, 2))), np.full((2, 2), 2.5, np.float32))
    np.testing.assert_array_equal(
        _np(initializers.Constant([1.0, 2.0])((3, 2))), np.array([[1, 2]] * 3, np.float32)
    )
    np.testing.assert_array_equal(_np(initializers.Identity(gain=3.0)((2, 3))), 3 * np.eye(2, 3, dtype=np.float32))


def test_deterministic_initializers_report_bad_shapes():
    with pytest.raises(ValueError, match=r"\(2,\).*\(3, 3\)"):
        initializers.Constant([1.0, 2.0])((3, 3))
    with pytest.raises(ValueError, match=r"2-D.*\(2, 2, 2\)"):
        initializers.Identity()((2, 2, 2))


def test_dtype_argument():
    assert _np(initializers.GlorotUniform(seed=1)((3, 3), dtype="float64")).dtype == np.float64
    assert _np(initializers.RandomNormal(seed=1)((3,), "float64")).dtype == np.float64


@pytest.mark.parametrize(
    "name, cls",
    [
        ("glorot_uniform", initializers.GlorotUniform), ("glorot_normal", initializers.GlorotNormal),
        ("he_normal", initializers.HeNormal), ("he_uniform", initializers.HeUniform),
        ("lecun_normal", initializers.LecunNormal), ("lecun_uniform", initializers.LecunUniform),
        ("zeros", initializers.Zeros), ("ones", initializers.Ones), ("constant", initializers.Constant),
        ("random_normal", initializers.RandomNormal), ("random_uniform", initializers.RandomUniform),
        ("truncated_normal", initializers.TruncatedNormal), ("variance_scaling", initializers.VarianceScaling),
        ("identity", initializers.IdentityInitializer), ("uniform", initializers.RandomUniform),
        ("normal", initializers.RandomNormal), ("GlorotUniform", initializers.GlorotUniform),
        ("HeNormal", initializers.HeNormal), ("Zeros", initializers.Zeros),
    ],
)
def test_get_by_name(name, cls):
    assert type(initializers.get(name)) is cls


def test_get_other_identifiers():
    inst = initializers.HeUniform(seed=1)
    assert initializers.get(inst) is inst
    assert type(initializers.get(initializers.Ones)) is initializers.Ones

    def custom(shape, dtype=None):
        return plugnet.ops.zeros(shape, dtype)

    assert initializers.get(custom) is custom
    assert initializers.get(None) is None
    rebuilt = initializers.get({"class_name": "RandomUniform", "config": {"minval": 0.0, "maxval": 2.0, "seed": 4}})
    assert isinstance(rebuilt, initializers.RandomUniform) and rebuilt.get_config()["maxval"] == 2.0


def test_get_unknown_name_lists_valid_names():
    with pytest.raises(ValueError) as info:
        initializers.get("glorot_uniformm")
    message = str(info.value)
    assert "glorot_uniformm" in message
    for name in ("glorot_uniform", "he_normal", "zeros", "ones", "random_normal"):
        assert name in message


@pytest.mark.parametrize(
    "init",
    [
        initializers.GlorotUniform(seed=2), initializers.VarianceScaling(2.0, "fan_out", "uniform", seed=2),
        initializers.RandomNormal(0.5, 0.1, seed=2), initializers.Constant(1.5), initializers.Identity(2.0),
        initializers.Zeros(),
    ],
    ids=repr,
)
def test_serialize_round_trip(init):
    config = initializers.serialize(init)
    rebuilt = initializers.deserialize(config)
    assert type(rebuilt) is type(init) and rebuilt.get_config() == init.get_config()
    shape = (3, 3)
    np.testing.assert_array_equal(_np(rebuilt(shape)), _np(init(shape)))
    clone = init.clone()
    assert type(clone) is type(init) and clone.get_config() == init.get_config()
