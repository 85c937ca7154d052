"""fit/evaluate/predict on a torch DataLoader and a tf.data.Dataset, under whichever backend is active.

Each framework's tests run only where it is installed. Batches must give the
same numbers as the same data passed as arrays.
"""

import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

import plugnet
from plugnet import layers, ops
from plugnet.training import tf_dataset_adapter, torch_adapter  # noqa: F401  (registers the adapters)
from plugnet.training.data_adapter import get_data_adapter
from plugnet.training.epoch_iterator import EpochIterator
from plugnet.training.generator_adapter import GeneratorDataAdapter

TRUE_KERNEL = np.array([[1.5], [-2.0], [0.5]], dtype="float32")
TRUE_BIAS = 0.25


def regression_data(n=96, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 3)).astype("float32")
    return x, (x @ TRUE_KERNEL + TRUE_BIAS).astype("float32")


def linear_model(learning_rate=0.1, metrics=None):
    model = plugnet.Sequential([layers.Input(shape=(3,)), layers.Dense(1)])
    model.compile(optimizer=plugnet.optimizers.SGD(learning_rate=learning_rate), loss="mse", metrics=metrics)
    return model


def assert_learned_the_linear_map(model):
    kernel, bias = model.get_weights()
    np.testing.assert_allclose(kernel, TRUE_KERNEL, atol=1e-3)
    np.testing.assert_allclose(bias, [TRUE_BIAS], atol=1e-3)


def first_batch(adapter):
    return next(iter(adapter.get_iterator()))


# -- without any framework ------------------------------------------------------------------


def test_importing_plugnet_and_the_adapters_imports_no_framework():
    code = ("import sys, plugnet, plugnet.models, plugnet.datasets, plugnet.training.torch_adapter, "
            "plugnet.training.tf_dataset_adapter; "
            "print(sorted(m for m in ('torch', 'tensorflow') if m in sys.modules))")
    env = {**os.environ, "PLUGNET_BACKEND": "numpy"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert result.stdout.strip() == "[]"


def test_a_lookalike_class_from_another_package_is_not_taken_for_a_framework_loader():
    class DataLoader:  # same name as torch's, defined here
        def __iter__(self):
            return iter([(np.zeros((2, 3), "float32"), np.zeros((2, 1), "float32"))])

    class DatasetV2(DataLoader):
        pass

    assert type(get_data_adapter(DataLoader())) is GeneratorDataAdapter
    assert type(get_data_adapter(DatasetV2())) is GeneratorDataAdapter


# -- torch DataLoader ------------------------------------------------------------------------


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


def torch_loader(torch, *arrays, batch_size=16, shuffle=False):
    from torch.utils.data import DataLoader, TensorDataset

    generator = torch.Generator().manual_seed(0)
    dataset = TensorDataset(*(torch.from_numpy(np.ascontiguousarray(a)) for a in arrays))
    return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, generator=generator)


def test_a_dataloader_gets_the_torch_adapter_with_its_length(torch):
    x, y = regression_data(n=50)
    adapter = get_data_adapter(torch_loader(torch, x, y, batch_size=16))
    assert type(adapter) is torch_adapter.TorchDataLoaderAdapter
    assert adapter.num_batches == 4 and not adapter.is_one_shot


def test_fit_learns_a_linear_map_from_a_shuffled_dataloader(torch):
    x, y = regression_data()
    model = linear_model()
    history = model.fit(torch_loader(torch, x, y, shuffle=True), epochs=40, verbose=0)
    assert len(history.history["loss"]) == 40
    assert history.history["loss"][-1] < history.history["loss"][0] / 1000
    assert_learned_the_linear_map(model)


def test_evaluate_and_predict_on_a_dataloader_match_the_same_arrays(torch):
    x, y = regression_data(n=50)
    model = linear_model(metrics=["mae"])
    loader = torch_loader(torch, x, y, batch_size=16)
    np.testing.assert_allclose(model.evaluate(loader, verbose=0), model.evaluate(x, y, batch_size=16, verbose=0),
                               rtol=1e-6)
    predictions = model.predict(loader, verbose=0)
    assert predictions.shape == (50, 1)
    kernel, bias = model.get_weights()
    np.testing.assert_allclose(predictions, x @ kernel + bias, rtol=1e-5, atol=1e-6)


def test_a_dataloader_of_x_only_predicts(torch):
    x, _ = regression_data(n=20)
    model = linear_model()
    predictions = model.predict(torch_loader(torch, x, batch_size=8), verbose=0)
    np.testing.assert_allclose(predictions, model.predict(x, verbose=0), rtol=1e-6)


def test_sample_weights_come_from_the_third_element_of_a_dataloader_batch(torch):
    x, y = regression_data(n=40)
    w = np.linspace(0.0, 2.0, 40).astype("float32")
    model = linear_model()
    loss = model.evaluate(torch_loader(torch, x, y, w, batch_size=40), verbose=0)
    kernel, bias = model.get_weights()
    squared_error = np.mean((x @ kernel + bias - y) ** 2, axis=-1)
    np.testing.assert_allclose(loss, np.mean(w * squared_error), rtol=1e-5)
    np.testing.assert_allclose(model.evaluate(torch_loader(torch, x, y, w, batch_size=16), verbose=0),
                               model.evaluate(x, y, sample_weight=w, batch_size=16, verbose=0), rtol=1e-6)


def test_dataloader_batches_reach_the_step_as_the_active_backends_float32_tensors(torch):
    x, y = regression_data(n=8)
    adapter = get_data_adapter(torch_loader(torch, x.astype("float64"), y, batch_size=4))
    batch_x, batch_y = first_batch(adapter)  # the collated list [x, y] became a tuple
    if plugnet.backend.name() == "torch":
        assert isinstance(batch_x, torch.Tensor)  # the backend's own tensor: passed through
    else:
        assert type(batch_x) is np.ndarray and type(batch_y) is np.ndarray
    _, (tensor_x, tensor_y) = next(EpochIterator(adapter).enumerate_epoch())
    assert ops.is_tensor(tensor_x) and ops.dtype(tensor_x) == "float32"
    np.testing.assert_array_equal(ops.convert_to_numpy(tensor_x), x[:4])
    np.testing.assert_array_equal(ops.convert_to_numpy(tensor_y), y[:4])


def test_an_iterable_dataset_without_length_runs_until_exhausted(torch):
    from torch.utils.data import DataLoader, IterableDataset

    x, y = regression_data(n=30)

    class Rows(IterableDataset):
        def __iter__(self):
            return iter(zip(x, y))

    loader = DataLoader(Rows(), batch_size=8)
    adapter = get_data_adapter(loader)
    assert adapter.num_batches is None
    model = linear_model()
    history = model.fit(loader, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
    np.testing.assert_allclose(model.evaluate(loader, verbose=0), model.evaluate(x, y, batch_size=8, verbose=0),
                               rtol=1e-6)


def test_steps_per_epoch_continues_through_a_dataloader_across_epochs(torch):
    from torch.utils.data import DataLoader, Dataset

    x, y = regression_data(n=32)
    read = []

    class Recorded(Dataset):
        def __len__(self):
            return len(x)

        def __getitem__(self, index):
            read.append(index)
            return x[index], y[index]

    model = linear_model()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no epoch may run out of data
        model.fit(DataLoader(Recorded(), batch_size=8), epochs=3, steps_per_epoch=2, verbose=0)
    # 4 batches per pass, 2 per epoch: the second epoch takes the second half, the third starts a new pass.
    assert read == list(range(32)) + list(range(16))


def test_class_weight_on_a_dataloader_trains_like_class_weight_on_arrays(torch):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((32, 3)).astype("float32")
    labels = (x[:, 0] > 0).astype("float32")[:, None]
    weights = {0: 0.5, 1: 3.0}
    models = [linear_model(learning_rate=0.05), linear_model(learning_rate=0.05)]
    models[1].set_weights(models[0].get_weights())
    models[0].fit(torch_loader(torch, x, labels, batch_size=8), epochs=2, class_weight=weights, verbose=0)
    models[1].fit(x, labels, batch_size=8, epochs=2, class_weight=weights, shuffle=False, verbose=0)
    for a, b in zip(models[0].get_weights(), models[1].get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)


def test_validation_data_may_be_a_dataloader(torch):
    x, y = regression_data(n=48)
    model = linear_model()
    val = torch_loader(torch, x[32:], y[32:], batch_size=8)
    history = model.fit(torch_loader(torch, x[:32], y[:32]), validation_data=val, epochs=1, verbose=0)
    np.testing.assert_allclose(history.history["val_loss"][0], model.evaluate(val, verbose=0), rtol=1e-6)


def test_a_dataloader_with_separate_targets_is_an_error(torch):
    x, y = regression_data(n=8)
    with pytest.raises(ValueError, match="A torch DataLoader yields the targets as the second element of each batch: "
                                         "do not pass y separately"):
        linear_model().fit(torch_loader(torch, x, y), y, verbose=0)


# -- tf.data.Dataset -------------------------------------------------------------------------


@pytest.fixture
def tf():
    return pytest.importorskip("tensorflow")


def tf_dataset(tf, *arrays, batch_size=16):
    return tf.data.Dataset.from_tensor_slices(arrays if len(arrays) > 1 else arrays[0]).batch(batch_size)


def test_a_dataset_gets_the_tf_adapter_with_its_cardinality(tf):
    x, y = regression_data(n=50)
    adapter = get_data_adapter(tf_dataset(tf, x, y))
    assert type(adapter) is tf_dataset_adapter.TFDatasetAdapter
    assert adapter.num_batches == 4 and not adapter.is_one_shot


def test_fit_learns_a_linear_map_from_a_shuffled_dataset(tf):
    x, y = regression_data()
    model = linear_model()
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(96, seed=0).batch(16)
    history = model.fit(dataset, epochs=40, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0] / 1000
    assert_learned_the_linear_map(model)


def test_evaluate_and_predict_on_a_dataset_match_the_same_arrays(tf):
    x, y = regression_data(n=50)
    model = linear_model(metrics=["mae"])
    np.testing.assert_allclose(model.evaluate(tf_dataset(tf, x, y), verbose=0),
                               model.evaluate(x, y, batch_size=16, verbose=0), rtol=1e-6)
    predictions = model.predict(tf_dataset(tf, x), verbose=0)
    assert predictions.shape == (50, 1)
    kernel, bias = model.get_weights()
    np.testing.assert_allclose(predictions, x @ kernel + bias, rtol=1e-5, atol=1e-6)


def test_sample_weights_come_from_the_third_element_of_a_dataset_batch(tf):
    x, y = regression_data(n=40)
    w = np.linspace(0.0, 2.0, 40).astype("float32")
    model = linear_model()
    np.testing.assert_allclose(model.evaluate(tf_dataset(tf, x, y, w), verbose=0),
                               model.evaluate(x, y, sample_weight=w, batch_size=16, verbose=0), rtol=1e-6)


def test_dataset_batches_reach_the_step_as_the_active_backends_float32_tensors(tf):
    x, y = regression_data(n=8)
    adapter = get_data_adapter(tf_dataset(tf, x.astype("float64"), y, batch_size=4))
    batch_x, _ = first_batch(adapter)
    if plugnet.backend.name() == "tensorflow":
        assert isinstance(batch_x, tf.Tensor)
    else:
        assert type(batch_x) is np.ndarray
    _, (tensor_x, _) = next(EpochIterator(adapter).enumerate_epoch())
    assert ops.is_tensor(tensor_x) and ops.dtype(tensor_x) == "float32"
    np.testing.assert_array_equal(ops.convert_to_numpy(tensor_x), x[:4])


def test_a_dataset_of_unknown_cardinality_runs_until_exhausted(tf):
    x, y = regression_data(n=40)
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).filter(lambda a, b: True).batch(16)
    assert get_data_adapter(dataset).num_batches is None
    model = linear_model()
    assert len(model.fit(dataset, epochs=2, verbose=0).history["loss"]) == 2
    np.testing.assert_allclose(model.evaluate(dataset, verbose=0), model.evaluate(x, y, batch_size=16, verbose=0),
                               rtol=1e-6)


def test_an_infinite_dataset_needs_steps(tf):
    x, y = regression_data(n=32)
    dataset = tf_dataset(tf, x, y).repeat()
    model = linear_model()
    with pytest.raises(ValueError, match="infinite .* Pass steps_per_epoch"):
        model.fit(dataset, epochs=1, verbose=0)
    history = model.fit(dataset, epochs=2, steps_per_epoch=5, verbose=0)
    assert len(history.history["loss"]) == 2
    assert model.predict(dataset, steps=3, verbose=0).shape == (48, 1)


def test_a_ragged_dataset_is_refused_with_a_way_out(tf):
    ragged = tf.ragged.constant([[1.0, 2.0], [3.0], [4.0, 5.0, 6.0]])
    dataset = tf.data.Dataset.from_tensor_slices((ragged, tf.zeros((3, 1)))).batch(3)
    with pytest.raises(ValueError, match=r"yields a RaggedTensor of shape \(3, None\); .*to_tensor\(\)"):
        linear_model().predict(dataset, verbose=0)


def test_a_dataset_with_separate_sample_weights_is_an_error(tf):
    x, y = regression_data(n=8)
    with pytest.raises(ValueError, match="A tf.data.Dataset yields the sample weights as the third element of each "
                                         "batch: do not pass sample_weight separately"):
        linear_model().evaluate(tf_dataset(tf, x, y), sample_weight=np.ones(8), verbose=0)
