"""Pooling and global pooling layers against loop-based NumPy references."""

import itertools

import numpy as np
import pytest

import plugnet
from plugnet import ops
from plugnet.layers import (
    AveragePooling1D,
    AveragePooling2D,
    AveragePooling3D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalAveragePooling3D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    GlobalMaxPooling3D,
    Input,
    MaxPool2D,
    MaxPooling1D,
    MaxPooling2D,
    MaxPooling3D,
)


def _np(x):
    return np.asarray(ops.convert_to_numpy(x))


def ref_pool(x, pool, strides, padding, mode):
    """Channels-last pooling; 'same' windows cover only real elements (the mean divides by their count)."""
    n = x.ndim - 2
    spatial = x.shape[1:-1]
    if padding == "same":
        out_size = [-(-size // s) for size, s in zip(spatial, strides)]
        before = [max((o - 1) * s + k - size, 0) // 2 for o, s, k, size in zip(out_size, strides, pool, spatial)]
    else:
        out_size = [(size - k) // s + 1 for size, k, s in zip(spatial, pool, strides)]
        before = [0] * n
    out = np.zeros((x.shape[0],) + tuple(out_size) + (x.shape[-1],))
    reduce = np.max if mode == "max" else np.mean
    for position in itertools.product(*(range(o) for o in out_size)):
        index = tuple(
            slice(max(p * s - b, 0), min(p * s - b + k, size))
            for p, s, b, k, size in zip(position, strides, before, pool, spatial)
        )
        window = x[(slice(None),) + index]
        out[(slice(None),) + position] = reduce(window.reshape(x.shape[0], -1, x.shape[-1]), axis=1)
    return out


POOL_CASES = [
    dict(pool_size=2),
    dict(pool_size=3, strides=2, padding="same"),
    dict(pool_size=(2, 3), strides=1),
    dict(pool_size=3, padding="same"),
    dict(pool_size=(3, 2), strides=(1, 2), padding="same"),
]


@pytest.mark.parametrize("cls, mode", [(MaxPooling2D, "max"), (AveragePooling2D, "mean")])
@pytest.mark.parametrize("args", POOL_CASES, ids=str)
def test_pooling2d_matches_reference(cls, mode, args, rng):
    x = rng.normal(size=(2, 7, 9, 3)).astype("float32")
    layer = cls(**args)
    y = _np(layer(x))
    pool = layer.pool_size
    strides = layer.strides
    expected = ref_pool(x, pool, strides, args.get("padding", "valid"), mode)
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-6)
    assert layer.compute_output_shape((None, 7, 9, 3)) == (None,) + expected.shape[1:]


@pytest.mark.parametrize(
    "layer, shape, mode",
    [
        (MaxPooling1D(3, strides=2, padding="same"), (2, 11, 3), "max"),
        (AveragePooling1D(2), (2, 11, 3), "mean"),
        (MaxPooling3D(), (1, 4, 5, 6, 2), "max"),
        (AveragePooling3D(2, strides=(1, 2, 2), padding="same"), (1, 3, 5, 4, 2), "mean"),
    ],
    ids=lambda v: type(v).__name__ if not isinstance(v, (tuple, str)) else str(v),
)
def test_pooling_1d_3d_match_reference(layer, shape, mode, rng):
    x = rng.normal(size=shape).astype("float32")
    y = _np(layer(x))
    np.testing.assert_allclose(y, ref_pool(x, layer.pool_size, layer.strides, layer.padding, mode),
                               rtol=1e-5, atol=1e-6)


def test_same_padding_average_ignores_the_padding():
    x = np.ones((1, 5, 5, 1), "float32")
    y = _np(AveragePooling2D(3, strides=1, padding="same")(x))
    np.testing.assert_allclose(y, 1.0, rtol=1e-6)  # zeros of the padding would pull the border below 1


def test_max_pooling_of_negative_values_with_same_padding():
    x = -np.arange(1, 10, dtype="float32").reshape(1, 3, 3, 1)
    y = _np(MaxPooling2D(2, strides=2, padding="same")(x))
    np.testing.assert_array_equal(y[0, :, :, 0], [[-1, -3], [-7, -9]])


@pytest.mark.parametrize("cls", [MaxPooling2D, AveragePooling2D])
def test_channels_first_equals_channels_last(cls, rng):
    x = rng.normal(size=(2, 7, 6, 3)).astype("float32")
    last = _np(cls(3, strides=2, padding="same")(x))
    first = _np(cls(3, strides=2, padding="same", data_format="channels_first")(np.moveaxis(x, -1, 1)))
    np.testing.assert_allclose(np.moveaxis(first, 1, -1), last, rtol=1e-6)
    layer = cls(3, strides=2, padding="same", data_format="channels_first")
    assert layer.compute_output_shape((None, 3, 7, 6)) == (None, 3, 4, 3)


def test_defaults_follow_keras():
    layer = MaxPooling2D()
    assert layer.pool_size == (2, 2) and layer.strides == (2, 2) and layer.padding == "valid"
    assert layer.data_format == "channels_last" and MaxPool2D is MaxPooling2D
    assert MaxPooling1D().pool_size == (2,) and MaxPooling3D().pool_size == (2, 2, 2)
    assert AveragePooling2D(3, strides=1).strides == (1, 1)
    with pytest.raises(TypeError):
        AveragePooling2D()  # pool_size is required, as in Keras


def test_output_shapes_with_unknown_dims():
    assert MaxPooling2D().compute_output_shape((None, None, 9, 4)) == (None, None, 4, 4)
    assert MaxPooling2D(3, 2, "same").compute_output_shape((None, 9, None, 4)) == (None, 5, None, 4)
    assert Input(shape=(None, 10, 2)).shape == (None, None, 10, 2)
    assert MaxPooling2D()(Input(shape=(None, 10, 2))).shape == (None, None, 5, 2)


def test_max_pool_gradient_goes_to_the_maximum(rng):
    x = ops.convert_to_tensor(rng.normal(size=(1, 4, 4, 2)).astype("float32"))
    with plugnet.GradientTape() as tape:
        tape.watch(x)
        total = ops.sum(MaxPooling2D()(x))
    dx = _np(tape.gradient(total, x))
    values = _np(x)
    for i, j, c in itertools.product(range(2), range(2), range(2)):
        window = values[0, 2 * i:2 * i + 2, 2 * j:2 * j + 2, c]
        expected = (window == window.max()).astype("float32")
        np.testing.assert_array_equal(dx[0, 2 * i:2 * i + 2, 2 * j:2 * j + 2, c], expected)


def test_average_pool_gradient_shares_equally(rng):
    x = ops.convert_to_tensor(rng.normal(size=(1, 4, 6, 1)).astype("float32"))
    with plugnet.GradientTape() as tape:
        tape.watch(x)
        total = ops.sum(AveragePooling2D((2, 3))(x))
    np.testing.assert_allclose(_np(tape.gradient(total, x)), 1 / 6, rtol=1e-6)


def test_wrong_rank_and_too_small_input_name_the_layer():
    with pytest.raises(ValueError, match=r"'pool'.*rank 4.*\(2, 8, 3\)"):
        MaxPooling2D(name="pool")(np.zeros((2, 8, 3), "float32"))
    with pytest.raises(ValueError, match=r"'pool3'.*\(3, 3\).*\(1, 2, 2, 1\)"):
        MaxPooling2D(3, name="pool3")(np.zeros((1, 2, 2, 1), "float32"))
    with pytest.raises(ValueError, match="pool_size"):
        MaxPooling2D((2, 2, 2))
    with pytest.raises(ValueError, match="padding"):
        MaxPooling2D(padding="causal")


# ---------------------------------------------------------------------------- global pooling


@pytest.mark.parametrize(
    "cls, reduce, rank",
    [
        (GlobalAveragePooling1D, np.mean, 1), (GlobalAveragePooling2D, np.mean, 2),
        (GlobalAveragePooling3D, np.mean, 3), (GlobalMaxPooling1D, np.max, 1),
        (GlobalMaxPooling2D, np.max, 2), (GlobalMaxPooling3D, np.max, 3),
    ],
    ids=lambda v: getattr(v, "__name__", str(v)),
)
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("keepdims", [False, True])
def test_global_pooling(cls, reduce, rank, data_format, keepdims, rng):
    shape = (2,) + (3, 4, 5)[:rank] + (6,)
    x = rng.normal(size=shape).astype("float32")
    axes = tuple(range(1, rank + 1))
    if data_format == "channels_first":
        x = np.moveaxis(x, -1, 1)
        axes = tuple(range(2, rank + 2))
    layer = cls(data_format=data_format, keepdims=keepdims)
    y = _np(layer(x))
    np.testing.assert_allclose(y, reduce(x, axis=axes, keepdims=keepdims), rtol=1e-5, atol=1e-6)
    assert layer.compute_output_shape((None,) + x.shape[1:]) == (None,) + y.shape[1:]


def test_global_average_pooling1d_mask(rng):
    x = rng.normal(size=(2, 5, 3)).astype("float32")
    mask = np.array([[True, True, False, False, False], [True, True, True, True, False]])
    y = _np(GlobalAveragePooling1D()(x, mask=mask))
    np.testing.assert_allclose(y[0], x[0, :2].mean(0), rtol=1e-5)
    np.testing.assert_allclose(y[1], x[1, :4].mean(0), rtol=1e-5)
    first = _np(GlobalAveragePooling1D(data_format="channels_first")(np.moveaxis(x, -1, 1), mask=mask))
    np.testing.assert_allclose(first, y, rtol=1e-5)


def test_global_pooling_rank_error():
    with pytest.raises(ValueError, match=r"'gap'.*rank 4.*\(2, 3\)"):
        GlobalAveragePooling2D(name="gap")(np.zeros((2, 3), "float32"))


# ---------------------------------------------------------------------------- config


@pytest.mark.parametrize(
    "layer",
    [
        MaxPooling1D(3, strides=1, padding="same"),
        MaxPooling2D((2, 3), data_format="channels_first"),
        MaxPooling3D(),
        AveragePooling1D(4),
        AveragePooling2D(3, strides=2, padding="same"),
        AveragePooling3D((1, 2, 2)),
        GlobalAveragePooling1D(keepdims=True),
        GlobalAveragePooling2D(data_format="channels_first"),
        GlobalAveragePooling3D(),
        GlobalMaxPooling1D(),
        GlobalMaxPooling2D(keepdims=True),
        GlobalMaxPooling3D(data_format="channels_first"),
    ],
    ids=lambda layer: type(layer).__name__,
)
def test_config_round_trip(layer):
    config = layer.get_config()
    clone = plugnet.registry.deserialize(plugnet.registry.serialize(layer))
    assert type(clone) is type(layer) and clone.get_config() == config
    if "pool_size" in config:
        assert config["strides"] == layer.strides  # None strides are stored as the pool size, as Keras does
