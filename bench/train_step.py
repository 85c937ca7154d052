"""Train-step speed of plugnet against hand-written native loops (and Keras 3), in one run.

For each backend and model, plugnet (``train_on_batch`` and ``fit``), the
native loop of the same framework (``bench/natives.py``) and, when Keras 3 is
installed, Keras on the same framework start from the same weights and see the
same batches; their rounds alternate so that machine noise hits all alike.
Each backend runs in its own process (Keras fixes its backend at import). The
order of the contenders rotates from round to round: a loop that runs right
after another finds the caches full of that loop's code and data, and pays
for it (about 3 % of a two-layer step on NumPy), so no one may always go second.

    python bench/train_step.py                       # every installed backend
    python bench/train_step.py --backends numpy torch --rounds 10
    python bench/train_step.py --models cnn
    OPENBLAS_NUM_THREADS=1 python bench/train_step.py --threads 1   # one thread everywhere

Models:
  two-layer  the seed net: 64x1000 -> 100 (relu) -> 10, squared error, SGD
  mlp        784-256-256-10 relu, softmax cross-entropy, batch 128, SGD
  cnn        Conv 32 3x3 relu, MaxPool 2, Conv 64 3x3 relu, MaxPool 2, Flatten,
             Dense 10 on 28x28x1 images; softmax cross-entropy, batch 128, Adam

Prints median milliseconds per step and the ratios to native: ``train_on_batch`` against
the native step on one prepared batch, ``fit`` against the native loop over the same
epoch of batches (``native epoch``: each step a fresh slice of the arrays, as in fit).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def _one_hot_batches(rng, steps, shape):
    return [(rng.random((128, *shape), dtype=np.float32), np.eye(10, dtype="float32")[rng.integers(0, 10, 128)])
            for _ in range(steps)]


def two_layer_spec():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 1000)).astype("float32")
    y = rng.standard_normal((64, 10)).astype("float32")
    return dict(name="two-layer", kind="dense", sizes=[1000, 100, 10], batches=[(x, y)], loss="mse", lr=1e-4,
                repeats=80)


def mlp_spec():
    batches = _one_hot_batches(np.random.default_rng(1), 8, (784,))
    return dict(name="mlp", kind="dense", sizes=[784, 256, 256, 10], batches=batches, loss="ce", lr=1e-2, repeats=6)


def cnn_spec():
    batches = _one_hot_batches(np.random.default_rng(2), 4, (28, 28, 1))
    return dict(name="cnn", kind="cnn", shapes=[(3, 3, 1, 32), (3, 3, 32, 64), (1600, 10)], batches=batches,
                loss="ce", lr=1e-3, repeats=1)


SPECS = {"two-layer": two_layer_spec, "mlp": mlp_spec, "cnn": cnn_spec}


def initial_weights(spec, seed=0):
    """Glorot-uniform kernels and zero biases, in Keras's layout."""
    rng = np.random.default_rng(seed)
    shapes = spec.get("shapes") or list(zip(spec["sizes"][:-1], spec["sizes"][1:]))
    weights = []
    for shape in shapes:
        receptive = int(np.prod(shape[:-2]))
        limit = np.sqrt(6 / (receptive * (shape[-2] + shape[-1])))
        weights += [rng.uniform(-limit, limit, shape).astype("float32"), np.zeros(shape[-1], "float32")]
    return weights


def build(lib, spec):
    """The model in plugnet or Keras (same API)."""
    layers = lib.layers
    if spec["kind"] == "cnn":
        return lib.Sequential([layers.Input(shape=(28, 28, 1)), layers.Conv2D(32, 3, activation="relu"),
                               layers.MaxPooling2D(2), layers.Conv2D(64, 3, activation="relu"),
                               layers.MaxPooling2D(2), layers.Flatten(), layers.Dense(10)])
    sizes = spec["sizes"]
    return lib.Sequential([layers.Input(shape=(sizes[0],))]
                          + [layers.Dense(n, activation="relu") for n in sizes[1:-1]]
                          + [layers.Dense(sizes[-1])])


def compiled(lib, spec):
    model = build(lib, spec)
    loss = "mse" if spec["loss"] == "mse" else lib.losses.CategoricalCrossentropy(from_logits=True)
    optimizer = lib.optimizers.Adam if spec["kind"] == "cnn" else lib.optimizers.SGD
    model.compile(optimizer=optimizer(learning_rate=spec["lr"]), loss=loss)
    model.set_weights(initial_weights(spec))
    return model


def native_loop(backend, spec):
    from natives import NATIVE
    from natives_cnn import NATIVE_CNN

    if spec["kind"] == "cnn":
        return NATIVE_CNN[backend](initial_weights(spec), spec["lr"])
    return NATIVE[backend](initial_weights(spec), spec["lr"], spec["loss"])


def per_step(fn, batches, repeats):
    start = time.perf_counter()
    for _ in range(repeats):
        for x, y in batches:
            fn(x, y)
    return (time.perf_counter() - start) / (repeats * len(batches))


FIT_STEPS = 48


def epoch_data(batches, repeats):
    """The batches, cycled to at least FIT_STEPS steps, as one array each for x and y: an epoch's
    data. ``fit``'s setup per call (adapter, callbacks, history) is then spread over an epoch's worth
    of steps, as in real use."""
    cycles = max(repeats, -(-FIT_STEPS // len(batches)))
    x = np.concatenate([b[0] for b in batches] * cycles)
    y = np.concatenate([b[1] for b in batches] * cycles)
    return x, y, len(batches[0][0])


def fit_per_step(model, data):
    """One epoch of ``fit`` over ``data`` (from :func:`epoch_data`), per step."""
    x, y, size = data
    start = time.perf_counter()
    model.fit(x, y, batch_size=size, epochs=1, shuffle=False, verbose=0)
    return (time.perf_counter() - start) / (len(x) // size)


def native_epoch_per_step(native, data):
    """The native loop over the same epoch, per step: each batch a slice of the arrays, made the
    framework's tensor as a hand-written loop would (a view for NumPy and torch, a copy for TensorFlow).

    This, not the step on one prepared batch, is what ``fit`` does natively: every step reads a
    batch it has not seen yet, so the data comes cold from memory (and TensorFlow copies it in).
    """
    x, y, size = data
    start = time.perf_counter()
    for i in range(0, len(x) - size + 1, size):
        native.step(*native.prepare(x[i:i + size], y[i:i + size]))
    return (time.perf_counter() - start) / (len(x) // size)


def limit_threads(backend, threads):
    """Give the framework ``threads`` CPU threads (NumPy's BLAS reads OPENBLAS_NUM_THREADS at import)."""
    if backend == "torch":
        import torch

        torch.set_num_threads(threads)
    elif backend == "tensorflow":
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)


def bench_backend(backend, rounds, models, threads=None):
    """Runs in a child process: the models on one backend; returns a dict of timings."""
    os.environ["KERAS_BACKEND"] = backend
    sys.path.insert(0, HERE)
    if threads:
        limit_threads(backend, threads)
    import plugnet

    plugnet.set_backend(backend)
    try:
        import keras
    except ImportError:
        keras = None
    if backend == "numpy":
        keras = None  # Keras 3's NumPy backend cannot train
    return {name: bench_model(plugnet, keras, backend, SPECS[name](), rounds) for name in models}


def bench_model(plugnet, keras, backend, spec, rounds):
    """Median seconds per step of each contender on one model (``keras`` None: without Keras)."""
    native = native_loop(backend, spec)
    native_batches = [native.prepare(x, y) for x, y in spec["batches"]]
    ours = compiled(plugnet, spec)
    our_batches = [(plugnet.ops.convert_to_tensor(x), plugnet.ops.convert_to_tensor(y)) for x, y in spec["batches"]]
    fit_model = compiled(plugnet, spec)
    # Same weights, same batch: the first losses agree.
    first = native.step(*native_batches[0])
    mine = float(ours.train_on_batch(*our_batches[0]))
    assert abs(first - mine) <= 1e-4 * abs(first), (spec["name"], first, mine)
    fit_model.train_on_batch(*spec["batches"][0])
    epoch = epoch_data(spec["batches"], spec["repeats"])
    timed = {
        "native": lambda: per_step(native.step, native_batches, spec["repeats"]),
        "train_on_batch": lambda: per_step(ours.train_on_batch, our_batches, spec["repeats"]),
        "native_epoch": lambda: native_epoch_per_step(native, epoch),
        "fit": lambda: fit_per_step(fit_model, epoch),
    }
    if keras is not None:
        theirs = compiled(keras, spec)
        theirs.train_on_batch(*spec["batches"][0])
        # Keras, as plugnet, gets each batch as tensors made once (in its own layout).
        keras_batches = [(keras.ops.convert_to_tensor(x), keras.ops.convert_to_tensor(y)) for x, y in spec["batches"]]
        timed["keras"] = lambda: per_step(theirs.train_on_batch, keras_batches, spec["repeats"])
    times = {name: [] for name in timed}
    order = list(timed)
    for round_ in range(rounds):
        # Each round starts one later: whatever runs right after another loop finds the caches full
        # of that loop's code and data, and no contender should always be the one that does.
        for name in order[round_ % len(order):] + order[:round_ % len(order)]:
            times[name].append(timed[name]())
    return {name: statistics.median(values) for name, values in times.items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description="plugnet vs native train-step time")
    parser.add_argument("--backends", nargs="*", default=["numpy", "torch", "tensorflow"])
    parser.add_argument("--models", nargs="*", default=list(SPECS), choices=list(SPECS))
    parser.add_argument("--rounds", type=int, default=20,
                        help="rounds per contender (a multiple of 4 and 5 puts each in every position equally)")
    parser.add_argument("--threads", type=int, default=None,
                        help="CPU threads for torch and TensorFlow (both sides alike; default: theirs)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(bench_backend(args.child, args.rounds, args.models, args.threads)))
        return
    import plugnet

    available = plugnet.backend.available()
    print(f"median of {args.rounds} rounds, ms per step; ratio = x / native (fit: / native epoch)")
    header = (f"{'backend':<11}{'model':<11}{'native':>8}{'train_on_batch':>16}{'ratio':>7}"
              f"{'native epoch':>14}{'fit':>8}{'ratio':>7}")
    print(header + f"{'keras':>8}{'ratio':>7}")
    for backend in args.backends:
        if not available.get(backend) or not available[backend].installed:
            print(f"{backend:<11}(not installed)")
            continue
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
        out = subprocess.run([sys.executable, __file__, "--child", backend, "--rounds", str(args.rounds),
                              "--models", *args.models, *(["--threads", str(args.threads)] if args.threads else [])],
                             capture_output=True, text=True, env=env)
        if out.returncode:
            print(f"{backend:<11}failed:\n{out.stderr[-2000:]}")
            continue
        for model, t in json.loads(out.stdout.strip().splitlines()[-1]).items():
            line = (f"{backend:<11}{model:<11}{t['native'] * 1e3:>8.3f}{t['train_on_batch'] * 1e3:>16.3f}"
                    f"{t['train_on_batch'] / t['native']:>7.2f}{t['native_epoch'] * 1e3:>14.3f}"
                    f"{t['fit'] * 1e3:>8.3f}{t['fit'] / t['native_epoch']:>7.2f}")
            if "keras" in t:
                line += f"{t['keras'] * 1e3:>8.3f}{t['keras'] / t['native']:>7.2f}"
            print(line)


if __name__ == "__main__":
    main()
