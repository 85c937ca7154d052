"""plugnet.activations against NumPy references; get/serialize."""

import math

import numpy as np
import pytest

import plugnet
from plugnet import activations, ops

X = np.array([[-7.0, -3.0, -1.5, -0.5, 0.0], [0.25, 1.0, 2.5, 6.5, 9.0]], dtype=np.float32)


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _softplus(x):
    return np.log1p(np.exp(-np.abs(x))) + np.maximum(x, 0)


def _elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * np.expm1(x))


_erf = np.vectorize(math.erf)

REFERENCES = {
    "relu": lambda x: np.maximum(x, 0),
    "leaky_relu": lambda x: np.where(x >= 0, x, 0.2 * x),
    "relu6": lambda x: np.clip(x, 0, 6),
    "elu": _elu,
    "selu": lambda x: 1.0507009873554805 * _elu(x, 1.6732632423543772),
    "gelu": lambda x: 0.5 * x * (1 + _erf(x / np.sqrt(2))),
    "sigmoid": _sigmoid,
    "hard_sigmoid": lambda x: np.clip(x / 6 + 0.5, 0, 1),
    "hard_silu": lambda x: x * np.clip(x / 6 + 0.5, 0, 1),
    "hard_swish": lambda x: x * np.clip(x / 6 + 0.5, 0, 1),
    "log_sigmoid": lambda x: -_softplus(-x),
    "tanh": np.tanh,
    "softplus": _softplus,
    "softsign": lambda x: x / (1 + np.abs(x)),
    "silu": lambda x: x * _sigmoid(x),
    "swish": lambda x: x * _sigmoid(x),
    "mish": lambda x: x * np.tanh(_softplus(x)),
    "exponential": np.exp,
    "softmax": lambda x: np.exp(x) / np.exp(x).sum(-1, keepdims=True),
    "log_softmax": lambda x: x - np.log(np.exp(x).sum(-1, keepdims=True)),
    "linear": lambda x: x,
}


def test_every_activation_has_a_reference():
    assert set(REFERENCES) == set(activations.NAMES)


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_values_match_numpy(name):
    fn = activations.get(name)
    result = ops.convert_to_numpy(fn(ops.convert_to_tensor(X)))
    np.testing.assert_allclose(result, REFERENCES[name](X.astype(np.float64)), rtol=1e-5, atol=1e-6)


def test_relu_options():
    x = ops.convert_to_tensor(X)
    np.testing.assert_allclose(ops.convert_to_numpy(activations.relu(x, max_value=2.0)), np.clip(X, 0, 2))
    np.testing.assert_allclose(ops.convert_to_numpy(activations.relu(x, max_value=6.0)), np.clip(X, 0, 6))
    np.testing.assert_allclose(
        ops.convert_to_numpy(activations.relu(x, negative_slope=0.1)), np.where(X > 0, X, 0.1 * X), rtol=1e-6
    )
    np.testing.assert_allclose(
        ops.convert_to_numpy(activations.relu(x, threshold=1.0)), np.where(X > 1.0, X, 0.0)
    )
    expected = np.minimum(np.where(X > 1.0, X, 0.5 * (X - 1.0)), 5.0)
    np.testing.assert_allclose(
        ops.convert_to_numpy(activations.relu(x, negative_slope=0.5, max_value=5.0, threshold=1.0)), expected, rtol=1e-6
    )


def test_leaky_relu_and_elu_arguments():
    x = ops.convert_to_tensor(X)
    np.testing.assert_allclose(
        ops.convert_to_numpy(activations.leaky_relu(x, negative_slope=0.3)), np.where(X >= 0, X, 0.3 * X), rtol=1e-6
    )
    np.testing.assert_allclose(ops.convert_to_numpy(activations.elu(x, alpha=2.0)), _elu(X, 2.0), rtol=1e-6)


def test_gelu_default_is_exact_and_approximate_is_tanh_form():
    x = ops.convert_to_tensor(X)
    approx = 0.5 * X * (1 + np.tanh(np.sqrt(2 / np.pi) * (X + 0.044715 * X**3)))
    np.testing.assert_allclose(ops.convert_to_numpy(activations.gelu(x, approximate=True)), approx, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ops.convert_to_numpy(activations.gelu(x)), REFERENCES["gelu"](X), rtol=1e-5, atol=1e-6)


def test_softmax_axis_and_stability():
    big = np.array([[1000.0, 1001.0, 1002.0], [-1000.0, 0.0, 1000.0]], np.float32)
    result = ops.convert_to_numpy(activations.softmax(ops.convert_to_tensor(big)))
    assert np.all(np.isfinite(result))
    np.testing.assert_allclose(result.sum(-1), 1.0, rtol=1e-6)
    by_rows = ops.convert_to_numpy(activations.softmax(ops.convert_to_tensor(X), axis=0))
    np.testing.assert_allclose(by_rows, np.exp(X) / np.exp(X).sum(0, keepdims=True), rtol=1e-5)
    log = ops.convert_to_numpy(activations.log_softmax(ops.convert_to_tensor(big)))
    np.testing.assert_allclose(log[0], [-2.407606, -1.407606, -0.407606], rtol=1e-5)


def test_gradient_flows_through_an_activation():
    w = plugnet.Variable(np.array([-1.0, 0.5, 2.0], np.float32))
    with plugnet.GradientTape() as tape:
        y = ops.sum(activations.get("swish")(w))
    (grad,) = tape.gradient(y, [w])
    x = np.array([-1.0, 0.5, 2.0])
    s = _sigmoid(x)
    np.testing.assert_allclose(ops.convert_to_numpy(grad), s + x * s * (1 - s), rtol=1e-5)


def test_get_identifiers():
    assert activations.get(None) is activations.linear
    assert activations.get("relu") is activations.relu
    assert activations.get("swish") is activations.silu
    assert activations.get("ReLU") is activations.relu  # case-insensitive, as layer configs may spell it

    def custom(x):
        return x

    assert activations.get(custom) is custom
    assert activations.get("custom_fn", custom_objects={"custom_fn": custom}) is custom


def test_get_registered_user_function():
    @plugnet.registry.register_serializable("test_activations_double")
    def double(x):
        return ops.multiply(x, 2.0)

    assert activations.get("test_activations_double") is double
    assert activations.serialize(double) == "test_activations_double"


def test_get_unknown_name_lists_valid_names():
    with pytest.raises(ValueError) as info:
        activations.get("rellu")
    message = str(info.value)
    assert "rellu" in message
    for name in ("relu", "sigmoid", "softmax", "tanh", "gelu", "linear", "swish"):
        assert name in message


def test_serialize_round_trip():
    for name in activations.NAMES:
        fn = activations.get(name)
        assert activations.deserialize(activations.serialize(fn)) is fn
    assert activations.serialize(activations.swish) == "silu"
