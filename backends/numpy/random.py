"""Seeded sampling and dropout (NumPy)."""

from __future__ import annotations

import numpy as np

from .autograd import vjp
from .core import _dtype


def _rng(seed):
    return np.random.default_rng(seed)


def random_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    return _rng(seed).normal(mean, stddev, size=shape).astype(_dtype(dtype))


def random_uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    return _rng(seed).uniform(minval, maxval, size=shape).astype(_dtype(dtype))
