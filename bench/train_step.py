"""Train-step speed of plugnet against a hand-written native loop, in one run.

For each model, plugnet (``train_on_batch`` and ``fit``) and the native loop
start from the same weights and see the same batches; their rounds alternate
so that machine noise hits both alike. Prints median step times and the ratio
plugnet / native.

    python bench/train_step.py                 # NumPy backend
    python bench/train_step.py --rounds 9

Models:
  two-layer  the seed net: 64x1000 -> 100 (relu) -> 10, squared error, SGD
  mlp        784-256-256-10 relu, softmax cross-entropy, batch 128, SGD
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

import plugnet
from plugnet import layers


def two_layer_spec():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 1000)).astype("float32")
    y = rng.standard_normal((64, 10)).astype("float32")
    return dict(name="two-layer", sizes=[1000, 100, 10], batches=[(x, y)], loss="mse", lr=1e-4, sum_loss=True)


def mlp_spec(steps=20):
    rng = np.random.default_rng(1)
    batches = []
    for _ in range(steps):
        x = rng.random((128, 784), dtype=np.float32)
        y = rng.integers(0, 10, 128)
        batches.append((x, np.eye(10, dtype="float32")[y]))
    return dict(name="mlp", sizes=[784, 256, 256, 10], batches=batches, loss="categorical_crossentropy", lr=1e-2,
                sum_loss=False)


def initial_weights(sizes, seed=0):
    rng = np.random.default_rng(seed)
    weights = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        limit = np.sqrt(6 / (fan_in + fan_out))
        weights += [rng.uniform(-limit, limit, (fan_in, fan_out)).astype("float32"), np.zeros(fan_out, "float32")]
    return weights


# -- the native NumPy loop: forward, backward and update written by hand ------


class NumpyNet:
    def __init__(self, spec):
        self.w = [w.copy() for w in initial_weights(spec["sizes"])]
        self.lr = spec["lr"]
        self.kind = spec["loss"]

    def step(self, x, y):
        w = self.w
        n_layers = len(w) // 2
        acts = [x]
        for i in range(n_layers):
            z = acts[-1] @ w[2 * i] + w[2 * i + 1]
            acts.append(np.maximum(z, 0) if i < n_layers - 1 else z)
        out = acts[-1]
        if self.kind == "mse":
            diff = out - y
            loss = np.mean(np.square(diff))
            g = diff * (2.0 / diff.size)
        else:
            shifted = out - out.max(axis=1, keepdims=True)
            p = np.exp(shifted)
            p /= p.sum(axis=1, keepdims=True)
            loss = -np.mean(np.sum(y * np.log(np.clip(p, 1e-7, 1.0)), axis=1))
            g = (p - y) / len(y)
        for i in reversed(range(n_layers)):
            gw = acts[i].T @ g
            gb = g.sum(axis=0)
            if i:
                g = (g @ w[2 * i].T) * (acts[i] > 0)
            w[2 * i] -= self.lr * gw
            w[2 * i + 1] -= self.lr * gb
        return loss


def plugnet_model(spec):
    model = plugnet.Sequential([layers.Input(shape=(spec["sizes"][0],))]
                               + [layers.Dense(n, activation="relu") for n in spec["sizes"][1:-1]]
                               + [layers.Dense(spec["sizes"][-1])])
    loss = "mse" if spec["loss"] == "mse" else plugnet.losses.CategoricalCrossentropy(from_logits=True)
    model.compile(optimizer=plugnet.optimizers.SGD(learning_rate=spec["lr"]), loss=loss)
    model.set_weights(initial_weights(spec["sizes"]))
    return model


def time_native(net, batches, repeats):
    start = time.perf_counter()
    for _ in range(repeats):
        for x, y in batches:
            net.step(x, y)
    return (time.perf_counter() - start) / (repeats * len(batches))


def time_train_on_batch(model, batches, repeats):
    start = time.perf_counter()
    for _ in range(repeats):
        for x, y in batches:
            model.train_on_batch(x, y)
    return (time.perf_counter() - start) / (repeats * len(batches))


def time_fit(model, batches, repeats):
    x = np.concatenate([b[0] for b in batches] * repeats)
    y = np.concatenate([b[1] for b in batches] * repeats)
    batch = len(batches[0][0])
    start = time.perf_counter()
    model.fit(x, y, batch_size=batch, epochs=1, shuffle=False, verbose=0)
    return (time.perf_counter() - start) / (len(x) // batch)


def bench(spec, rounds, repeats):
    native = NumpyNet(spec)
    tob = plugnet_model(spec)
    fit_model = plugnet_model(spec)
    x, y = spec["batches"][0]
    native_loss, tob_loss = native.step(x, y), tob.train_on_batch(x, y)
    fit_model.train_on_batch(x, y)
    assert abs(native_loss - tob_loss) <= 1e-4 * abs(native_loss), (native_loss, tob_loss)
    times = {"native": [], "train_on_batch": [], "fit": []}
    for _ in range(rounds):
        times["native"].append(time_native(native, spec["batches"], repeats))
        times["train_on_batch"].append(time_train_on_batch(tob, spec["batches"], repeats))
        times["fit"].append(time_fit(fit_model, spec["batches"], repeats))
    return {k: statistics.median(v) for k, v in times.items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description="plugnet vs native train-step time")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args(argv)
    plugnet.set_backend("numpy")
    print(f"backend: {plugnet.backend.name()}  (median of {args.rounds} rounds, ms per step)")
    print(f"{'model':<11}{'native':>9}{'train_on_batch':>16}{'ratio':>7}{'fit':>9}{'ratio':>7}")
    for spec in (two_layer_spec(), mlp_spec()):
        t = bench(spec, args.rounds, args.repeats if spec["name"] == "two-layer" else max(1, args.repeats // 5))
        print(f"{spec['name']:<11}{t['native'] * 1e3:>9.3f}{t['train_on_batch'] * 1e3:>16.3f}"
              f"{t['train_on_batch'] / t['native']:>7.2f}{t['fit'] * 1e3:>9.3f}{t['fit'] / t['native']:>7.2f}")


if __name__ == "__main__":
    main()
