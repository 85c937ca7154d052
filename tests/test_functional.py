"""Functional models: multiple inputs/outputs, shared layers, intermediate outputs, validation, configs."""

import json

import numpy as np
import pytest

import plugnet
from plugnet import ops
from plugnet.layers import Dense, Dropout, Input, InputLayer, KerasTensor, Layer
from plugnet.layers.naming import clear_session
from plugnet.models import Functional, Model


@pytest.fixture(autouse=True)
def _fresh_names():
    clear_session()
    yield


def _np(x):
    return np.asarray(ops.convert_to_numpy(x))


class Concat(Layer):
    """A custom multi-input layer, without compute_output_shape (its shape is probed)."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis

    def call(self, inputs):
        return ops.concatenate(list(inputs), axis=self.axis)


plugnet.registry.register_serializable()(Concat)


def _two_tower():
    a = Input(shape=(3,), name="a")
    b = Input(shape=(2,), name="b")
    h = Dense(4, activation="relu", name="h")(a)
    joined = Concat(name="join")([h, b])
    score = Dense(1, name="score")(joined)
    label = Dense(3, activation="softmax", name="label")(h)
    return Model([a, b], [score, label], name="towers")


def test_multi_input_multi_output_numerics(rng):
    model = _two_tower()
    xa, xb = rng.normal(size=(5, 3)).astype("float32"), rng.normal(size=(5, 2)).astype("float32")
    score, label = model([xa, xb])
    wh, bh = model.get_layer("h").get_weights()
    ws, bs = model.get_layer("score").get_weights()
    wl, bl = model.get_layer("label").get_weights()
    h = np.maximum(xa @ wh + bh, 0)
    np.testing.assert_allclose(_np(score), np.concatenate([h, xb], -1) @ ws + bs, rtol=1e-5, atol=1e-6)
    logits = h @ wl + bl
    softmax = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    np.testing.assert_allclose(_np(label), softmax, rtol=1e-5, atol=1e-6)
    assert model.output_names == ["score", "label"]
    assert model.input_names == ["a", "b"]
    assert [t.shape for t in model.outputs] == [(None, 1), (None, 3)]


def test_inputs_by_name_in_a_dict(rng):
    model = _two_tower()
    xa, xb = rng.normal(size=(2, 3)), rng.normal(size=(2, 2))
    by_list = model([xa, xb])
    by_dict = model({"b": xb, "a": xa})
    for p, q in zip(by_list, by_dict):
        np.testing.assert_array_equal(_np(p), _np(q))
    with pytest.raises(ValueError, match=r"inputs named \['a', 'b'\].*missing \['b'\]"):
        model({"a": xa})


def test_dict_inputs_and_outputs(rng):
    inputs = {"x": Input(shape=(2,)), "y": Input(shape=(2,))}
    summed = Concat()([inputs["x"], inputs["y"]])
    model = Model(inputs, {"out": Dense(1, kernel_initializer="ones")(summed), "raw": summed})
    result = model({"x": np.ones((1, 2)), "y": np.full((1, 2), 2.0)})
    assert set(result) == {"out", "raw"}
    np.testing.assert_allclose(_np(result["out"]), [[6.0]])
    assert model.output_names == ["out", "raw"]


def test_shared_layer_is_counted_once(rng):
    shared = Dense(4, name="shared")
    a, b = Input(shape=(3,)), Input(shape=(3,))
    model = Model([a, b], Concat()([shared(a), shared(b)]))
    assert [layer.name for layer in model.layers].count("shared") == 1
    assert len(model.weights) == 2 and model.count_params() == 16
    xa, xb = rng.normal(size=(2, 3)), rng.normal(size=(2, 3))
    w, bias = shared.get_weights()
    expected = np.concatenate([xa @ w + bias, xb @ w + bias], -1)
    np.testing.assert_allclose(_np(model([xa, xb])), expected, rtol=1e-5, atol=1e-6)


def test_intermediate_output_feature_extractor(rng):
    inputs = Input(shape=(3,))
    x = Dense(5, activation="relu", name="features")(inputs)
    outputs = Dense(2, name="head")(x)
    model = Model(inputs, outputs)
    extractor = Model(model.inputs, model.get_layer("features").output)
    both = Model(inputs, [layer.output for layer in model.layers[1:]])
    data = rng.normal(size=(4, 3))
    features = _np(extractor(data))
    w, b = model.get_layer("features").get_weights()
    np.testing.assert_allclose(features, np.maximum(data.astype("float32") @ w + b, 0), rtol=1e-5, atol=1e-6)
    feats, out = both(data)
    np.testing.assert_allclose(_np(feats), features)
    np.testing.assert_allclose(_np(out), _np(model(data)), rtol=1e-6)
    assert extractor.weights == model.get_layer("features").weights


def test_feature_extractor_from_a_sequential_model(rng):
    seq = plugnet.models.Sequential([Input(shape=(3,)), Dense(4, name="f"), Dense(1)])
    extractor = Model(seq.inputs, seq.get_layer("f").output)
    data = rng.normal(size=(2, 3))
    w, b = seq.get_layer("f").get_weights()
    np.testing.assert_allclose(_np(extractor(data)), data.astype("float32") @ w + b, rtol=1e-5, atol=1e-6)


def test_wrong_input_shape_names_model_input_and_both_shapes():
    inputs = Input(shape=(3,), name="features")
    model = Model(inputs, Dense(2)(inputs), name="net")
    with pytest.raises(ValueError) as info:
        model(np.zeros((4, 5)))
    message = str(info.value)
    assert "'features'" in message and "'net'" in message and "(None, 3)" in message and "(4, 5)" in message
    with pytest.raises(ValueError, match=r"'features'.*\(None, 3\).*\(4, 3, 1, 2\)"):
        model(np.zeros((4, 3, 1, 2)))
    with pytest.raises(ValueError, match=r"expects 1 input\(s\).*received 2"):
        model([np.zeros((4, 3)), np.zeros((4, 3))])


def test_size_one_last_axis_is_added_or_dropped_as_in_keras():
    inputs = Input(shape=(1,))
    model = Model(inputs, Dense(1, kernel_initializer="ones")(inputs))
    np.testing.assert_allclose(_np(model(np.array([1.0, 2.0]))), [[1.0], [2.0]])


def test_integer_input_dtype_is_respected():
    inputs = Input(shape=(2,), dtype="int32")
    model = Model(inputs, inputs)
    assert ops.dtype(model(np.array([[1, 2]], dtype="int64"))) == "int32"
    assert ops.dtype(model(np.array([[1.0, 2.0]]))) == "int32"


def test_graph_disconnected_is_a_clear_error():
    a, b = Input(shape=(2,), name="a"), Input(shape=(2,), name="b")
    out = Concat(name="both")([a, b])
    with pytest.raises(ValueError, match=r"Graph disconnected.*'both'.*'b'"):
        Model(a, out)


def test_inputs_must_come_from_input():
    a = Input(shape=(2,))
    hidden = Dense(2)(a)
    with pytest.raises(ValueError, match="must be tensors returned by plugnet.Input"):
        Model(hidden, Dense(1)(hidden))
    with pytest.raises(TypeError, match="symbolic tensors"):
        Model(a, np.zeros(2))


def test_duplicate_layer_names_are_rejected():
    a = Input(shape=(2,))
    with pytest.raises(ValueError, match="unique"):
        Model(a, Dense(1, name="same")(Dense(2, name="same")(a)))


def test_training_flag_in_functional_model():
    inputs = Input(shape=(100,))
    model = Model(inputs, Dropout(0.5, seed=0)(inputs))
    x = np.ones((2, 100), dtype="float32")
    np.testing.assert_array_equal(_np(model(x)), x)
    assert (_np(model(x, training=True)) == 0).any()


def test_explicit_training_in_the_graph_is_kept():
    inputs = Input(shape=(100,))
    model = Model(inputs, Dropout(0.5, seed=0)(inputs, training=True))  # Monte-Carlo dropout
    assert (_np(model(np.ones((2, 100)))) == 0).any()


def test_nested_models(rng):
    inner_in = Input(shape=(3,))
    inner = Model(inner_in, Dense(2, name="inner_dense")(inner_in), name="inner")
    outer_in = Input(shape=(3,))
    out = Dense(1, name="outer_dense")(inner(outer_in))
    outer = Model(outer_in, out, name="outer")
    assert isinstance(out, KerasTensor) and out.shape == (None, 1)
    assert [layer.name for layer in outer.layers] == [outer_in._keras_history.layer.name, "inner", "outer_dense"]
    assert len(outer.weights) == 4
    x = rng.normal(size=(2, 3)).astype("float32")
    w1, b1, w2, b2 = outer.get_weights()
    np.testing.assert_allclose(_np(outer(x)), (x @ w1 + b1) @ w2 + b2, rtol=1e-5, atol=1e-6)


def test_layers_order_inputs_first():
    model = _two_tower()
    names = [layer.name for layer in model.layers]
    assert names == ["a", "b", "h", "join", "score", "label"]
    assert all(isinstance(layer, InputLayer) for layer in model.layers[:2])


def test_functional_config_round_trip_gives_same_predictions(rng):
    model = _two_tower()
    config = model.get_config()
    json.dumps(config)  # plain data
    assert config["input_layers"] == [["a", 0, 0], ["b", 0, 0]]
    assert config["output_layers"] == [["score", 0, 0], ["label", 0, 0]]
    clone = Model.from_config(config)
    assert isinstance(clone, Functional) and clone.name == "towers"
    clone.set_weights(model.get_weights())
    xa, xb = rng.normal(size=(3, 3)), rng.normal(size=(3, 2))
    for p, q in zip(model([xa, xb]), clone([xa, xb])):
        np.testing.assert_allclose(_np(p), _np(q), rtol=1e-6)
    assert clone.get_config() == config


def test_config_round_trip_with_shared_layer_and_dict_outputs(rng):
    shared = Dense(2, name="shared")
    a, b = Input(shape=(3,), name="a"), Input(shape=(3,), name="b")
    model = Model({"a": a, "b": b}, {"first": shared(a), "second": shared(b)})
    config = model.get_config()
    shared_config = next(layer for layer in config["layers"] if layer["name"] == "shared")
    assert len(shared_config["inbound_nodes"]) == 2
    assert config["output_layers"] == {"first": ["shared", 0, 0], "second": ["shared", 1, 0]}
    clone = Model.from_config(config)
    clone.set_weights(model.get_weights())
    data = {"a": rng.normal(size=(2, 3)), "b": rng.normal(size=(2, 3))}
    out, cloned = model(data), clone(data)
    for key in ("first", "second"):
        np.testing.assert_allclose(_np(cloned[key]), _np(out[key]), rtol=1e-6)


def test_from_config_only_instantiates_registered_classes():
    class Unregistered(Layer):
        def call(self, x):
            return x

    inputs = Input(shape=(2,))
    config = Model(inputs, Unregistered()(inputs)).get_config()
    with pytest.raises(ValueError, match="Unknown object 'Unregistered'"):
        Model.from_config(config)
    clone = Model.from_config(config, custom_objects={"Unregistered": Unregistered})
    assert type(clone.layers[1]) is Unregistered


def test_functional_model_gradients_with_multiple_outputs(rng):
    model = _two_tower()
    xa, xb = rng.normal(size=(4, 3)), rng.normal(size=(4, 2))
    with plugnet.GradientTape() as tape:
        score, label = model([xa, xb], training=True)
        loss = ops.sum(score) + ops.sum(label[:, 0])
    grads = tape.gradient(loss, model.trainable_variables)
    assert len(grads) == len(model.trainable_variables) == 6
    assert all(g is not None for g in grads)
    # d sum(score) / d bias_of_score = batch size
    names = [w.path for w in model.trainable_variables]
    np.testing.assert_allclose(_np(grads[names.index("score/bias")]), [4.0])
