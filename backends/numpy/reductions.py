"""Reductions: sums, means, extrema, arg-extrema, cumulative ops (NumPy).

Backward rules follow their forward definitions, with the conventions of
:mod:`plugnet.backends.numpy.math`.
"""

from __future__ import annotations

import numpy as np

from .autograd import vjp
from .math import _as_float, _axis, _count, _into, _keep, _kept_shape, _spread

# -- reduction -----------------------------------------------------------------


def sum(x, axis=None, keepdims=False):
    return np.add.reduce(x, axis=_axis(axis), keepdims=keepdims)


@vjp(sum)
def _(g, out, x, axis=None, keepdims=False):
    shape = np.shape(x)
    return _spread(_keep(g, keepdims, _kept_shape(shape, _axis(axis))), shape), None, None


def mean(x, axis=None, keepdims=False):
    axis = _axis(axis)
    if type(x) is np.ndarray and x.dtype.kind == "f" and x.dtype.itemsize >= 4:
        total = np.add.reduce(x, axis=axis, keepdims=keepdims)
        return total / (x.size // (total.size or 1))
    return np.mean(x, axis=axis, keepdims=keepdims)  # integers, float16: NumPy's accumulator choice


@vjp(mean)
def _(g, out, x, axis=None, keepdims=False):
    shape = np.shape(x)
    kept = _kept_shape(shape, _axis(axis))
    return _spread(_keep(g, keepdims, kept) / _count(shape, kept), shape), None, None


def max(x, axis=None, keepdims=False):
    return np.maximum.reduce(x, axis=_axis(axis), keepdims=keepdims)


def min(x, axis=None, keepdims=False):
    return np.minimum.reduce(x, axis=_axis(axis), keepdims=keepdims)


def _extreme_grad(g, out, x, axis, keepdims):
    """max/min: the gradient goes to the elements equal to the result, shared equally on ties."""
    x = np.asarray(x)
    axis = _axis(axis)
    kept = _kept_shape(x.shape, axis)
    hits = x == _keep(out, keepdims, kept)
    g = _keep(g, keepdims, kept)
    share = g / np.add.reduce(hits, axis=axis, keepdims=True, dtype=g.dtype)
    return hits * share, None, None


@vjp(max)
def _(g, out, x, axis=None, keepdims=False):
    return _extreme_grad(g, out, x, axis, keepdims)


@vjp(min)
def _(g, out, x, axis=None, keepdims=False):
    return _extreme_grad(g, out, x, axis, keepdims)


def prod(x, axis=None, keepdims=False):
    return np.multiply.reduce(x, axis=_axis(axis), keepdims=keepdims)


@vjp(prod)
def _(g, out, x, axis=None, keepdims=False):
    x = np.asarray(x)
    axis = _axis(axis)
    kept = _kept_shape(x.shape, axis)
    g = _keep(g, keepdims, kept)
    zeros = x == 0
    if not zeros.any():
        return g * (_keep(out, keepdims, kept) / x), None, None
    # With zeros, out / x fails: d out / d x_i is the product of the others,
    # nonzero only at the zero of a slice holding exactly one zero, or
    # everywhere in a slice holding none.
    nonzero = np.where(zeros, 1, x)
    others = np.multiply.reduce(nonzero, axis=axis, keepdims=True) / nonzero
    n_zeros = np.add.reduce(zeros, axis=axis, keepdims=True)
    return g * others * np.where(zeros, n_zeros == 1, n_zeros == 0), None, None


def var(x, axis=None, keepdims=False):
    return np.var(x, axis=_axis(axis), keepdims=keepdims)


def _centered(x, axis):
    """x minus its mean over axis, the reduced axes kept."""
    return x - np.mean(x, axis=axis, keepdims=True)


@vjp(var)
def _(g, out, x, axis=None, keepdims=False):
    x = np.asarray(x)
    axis = _axis(axis)
    kept = _kept_shape(x.shape, axis)
    return _centered(x, axis) * (_keep(g, keepdims, kept) * (2 / _count(x.shape, kept))), None, None


def std(x, axis=None, keepdims=False):
    return np.std(x, axis=_axis(axis), keepdims=keepdims)


@vjp(std)
def _(g, out, x, axis=None, keepdims=False):
    # d std / dx = (x - mean) / (n std); where std is 0 (a constant slice) the
    # derivative does not exist and 0 is used, so one flat slice cannot make
    # a whole update NaN.
    x = np.asarray(x)
    axis = _axis(axis)
    kept = _kept_shape(x.shape, axis)
    out = _keep(out, keepdims, kept)
    scale = _keep(g, keepdims, kept) / (np.where(out > 0, out, np.inf) * _count(x.shape, kept))
    return _centered(x, axis) * scale, None, None


def logsumexp(x, axis=None, keepdims=False):
    axis = _axis(axis)
    x = _as_float(x)
    m = np.maximum.reduce(x, axis=axis, keepdims=True)
    if not np.isfinite(m).all():  # an all -inf slice gives -inf, an inf gives inf: not NaN
        m = np.where(np.isfinite(m), m, 0)
    result = np.log(np.add.reduce(_into(np.exp, np.subtract(x, m)), axis=axis, keepdims=True))
    result += m
    return result if keepdims else np.squeeze(result, axis=axis)


@vjp(logsumexp)
def _(g, out, x, axis=None, keepdims=False):
    # the softmax of x over axis
    x = np.asarray(x)
    kept = _kept_shape(x.shape, _axis(axis))
    d = _into(np.exp, np.subtract(x, _keep(out, keepdims, kept)))
    d *= _keep(g, keepdims, kept)
    return d, None, None


cumsum = np.cumsum


@vjp(cumsum)
def _(g, out, x, axis=None):
    # Each input reaches every later output: a cumulative sum from the end.
    if axis is None:
        return np.flip(np.cumsum(np.flip(np.ravel(g)))).reshape(np.shape(x)), None
    return np.flip(np.cumsum(np.flip(g, axis), axis=axis), axis), None


def argmax(x, axis=None, keepdims=False):
    return np.argmax(x, axis=axis, keepdims=keepdims)


def argmin(x, axis=None, keepdims=False):
    return np.argmin(x, axis=axis, keepdims=keepdims)


def all(x, axis=None, keepdims=False):
    return np.all(x, axis=_axis(axis), keepdims=keepdims)


def any(x, axis=None, keepdims=False):
    return np.any(x, axis=_axis(axis), keepdims=keepdims)
