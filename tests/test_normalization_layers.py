"""BatchNormalization and LayerNormalization against NumPy, including the moving statistics."""

import numpy as np
import pytest

import plugnet
from plugnet import ops
from plugnet.layers import BatchNormalization, Dense, Input, LayerNormalization
from plugnet.models import Sequential

EPS = 1e-3


def _np(x):
    return np.asarray(ops.convert_to_numpy(x))


def _with_random_scale_and_center(layer, rng):
    weights = layer.get_weights()
    weights[0] = rng.uniform(0.5, 2.0, size=weights[0].shape).astype("float32")  # gamma
    weights[1] = rng.normal(size=weights[1].shape).astype("float32")  # beta
    layer.set_weights(weights)
    return weights[0], weights[1]


# ---------------------------------------------------------------------------- BatchNormalization


def test_training_uses_batch_statistics(rng):
    x = (rng.normal(size=(16, 5)) * 3 + 2).astype("float32")
    layer = BatchNormalization()
    layer.build(x.shape)
    gamma, beta = _with_random_scale_and_center(layer, rng)
    y = _np(layer(x, training=True))
    expected = (x - x.mean(0)) / np.sqrt(x.var(0) + EPS) * gamma + beta
    np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-5)


def test_moving_statistics_follow_the_momentum_rule(rng):
    layer = BatchNormalization(momentum=0.9)
    batches = [(rng.normal(size=(8, 4, 4, 3)) * s + s).astype("float32") for s in (1.0, 2.0, 3.0)]
    mean, variance = np.zeros(3), np.ones(3)
    for x in batches:
        layer(x, training=True)
        mean = mean * 0.9 + x.mean((0, 1, 2)) * 0.1
        variance = variance * 0.9 + x.var((0, 1, 2)) * 0.1  # the population variance, as Keras uses
        np.testing.assert_allclose(layer.moving_mean.numpy(), mean, rtol=1e-5)
        np.testing.assert_allclose(layer.moving_variance.numpy(), variance, rtol=1e-5)


def test_inference_uses_the_moving_statistics_and_updates_nothing(rng):
    x = rng.normal(size=(6, 3)).astype("float32")
    layer = BatchNormalization()
    layer.build(x.shape)
    gamma, beta = _with_random_scale_and_center(layer, rng)
    moving_mean = rng.normal(size=3).astype("float32")
    moving_variance = rng.uniform(0.5, 2, size=3).astype("float32")
    layer.set_weights([gamma, beta, moving_mean, moving_variance])
    expected = (x - moving_mean) / np.sqrt(moving_variance + EPS) * gamma + beta
    for training in (None, False):
        np.testing.assert_allclose(_np(layer(x, training=training)), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(layer.moving_mean.numpy(), moving_mean)
    np.testing.assert_array_equal(layer.moving_variance.numpy(), moving_variance)


def test_weights_and_non_trainable_moving_statistics():
    layer = BatchNormalization()
    layer.build((None, 4))
    assert [w.name for w in layer.weights] == ["gamma", "beta", "moving_mean", "moving_variance"]
    assert [w.name for w in layer.trainable_weights] == ["gamma", "beta"]
    assert [w.name for w in layer.non_trainable_weights] == ["moving_mean", "moving_variance"]
    assert not layer.moving_mean.trainable and not layer.moving_variance.trainable
    np.testing.assert_array_equal(layer.moving_variance.numpy(), np.ones(4))
    model = Sequential([Input((4,)), layer, Dense(2)])
    lines = []
    model.summary(print_fn=lines.append)
    assert " Total params: 26 (104.00 B)" in lines
    assert " Trainable params: 18 (72.00 B)" in lines
    assert " Non-trainable params: 8 (32.00 B)" in lines


def test_center_and_scale_off(rng):
    x = rng.normal(size=(10, 3)).astype("float32")
    layer = BatchNormalization(center=False, scale=False)
    y = _np(layer(x, training=True))
    assert [w.name for w in layer.weights] == ["moving_mean", "moving_variance"]
    np.testing.assert_allclose(y, (x - x.mean(0)) / np.sqrt(x.var(0) + EPS), rtol=1e-4, atol=1e-5)


def test_axis_1_for_channels_first_images(rng):
    x = rng.normal(size=(4, 3, 5, 6)).astype("float32") * 2 + 1
    first = BatchNormalization(axis=1, momentum=0.5)
    last = BatchNormalization(momentum=0.5)
    y_first = _np(first(x, training=True))
    y_last = _np(last(np.moveaxis(x, 1, -1), training=True))
    np.testing.assert_allclose(np.moveaxis(y_first, 1, -1), y_last, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(first.moving_mean.numpy(), 0.5 * x.mean((0, 2, 3)), rtol=1e-5)
    np.testing.assert_allclose(first.moving_mean.numpy(), last.moving_mean.numpy(), rtol=1e-5)
    assert first.gamma.shape == (3,)


def test_frozen_layer_runs_in_inference_mode(rng):
    x = (rng.normal(size=(8, 3)) + 5).astype("float32")
    layer = BatchNormalization()
    layer.build(x.shape)
    layer.trainable = False
    y = _np(layer(x, training=True))
    np.testing.assert_allclose(y, x / np.sqrt(1 + EPS), rtol=1e-5)  # moving mean 0, variance 1
    np.testing.assert_array_equal(layer.moving_mean.numpy(), np.zeros(3))
    assert layer.trainable_weights == [] and len(layer.non_trainable_weights) == 4


def test_masked_batch_statistics(rng):
    x = rng.normal(size=(2, 5, 3)).astype("float32")
    mask = np.array([[True, True, True, False, False], [True, False, True, True, False]])
    layer = BatchNormalization(momentum=0.0)
    layer(x, training=True, mask=mask)
    selected = x[mask]  # (7, 3)
    np.testing.assert_allclose(layer.moving_mean.numpy(), selected.mean(0), rtol=1e-5)
    np.testing.assert_allclose(layer.moving_variance.numpy(), selected.var(0), rtol=1e-4)


def test_moving_statistics_update_inside_fit(rng):
    x = (rng.normal(size=(32, 3)) * 2 + 4).astype("float32")
    y = rng.normal(size=(32, 1)).astype("float32")
    bn = BatchNormalization()
    model = Sequential([Input((3,)), bn, Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, y, batch_size=32, epochs=1, shuffle=False, verbose=0)  # one step, the whole batch
    np.testing.assert_allclose(bn.moving_mean.numpy(), 0.01 * x.mean(0), rtol=1e-5)
    np.testing.assert_allclose(bn.moving_variance.numpy(), 0.99 + 0.01 * x.var(0), rtol=1e-5)
    before = bn.moving_mean.numpy()
    model.predict(x, verbose=0)
    model.evaluate(x, y, verbose=0)
    np.testing.assert_array_equal(bn.moving_mean.numpy(), before)  # inference leaves them alone


def test_moving_statistics_update_in_a_gradient_tape_loop(rng):
    x = (rng.normal(size=(16, 3)) - 3).astype("float32")
    y = rng.normal(size=(16, 1)).astype("float32")
    bn = BatchNormalization(momentum=0.8)
    model = Sequential([Input((3,)), bn, Dense(1)])
    optimizer = plugnet.optimizers.SGD(0.1)
    expected = np.zeros(3)
    gamma_before = None
    for _ in range(2):
        with plugnet.GradientTape() as tape:
            loss = ops.mean(ops.square(ops.subtract(model(x, training=True), y)))
        variables = model.trainable_variables
        assert all(v.trainable for v in variables) and bn.moving_mean not in variables
        grads = tape.gradient(loss, variables)
        gamma_before = bn.gamma.numpy() if gamma_before is None else gamma_before
        optimizer.apply_gradients(zip(grads, variables))
        expected = expected * 0.8 + x.mean(0) * 0.2
    np.testing.assert_allclose(bn.moving_mean.numpy(), expected, rtol=1e-5)
    assert not np.allclose(bn.gamma.numpy(), gamma_before)  # gamma trained


def test_gradients_match_finite_differences(rng):
    x = rng.normal(size=(6, 3))
    weights = rng.normal(size=(6, 3))
    layer = BatchNormalization(dtype="float64")
    layer.build(x.shape)
    _with_random_scale_and_center(layer, rng)
    xt = ops.convert_to_tensor(x, "float64")

    def loss(inputs):
        return ops.sum(ops.multiply(layer(inputs, training=True), weights))

    with plugnet.GradientTape() as tape:
        tape.watch(xt)
        value = loss(xt)
    d_x, d_gamma, d_beta = (_np(g) for g in tape.gradient(value, [xt, layer.gamma, layer.beta]))
    np.testing.assert_allclose(d_beta, weights.sum(0), rtol=1e-8)
    normalized = (x - x.mean(0)) / np.sqrt(x.var(0) + EPS)
    np.testing.assert_allclose(d_gamma, (normalized * weights).sum(0), rtol=1e-6)
    for index in [(0, 0), (3, 2), (5, 1)]:
        shifted = [x.copy(), x.copy()]
        shifted[0][index] += 1e-6
        shifted[1][index] -= 1e-6
        numeric = (float(_np(loss(shifted[0]))) - float(_np(loss(shifted[1])))) / 2e-6
        np.testing.assert_allclose(d_x[index], numeric, rtol=1e-5, atol=1e-8)


def test_batch_normalization_errors():
    layer = BatchNormalization(name="bn")
    layer(np.zeros((2, 4), "float32"))
    with pytest.raises(ValueError, match=r"'bn'.*\(None, 4\).*\(2, 5\)"):
        layer(np.zeros((2, 5), "float32"))
    with pytest.raises(ValueError, match=r"'bn2'.*axis.*3.*rank 2"):
        BatchNormalization(axis=3, name="bn2")(np.zeros((2, 4), "float32"))
    with pytest.raises(ValueError, match="axis"):
        BatchNormalization(axis=[1, 2])


# ---------------------------------------------------------------------------- LayerNormalization


def _ln_reference(x, axes, gamma=None, beta=None):
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True)
    y = (x - mean) / np.sqrt(var + EPS)
    return y * (1 if gamma is None else gamma) + (0 if beta is None else beta)


def test_layer_normalization_last_axis(rng):
    x = (rng.normal(size=(2, 5, 8)) * 4 + 1).astype("float32")
    layer = LayerNormalization()
    layer.build(x.shape)
    gamma, beta = _with_random_scale_and_center(layer, rng)
    y = _np(layer(x))
    np.testing.assert_allclose(y, _ln_reference(x, -1, gamma, beta), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(_np(layer(x, training=True)), y)  # no training behaviour
    assert layer.gamma.shape == (8,)


@pytest.mark.parametrize("axis, shape", [([1, 2], (4, 5)), ([1, 3], (4, 6)), (1, (4,)), ((2, 3), (5, 6))])
def test_layer_normalization_several_axes(axis, shape, rng):
    x = rng.normal(size=(2, 4, 5, 6)).astype("float32")
    layer = LayerNormalization(axis=axis)
    layer.build(x.shape)
    assert layer.gamma.shape == shape and layer.beta.shape == shape
    gamma, beta = _with_random_scale_and_center(layer, rng)
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    broadcast = [1] * 4
    for a in axes:
        broadcast[a] = x.shape[a]
    expected = _ln_reference(x, axes, gamma.reshape(broadcast), beta.reshape(broadcast))
    np.testing.assert_allclose(_np(layer(x)), expected, rtol=1e-4, atol=1e-5)


def test_layer_normalization_without_scale_and_center(rng):
    x = rng.normal(size=(3, 7)).astype("float32")
    layer = LayerNormalization(center=False, scale=False, epsilon=0.1)
    y = _np(layer(x))
    assert layer.weights == []
    expected = (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + 0.1)
    np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-5)


def test_layer_normalization_gradient(rng):
    x = rng.normal(size=(3, 4))
    weights = rng.normal(size=(3, 4))
    layer = LayerNormalization(dtype="float64")
    xt = ops.convert_to_tensor(x, "float64")

    def loss(inputs):
        return ops.sum(ops.multiply(layer(inputs), weights))

    loss(xt)
    with plugnet.GradientTape() as tape:
        tape.watch(xt)
        value = loss(xt)
    d_x, d_gamma = (_np(g) for g in tape.gradient(value, [xt, layer.gamma]))
    np.testing.assert_allclose(d_gamma, (_ln_reference(x, -1) * weights).sum(0), rtol=1e-6)
    for index in [(0, 0), (2, 3)]:
        plus, minus = x.copy(), x.copy()
        plus[index] += 1e-6
        minus[index] -= 1e-6
        numeric = (float(_np(loss(plus))) - float(_np(loss(minus)))) / 2e-6
        np.testing.assert_allclose(d_x[index], numeric, rtol=1e-5, atol=1e-8)


def test_layer_normalization_errors():
    layer = LayerNormalization(name="ln")
    layer(np.zeros((2, 4), "float32"))
    with pytest.raises(ValueError, match=r"'ln'.*\(None, 4\).*\(2, 6\)"):
        layer(np.zeros((2, 6), "float32"))
    with pytest.raises(ValueError, match=r"'ln2'.*axis"):
        LayerNormalization(axis=[1, 5], name="ln2").build((None, 3, 4))
    with pytest.raises(ValueError, match=r"'ln3'.*axis 1 must be known"):
        LayerNormalization(axis=1, name="ln3").build((None, None, 4))


# ---------------------------------------------------------------------------- config


@pytest.mark.parametrize(
    "layer",
    [
        BatchNormalization(axis=1, momentum=0.9, epsilon=1e-5, center=False, gamma_regularizer="l2",
                           moving_variance_initializer="zeros"),
        BatchNormalization(),
        LayerNormalization(axis=[1, 2], epsilon=1e-6, scale=False),
        LayerNormalization(beta_initializer="ones"),
    ],
    ids=lambda layer: type(layer).__name__,
)
def test_config_round_trip(layer):
    config = layer.get_config()
    clone = plugnet.registry.deserialize(plugnet.registry.serialize(layer))
    assert type(clone) is type(layer) and clone.get_config() == config
