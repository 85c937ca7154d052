"""An MLP learns a problem no linear model can, on the JAX backend, eagerly and under jax.jit."""

import numpy as np
import pytest

import plugnet
from plugnet import layers


def rings(n=256, seed=0):
    """Two noisy concentric rings: the label is which one a point lies on."""
    rng = np.random.default_rng(seed)
    label = rng.integers(0, 2, n)
    angle = rng.uniform(0, 2 * np.pi, n)
    radius = np.where(label == 1, 2.0, 0.8) + rng.normal(0, 0.15, n)
    x = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1).astype("float32")
    return x, label.astype("int32")


@pytest.mark.parametrize("jit_compile", [True, False], ids=["jit", "eager"])
def test_an_mlp_learns_the_rings(jit_compile):
    plugnet.utils.set_random_seed(0)
    x, y = rings()
    model = plugnet.Sequential([
        layers.Input(shape=(2,)),
        layers.Dense(32, activation="tanh"),
        layers.Dense(32, activation="relu"),
        layers.Dense(2),
    ])
    model.compile(optimizer=plugnet.optimizers.Adam(0.02), metrics=["accuracy"], jit_compile=jit_compile,
                  loss=plugnet.losses.SparseCategoricalCrossentropy(from_logits=True))
    history = model.fit(x, y, batch_size=64, epochs=25, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.1 * losses[0]
    x_test, y_test = rings(seed=1)
    _, accuracy = model.evaluate(x_test, y_test, verbose=0)
    assert accuracy > 0.97
    assert (np.argmax(model.predict(x_test, verbose=0), axis=1) == y_test).mean() == pytest.approx(accuracy)
