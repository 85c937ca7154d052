"""The Layer base class: weights, tracking, freezing, names, input checks, training flag, losses, configs."""

import numpy as np
import pytest

import plugnet
from plugnet import ops
from plugnet.layers import Dense, Dropout, Input, InputSpec, KerasTensor, Layer
from plugnet.layers.naming import clear_session


@pytest.fixture(autouse=True)
def _fresh_names():
    clear_session()
    yield


def _np(x):
    return np.asarray(ops.convert_to_numpy(x))


class Linear(Layer):
    """A minimal custom layer: no compute_output_shape, no get_config."""

    def __init__(self, units=2, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight((input_shape[-1], self.units), initializer="ones", name="w")
        self.b = self.add_weight((self.units,), initializer="zeros", name="b")
        self.steps = self.add_weight((), initializer="zeros", trainable=False, name="steps", dtype="int32")

    def call(self, inputs):
        return ops.matmul(inputs, self.w) + self.b


class Block(Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.first = Dense(3)
        self.stack = [Dense(4), Dense(5)]
        self.heads = {"a": Dense(1)}

    def call(self, inputs):
        x = self.first(inputs)
        for layer in self.stack:
            x = layer(x)
        return self.heads["a"](x)


# ---------------------------------------------------------------------------- names


def test_names_are_unique_per_class_keras_style():
    assert [Dense(1).name for _ in range(3)] == ["dense", "dense_1", "dense_2"]
    assert Dropout(0.1).name == "dropout"
    assert Linear().name == "linear"
    assert Dense(1, name="head").name == "head"
    assert Dense(1).name == "dense_3"


def test_class_names_become_snake_case():
    class BatchNormalizationLike(Layer):
        pass

    class Conv2DLike(Layer):
        pass

    assert BatchNormalizationLike().name == "batch_normalization_like"
    assert Conv2DLike().name == "conv2d_like"


def test_unknown_keyword_argument_is_rejected():
    with pytest.raises(ValueError, match=r"Dense.*unitz"):
        Dense(2, unitz=3)


# ---------------------------------------------------------------------------- weights


def test_add_weight_and_weight_lists():
    layer = Linear(units=3)
    assert not layer.built and layer.weights == []
    layer(np.ones((2, 4)))
    assert layer.built
    assert [w.name for w in layer.weights] == ["w", "b", "steps"]
    assert [w.name for w in layer.trainable_weights] == ["w", "b"]
    assert [w.name for w in layer.non_trainable_weights] == ["steps"]
    assert layer.variables == layer.weights and layer.trainable_variables == layer.trainable_weights
    assert layer.weights[0].path == "linear/w"
    assert isinstance(layer.weights[0], plugnet.Variable)
    assert layer.count_params() == 4 * 3 + 3 + 1


def test_nested_sublayers_lists_and_dicts_are_tracked_in_order():
    block = Block()
    y = block(np.ones((2, 2)))
    assert ops.shape(y) == (2, 1)
    shapes = [tuple(w.shape) for w in block.weights]
    assert shapes == [(2, 3), (3,), (3, 4), (4,), (4, 5), (5,), (5, 1), (1,)]
    assert [layer.name for layer in block._flatten_layers()] == ["block", "dense", "dense_1", "dense_2", "dense_3"]


def test_layers_appended_to_a_tracked_list_later_are_seen():
    class Growing(Layer):
        def __init__(self):
            super().__init__()
            self.blocks = []

        def call(self, x):
            for block in self.blocks:
                x = block(x)
            return x

    layer = Growing()
    layer.blocks.append(Dense(2))
    layer(np.ones((1, 3)))
    assert len(layer.weights) == 2
    layer.blocks.append(Dense(1))
    layer(np.ones((1, 3)))
    assert len(layer.weights) == 4


def test_shared_sublayer_weights_counted_once():
    class Twice(Layer):
        def __init__(self):
            super().__init__()
            self.shared = Dense(3)
            self.alias = self.shared

        def call(self, x):
            return self.alias(self.shared(x))

    layer = Twice()
    layer(np.ones((2, 3)))
    assert len(layer.weights) == 2
    assert layer.count_params() == 12


def test_variables_assigned_as_attributes_are_tracked():
    class Scale(Layer):
        def __init__(self):
            super().__init__()
            self.scale = plugnet.Variable(np.float32(2.0), name="scale")

        def call(self, x):
            return x * self.scale

    layer = Scale()
    assert [w.name for w in layer.weights] == ["scale"]
    np.testing.assert_allclose(_np(layer(np.ones((1, 2)))), [[2.0, 2.0]])
    layer.scale = None
    assert layer.weights == []


def test_unbuilt_count_params_is_an_error():
    with pytest.raises(ValueError, match=r"count_params.*'dense'.*not built"):
        Dense(2).count_params()


def test_weight_with_unknown_dimension_is_an_error():
    class PerStep(Layer):
        def build(self, input_shape):
            self.add_weight(input_shape[1:], name="per_step")

        def call(self, x):
            return x

    with pytest.raises(ValueError, match=r"'per_step'.*\(None, 3\)"):
        PerStep()(Input(shape=(None, 3)))
    with pytest.raises(ValueError, match=r"'dense'.*last dimension.*\(None, None\)"):
        Dense(3)(Input(shape=(None,)))


# ---------------------------------------------------------------------------- get/set weights


def test_get_set_weights_round_trip(rng):
    a, b = Dense(3), Dense(3)
    x = rng.normal(size=(4, 2))
    a(x), b(x)
    b.set_weights(a.get_weights())
    np.testing.assert_array_equal(_np(a(x)), _np(b(x)))
    weights = a.get_weights()
    weights[0][...] = 0  # get_weights returns copies
    assert np.abs(a.get_weights()[0]).sum() > 0


def test_set_weights_wrong_count_names_layer_and_counts():
    layer = Dense(2, name="proj")
    layer(np.ones((1, 3)))
    with pytest.raises(ValueError) as info:
        layer.set_weights([np.zeros((3, 2))])
    message = str(info.value)
    assert "'proj'" in message and "expects 2 weight arrays" in message and "received 1" in message


def test_set_weights_wrong_shape_names_layer_and_both_shapes():
    layer = Dense(2, name="proj")
    layer(np.ones((1, 3)))
    with pytest.raises(ValueError) as info:
        layer.set_weights([np.zeros((2, 3)), np.zeros(2)])
    message = str(info.value)
    assert "'proj'" in message and "(3, 2)" in message and "(2, 3)" in message and "proj/kernel" in message
    assert np.abs(layer.get_weights()[0]).sum() > 0  # nothing was assigned


# ---------------------------------------------------------------------------- freezing


def test_freezing_moves_weights_to_non_trainable_and_recurses():
    block = Block()
    block(np.ones((1, 2)))
    block.trainable = False
    assert block.trainable_weights == [] and len(block.non_trainable_weights) == 8
    assert all(not layer.trainable for layer in block._flatten_layers())
    assert all(not w.trainable for w in block.weights)
    block.trainable = True
    assert len(block.trainable_weights) == 8


def test_freezing_one_sublayer():
    block = Block()
    block(np.ones((1, 2)))
    block.first.trainable = False
    assert len(block.trainable_weights) == 6
    assert [tuple(w.shape) for w in block.non_trainable_weights] == [(2, 3), (3,)]


def test_frozen_layer_weights_get_no_gradient():
    layer = Dense(2)
    layer.trainable = False
    x = np.ones((1, 3), dtype="float32")
    with plugnet.GradientTape() as tape:
        y = ops.sum(layer(x))
    assert tape.gradient(y, layer.kernel) is None


def test_weights_created_after_freezing_are_frozen_and_unfreeze():
    layer = Dense(2, trainable=False)
    layer(np.ones((1, 3)))
    assert layer.trainable_weights == [] and len(layer.non_trainable_weights) == 2
    layer.trainable = True
    assert len(layer.trainable_weights) == 2


def test_non_trainable_weight_stays_non_trainable_after_unfreeze():
    layer = Linear()
    layer(np.ones((1, 2)))
    layer.trainable = False
    layer.trainable = True
    assert [w.name for w in layer.non_trainable_weights] == ["steps"]


# ---------------------------------------------------------------------------- input checks


def test_input_spec_declared_by_a_custom_layer():
    class Needs3D(Layer):
        def __init__(self):
            super().__init__(name="needs3d")
            self.input_spec = InputSpec(ndim=3, axes={-1: 2})

        def call(self, x):
            return x

    layer = Needs3D()
    layer(np.zeros((1, 4, 2)))
    with pytest.raises(ValueError, match=r"'needs3d'.*\(None, None, 2\).*\(1, 4\)"):
        layer(np.zeros((1, 4)))
    with pytest.raises(ValueError, match=r"'needs3d'.*\(1, 4, 3\)"):
        layer(np.zeros((1, 4, 3)))


def test_symbolic_call_checks_the_input_spec():
    layer = Dense(2, name="fixed")
    layer(np.zeros((1, 3)))
    with pytest.raises(ValueError, match=r"'fixed'.*\(None, 4\)"):
        layer(Input(shape=(4,)))


# ---------------------------------------------------------------------------- training flag


class Recorder(Layer):
    """Records the training flag its call receives."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seen = []

    def call(self, x, training=None):
        self.seen.append(training)
        return x


class NoTrainingArg(Layer):
    def __init__(self):
        super().__init__()
        self.inner = Recorder()

    def call(self, x):
        return self.inner(x)


def test_training_is_passed_down_through_layers_that_do_not_take_it():
    outer = NoTrainingArg()
    x = np.ones((1, 2))
    outer(x, training=True)
    outer(x, training=False)
    outer(x)
    assert outer.inner.seen == [True, False, None]


def test_explicit_training_of_an_inner_call_wins():
    class Forced(Layer):
        def __init__(self):
            super().__init__()
            self.inner = Recorder()

        def call(self, x, training=None):
            return self.inner(x, training=False)

    outer = Forced()
    outer(np.ones((1, 2)), training=True)
    assert outer.inner.seen == [False]


def test_training_can_be_passed_positionally():
    layer = Recorder()
    layer(np.ones((1, 2)), True)
    assert layer.seen == [True]


# ---------------------------------------------------------------------------- losses


def test_add_loss_is_collected_and_cleared_per_outermost_call():
    class Penalized(Layer):
        def __init__(self):
            super().__init__()
            self.dense = Dense(1, kernel_initializer="ones")

        def call(self, x):
            y = self.dense(x)
            self.add_loss(ops.mean(y))
            return y

    class Outer(Layer):
        def __init__(self):
            super().__init__()
            self.inner = Penalized()

        def call(self, x):
            return self.inner(x)

    outer = Outer()
    outer(np.full((2, 3), 2.0))
    assert [float(_np(l)) for l in outer.losses] == [6.0]
    outer(np.full((2, 3), 1.0))
    assert [float(_np(l)) for l in outer.losses] == [3.0]


def test_regularization_losses_are_differentiable_from_the_current_weights():
    layer = Dense(1, kernel_regularizer=plugnet.regularizers.L2(0.5), use_bias=False, kernel_initializer="ones")
    layer(np.ones((1, 2)))
    with plugnet.GradientTape() as tape:
        penalty = layer.losses[0]
    np.testing.assert_allclose(_np(tape.gradient(penalty, layer.kernel)), np.ones((2, 1)))  # d(0.5 w^2)/dw = w
    layer.kernel.assign(np.full((2, 1), 2.0))
    np.testing.assert_allclose(float(_np(layer.losses[0])), 4.0)


def test_frozen_layer_has_no_regularization_loss():
    layer = Dense(1, kernel_regularizer="l2")
    layer(np.ones((1, 2)))
    layer.trainable = False
    assert layer.losses == []


# ---------------------------------------------------------------------------- symbolic calls


def test_symbolic_call_returns_keras_tensor_and_records_input_output():
    x = Input(shape=(3,), name="features")
    layer = Dense(2)
    y = layer(x)
    assert isinstance(y, KerasTensor) and y.shape == (None, 2) and y.dtype == "float32"
    assert layer.input is x and layer.output is y


def test_custom_layer_without_compute_output_shape_is_probed():
    class Pairs(Layer):
        def call(self, x):
            return ops.reshape(x, (ops.shape(x)[0], -1, 2))

    y = Pairs()(Input(shape=(None,)))
    assert y.shape == (None, None, 2)
    assert Pairs().compute_output_shape((None, 6)) == (None, 3, 2)


def test_probe_does_not_record_losses():
    class Lossy(Layer):
        def call(self, x):
            self.add_loss(ops.sum(x))
            return x

    layer = Lossy()
    layer(Input(shape=(2,)))
    assert layer.losses == []


def test_layer_without_calls_has_no_output():
    with pytest.raises(AttributeError, match=r"'dense'.*never been called"):
        Dense(1).output


def test_keras_tensor_refuses_arithmetic_with_a_clear_message():
    x = Input(shape=(2,))
    with pytest.raises(TypeError, match="symbolic placeholder"):
        x + 1
    with pytest.raises(TypeError, match="symbolic placeholder"):
        np.asarray(x)


# ---------------------------------------------------------------------------- configs


def test_get_config_defaults_to_constructor_arguments():
    layer = Linear(units=7, name="lin", trainable=False)
    config = layer.get_config()
    assert config == {"name": "lin", "trainable": False, "dtype": "float32", "units": 7}
    clone = Linear.from_config(config)
    assert clone.units == 7 and clone.name == "lin" and not clone.trainable


def test_get_config_refuses_non_data_constructor_arguments():
    class Holder(Layer):
        def __init__(self, fn, **kwargs):
            super().__init__(**kwargs)
            self.fn = fn

    with pytest.raises(NotImplementedError, match="Holder.*get_config"):
        Holder(lambda t: t).get_config()


def test_build_config_round_trip():
    layer = Dense(4)
    layer(np.zeros((2, 3)))
    clone = Dense.from_config(layer.get_config())
    clone.build_from_config(layer.get_build_config())
    assert clone.built and [tuple(w.shape) for w in clone.weights] == [(3, 4), (4,)]
