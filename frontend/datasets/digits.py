"""scikit-learn's handwritten digits: 1,797 images of 8x8 pixels, bundled with scikit-learn (offline).

A small stand-in for MNIST that needs no download: the same
``(x_train, y_train), (x_test, y_test)`` form, uint8 images scaled to 0..255
and uint8 labels 0..9, so code written for one runs on the other.
"""

from __future__ import annotations

import numpy as np

DEFAULT_SEED = 113  # the seed Keras's datasets use for their splits
_SOURCE_MAX = 16  # scikit-learn's pixels count dark cells in a 4x4 block: 0..16


def load_data(test_split: float = 0.2, seed: int = DEFAULT_SEED):
    """The digits, shuffled with ``seed`` and split into a training and a test part.

    Args:
        test_split: the fraction of the 1,797 samples held out for testing
            (``0 <= test_split < 1``).
        seed: the seed of the shuffle; the same seed gives the same split.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: uint8 images of shape
        ``(n, 8, 8)`` with values 0..255 (scikit-learn's 0..16 scaled by
        255/16 and rounded, so that they look like MNIST's), and uint8
        labels 0..9 of shape ``(n,)``. The test part has the last
        ``n - int(n * (1 - test_split))`` samples of the shuffled order.

    Raises:
        ImportError: scikit-learn is not installed (``pip install scikit-learn``).

    Example:
        >>> (x_train, y_train), (x_test, y_test) = plugnet.datasets.digits.load_data()
        >>> x_train.shape, x_test.shape
        ((1437, 8, 8), (360, 8, 8))
    """
    if not 0.0 <= float(test_split) < 1.0:
        raise ValueError(f"digits.load_data: test_split must be in [0, 1), got {test_split!r}.")
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise ImportError(
            "plugnet.datasets.digits reads the digits bundled with scikit-learn, which is not installed: "
            "pip install scikit-learn"
        ) from None
    digits = load_digits()
    images = np.round(digits.images * (255.0 / _SOURCE_MAX)).astype(np.uint8)
    labels = digits.target.astype(np.uint8)
    order = np.random.default_rng(seed).permutation(len(images))
    split = int(len(images) * (1.0 - float(test_split)))
    train, test = order[:split], order[split:]
    return (images[train], labels[train]), (images[test], labels[test])
