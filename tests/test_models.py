"""Sequential and subclassed models: building, tracking, training flag, gradients, configs."""

import numpy as np
import pytest

import plugnet
from plugnet import ops
from plugnet.layers import Activation, Dense, Dropout, Flatten, Input, InputLayer, Layer
from plugnet.layers.naming import clear_session
from plugnet.models import Functional, Model, Sequential
from plugnet.training.trainer import Trainer


@pytest.fixture(autouse=True)
def _fresh_names():
    clear_session()
    yield


def _np(x):
    return np.asarray(ops.convert_to_numpy(x))


def _numpy_mlp(x, weights):
    w1, b1, w2, b2 = weights
    return np.maximum(x @ w1 + b1, 0) @ w2 + b2


# ---------------------------------------------------------------------------- Sequential


def test_sequential_with_input_is_built_eagerly(rng):
    model = Sequential([Input(shape=(3,)), Dense(4, activation="relu"), Dense(2)])
    assert model.built and len(model.weights) == 4
    assert [layer.name for layer in model.layers] == ["dense", "dense_1"]
    assert model.input_shape == (None, 3) and model.output_shape == (None, 2)
    x = rng.normal(size=(5, 3)).astype("float32")
    np.testing.assert_allclose(_np(model(x)), _numpy_mlp(x, model.get_weights()), rtol=1e-5, atol=1e-6)


def test_sequential_builds_on_first_call(rng):
    model = Sequential([Dense(4, activation="relu"), Dense(2)])
    assert not model.built and model.weights == []
    with pytest.raises(AttributeError, match="no outputs yet"):
        model.outputs
    x = rng.normal(size=(6, 3)).astype("float32")
    y = _np(model(x))
    assert model.built and [tuple(w.shape) for w in model.weights] == [(3, 4), (4,), (4, 2), (2,)]
    assert model.input_shape == (None, 3)  # the batch size is not fixed by the first batch
    np.testing.assert_allclose(y, _numpy_mlp(x, model.get_weights()), rtol=1e-5, atol=1e-6)
    assert ops.shape(model(x[:2])) == (2, 2)


def test_sequential_build_from_shape_and_input_shape_argument():
    model = Sequential([Dense(4), Dense(1)])
    model.build((None, 7))
    assert model.count_params() == 7 * 4 + 4 + 4 + 1
    eager = Sequential([Dense(2, input_shape=(5,))])
    assert eager.built and eager.output_shape == (None, 2)


def test_sequential_add_and_pop():
    model = Sequential()
    model.add(Input(shape=(3,)))
    model.add(Dense(4))
    assert model.output_shape == (None, 4)
    model.add(Dense(2))
    assert model.output_shape == (None, 2) and len(model.weights) == 4
    popped = model.pop()
    assert popped.name == "dense_1" and model.output_shape == (None, 4) and len(model.weights) == 2
    with pytest.raises(ValueError, match="first element"):
        model.add(Input(shape=(3,)))
    with pytest.raises(TypeError, match="only layers"):
        model.add("dense")


def test_sequential_add_of_incompatible_layer_leaves_model_unchanged():
    class Needs2(Layer):
        def __init__(self):
            super().__init__(name="needs2")
            self.input_spec = plugnet.layers.InputSpec(axes={-1: 2})

        def call(self, x):
            return x

    model = Sequential([Input(shape=(3,)), Dense(4)])
    with pytest.raises(ValueError, match="needs2"):
        model.add(Needs2())
    assert [layer.name for layer in model.layers] == ["dense"]


def test_sequential_rejects_wrong_input_shape_naming_input_and_shapes():
    model = Sequential([Input(shape=(3,), name="pixels"), Dense(2)], name="clf")
    with pytest.raises(ValueError) as info:
        model(np.zeros((4, 5)))
    message = str(info.value)
    assert "'pixels'" in message and "'clf'" in message and "(None, 3)" in message and "(4, 5)" in message


def test_sequential_duplicate_layer_names_are_rejected():
    with pytest.raises(ValueError, match="already has a layer named 'x'"):
        Sequential([Dense(1, name="x"), Dense(1, name="x")])


def test_sequential_training_flag_reaches_dropout():
    model = Sequential([Input(shape=(100,)), Dropout(0.5, seed=1)])
    x = np.ones((4, 100), dtype="float32")
    np.testing.assert_array_equal(_np(model(x)), x)
    assert (_np(model(x, training=True)) == 0).any()


def test_sequential_config_round_trip_gives_same_predictions(rng):
    model = Sequential([Input(shape=(4,)), Dense(3, activation="relu"), Dropout(0.2), Dense(2)], name="seq")
    config = model.get_config()
    assert config["name"] == "seq"
    assert [layer["class_name"] for layer in config["layers"]] == ["InputLayer", "Dense", "Dropout", "Dense"]
    clone = Sequential.from_config(config)
    clone.set_weights(model.get_weights())
    x = rng.normal(size=(5, 4))
    np.testing.assert_allclose(_np(clone(x)), _np(model(x)), rtol=1e-6)
    assert clone.get_config() == config


def test_sequential_from_config_of_lazily_built_model():
    model = Sequential([Dense(3), Dense(1)])
    model(np.zeros((2, 5)))
    clone = Sequential.from_config(model.get_config())
    assert clone.built and clone.input_shape == (None, 5)


# ---------------------------------------------------------------------------- subclassed


class MLP(Model):
    def __init__(self, hidden=4, **kwargs):
        super().__init__(**kwargs)
        self.hidden = Dense(hidden, activation="relu")
        self.dropout = Dropout(0.5, seed=3)
        self.out = Dense(2)

    def call(self, inputs, training=None):
        return self.out(self.dropout(self.hidden(inputs)))


class Encoder(Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.blocks = [Dense(8, activation="relu"), Dense(4)]

    def call(self, x):
        for block in self.blocks:
            x = block(x)
        return x


class Tower(Model):
    def __init__(self):
        super().__init__()
        self.encoder = Encoder()
        self.heads = {"a": Dense(1), "b": Dense(3)}

    def call(self, x, training=None):
        z = self.encoder(x)
        return {"a": self.heads["a"](z), "b": self.heads["b"](z)}


def test_model_is_a_trainer_and_a_layer():
    model = MLP()
    assert isinstance(model, Trainer) and isinstance(model, Layer)
    assert Model.__mro__[1] is Trainer


def test_subclassed_model_tracks_nested_layers_and_weights(rng):
    model = Tower()
    out = model(rng.normal(size=(2, 5)))
    assert ops.shape(out["a"]) == (2, 1) and ops.shape(out["b"]) == (2, 3)
    assert [layer.name for layer in model.layers] == ["encoder", "dense_2", "dense_3"]
    assert [tuple(w.shape) for w in model.trainable_variables] == [
        (5, 8), (8,), (8, 4), (4,), (4, 1), (1,), (4, 3), (3,)
    ]
    assert model.count_params() == 40 + 8 + 32 + 4 + 4 + 1 + 12 + 3
    assert model.get_layer("encoder") is model.encoder


def test_subclassed_model_passes_training_to_inner_dropout():
    model = MLP(hidden=200)
    x = np.ones((3, 2), dtype="float32")
    inference = _np(model(x))
    np.testing.assert_array_equal(inference, _np(model(x, training=False)))
    assert not np.allclose(_np(model(x, training=True)), inference)


def test_subclassed_model_build_from_shape_creates_weights():
    model = MLP()
    assert model.weights == []
    model.build((None, 6))
    assert model.built and [tuple(w.shape) for w in model.weights] == [(6, 4), (4,), (4, 2), (2,)]


def test_subclassed_model_freezing_a_part():
    model = Tower()
    model(np.ones((1, 5)))
    model.encoder.trainable = False
    assert len(model.trainable_weights) == 4 and len(model.non_trainable_weights) == 4


def test_subclassed_model_get_config_from_constructor_arguments():
    model = MLP(hidden=7, name="mlp7")
    clone = MLP.from_config(model.get_config())
    assert clone.name == "mlp7" and clone.hidden.units == 7


def test_subclassed_model_without_call_is_a_clear_error():
    class Empty(Model):
        pass

    with pytest.raises(NotImplementedError, match="Empty.*call"):
        Empty()(np.ones((1, 2)))


def test_model_with_inputs_outputs_makes_a_functional_model():
    x = Input(shape=(2,))
    model = Model(x, Dense(1)(x))
    assert isinstance(model, Functional) and model.name == "functional"


# ---------------------------------------------------------------------------- gradients


def _hand_gradients(x, y, w1, b1, w2, b2):
    """d mean((relu(x w1 + b1) w2 + b2 - y)^2) / d(w1, b1, w2, b2), by hand."""
    z = x @ w1 + b1
    h = np.maximum(z, 0)
    p = h @ w2 + b2
    dp = 2 * (p - y) / p.size
    dw2, db2 = h.T @ dp, dp.sum(0)
    dz = (dp @ w2.T) * (z > 0)
    return [x.T @ dz, dz.sum(0), dw2, db2]


@pytest.mark.parametrize("kind", ["sequential", "functional", "subclassed"])
def test_gradients_through_model_match_hand_derivation(kind, rng):
    x = rng.normal(size=(8, 3)).astype("float32")
    y = rng.normal(size=(8, 2)).astype("float32")
    if kind == "sequential":
        model = Sequential([Dense(5, activation="relu"), Dense(2)])
    elif kind == "functional":
        inputs = Input(shape=(3,))
        model = Model(inputs, Dense(2)(Dense(5, activation="relu")(inputs)))
    else:
        class Net(Model):
            def __init__(self):
                super().__init__()
                self.d1, self.d2 = Dense(5, activation="relu"), Dense(2)

            def call(self, x, training=None):
                return self.d2(self.d1(x))

        model = Net()
    model(x)
    with plugnet.GradientTape() as tape:
        loss = ops.mean(ops.square(ops.subtract(model(x, training=True), y)))
    grads = tape.gradient(loss, model.trainable_variables)
    expected = _hand_gradients(x.astype("float64"), y, *[w.astype("float64") for w in model.get_weights()])
    assert len(grads) == 4
    for g, e in zip(grads, expected):
        np.testing.assert_allclose(_np(g), e, rtol=1e-4, atol=1e-6)


def test_model_losses_inside_a_tape_carry_regularizer_gradients():
    model = Sequential([Input(shape=(2,)), Dense(1, kernel_regularizer=plugnet.regularizers.L2(0.5),
                                                  kernel_initializer="ones", use_bias=False)])
    with plugnet.GradientTape() as tape:
        model(np.ones((1, 2)))
        penalty = ops.sum(ops.stack(model.losses))
    np.testing.assert_allclose(float(_np(penalty)), 1.0)
    np.testing.assert_allclose(_np(tape.gradient(penalty, model.trainable_variables[0])), np.ones((2, 1)))


def test_model_losses_collect_activity_penalties_of_the_last_call():
    inputs = Input(shape=(2,))
    hidden = Dense(2, kernel_initializer="ones", activity_regularizer=plugnet.regularizers.L1(1.0))(inputs)
    model = Model(inputs, Dense(1, kernel_regularizer=plugnet.regularizers.L2(1.0), kernel_initializer="ones")(hidden))
    model(np.ones((1, 2)))
    assert sorted(float(_np(l)) for l in model.losses) == [2.0, 4.0]  # |h| = 2 + 2; sum(w^2) = 2
    model(np.full((1, 2), 2.0))
    assert sorted(float(_np(l)) for l in model.losses) == [2.0, 8.0]


# ---------------------------------------------------------------------------- misc


def test_get_layer_errors_list_the_layers():
    model = Sequential([Input(shape=(2,)), Dense(1, name="only")])
    assert model.get_layer(index=0).name == "only"
    with pytest.raises(ValueError, match=r"no layer named 'missing'.*'only'"):
        model.get_layer("missing")
    with pytest.raises(ValueError, match="no layer at index 3"):
        model.get_layer(index=3)


def test_model_set_weights_errors_name_the_model_and_shapes():
    model = Sequential([Input(shape=(2,)), Dense(3)], name="net")
    with pytest.raises(ValueError, match=r"'net' expects 2 weight arrays.*received 1"):
        model.set_weights([np.zeros((2, 3))])
    with pytest.raises(ValueError, match=r"'net'.*dense/kernel.*\(2, 3\).*\(3, 2\)"):
        model.set_weights([np.zeros((3, 2)), np.zeros(3)])


def test_flatten_model_on_images(rng):
    model = Sequential([Input(shape=(4, 4, 2)), Flatten(), Dense(3), Activation("softmax")])
    y = _np(model(rng.normal(size=(2, 4, 4, 2))))
    assert y.shape == (2, 3)
    np.testing.assert_allclose(y.sum(-1), 1.0, rtol=1e-5)
    assert isinstance(model._stack[0], InputLayer)


def test_calling_build_directly_marks_the_layer_built():
    layer = Dense(3)
    layer.build((None, 4))
    assert layer.built and len(layer.weights) == 2
    layer(np.ones((1, 4)))
    assert len(layer.weights) == 2  # not built a second time
    assert layer.get_build_config() == {"input_shape": [None, 4]}


@pytest.mark.parametrize("kind", ["sequential", "functional"])
def test_deepcopy_gives_an_independent_equal_model(kind, rng):
    import copy

    if kind == "sequential":
        model = Sequential([Input(shape=(3,)), Dense(2)])
    else:
        inputs = Input(shape=(3,))
        model = Model(inputs, Dense(2)(inputs))
    clone = copy.deepcopy(model)
    x = rng.normal(size=(2, 3))
    np.testing.assert_array_equal(_np(clone(x)), _np(model(x)))
    clone.weights[0].assign(np.zeros((3, 2)))
    assert np.abs(model.get_weights()[0]).sum() > 0
