"""One model, the same weights, every installed backend: the same numbers.

Run by tox's ``cross`` environment (all frameworks installed); skipped for a
backend whose framework is missing.
"""

import numpy as np
import pytest

import plugnet
from plugnet import layers, ops

BACKENDS = [name for name in ("numpy", "torch", "tensorflow") if plugnet.backend.available()[name].installed]
OTHERS = [name for name in BACKENDS if name != "numpy"]

pytestmark = pytest.mark.skipif(not OTHERS, reason="needs torch or tensorflow installed beside numpy")

RTOL, ATOL = 1e-5, 1e-6


def data(seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((16, 12)).astype("float32"), rng.standard_normal((16, 3)).astype("float32")


def build():
    return plugnet.Sequential([layers.Input(shape=(12,)), layers.Dense(8, activation="tanh"),
                               layers.Dense(6, activation="relu"), layers.Dense(3)])


def reference_weights():
    with plugnet.backend.use("numpy"):
        plugnet.utils.set_random_seed(7)
        return [np.asarray(w) for w in build().get_weights()]


def run_on(name, fn):
    with plugnet.backend.use(name):
        model = build()
        model.set_weights(reference_weights())
        return fn(model)


def predictions(model):
    x, _ = data()
    return model.predict(x, verbose=0)


def gradients(model):
    x, y = data()
    with plugnet.GradientTape() as tape:
        loss = ops.mean(ops.square(ops.subtract(model(x, training=True), y)))
    return [ops.convert_to_numpy(g) for g in tape.gradient(loss, model.trainable_variables)]


def sgd_curve(model):
    x, y = data()
    model.compile(optimizer=plugnet.optimizers.SGD(learning_rate=0.05), loss="mse")
    return np.array([model.train_on_batch(x, y) for _ in range(20)])


@pytest.mark.parametrize("name", OTHERS)
def test_predictions_match_numpy(name):
    np.testing.assert_allclose(run_on(name, predictions), run_on("numpy", predictions), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("name", OTHERS)
def test_gradients_match_numpy(name):
    for got, want in zip(run_on(name, gradients), run_on("numpy", gradients)):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("name", OTHERS)
def test_twenty_sgd_steps_follow_the_same_loss_curve(name):
    want = run_on("numpy", sgd_curve)
    got = run_on(name, sgd_curve)
    assert want[-1] < want[0]
    np.testing.assert_allclose(got, want, rtol=1e-4)


def test_weights_saved_from_one_backend_load_on_another():
    weights = run_on(OTHERS[0], lambda model: [np.asarray(w) for w in model.get_weights()])
    for got, want in zip(weights, reference_weights()):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("name", OTHERS)
def test_a_model_built_on_one_backend_refuses_another(name):
    model = build()
    x, _ = data()
    model(x)
    with plugnet.backend.use(name):
        with pytest.raises(TypeError, match=r"'dense\w*' holds weights of the 'numpy' backend.*active backend is"):
            model(x)


@pytest.mark.parametrize("name", OTHERS)
def test_a_foreign_tensor_gets_a_clear_error(name):
    other = [b for b in OTHERS if b != name]
    if not other:
        pytest.skip("needs two frameworks")
    with plugnet.backend.use(other[0]):
        foreign = ops.ones((2,))
    with plugnet.backend.use(name):
        with pytest.raises(TypeError, match=f"The '{name}' backend got a"):
            ops.add(foreign, 1.0)
