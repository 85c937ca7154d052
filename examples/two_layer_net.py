"""Fit a two-layer ReLU network to random data three ways, on any backend.

The classic warm-up problem: N=64 samples of D_in=1000 random features, one
hidden layer of H=100 ReLU units, D_out=10 random targets, squared error.

1. ``plugnet.ops`` + ``plugnet.GradientTape`` by hand: two Variables, the
   forward pass written with ops, plain SGD updates with ``assign_sub``;
2. ``Sequential`` + ``compile(SGD)`` + ``fit``;
3. a custom training loop: the same layers, ``GradientTape`` and
   ``optimizer.apply_gradients``.

    python examples/two_layer_net.py --backend torch --steps 200
"""

from __future__ import annotations

import argparse

import numpy as np

N, D_IN, H, D_OUT = 64, 1000, 100, 10
# The summed squared error of the by-hand version is 640x the mean squared
# error of the Keras-style ones, hence its much smaller learning rate.
BY_HAND_LEARNING_RATE = 1e-6
KERAS_LEARNING_RATE = 0.5


def make_data(seed: int = 0):
    """Random inputs and targets, float32, as host arrays."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, D_IN)).astype("float32")
    y = rng.standard_normal((N, D_OUT)).astype("float32")
    return x, y


def _report(name: str, step: int, steps: int, loss: float) -> None:
    if step == 0 or step == steps - 1 or (step + 1) % max(1, steps // 5) == 0:
        print(f"  [{name}] step {step + 1:4d}/{steps}: loss {loss:.6g}")


def train_by_hand(plugnet, x, y, steps: int, seed: int = 0) -> list[float]:
    """Variables, ops and a tape; the update ``w -= lr * grad`` written out."""
    from plugnet import ops

    rng = np.random.default_rng(seed + 1)
    w1 = plugnet.Variable(rng.standard_normal((D_IN, H)).astype("float32"), name="w1")
    w2 = plugnet.Variable(rng.standard_normal((H, D_OUT)).astype("float32"), name="w2")
    x, y = ops.convert_to_tensor(x), ops.convert_to_tensor(y)
    losses = []
    for step in range(steps):
        with plugnet.GradientTape() as tape:
            y_pred = ops.matmul(ops.relu(ops.matmul(x, w1)), w2)
            loss = ops.sum(ops.square(ops.subtract(y_pred, y)))
        grad_w1, grad_w2 = tape.gradient(loss, [w1, w2])
        w1.assign_sub(ops.multiply(grad_w1, BY_HAND_LEARNING_RATE))
        w2.assign_sub(ops.multiply(grad_w2, BY_HAND_LEARNING_RATE))
        losses.append(float(ops.convert_to_numpy(loss)))
        _report("ops + GradientTape", step, steps, losses[-1])
    return losses


def build_model(plugnet):
    from plugnet import layers

    return plugnet.Sequential(
        [layers.Input(shape=(D_IN,)), layers.Dense(H, activation="relu"), layers.Dense(D_OUT)]
    )


def train_with_fit(plugnet, x, y, steps: int) -> list[float]:
    """``compile`` + ``fit``: one full batch per epoch, so one epoch is one step."""
    model = build_model(plugnet)
    model.compile(optimizer=plugnet.optimizers.SGD(learning_rate=KERAS_LEARNING_RATE), loss="mse")
    history = model.fit(x, y, batch_size=N, epochs=steps, shuffle=False, verbose=0)
    losses = [float(v) for v in history.history["loss"]]
    for step, loss in enumerate(losses):
        _report("Sequential.fit", step, steps, loss)
    return losses


def train_custom_loop(plugnet, x, y, steps: int) -> list[float]:
    """Layers for the forward pass, a tape for the gradients, an optimizer for the update."""
    from plugnet import ops

    model = build_model(plugnet)
    loss_fn = plugnet.losses.MeanSquaredError()
    optimizer = plugnet.optimizers.SGD(learning_rate=KERAS_LEARNING_RATE)
    x, y = ops.convert_to_tensor(x), ops.convert_to_tensor(y)
    losses = []
    for step in range(steps):
        with plugnet.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        losses.append(float(ops.convert_to_numpy(loss)))
        _report("custom loop", step, steps, losses[-1])
    return losses


def main(argv=None) -> tuple[float, float, float]:
    """Train all three ways; returns each one's final loss divided by its first."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default=None, help="numpy (default), torch, tensorflow, or a plugin's")
    parser.add_argument("--steps", type=int, default=500)
    args = parser.parse_args(argv)
    if args.steps < 2:
        parser.error(f"--steps must be at least 2 to see the loss fall, got {args.steps}")

    import plugnet

    if args.backend:
        plugnet.set_backend(args.backend)
    plugnet.utils.set_random_seed(0)
    x, y = make_data()
    print(f"backend={plugnet.backend.name()}")
    ratios = []
    for train in (train_by_hand, train_with_fit, train_custom_loop):
        losses = train(plugnet, x, y, args.steps)
        ratios.append(losses[-1] / losses[0])
    print("final/initial loss: " + ", ".join(f"{r:.3g}" for r in ratios))
    return tuple(ratios)


if __name__ == "__main__":
    main()
