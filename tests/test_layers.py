"""Each built-in layer's output against a NumPy computation with the layer's own weights."""

import numpy as np
import pytest

import plugnet
from plugnet import ops
from plugnet.layers import Activation, Dense, Dropout, Flatten, Input, Reshape


def _np(x):
    return np.asarray(ops.convert_to_numpy(x))


# ---------------------------------------------------------------------------- Dense


def test_dense_matches_numpy(rng):
    x = rng.normal(size=(5, 3))
    layer = Dense(4)
    y = _np(layer(x))
    kernel, bias = layer.get_weights()
    assert kernel.shape == (3, 4) and bias.shape == (4,)
    np.testing.assert_allclose(y, x.astype("float32") @ kernel + bias, rtol=1e-5, atol=1e-6)
    assert y.dtype == np.float32


def test_dense_activation_and_nonzero_bias(rng):
    layer = Dense(3, activation="relu", bias_initializer="ones")
    half = 10 * rng.normal(size=(3, 2)).astype("float32")
    x = np.concatenate([half, -half])  # each unit's pre-activation is far below -1 for some row
    y = _np(layer(x))
    kernel, bias = layer.get_weights()
    np.testing.assert_allclose(bias, np.ones(3))
    np.testing.assert_allclose(y, np.maximum(x @ kernel + bias, 0), rtol=1e-5, atol=1e-6)
    assert (y == 0).any() and (y > 0).any()


def test_dense_without_bias(rng):
    layer = Dense(2, use_bias=False, activation="tanh")
    x = rng.normal(size=(4, 3))
    y = _np(layer(x))
    assert len(layer.weights) == 1 and layer.bias is None
    np.testing.assert_allclose(y, np.tanh(x.astype("float32") @ layer.get_weights()[0]), rtol=1e-5, atol=1e-6)


def test_dense_on_rank3_input_applies_to_last_axis(rng):
    layer = Dense(5)
    x = rng.normal(size=(2, 7, 3)).astype("float32")
    y = _np(layer(x))
    kernel, bias = layer.get_weights()
    assert y.shape == (2, 7, 5)
    np.testing.assert_allclose(y, np.einsum("btf,fu->btu", x, kernel) + bias, rtol=1e-5, atol=1e-6)
    assert layer.compute_output_shape((None, 7, 3)) == (None, 7, 5)


def test_dense_rank3_gradients(rng):
    layer = Dense(2)
    x = rng.normal(size=(2, 4, 3)).astype("float32")
    layer(x)
    with plugnet.GradientTape() as tape:
        total = ops.sum(layer(x))
    d_kernel, d_bias = tape.gradient(total, [layer.kernel, layer.bias])
    # d sum(x W + b) / dW[i, j] = sum of x[..., i] over batch and steps; / db[j] = batch * steps
    np.testing.assert_allclose(_np(d_kernel), np.repeat(x.sum((0, 1))[:, None], 2, axis=1), rtol=1e-5)
    np.testing.assert_allclose(_np(d_bias), [8.0, 8.0])


def test_dense_kernel_initializer_is_used():
    layer = Dense(2, kernel_initializer="ones")
    y = _np(layer(np.array([[1.0, 2.0, 3.0]])))
    np.testing.assert_allclose(y, [[6.0, 6.0]])


def test_dense_casts_float64_and_python_lists_to_float32():
    layer = Dense(1, kernel_initializer="ones")
    assert _np(layer(np.ones((1, 2), dtype="float64"))).dtype == np.float32
    np.testing.assert_allclose(_np(layer([[1.0, 2.0]])), [[3.0]])


def test_dense_rejects_wrong_feature_size_naming_layer_and_shapes():
    layer = Dense(3, name="classifier")
    layer(np.zeros((2, 4)))
    with pytest.raises(ValueError) as info:
        layer(np.zeros((2, 5)))
    message = str(info.value)
    assert "classifier" in message and "(..., 4)" in message and "(2, 5)" in message


def test_dense_rejects_rank1_input():
    with pytest.raises(ValueError, match=r"'d1'.*rank >= 2.*\(3,\)"):
        Dense(3, name="d1")(np.zeros(3))


def test_dense_rejects_bad_units():
    with pytest.raises(ValueError, match="units"):
        Dense(0)


def test_dense_kernel_regularizer_penalty_in_losses(rng):
    layer = Dense(2, kernel_regularizer=plugnet.regularizers.L2(0.1), bias_regularizer="l1")
    layer(rng.normal(size=(3, 4)))
    kernel, bias = layer.get_weights()
    losses = [float(_np(l)) for l in layer.losses]
    assert len(losses) == 2
    np.testing.assert_allclose(losses[0], 0.1 * np.sum(kernel ** 2), rtol=1e-5)
    np.testing.assert_allclose(losses[1], 0.01 * np.sum(np.abs(bias)), rtol=1e-5, atol=1e-7)


def test_dense_activity_regularizer_adds_a_loss_per_call(rng):
    layer = Dense(2, activity_regularizer=plugnet.regularizers.L1(0.5), kernel_initializer="ones")
    x = rng.normal(size=(3, 2))
    y = _np(layer(x))
    assert len(layer.losses) == 1
    np.testing.assert_allclose(float(_np(layer.losses[0])), 0.5 * np.abs(y).sum(), rtol=1e-5)
    layer(x)
    assert len(layer.losses) == 1  # the previous call's loss was replaced, not accumulated


def test_dense_constraints_are_attached_to_the_weights():
    def clip(w):
        return ops.clip(w, -0.1, 0.1)

    layer = Dense(2, kernel_constraint=clip)
    layer.build((None, 3))
    assert layer.kernel.constraint is clip and layer.bias.constraint is None


def test_layer_dtype_float64():
    layer = Dense(2, dtype="float64")
    y = layer(np.ones((1, 3), dtype="float32"))
    assert ops.dtype(y) == "float64" and layer.kernel.dtype == "float64"
    assert layer.get_config()["dtype"] == "float64"


# ---------------------------------------------------------------------------- Activation


@pytest.mark.parametrize(
    "name, reference",
    [
        ("relu", lambda x: np.maximum(x, 0)),
        ("sigmoid", lambda x: 1 / (1 + np.exp(-x))),
        ("softmax", lambda x: np.exp(x) / np.exp(x).sum(-1, keepdims=True)),
        (None, lambda x: x),
    ],
)
def test_activation_layer(name, reference, rng):
    x = rng.normal(size=(3, 4)).astype("float32")
    np.testing.assert_allclose(_np(Activation(name)(x)), reference(x), rtol=1e-5, atol=1e-6)


def test_activation_accepts_a_function():
    y = Activation(lambda t: ops.multiply(t, 2.0))(np.array([[1.0, -1.0]]))
    np.testing.assert_allclose(_np(y), [[2.0, -2.0]])


# ---------------------------------------------------------------------------- Dropout


def test_dropout_is_identity_at_inference():
    x = np.arange(12, dtype="float32").reshape(3, 4)
    layer = Dropout(0.5, seed=3)
    np.testing.assert_array_equal(_np(layer(x)), x)
    np.testing.assert_array_equal(_np(layer(x, training=False)), x)


def test_dropout_training_zeroes_and_scales():
    x = np.ones((200, 50), dtype="float32")
    layer = Dropout(0.25, seed=7)
    y = _np(layer(x, training=True))
    kept = y != 0
    np.testing.assert_allclose(y[kept], 1 / 0.75, rtol=1e-6)
    assert abs(1 - kept.mean() - 0.25) < 0.02
    # A new mask on every call, from the layer's own seed generator.
    assert not np.array_equal(y, _np(layer(x, training=True)))


def test_dropout_same_seed_same_masks():
    x = np.ones((4, 8), dtype="float32")
    a, b = Dropout(0.5, seed=11), Dropout(0.5, seed=11)
    for _ in range(2):
        np.testing.assert_array_equal(_np(a(x, training=True)), _np(b(x, training=True)))


def test_dropout_noise_shape_shares_the_mask():
    x = np.ones((3, 5, 4), dtype="float32")
    y = _np(Dropout(0.5, noise_shape=(None, 1, 4), seed=2)(x, training=True))
    for sample in y:
        assert (sample == sample[0]).all()


def test_dropout_rate_zero_and_invalid_rate():
    x = np.ones((2, 2), dtype="float32")
    np.testing.assert_array_equal(_np(Dropout(0.0)(x, training=True)), x)
    with pytest.raises(ValueError, match=r"rate.*\[0, 1\)"):
        Dropout(1.5)


# ---------------------------------------------------------------------------- Flatten / Reshape


def test_flatten(rng):
    x = rng.normal(size=(2, 3, 4, 5)).astype("float32")
    y = _np(Flatten()(x))
    np.testing.assert_array_equal(y, x.reshape(2, 60))
    assert Flatten().compute_output_shape((None, 3, 4, 5)) == (None, 60)
    assert Flatten().compute_output_shape((None, None, 5)) == (None, None)


def test_flatten_channels_first_moves_channels_last(rng):
    x = rng.normal(size=(2, 3, 4, 5)).astype("float32")  # (batch, channels, h, w)
    y = _np(Flatten(data_format="channels_first")(x))
    np.testing.assert_array_equal(y, np.transpose(x, (0, 2, 3, 1)).reshape(2, 60))


def test_flatten_empty_batch():
    assert ops.shape(Flatten()(np.zeros((0, 2, 3), dtype="float32"))) == (0, 6)


def test_reshape_with_minus_one(rng):
    x = rng.normal(size=(2, 12)).astype("float32")
    y = _np(Reshape((3, -1))(x))
    np.testing.assert_array_equal(y, x.reshape(2, 3, 4))
    np.testing.assert_array_equal(_np(Reshape((2, 2, 3))(x)), x.reshape(2, 2, 2, 3))
    assert Reshape((-1, 2)).compute_output_shape((None, 3, 4)) == (None, 6, 2)


def test_reshape_size_mismatch_is_a_clear_error():
    with pytest.raises(ValueError, match=r"'reshape_bad'.*\(None, 12\).*12 values.*\(5, -1\)"):
        Reshape((5, -1), name="reshape_bad")(np.zeros((2, 12)))
    with pytest.raises(ValueError, match=r"12 values.*\(5, 2\)"):
        Reshape((5, 2))(np.zeros((2, 12)))
    with pytest.raises(ValueError, match="at most one -1"):
        Reshape((-1, -1))


def test_reshape_symbolic_checks_at_graph_building():
    x = Input(shape=(12,))
    assert Reshape((4, -1))(x).shape == (None, 4, 3)
    with pytest.raises(ValueError, match="cannot reshape"):
        Reshape((5, -1))(x)


# ---------------------------------------------------------------------------- configs


@pytest.mark.parametrize(
    "layer",
    [
        Dense(3, activation="relu", use_bias=False, kernel_regularizer="l2", name="dense_cfg"),
        Activation("tanh"),
        Dropout(0.3, noise_shape=(None, 1), seed=4),
        Flatten(data_format="channels_first"),
        Reshape((2, -1)),
    ],
    ids=lambda layer: type(layer).__name__,
)
def test_layer_config_round_trip(layer):
    config = layer.get_config()
    clone = type(layer).from_config(config)
    assert clone.get_config() == config
    assert plugnet.registry.get_registered(type(layer).__name__) is type(layer)
