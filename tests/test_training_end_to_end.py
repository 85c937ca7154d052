"""Whole models learning: the seed two-layer net and an MLP on the digits set."""

import numpy as np
import pytest

import plugnet
from plugnet import GradientTape, layers, ops


def two_layer_data(seed=0, n=64, d_in=1000, h=100, d_out=10):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, d_in)).astype("float32"), rng.standard_normal((n, d_out)).astype("float32")


def test_the_seed_two_layer_net_drops_its_loss_tenfold_in_500_sgd_steps():
    """N=64, D_in=1000, H=100, D_out=10, squared error, SGD, as in the classic tutorial."""
    x, y = two_layer_data()
    model = plugnet.Sequential([layers.Input(shape=(1000,)), layers.Dense(100, activation="relu"), layers.Dense(10)])
    model.compile(optimizer=plugnet.optimizers.SGD(learning_rate=1e-2), loss="mse")
    first = model.train_on_batch(x, y)
    for _ in range(499):
        last = model.train_on_batch(x, y)
    assert last < first / 10, (first, last)


def test_the_two_layer_net_by_hand_with_ops_and_a_tape():
    x, y = two_layer_data()
    rng = np.random.default_rng(1)
    w1 = plugnet.Variable(rng.standard_normal((1000, 100)) * 0.03)
    w2 = plugnet.Variable(rng.standard_normal((100, 10)) * 0.1)
    losses = []
    for _ in range(500):
        with GradientTape() as tape:
            y_pred = ops.matmul(ops.relu(ops.matmul(x, w1)), w2)
            loss = ops.sum(ops.square(ops.subtract(y_pred, y)))
        g1, g2 = tape.gradient(loss, [w1, w2])
        w1.assign_sub(g1 * 1e-4)
        w2.assign_sub(g2 * 1e-4)
        losses.append(float(ops.convert_to_numpy(loss)))
    assert losses[-1] < losses[0] / 10


def test_an_mlp_reaches_95_percent_on_the_digits_test_split():
    pytest.importorskip("sklearn")
    import importlib.util
    import pathlib

    spec = importlib.util.spec_from_file_location(
        "digits_mlp", pathlib.Path(__file__).resolve().parents[1] / "examples" / "digits_mlp.py")
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    accuracy = example.main(["--epochs", "30", "--verbose", "0"])
    assert accuracy >= 0.95
