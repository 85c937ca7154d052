"""Elementwise and comparison ops (NumPy), and the helpers every backward rule shares.

Activations, reductions and linear algebra are in their own modules.

Each differentiable op's backward rule follows its forward definition. A rule
gets plain arrays (or the Python values the caller passed) and returns one
gradient per positional argument, each with that argument's shape and dtype;
it skips the work for arguments that can never carry a gradient (Python
numbers, integer arrays), and never writes into ``g``, ``out`` or an input.

Constants are Python floats on purpose: NumPy 2 treats them as "weak", so
float32 inputs stay float32, where an ``np.float64`` constant would promote.
Sums, maxima and products call the ufunc's ``reduce`` (``np.add.reduce``):
that is what ``np.sum`` runs, minus a layer of Python that costs more than the
arithmetic on small arrays. Ops that are exactly a NumPy ufunc are that ufunc,
so calling them costs no Python frame at all.
"""

from __future__ import annotations

import functools
import math as _math

import numpy as np

from .autograd import vjp, wants

# -- helpers shared by the backward rules ---------------------------------------


def unbroadcast(g, x):
    """``g`` summed down to the shape of ``x`` (undoing NumPy broadcasting), in ``x``'s float dtype."""
    if type(x) is np.ndarray:
        target, dtype = x.shape, x.dtype
    else:
        target, dtype = np.shape(x), getattr(x, "dtype", None)
    if g.shape != target:
        g = np.add.reduce(g, axis=_broadcast_axes(g.shape, target), keepdims=True).reshape(target)
    if dtype is not None and g.dtype != dtype and dtype.kind in "fc":
        g = g.astype(dtype)
    return g


@functools.lru_cache(maxsize=1024)
def _broadcast_axes(shape: tuple, target: tuple) -> tuple:
    """The axes of ``shape`` that broadcasting ``target`` to it created or stretched."""
    extra = len(shape) - len(target)
    stretched = (i + extra for i, n in enumerate(target) if n == 1 and shape[i + extra] != 1)
    return (*range(extra), *stretched)


_wants = wants
"""``_wants(x)``: whether the rule being run must compute the gradient of input ``x``."""


def _spread(g, shape):
    """``g`` broadcast to ``shape`` as a new, writable array.

    Cheaper than a read-only ``np.broadcast_to`` view on the small arrays where
    per-op overhead matters, and a gradient a user may update in place.
    """
    full = np.empty(shape, dtype=g.dtype)
    full[...] = g
    return full


def _axis(axis):
    """NumPy's spelling of a reduction axis: Keras also accepts lists."""
    return tuple(axis) if isinstance(axis, list) else axis


def _kept_shape(shape, axis) -> tuple:
    """The result shape of a reduction over ``axis`` with keepdims=True."""
    if axis is None:
        return (1,) * len(shape)
    axes = [a % len(shape) for a in (axis if isinstance(axis, tuple) else (axis,))]
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _keep(g, keepdims, kept_shape):
    """A reduction's result or gradient with its reduced axes back, as size 1."""
    return g if keepdims else g.reshape(kept_shape)


def _count(shape, kept_shape) -> int:
    """How many elements a reduction combines into each of its results."""
    return _math.prod(n for n, k in zip(shape, kept_shape) if n != k)


def _as_float(x):
    """``x`` as an ndarray of a float type (NumPy's choice, float64, for integers)."""
    x = np.asarray(x)
    return x if x.dtype.kind == "f" else x.astype(np.float64)


def _into(ufunc, a):
    """``ufunc(a)``, written over ``a``: only for a temporary made here (a NumPy
    scalar, from 0-d arithmetic, cannot be written over and gets a new result)."""
    return ufunc(a, out=a) if type(a) is np.ndarray else ufunc(a)


# -- elementwise ---------------------------------------------------------------


add = np.add


@vjp(add)
def _(g, out, x1, x2):
    return (unbroadcast(g, x1) if _wants(x1) else None,
            unbroadcast(g, x2) if _wants(x2) else None)


subtract = np.subtract


@vjp(subtract)
def _(g, out, x1, x2):
    return (unbroadcast(g, x1) if _wants(x1) else None,
            unbroadcast(np.negative(g), x2) if _wants(x2) else None)


multiply = np.multiply


@vjp(multiply)
def _multiply_grad(g, out, x1, x2):
    return (unbroadcast(g * x2, x1) if _wants(x1) else None,
            unbroadcast(g * x1, x2) if _wants(x2) else None)


divide = np.divide


@vjp(divide)
def _(g, out, x1, x2):
    w1, w2 = _wants(x1), _wants(x2)
    if not (w1 or w2):
        return None, None
    q = g / x2
    return (unbroadcast(q, x1) if w1 else None,
            unbroadcast(np.negative(q * out), x2) if w2 else None)


floor_divide = np.floor_divide


mod = np.mod


power = np.power


@vjp(power)
def _(g, out, x1, x2):
    g1 = g2 = None
    if _wants(x1):
        # Python numbers stay Python numbers (np.subtract would make a strong np.int64).
        exponent = x2 if isinstance(x2, (int, float, np.ndarray, np.generic)) else np.asarray(x2)
        g1 = unbroadcast(g * (exponent * np.power(x1, exponent - 1)), x1)
    if _wants(x2):
        # d/dx2 x1**x2 = out * log(x1), taken as 0 where x1 <= 0 (as TensorFlow does).
        positive = np.greater(x1, 0)
        log = np.log(np.where(positive, x1, 1))
        g2 = unbroadcast(g * out * log, x2)
    return g1, g2


maximum = np.maximum


minimum = np.minimum


def _select_grads(g, to_first, x1, x2):
    """Gradients of an op that picks x1 where ``to_first``, else x2."""
    return (unbroadcast(np.where(to_first, g, 0), x1) if _wants(x1) else None,
            unbroadcast(np.where(to_first, 0, g), x2) if _wants(x2) else None)


@vjp(maximum)
def _(g, out, x1, x2):
    return _select_grads(g, np.greater_equal(x1, x2), x1, x2)


@vjp(minimum)
def _(g, out, x1, x2):
    return _select_grads(g, np.less_equal(x1, x2), x1, x2)


negative = np.negative


@vjp(negative)
def _(g, out, x):
    return np.negative(g)


def abs(x):
    return np.abs(x)


@vjp(abs)
def _(g, out, x):
    return g * np.sign(x)


sign = np.sign


square = np.square


@vjp(square)
def _(g, out, x):
    d = np.multiply(x, 2)
    d *= g
    return d


sqrt = np.sqrt


@vjp(sqrt)
def _(g, out, x):
    return g / (out * 2)


def rsqrt(x):
    return np.divide(1, np.sqrt(x))


@vjp(rsqrt)
def _(g, out, x):
    # d/dx x**-0.5 = -0.5 * x**-1.5 = -0.5 * out**3
    return g * (out * np.square(out) * -0.5)


def reciprocal(x):
    return np.divide(1, x)


@vjp(reciprocal)
def _(g, out, x):
    return np.negative(g * np.square(out))


exp = np.exp


@vjp(exp)
def _(g, out, x):
    return g * out


expm1 = np.expm1


@vjp(expm1)
def _(g, out, x):
    return g * (out + 1)


log = np.log


@vjp(log)
def _(g, out, x):
    return g / x


log1p = np.log1p


@vjp(log1p)
def _(g, out, x):
    return g / np.add(x, 1)


sin = np.sin


@vjp(sin)
def _(g, out, x):
    return g * np.cos(x)


cos = np.cos


@vjp(cos)
def _(g, out, x):
    return np.negative(g * np.sin(x))


tanh = np.tanh


@vjp(tanh)
def _(g, out, x):
    d = 1 - np.square(out)
    d *= g
    return d


floor = np.floor


ceil = np.ceil


def round(x, decimals=0):
    return np.round(x, decimals)


clip = np.clip


@vjp(clip)
def _(g, out, x, x_min, x_max):
    # np.clip is minimum(maximum(x, x_min), x_max): with x_min > x_max every
    # element is x_max. A bound of None is no bound.
    lower = -np.inf if x_min is None else x_min
    upper = np.inf if x_max is None else x_max
    above = np.greater_equal(x, lower)
    below = np.less_equal(x, upper)
    ordered = np.less_equal(lower, upper)
    return (unbroadcast(g * (above & below), x) if _wants(x) else None,
            unbroadcast(g * (~above & ordered), x_min) if _wants(x_min) else None,
            unbroadcast(g * (~below | ~ordered), x_max) if _wants(x_max) else None)


where = np.where


@vjp(where)
def _(g, out, condition, x1, x2):
    return (None,) + _select_grads(g, condition, x1, x2)


# -- comparison ----------------------------------------------------------------


equal = np.equal


not_equal = np.not_equal


less = np.less


less_equal = np.less_equal


greater = np.greater


greater_equal = np.greater_equal


logical_and = np.logical_and


logical_or = np.logical_or


logical_not = np.logical_not


isnan = np.isnan


isinf = np.isinf


isfinite = np.isfinite
