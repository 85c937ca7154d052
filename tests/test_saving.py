"""Saving and loading on the current backend: .plugnet round trips, weights files, and their errors."""

import json
import os
import warnings
import zipfile

import numpy as np
import pytest

import plugnet
from plugnet import layers, ops
from plugnet.layers.naming import clear_session
from plugnet.saving import load_model, load_weights, save_model, save_weights


@pytest.fixture(autouse=True)
def _fresh_names():
    clear_session()
    yield


def _data(rng, n=16, features=6, outputs=3):
    return rng.normal(size=(n, features)).astype("float32"), rng.normal(size=(n, outputs)).astype("float32")


def _mlp(dropout=0.0):
    return plugnet.Sequential([
        layers.Input(shape=(6,)),
        layers.Dense(8, activation="relu"),
        layers.BatchNormalization(),
        layers.Dropout(dropout),
        layers.Dense(3),
    ])


def _assert_same_weights(model, other):
    assert len(model.get_weights()) == len(other.get_weights())
    for want, got in zip(model.get_weights(), other.get_weights()):
        np.testing.assert_array_equal(got, want)


# ---------------------------------------------------------------------------- .plugnet round trips


def test_sequential_round_trip_predicts_the_same(tmp_path, rng):
    model = _mlp()
    x, _ = _data(rng)
    path = tmp_path / "mlp.plugnet"
    model.save(path)
    restored = plugnet.models.load_model(path)
    assert type(restored) is plugnet.Sequential and restored.name == model.name
    assert [layer.name for layer in restored.layers] == [layer.name for layer in model.layers]
    _assert_same_weights(model, restored)
    np.testing.assert_array_equal(restored.predict(x, verbose=0), model.predict(x, verbose=0))
    assert not restored.compiled


def test_the_file_holds_config_metadata_and_weights(tmp_path):
    model = _mlp()
    path = tmp_path / "mlp.plugnet"
    save_model(model, path)
    with zipfile.ZipFile(path) as archive:
        assert sorted(archive.namelist()) == ["config.json", "metadata.json", "model.weights.safetensors"]
        config = json.loads(archive.read("config.json"))
        metadata = json.loads(archive.read("metadata.json"))
    assert config["class_name"] == "Sequential"
    assert [layer["class_name"] for layer in config["config"]["layers"]] == [
        "InputLayer", "Dense", "BatchNormalization", "Dropout", "Dense"]
    assert config["compile_config"] is None
    assert metadata["plugnet_version"] == plugnet.__version__
    assert metadata["backend"] == plugnet.backend.name()
    assert metadata["format_version"] == 1
    assert metadata["date_saved"][:2] == "20" and "T" in metadata["date_saved"]


def test_functional_multi_input_round_trip(tmp_path, rng):
    a = layers.Input(shape=(4,), name="a")
    b = layers.Input(shape=(2,), name="b")
    hidden = layers.Dense(5, activation="tanh", name="hidden")(a)
    merged = layers.Concatenate()([hidden, b])
    model = plugnet.Model([a, b], [layers.Dense(1, name="score")(merged), layers.Dense(3, name="logits")(hidden)])
    xa, xb = rng.normal(size=(7, 4)).astype("float32"), rng.normal(size=(7, 2)).astype("float32")
    path = tmp_path / "two_inputs.plugnet"
    model.save(path)
    restored = load_model(path)
    assert isinstance(restored, plugnet.models.Functional)
    assert restored.input_names == ["a", "b"] and restored.output_names == ["score", "logits"]
    for got, want in zip(restored.predict([xa, xb], verbose=0), model.predict([xa, xb], verbose=0)):
        np.testing.assert_array_equal(got, want)


def test_nested_model_and_shared_layer_round_trip(tmp_path, rng):
    block = plugnet.Sequential([layers.Input(shape=(4,)), layers.Dense(3), layers.Dense(3)], name="block")
    shared = layers.Dense(2, name="shared")
    a, b = layers.Input(shape=(4,)), layers.Input(shape=(4,))
    model = plugnet.Model([a, b], layers.Add()([shared(block(a)), shared(block(b))]))
    path = tmp_path / "nested.plugnet"
    model.save(path)
    restored = load_model(path)
    assert [w.path for w in restored.weights] == [w.path for w in model.weights]
    x = [rng.normal(size=(5, 4)).astype("float32"), rng.normal(size=(5, 4)).astype("float32")]
    np.testing.assert_array_equal(restored.predict(x, verbose=0), model.predict(x, verbose=0))


LAYER_FAMILIES = {
    "conv1d": ((10, 3), lambda: [layers.Conv1D(4, 3, padding="causal", dilation_rate=2), layers.MaxPooling1D(2),
                                 layers.SeparableConv1D(3, 2), layers.GlobalAveragePooling1D()]),
    "conv2d": ((8, 8, 3), lambda: [layers.Conv2D(4, 3, padding="same", use_bias=False), layers.ReLU(max_value=6.0),
                                   layers.DepthwiseConv2D(3, depth_multiplier=2),
                                   layers.Conv2DTranspose(3, 2, strides=2),
                                   layers.ZeroPadding2D(1), layers.Cropping2D(((1, 0), (0, 1))), layers.UpSampling2D(2),
                                   layers.AveragePooling2D(2), layers.GlobalMaxPooling2D()]),
    "conv3d": ((4, 4, 4, 2), lambda: [layers.Conv3D(2, 2), layers.Conv3DTranspose(2, 2), layers.MaxPooling3D(2),
                                      layers.GlobalAveragePooling3D()]),
    "sequence": ((7,), lambda: [layers.Embedding(20, 4), layers.LayerNormalization(), layers.LeakyReLU(0.2),
                                layers.Reshape((28,)), layers.Dense(3, kernel_regularizer="l2"), layers.Softmax()]),
}


@pytest.mark.parametrize("family", sorted(LAYER_FAMILIES))
def test_every_layer_family_round_trips_config_and_predictions(tmp_path, rng, family):
    shape, make = LAYER_FAMILIES[family]
    integer = family == "sequence"
    model = plugnet.Sequential([layers.Input(shape=shape, dtype="int32" if integer else "float32")] + make())
    x = rng.integers(0, 20, size=(2, *shape)) if integer else rng.normal(size=(2, *shape)).astype("float32")
    path = tmp_path / f"{family}.plugnet"
    model.save(path)
    restored = load_model(path)
    assert restored.get_config() == model.get_config()
    np.testing.assert_array_equal(restored.predict(x, verbose=0), model.predict(x, verbose=0))


@plugnet.registry.register_serializable("test_saving>Scale")
class Scale(layers.Layer):
    """A registered custom layer with one trainable weight per feature."""

    def build(self, input_shape):
        self.scale = self.add_weight((input_shape[-1],), initializer="ones", name="scale")

    def call(self, inputs):
        return ops.multiply(inputs, self.scale)


class TwoStep(plugnet.Model):
    """A subclassed model, known to the loader only through custom_objects."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.dense = layers.Dense(units, activation="relu")
        self.scale = Scale()
        self.head = layers.Dense(2)

    def call(self, inputs):
        return self.head(self.scale(self.dense(inputs)))

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def test_subclassed_model_with_a_custom_layer_loads_through_custom_objects(tmp_path, rng):
    model = TwoStep(5)
    x = rng.normal(size=(4, 3)).astype("float32")
    model(x)
    model.scale.scale.assign(np.array([1.0, 2.0, 0.5, -1.0, 3.0], "float32"))
    path = tmp_path / "subclassed.plugnet"
    model.save(path)
    with pytest.raises(ValueError, match=r"Unknown object 'TwoStep'.*custom_objects"):
        load_model(path)
    restored = load_model(path, custom_objects={"TwoStep": TwoStep})
    assert type(restored) is TwoStep and restored.units == 5 and type(restored.scale) is Scale
    _assert_same_weights(model, restored)
    np.testing.assert_array_equal(restored.predict(x, verbose=0), model.predict(x, verbose=0))


def test_a_model_that_cannot_describe_itself_is_refused_before_any_file_is_written(tmp_path):
    class Opaque(plugnet.Model):
        def __init__(self, table):
            super().__init__()
            self.dense = layers.Dense(1)
            self.table = table

        def call(self, inputs):
            return self.dense(inputs)

    model = Opaque(object())
    model(np.ones((1, 2), "float32"))
    with pytest.raises(NotImplementedError, match=r"Cannot save model 'opaque'.*get_config"):
        model.save(tmp_path / "opaque.plugnet")
    assert os.listdir(tmp_path) == []


def test_batch_normalization_statistics_survive(tmp_path, rng):
    model = _mlp()
    x, y = _data(rng, n=32)
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    bn = model.layers[1]
    assert not np.allclose(bn.moving_mean.numpy(), 0.0)
    path = tmp_path / "bn.plugnet"
    model.save(path)
    restored = load_model(path, compile=False)
    restored_bn = restored.layers[1]
    np.testing.assert_array_equal(restored_bn.moving_mean.numpy(), bn.moving_mean.numpy())
    np.testing.assert_array_equal(restored_bn.moving_variance.numpy(), bn.moving_variance.numpy())
    assert not restored.compiled
    np.testing.assert_array_equal(restored.predict(x, verbose=0), model.predict(x, verbose=0))


def test_compiled_model_resumes_training_exactly(tmp_path, rng):
    # Adam's moments and step count, BatchNormalization's statistics and Dropout's seed stream all come back:
    # the next steps of the loaded model are the original's, bit for bit.
    model = _mlp(dropout=0.3)
    x, y = _data(rng, n=32)
    # Eagerly: a traced TensorFlow step runs its first call eagerly, and eager and graph kernels may differ in
    # the last bit, which would compare the original's graph steps with the copy's first, eager one.
    model.compile(optimizer=plugnet.optimizers.Adam(learning_rate=0.01), loss="mse", metrics=["mae"],
                  run_eagerly=True)
    model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    path = tmp_path / "adam.plugnet"
    model.save(path)
    restored = load_model(path)
    assert restored.compiled and type(restored.optimizer) is plugnet.optimizers.Adam
    assert int(restored.optimizer.iterations.numpy()) == int(model.optimizer.iterations.numpy()) == 8
    assert len(restored.optimizer.variables) == len(model.optimizer.variables)
    for want, got in zip(model.optimizer.variables, restored.optimizer.variables):
        np.testing.assert_array_equal(got.numpy(), want.numpy())
    want = [model.train_on_batch(x[:8], y[:8]) for _ in range(3)]
    got = [restored.train_on_batch(x[:8], y[:8]) for _ in range(3)]
    np.testing.assert_array_equal(got, want)
    _assert_same_weights(model, restored)


def test_optimizer_state_is_built_for_the_loaded_model_before_it_is_assigned(tmp_path, rng):
    model = _mlp()
    x, y = _data(rng)
    model.compile(optimizer="rmsprop", loss="mse")
    model.train_on_batch(x, y)
    path = tmp_path / "rms.plugnet"
    model.save(path)
    restored = load_model(path)
    assert restored.optimizer.built
    slots = restored.optimizer.variables[2:]
    assert [tuple(v.shape) for v in slots] == [tuple(v.shape) for v in restored.trainable_variables]


def test_compiled_but_untrained_model_loads_with_a_fresh_optimizer(tmp_path):
    model = _mlp()
    model.compile(optimizer="adam", loss="mse")
    path = tmp_path / "fresh.plugnet"
    model.save(path)
    restored = load_model(path)
    assert restored.compiled and not restored.optimizer.built


def test_custom_loss_resolves_through_custom_objects_when_compiling(tmp_path, rng):
    class DoubledMSE(plugnet.losses.Loss):
        def call(self, y_true, y_pred):
            return ops.multiply(ops.mean(ops.square(ops.subtract(y_true, y_pred)), axis=-1), 2.0)

    model = _mlp()
    x, y = _data(rng)
    model.compile(optimizer="sgd", loss=DoubledMSE())
    model.train_on_batch(x, y)
    path = tmp_path / "loss.plugnet"
    model.save(path)
    with pytest.raises(ValueError, match=r"Unknown object 'DoubledMSE'"):
        load_model(path)
    assert load_model(path, compile=False).compiled is False
    restored = load_model(path, custom_objects={"DoubledMSE": DoubledMSE})
    assert isinstance(restored.loss, DoubledMSE)
    np.testing.assert_allclose(restored.evaluate(x, y, verbose=0), model.evaluate(x, y, verbose=0), rtol=1e-6)


def test_loss_and_metric_functions_resolve_through_custom_objects(tmp_path, rng):
    def absolute_error(y_true, y_pred):
        return ops.mean(ops.abs(ops.subtract(y_true, y_pred)), axis=-1)

    model = _mlp()
    x, y = _data(rng)
    model.compile(optimizer="sgd", loss=absolute_error, metrics=[absolute_error])
    path = tmp_path / "function_loss.plugnet"
    model.save(path)
    with pytest.raises(ValueError, match=r"Unknown loss 'absolute_error'.*custom_objects"):
        load_model(path)
    restored = load_model(path, custom_objects={"absolute_error": absolute_error})
    np.testing.assert_allclose(restored.evaluate(x, y, verbose=0), model.evaluate(x, y, verbose=0), rtol=1e-6)


# ---------------------------------------------------------------------------- Lambda


def test_lambda_layer_computes_and_saves_by_name_or_bytecode(tmp_path, rng):
    def shift(x, amount=1.0):
        return ops.add(x, amount)

    inputs = layers.Input(shape=(3,))
    outputs = layers.Lambda(lambda t: ops.multiply(t, 3.0), output_shape=(3,))(
        layers.Lambda(shift, arguments={"amount": 2.0})(inputs))
    model = plugnet.Model(inputs, outputs)
    x = rng.normal(size=(2, 3)).astype("float32")
    np.testing.assert_allclose(model.predict(x, verbose=0), (x + 2.0) * 3.0, rtol=1e-6)
    path = tmp_path / "lambda.plugnet"
    model.save(path)
    with pytest.raises(ValueError, match=r"bytecode.*refused in safe mode.*safe_mode=False"):
        load_model(path, custom_objects={"shift": shift})  # the anonymous lambda still has only bytecode
    restored = load_model(path, safe_mode=False)
    np.testing.assert_allclose(restored.predict(x, verbose=0), (x + 2.0) * 3.0, rtol=1e-6)


def test_lambda_with_a_named_function_loads_safely_through_custom_objects(tmp_path, rng):
    def halve(x):
        return ops.multiply(x, 0.5)

    model = plugnet.Sequential([layers.Input(shape=(2,)), layers.Lambda(halve)])
    path = tmp_path / "halve.plugnet"
    model.save(path)
    with pytest.raises(ValueError, match=r"'halve'.*custom_objects=\{'halve': halve\}"):
        load_model(path)
    restored = load_model(path, custom_objects={"halve": halve})
    assert restored.layers[0].function is halve
    x = rng.normal(size=(3, 2)).astype("float32")
    np.testing.assert_allclose(restored.predict(x, verbose=0), x * 0.5, rtol=1e-6)


def test_lambda_refuses_a_function_whose_closure_is_not_data():
    table = {object(): 1.0}
    layer = layers.Lambda(lambda x: ops.multiply(x, len(table)))
    with pytest.raises(ValueError, match=r"Lambda layer 'lambda'.*closure.*not plain data"):
        layer.get_config()


# ---------------------------------------------------------------------------- weights files


def test_save_weights_and_load_into_a_second_copy(tmp_path, rng):
    model = _mlp()
    x, _ = _data(rng)
    path = tmp_path / "mlp.weights.safetensors"
    model.save_weights(path)
    copy = _mlp()  # automatic names differ (dense_2...), the keys do not
    assert copy.layers[0].name != model.layers[0].name
    copy.load_weights(path)
    _assert_same_weights(model, copy)
    np.testing.assert_array_equal(copy.predict(x, verbose=0), model.predict(x, verbose=0))


def test_weights_file_keys_are_stable_readable_paths(tmp_path):
    from plugnet.saving import safetensors_io

    model = _mlp(dropout=0.5)
    path = tmp_path / "mlp.weights.safetensors"
    save_weights(model, path)
    tensors, metadata = safetensors_io.read_file(path)
    assert sorted(tensors) == [
        "layers/batch_normalization/vars/0", "layers/batch_normalization/vars/1",
        "layers/batch_normalization/vars/2", "layers/batch_normalization/vars/3",
        "layers/dense/vars/0", "layers/dense/vars/1", "layers/dense_1/vars/0", "layers/dense_1/vars/1",
        "layers/dropout/seed_generators/seed_generator",
    ]
    np.testing.assert_array_equal(tensors["layers/dense/vars/0"], model.layers[0].kernel.numpy())
    assert metadata["format"] == "plugnet" and metadata["backend"] == plugnet.backend.name()


def test_load_weights_restores_optimizer_state_into_a_compiled_model(tmp_path, rng):
    model = _mlp()
    x, y = _data(rng)
    model.compile(optimizer="adam", loss="mse", run_eagerly=True)  # eagerly: see the test above
    for _ in range(3):
        model.train_on_batch(x, y)
    path = tmp_path / "trained.weights.safetensors"
    model.save_weights(path)
    copy = _mlp()
    copy.compile(optimizer="adam", loss="mse", run_eagerly=True)
    copy.load_weights(path)
    assert int(copy.optimizer.iterations.numpy()) == 3
    np.testing.assert_array_equal(copy.train_on_batch(x, y), model.train_on_batch(x, y))
    _assert_same_weights(model, copy)


def test_load_weights_skips_a_different_optimizer_with_a_warning(tmp_path, rng):
    model = _mlp()
    x, y = _data(rng)
    model.compile(optimizer="adam", loss="mse")
    model.train_on_batch(x, y)
    path = tmp_path / "adam.weights.safetensors"
    model.save_weights(path)
    copy = _mlp()
    copy.compile(optimizer="sgd", loss="mse")
    with pytest.warns(UserWarning, match=r"skipping the optimizer state: optimizer 'SGD' has 2 variables, the file "
                                         r"has 14"):
        copy.load_weights(path)
    _assert_same_weights(model, copy)


def test_load_weights_also_reads_a_model_file(tmp_path):
    model = _mlp()
    path = tmp_path / "mlp.plugnet"
    model.save(path)
    copy = _mlp()
    load_weights(copy, path)
    _assert_same_weights(model, copy)


def test_shape_mismatch_names_the_layer_and_both_shapes(tmp_path):
    model = plugnet.Sequential([layers.Input(shape=(4,)), layers.Dense(3, name="features"),
                                layers.Dense(1, name="head")])
    path = tmp_path / "small.weights.safetensors"
    model.save_weights(path)
    wider = plugnet.Sequential([layers.Input(shape=(4,)), layers.Dense(5, name="wide"), layers.Dense(1, name="head")])
    before = wider.get_weights()
    with pytest.raises(ValueError, match=r"(?s)layer 'wide'.*'wide/kernel' expects shape \(4, 5\), the file "
                                         r"has shape \(4, 3\)") as error:
        wider.load_weights(path)
    assert "'head/kernel' expects shape (5, 1), the file has shape (3, 1)" in str(error.value)
    for want, got in zip(before, wider.get_weights()):  # nothing was assigned
        np.testing.assert_array_equal(got, want)


def test_count_mismatch_names_the_missing_and_extra_layers(tmp_path):
    model = plugnet.Sequential([layers.Input(shape=(4,)), layers.Dense(3), layers.Dense(1)])
    path = tmp_path / "two.weights.safetensors"
    model.save_weights(path)
    deeper = plugnet.Sequential([layers.Input(shape=(4,)), layers.Dense(3), layers.Dense(1), layers.Dense(1)])
    with pytest.raises(ValueError, match=r"(?s)layer 'dense_4'.*missing from the file.*'layers/dense_2/vars/0'"):
        deeper.load_weights(path)
    no_bias = plugnet.Sequential([layers.Input(shape=(4,)), layers.Dense(3, use_bias=False), layers.Dense(1)])
    with pytest.raises(ValueError, match=r"(?s)layer 'dense_5'.*the file has 'layers/dense/vars/1' \(3,\), which the "
                                         r"layer does not have"):
        no_bias.load_weights(path)


def test_skip_mismatch_loads_the_matching_layers_and_warns(tmp_path):
    model = plugnet.Sequential([layers.Input(shape=(4,)), layers.Dense(3), layers.Dense(2)])
    path = tmp_path / "model.weights.safetensors"
    model.save_weights(path)
    other = plugnet.Sequential([layers.Input(shape=(4,)), layers.Dense(3), layers.Dense(7)])
    head = other.layers[1].get_weights()
    with pytest.warns(UserWarning, match=r"(?s)skipping mismatched weights.*layer 'dense_3'"):
        other.load_weights(path, skip_mismatch=True)
    for want, got in zip(model.layers[0].get_weights(), other.layers[0].get_weights()):
        np.testing.assert_array_equal(got, want)
    for want, got in zip(head, other.layers[1].get_weights()):
        np.testing.assert_array_equal(got, want)


def test_loading_into_an_unbuilt_model_says_to_build_it(tmp_path):
    model = _mlp()
    path = tmp_path / "mlp.weights.safetensors"
    model.save_weights(path)
    unbuilt = plugnet.Sequential([layers.Dense(8), layers.Dense(3)])
    with pytest.raises(ValueError, match=r"model 'sequential_1' is not built yet.*model.build\(input_shape\)"):
        unbuilt.load_weights(path)


# ---------------------------------------------------------------------------- file names and overwriting


def test_file_suffixes_are_checked_with_clear_errors(tmp_path):
    model = _mlp()
    with pytest.raises(ValueError, match=r"end in '.plugnet'.*Received: filepath="):
        model.save(tmp_path / "model.keras")
    with pytest.raises(ValueError, match=r"must end in '.weights.safetensors'"):
        model.save_weights(tmp_path / "model.h5")
    with pytest.raises(ValueError, match=r"File format not supported"):
        load_model(tmp_path / "model.h5")
    with pytest.raises(ValueError, match=r"holds weights only"):
        load_model(tmp_path / "model.weights.safetensors")
    with pytest.raises(ValueError, match=r"File not found"):
        load_model(tmp_path / "missing.plugnet")
    with pytest.raises(TypeError, match=r"expects a plugnet Model"):
        save_model(layers.Dense(2), tmp_path / "layer.plugnet")
    assert os.listdir(tmp_path) == []


def test_overwrite_false_refuses_to_replace_a_file(tmp_path):
    model = _mlp()
    path = tmp_path / "mlp.plugnet"
    model.save(path)
    before = path.read_bytes()
    with pytest.raises(FileExistsError, match=r"already exists.*overwrite=True"):
        model.save(path, overwrite=False)
    with pytest.raises(FileExistsError):
        model.save_weights(tmp_path / "w.weights.safetensors") or model.save_weights(
            tmp_path / "w.weights.safetensors", overwrite=False)
    assert path.read_bytes() == before


def test_saving_twice_replaces_the_file_and_leaves_no_temporary_files(tmp_path, rng):
    model = _mlp()
    path = tmp_path / "mlp.plugnet"
    model.save(path)
    model.layers[0].kernel.assign(np.zeros((6, 8), "float32"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.save(path)
    assert os.listdir(tmp_path) == ["mlp.plugnet"]
    np.testing.assert_array_equal(load_model(path).layers[0].kernel.numpy(), np.zeros((6, 8), "float32"))
