"""Compiled steps (tf.function on TensorFlow, torch.compile when asked) compute what eager steps compute."""

import numpy as np
import pytest

import plugnet
from plugnet import layers


def data(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((40, 6)).astype("float32")
    y = (x[:, :1] > 0).astype("float32")
    return x, y


def curve(run_eagerly, dropout=0.0):
    plugnet.utils.set_random_seed(3)
    model = plugnet.Sequential([layers.Input(shape=(6,)), layers.Dense(8, activation="relu"),
                                layers.Dropout(dropout, seed=5), layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"], run_eagerly=run_eagerly)
    x, y = data()
    history = model.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0, validation_data=(x, y))
    return history.history, model.predict(x, verbose=0), model.evaluate(x, y, verbose=0)


def test_compiled_and_eager_training_agree():
    compiled, eager = curve(False), curve(True)
    for key in eager[0]:
        np.testing.assert_allclose(compiled[0][key], eager[0][key], rtol=1e-5, atol=1e-6, err_msg=key)
    np.testing.assert_allclose(compiled[1], eager[1], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(compiled[2], eager[2], rtol=1e-5, atol=1e-6)


def test_dropout_draws_fresh_masks_in_compiled_steps():
    """A seed frozen at trace time would repeat one mask; the SeedGenerator's Variable prevents it."""
    compiled, eager = curve(False, dropout=0.5), curve(True, dropout=0.5)
    np.testing.assert_allclose(compiled[0]["loss"], eager[0]["loss"], rtol=1e-5, atol=1e-6)


def test_the_last_partial_batch_counts_by_its_size():
    model = plugnet.Sequential([layers.Input(shape=(6,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = data()
    weights = model.get_weights()
    per_batch = []
    for start in range(0, 40, 16):
        per_batch.append((model.test_on_batch(x[start:start + 16], y[start:start + 16]), len(x[start:start + 16])))
    model.set_weights(weights)
    expected = sum(loss * n for loss, n in per_batch) / 40
    assert model.evaluate(x, y, batch_size=16, verbose=0) == pytest.approx(expected, rel=1e-5)
