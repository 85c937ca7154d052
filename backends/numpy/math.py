"""Elementwise, comparison, activation, reduction and linear-algebra ops (NumPy).

Each differentiable op's backward rule follows its forward definition.
"""

from __future__ import annotations

import numpy as np

from .autograd import vjp


def unbroadcast(g, x):
    """Sum ``g`` down to the shape of ``x``, undoing NumPy broadcasting."""
    target = np.shape(x)
    if g.shape == target:
        return g
    extra = g.ndim - len(target)
    if extra:
        g = g.sum(axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(target) if n == 1 and g.shape[i] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return g


def add(x1, x2):
    return np.add(x1, x2)


@vjp(add)
def _(g, out, x1, x2):
    return unbroadcast(g, x1), unbroadcast(g, x2)


def subtract(x1, x2):
    return np.subtract(x1, x2)


@vjp(subtract)
def _(g, out, x1, x2):
    return unbroadcast(g, x1), unbroadcast(-g, x2)


def multiply(x1, x2):
    return np.multiply(x1, x2)


@vjp(multiply)
def _(g, out, x1, x2):
    return unbroadcast(g * x2, x1), unbroadcast(g * x1, x2)


def relu(x):
    return np.maximum(x, 0)


@vjp(relu)
def _(g, out, x):
    return g * (out > 0)


def matmul(x1, x2):
    return np.matmul(x1, x2)


@vjp(matmul)
def _(g, out, x1, x2):
    x1, x2 = np.asarray(x1), np.asarray(x2)
    if x1.ndim == 2 and x2.ndim == 2:
        return g @ x2.T, x1.T @ g
    raise NotImplementedError


def sum(x, axis=None, keepdims=False):
    return np.sum(x, axis=axis, keepdims=keepdims)


@vjp(sum)
def _(g, out, x, axis=None, keepdims=False):
    shape = np.shape(x)
    if not keepdims and axis is not None:
        g = np.expand_dims(g, axis)
    return np.broadcast_to(g, shape)


def mean(x, axis=None, keepdims=False):
    return np.mean(x, axis=axis, keepdims=keepdims)


@vjp(mean)
def _(g, out, x, axis=None, keepdims=False):
    shape = np.shape(x)
    count = np.size(x) // max(np.size(out), 1)
    if not keepdims and axis is not None:
        g = np.expand_dims(g, axis)
    return np.broadcast_to(g / count, shape)
