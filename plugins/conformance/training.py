"""The training smoke test: a small MLP learns with ``Model.fit`` on the backend under test.

It exercises, end to end, what the op checks test one by one: layers, losses,
metrics, the optimizer's in-place updates, the trainer's compiled step
(``compile_step``/``graph_steps``) and the tape behind it.
"""

from __future__ import annotations

import numpy as np

import plugnet
from plugnet import layers

from .expect import expect

EPOCHS = 15
LOSS_DROP = 0.5  # the last epoch's loss must be below this fraction of the first's
MIN_ACCURACY = 0.95


def xor_data(n: int = 256, margin: float = 0.1):
    """Points of the square (-1, 1)^2 labelled by the sign of x * y, kept ``margin`` from both axes.

    Separable (with a margin) but not linearly: the hidden layer has to learn.
    Float32 host arrays; the same numbers every call.
    """
    rng = np.random.default_rng(0)
    x = rng.uniform(-1.0, 1.0, (4 * n, 2))
    x = x[np.minimum(np.abs(x[:, 0]), np.abs(x[:, 1])) > margin][:n].astype("float32")
    y = ((x[:, 0] > 0) != (x[:, 1] > 0)).astype("float32")[:, None]
    return x, y


def mlp_learns() -> str:
    """Model.fit: an MLP learns a separable problem (XOR with a margin)"""
    plugnet.utils.set_random_seed(0)
    x, y = xor_data()
    model = plugnet.Sequential(
        [layers.Input((2,)), layers.Dense(16, activation="relu"), layers.Dense(1, activation="sigmoid")]
    )
    model.compile(optimizer=plugnet.optimizers.Adam(learning_rate=0.05), loss="binary_crossentropy",
                  metrics=["accuracy"])
    # 256 samples in batches of 32: every batch has one shape, so a compiled step traces once.
    losses = model.fit(x, y, batch_size=32, epochs=EPOCHS, verbose=0).history["loss"]
    accuracy = model.evaluate(x, y, batch_size=32, verbose=0, return_dict=True)["accuracy"]
    expect(np.all(np.isfinite(losses)), f"the training loss became {losses[-1]} (not finite)")
    expect(losses[-1] < LOSS_DROP * losses[0],
           f"the loss fell from {losses[0]:.4f} to only {losses[-1]:.4f} in {EPOCHS} epochs, expected below "
           f"{LOSS_DROP * losses[0]:.4f}")
    expect(accuracy >= MIN_ACCURACY, f"accuracy {accuracy:.3f} after {EPOCHS} epochs, expected >= {MIN_ACCURACY}")
    return f"loss {losses[0]:.3f} -> {losses[-1]:.3f}, accuracy {accuracy:.2f}"


CHECKS = (mlp_learns,)
