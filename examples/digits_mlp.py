"""Train an MLP on scikit-learn's handwritten digits (offline), on any backend.

    python examples/digits_mlp.py --backend numpy --epochs 30
"""

from __future__ import annotations

import argparse

import numpy as np


def load_digits_split(seed: int = 0, test_fraction: float = 0.25):
    """scikit-learn's 8x8 digits as float32 in [0, 1], split into train and test."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    x = (digits.images.reshape(len(digits.images), -1) / 16.0).astype("float32")
    y = digits.target.astype("int32")
    order = np.random.default_rng(seed).permutation(len(x))
    split = int(len(x) * (1 - test_fraction))
    train, test = order[:split], order[split:]
    return (x[train], y[train]), (x[test], y[test])


def build_model(plugnet):
    from plugnet import layers

    return plugnet.Sequential(
        [
            layers.Input(shape=(64,)),
            layers.Dense(128, activation="relu"),
            layers.Dropout(0.1),
            layers.Dense(64, activation="relu"),
            layers.Dense(10, activation="softmax"),
        ]
    )


def main(argv=None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default=None, help="numpy (default), torch, tensorflow, or a plugin's")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--verbose", type=int, default=1)
    args = parser.parse_args(argv)

    import plugnet

    if args.backend:
        plugnet.set_backend(args.backend)
    plugnet.utils.set_random_seed(0)
    (x_train, y_train), (x_test, y_test) = load_digits_split()

    model = build_model(plugnet)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    if args.verbose:
        model.summary()
    model.fit(x_train, y_train, batch_size=args.batch_size, epochs=args.epochs, validation_split=0.1,
              verbose=args.verbose)
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"backend={plugnet.backend.name()} test loss={loss:.4f} test accuracy={accuracy:.4f}")
    return accuracy


if __name__ == "__main__":
    main()
