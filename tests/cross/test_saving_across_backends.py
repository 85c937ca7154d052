"""Train on one backend, save, load on another: the same predictions and the same training state.

Run by tox's ``cross`` environment; pairs whose framework is missing are skipped.
"""

import itertools

import numpy as np
import pytest

import plugnet
from plugnet import layers

BACKENDS = [name for name in ("numpy", "torch", "tensorflow") if plugnet.backend.available()[name].installed]
PAIRS = list(itertools.permutations(BACKENDS, 2))

pytestmark = pytest.mark.skipif(len(BACKENDS) < 2, reason="needs torch or tensorflow installed beside numpy")

# float32 convolutions sum in different orders on different frameworks.
RTOL, ATOL = 1e-4, 1e-5


def data():
    rng = np.random.default_rng(3)
    return rng.normal(size=(24, 8, 8, 3)).astype("float32"), rng.integers(0, 5, size=(24,))


def cnn():
    return plugnet.Sequential([
        layers.Input(shape=(8, 8, 3)),
        layers.Conv2D(6, 3, padding="same", activation="relu"),
        layers.BatchNormalization(),
        layers.MaxPooling2D(2),
        layers.Conv2D(4, 3, activation="relu"),
        layers.Flatten(),
        layers.Dropout(0.2),
        layers.Dense(5),
    ])


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """Per backend: a CNN trained a few Adam steps there, saved, and what it predicted."""
    folder = tmp_path_factory.mktemp("across")
    x, y = data()
    saved = {}

    def train(name):
        if name not in saved:
            with plugnet.backend.use(name):
                plugnet.utils.set_random_seed(11)
                model = cnn()
                model.compile(optimizer=plugnet.optimizers.Adam(learning_rate=0.01),
                              loss=plugnet.losses.SparseCategoricalCrossentropy(from_logits=True))
                model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
                path = folder / f"{name}.plugnet"
                model.save(path)
                saved[name] = (path, model.predict(x, verbose=0), [w.numpy() for w in model.optimizer.variables])
        return saved[name]

    return train


@pytest.mark.parametrize("target", [name for name in BACKENDS if name != "torch"])
def test_a_cnn_trained_on_torch_predicts_the_same_elsewhere(trained, target):
    if "torch" not in BACKENDS:
        pytest.skip("torch is not installed")
    path, want, _ = trained("torch")
    with plugnet.backend.use(target):
        model = plugnet.models.load_model(path)
        got = model.predict(data()[0], verbose=0)
    bn = model.layers[1]
    assert not np.allclose(bn.moving_variance.numpy(), 1.0)  # trained statistics came along
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("source, target", PAIRS, ids=[f"{a}-to-{b}" for a, b in PAIRS])
def test_every_pair_of_backends_predicts_the_same_and_keeps_the_optimizer_state(trained, source, target):
    path, want, optimizer_values = trained(source)
    x, y = data()
    with plugnet.backend.use(target):
        model = plugnet.models.load_model(path)
        got = model.predict(x, verbose=0)
        restored = [w.numpy() for w in model.optimizer.variables]
        loss = model.evaluate(x, y, verbose=0)
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)
    assert int(restored[0]) == 6  # two epochs of three batches
    assert len(restored) == len(optimizer_values)
    for got_value, want_value in zip(restored, optimizer_values):
        np.testing.assert_array_equal(got_value, want_value)
    assert np.isfinite(loss)


@pytest.mark.parametrize("source, target", PAIRS, ids=[f"{a}-to-{b}" for a, b in PAIRS])
def test_weights_files_cross_backends_too(tmp_path, source, target):
    x, _ = data()
    with plugnet.backend.use(source):
        plugnet.utils.set_random_seed(5)
        model = cnn()
        want = model.predict(x, verbose=0)
        model.save_weights(tmp_path / "cnn.weights.safetensors")
    with plugnet.backend.use(target):
        copy = cnn()
        copy.load_weights(tmp_path / "cnn.weights.safetensors")
        got = copy.predict(x, verbose=0)
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)
