"""Elementwise, comparison, activation, reduction and linear-algebra ops (NumPy).

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

import builtins
import functools
import math as _math
import string

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


def _wants(x) -> bool:
    """Whether the rule being run must compute the gradient of input ``x``."""
    return wants(x)


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


# -- the error function (NumPy has none; gelu's exact form needs it) -------------


class _Interpolant:
    """A polynomial approximation of ``fn`` on ``[lo, hi]``, evaluated by Horner's rule.

    The polynomial is ``fn``'s Chebyshev interpolant (near-minimax), truncated
    per dtype, so float32 inputs pay only for float32 accuracy, and rewritten in
    powers of ``t``, ``[lo, hi]`` mapped onto ``[-1, 1]``, where the powers
    stay small and Horner's rule loses nothing. Built once, from ``fn`` itself
    (a float -> float function).
    """

    def __init__(self, fn, lo: float, hi: float, degree: int):
        cheb = np.polynomial.chebyshev
        t = cheb.chebpts1(degree + 1)
        coef = cheb.chebfit(t, [fn(lo + (float(ti) + 1) * (hi - lo) / 2) for ti in t], degree)
        tail = np.cumsum(np.abs(coef[::-1]))[::-1]  # tail[k]: what dropping terms k.. costs at most
        self._powers = {}
        for kind, tol in (("single", 1e-9), ("double", 0.0)):
            keep = builtins.max(int(np.count_nonzero(tail > tol)), 2)
            self._powers[kind] = [float(c) for c in cheb.cheb2poly(coef[:keep])]
        self._scale = 2 / (hi - lo)
        self._shift = (hi + lo) / (hi - lo)

    def __call__(self, x):
        """The polynomial at ``x`` (a float ndarray, at least 1-d, within [lo, hi]), in ``x``'s dtype."""
        powers = self._powers["double" if x.dtype.itemsize >= 8 else "single"]
        t = x * self._scale
        t -= self._shift
        acc = t * powers[-1]
        acc += powers[-2]
        for c in powers[-3::-1]:
            acc *= t
            acc += c
        return acc


_ERF_SPLIT = 2.0  # below: erf(a) = a * P(a**2); above: erf(a) = 1 - exp(-a**2) * Q(a)
_ERF_ONE = 6.0  # erfc(6) = 2e-17: erf is 1.0 in double precision from here on


@functools.cache
def _erf_pieces():
    def near(s):  # erf(sqrt(s)) / sqrt(s), smooth in s
        return 2 / _math.sqrt(_math.pi) if s == 0 else _math.erf(_math.sqrt(s)) / _math.sqrt(s)

    def far(a):  # erfc(a) * exp(a**2), smooth and slowly varying
        return _math.erfc(a) * _math.exp(a * a)

    return _Interpolant(near, 0.0, _ERF_SPLIT**2, 17), _Interpolant(far, _ERF_SPLIT, _ERF_ONE, 24)


def _erf(x):
    """The error function of a float ndarray: about 2e-15 relative in float64, 1.5e-7 in float32."""
    if x.ndim == 0:
        return _erf(x.reshape(1)).reshape(())
    near, far = _erf_pieces()
    a = np.abs(x)
    small = a < _ERF_SPLIT

    def near_part(v):
        return near(np.square(v)) * v

    def far_part(v):
        v = np.minimum(v, _ERF_ONE)
        e = np.square(v)
        e *= -1
        e = _into(np.exp, e)
        e *= far(v)
        e *= -1
        e += 1
        return e

    if small.all():
        result = near_part(a)
    elif not small.any():
        result = far_part(a)
    else:
        result = np.empty_like(a)
        result[small] = near_part(a[small])
        large = ~small
        result[large] = far_part(a[large])
    return np.copysign(result, x, out=result)


def _as_float(x):
    """``x`` as an ndarray of a float type (NumPy's choice, float64, for integers)."""
    x = np.asarray(x)
    return x if x.dtype.kind == "f" else x.astype(np.float64)


# -- activation ----------------------------------------------------------------


def relu(x):
    return np.maximum(x, 0)


@vjp(relu)
def _(g, out, x):
    return g * (out > 0)


def relu6(x):
    return np.clip(x, 0, 6)


@vjp(relu6)
def _(g, out, x):
    # As relu: no gradient at the kinks themselves.
    return g * ((out > 0) & (out < 6))


def sigmoid(x):
    # 1 / (1 + exp(-x)) is accurate everywhere; exp only overflows to inf for
    # very negative x, which correctly gives 0, so the warning is silenced.
    with np.errstate(over="ignore"):
        e = np.exp(np.negative(x))
    e += 1
    return _into(np.reciprocal, e)


@vjp(sigmoid)
def _(g, out, x):
    d = np.subtract(1, out)
    d *= out
    d *= g
    return d


def softplus(x):
    # max(x, 0) + log1p(exp(-|x|)): never overflows, and much faster than np.logaddexp
    x = _as_float(x)
    s = np.abs(x)
    s *= -1
    s = _into(np.log1p, _into(np.exp, s))
    s += np.maximum(x, 0)
    return s


@vjp(softplus)
def _(g, out, x):
    # sigmoid(x) = 1 - exp(-softplus(x)), without overflow for any x
    return np.negative(g * np.expm1(np.negative(out)))


def softsign(x):
    return np.divide(x, np.abs(x) + 1)


@vjp(softsign)
def _(g, out, x):
    return g / np.square(np.abs(x) + 1)


def silu(x):
    s = sigmoid(x)
    s *= x
    return s


@vjp(silu)
def _(g, out, x):
    s = sigmoid(x)
    # d/dx x s(x) = s + x s (1 - s) = s + out (1 - s)
    return g * (s + out * (1 - s))


def leaky_relu(x, negative_slope=0.2):
    return np.where(np.greater_equal(x, 0), x, np.multiply(x, negative_slope))


@vjp(leaky_relu)
def _(g, out, x, negative_slope=0.2):
    return np.where(np.greater_equal(x, 0), g, g * negative_slope), None


def elu(x, alpha=1.0):
    # expm1 of min(x, 0) is what the negative branch needs, and cannot overflow.
    return np.where(np.greater(x, 0), x, np.expm1(np.minimum(x, 0)) * alpha)


@vjp(elu)
def _(g, out, x, alpha=1.0):
    # for x <= 0: d/dx alpha (e^x - 1) = alpha e^x = out + alpha
    return np.where(np.greater(x, 0), g, g * (out + alpha)), None


_SELU_ALPHA = 1.6732632423543772
_SELU_SCALE = 1.0507009873554805


def selu(x):
    return np.where(np.greater(x, 0), np.multiply(x, _SELU_SCALE),
                    np.expm1(np.minimum(x, 0)) * (_SELU_SCALE * _SELU_ALPHA))


@vjp(selu)
def _(g, out, x):
    return np.where(np.greater(x, 0), g * _SELU_SCALE, g * (out + _SELU_SCALE * _SELU_ALPHA))


_SQRT_2_OVER_PI = _math.sqrt(2 / _math.pi)
_GELU_CUBIC = 0.044715
_SQRT_HALF = _math.sqrt(0.5)
_INV_SQRT_2PI = 1 / _math.sqrt(2 * _math.pi)


def _gelu_inner(x):
    """sqrt(2/pi) (x + 0.044715 x**3), the argument of tanh in the approximate form."""
    u = x * x
    u *= _GELU_CUBIC
    u += 1
    u *= x
    u *= _SQRT_2_OVER_PI
    return u


def gelu(x, approximate=True):
    x = _as_float(x)
    p = np.tanh(_gelu_inner(x)) if approximate else _erf(x * _SQRT_HALF)
    p += 1  # 2 Phi(x)
    p *= x
    p *= 0.5
    return p


@vjp(gelu)
def _(g, out, x, approximate=True):
    x = _as_float(x)
    if approximate:
        # d = 0.5 (1 + t) + 0.5 x (1 - t**2) sqrt(2/pi) (1 + 3 * 0.044715 x**2), t = tanh(inner)
        d = np.tanh(_gelu_inner(x))
        rest = x * x
        rest *= 3 * _GELU_CUBIC
        rest += 1
        rest *= x
        rest *= 0.5 * _SQRT_2_OVER_PI
        rest *= 1 - d * d
        d += 1
        d *= 0.5
    else:
        # d = Phi(x) + x phi(x)
        d = _erf(x * _SQRT_HALF)
        d += 1
        d *= 0.5
        rest = x * x
        rest *= -0.5
        rest = _into(np.exp, rest)
        rest *= x
        rest *= _INV_SQRT_2PI
    d += rest
    d *= g
    return d, None


def _minus_max(x, axis):
    """``x`` minus its max over ``axis``, as a new float array: its exp cannot overflow."""
    x = _as_float(x)
    return np.subtract(x, np.maximum.reduce(x, axis=axis, keepdims=True))


def softmax(x, axis=-1):
    axis = _axis(axis)
    e = _into(np.exp, _minus_max(x, axis))
    e /= np.add.reduce(e, axis=axis, keepdims=True)
    return e


@vjp(softmax)
def _(g, out, x, axis=-1):
    axis = _axis(axis)
    d = g * out
    d -= out * np.add.reduce(d, axis=axis, keepdims=True)
    return d, None


def log_softmax(x, axis=-1):
    axis = _axis(axis)
    s = _minus_max(x, axis)
    s -= np.log(np.add.reduce(np.exp(s), axis=axis, keepdims=True))
    return s


@vjp(log_softmax)
def _(g, out, x, axis=-1):
    axis = _axis(axis)
    return g - np.exp(out) * np.add.reduce(g, axis=axis, keepdims=True), None


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


# -- linalg --------------------------------------------------------------------


matmul = np.matmul


@vjp(matmul)
def _(g, out, x1, x2):
    w1, w2 = _wants(x1), _wants(x2)
    if not (w1 or w2):
        return None, None
    a, b = np.asarray(x1), np.asarray(x2)
    if a.ndim == 2 and b.ndim == 2:
        return (unbroadcast(g @ b.T, a) if w1 else None,
                unbroadcast(a.T @ g, b) if w2 else None)
    # A 1-D operand is a matrix with its extra dim removed from the result: put it back.
    if b.ndim == 1:
        b, g = b[:, None], g[..., None]
    if a.ndim == 1:
        a, g = a[None, :], g[..., None, :]
    ga = gb = None
    if w1:
        ga = unbroadcast(g @ np.swapaxes(b, -1, -2), a).reshape(np.shape(x1))
    if w2:
        if b.ndim == 2:
            # One matrix shared by a batch (a Dense kernel applied to sequences):
            # a single product, instead of one per batch element and then a sum.
            gb = np.reshape(a, (-1, a.shape[-1])).T @ np.reshape(g, (-1, g.shape[-1]))
        else:
            gb = np.swapaxes(a, -1, -2) @ g
        gb = unbroadcast(gb, b).reshape(np.shape(x2))
    return ga, gb


def _tensordot_axes(axes, nd1: int, nd2: int):
    """``np.tensordot``'s ``axes`` as two lists of non-negative axes."""
    if isinstance(axes, (int, np.integer)):
        n = int(axes)
        return list(range(nd1 - n, nd1)), list(range(n))
    first, second = axes
    first = [first] if isinstance(first, (int, np.integer)) else list(first)
    second = [second] if isinstance(second, (int, np.integer)) else list(second)
    return [int(a) % nd1 for a in first], [int(b) % nd2 for b in second]


def _tensordot_grads(g, x1, x2, axes):
    """Gradients of ``np.tensordot(x1, x2, axes)``, each a tensordot of ``g`` with the other operand."""
    a, b = np.asarray(x1), np.asarray(x2)
    a_axes, b_axes = _tensordot_axes(axes, a.ndim, b.ndim)
    a_free = [i for i in range(a.ndim) if i not in a_axes]
    b_free = [j for j in range(b.ndim) if j not in b_axes]
    n_free = len(a_free)
    ga = gb = None
    if _wants(x1):
        # result dims: a_free, then b's contracted axes in ascending order (named by their a partner)
        raw = np.tensordot(g, b, axes=(list(range(n_free, g.ndim)), b_free))
        order = a_free + [a_axes[b_axes.index(j)] for j in sorted(b_axes)]
        ga = unbroadcast(np.transpose(raw, np.argsort(order)), x1)
    if _wants(x2):
        raw = np.tensordot(a, g, axes=(a_free, list(range(n_free))))
        order = [b_axes[a_axes.index(i)] for i in sorted(a_axes)] + b_free
        gb = unbroadcast(np.transpose(raw, np.argsort(order)), x2)
    return ga, gb


dot = np.dot


@vjp(dot)
def _(g, out, x1, x2):
    nd1, nd2 = np.ndim(x1), np.ndim(x2)
    if nd1 == 0 or nd2 == 0:
        return _multiply_grad(g, out, x1, x2)
    # np.dot contracts the last axis of x1 with the second-to-last of x2 (the only one if 1-D).
    return _tensordot_grads(g, x1, x2, ([nd1 - 1], [nd2 - 2 if nd2 > 1 else 0]))


tensordot = np.tensordot


@vjp(tensordot)
def _(g, out, x1, x2, axes=2):
    return _tensordot_grads(g, x1, x2, axes) + (None,)


# einsum's C loop beats BLAS-backed contraction (whose path search costs ~25 us)
# only on small problems: above this many multiply-adds, let NumPy optimize.
_EINSUM_OPTIMIZE_ABOVE = 1 << 15


class _EinsumSpec:
    """An einsum call spelled out: one label string per operand and for the output,
    '...' replaced by explicit labels (aligned from the right, as NumPy broadcasts)."""

    __slots__ = ("inputs", "output", "sizes", "optimize")

    def __init__(self, subscripts: str, shapes: tuple):
        text = subscripts.replace(" ", "")
        inputs, arrow, output = text.partition("->")
        inputs = inputs.split(",")
        if len(inputs) != len(shapes):
            raise ValueError(f"einsum: {subscripts!r} names {len(inputs)} operands, got {len(shapes)}.")
        spare = [c for c in string.ascii_letters if c not in text]
        ellipsis_dims = [len(shape) - (len(sub) - 3) if "..." in sub else 0 for sub, shape in zip(inputs, shapes)]
        width = builtins.max(ellipsis_dims, default=0)
        if width > len(spare):
            raise ValueError(f"einsum: {subscripts!r} leaves too few free labels for its '...' dimensions.")
        broadcast = "".join(spare[:width])
        self.inputs = [sub.replace("...", broadcast[width - n:]) for sub, n in zip(inputs, ellipsis_dims)]
        if arrow:
            self.output = output.replace("...", broadcast)
        else:  # implicit mode: '...' first, then the labels seen once, in code-point order
            named = "".join(sub.replace("...", "") for sub in inputs)
            self.output = broadcast + "".join(sorted(c for c in set(named) if named.count(c) == 1))
        self.sizes = {}
        for sub, shape in zip(self.inputs, shapes):
            if len(sub) != len(shape):
                raise ValueError(f"einsum: operand with labels {sub!r} has shape {tuple(shape)}.")
            for label, n in zip(sub, shape):
                if n != 1 or label not in self.sizes:
                    self.sizes[label] = n
        self.optimize = _math.prod(self.sizes.values()) > _EINSUM_OPTIMIZE_ABOVE and len(shapes) > 1


@functools.lru_cache(maxsize=512)
def _einsum_spec(subscripts: str, shapes: tuple) -> _EinsumSpec:
    return _EinsumSpec(subscripts, shapes)


def einsum(subscripts, *operands):
    if not isinstance(subscripts, str):
        raise TypeError(f"einsum takes a subscripts string first, got {type(subscripts).__name__}.")
    shapes = tuple(np.shape(op) for op in operands)
    return np.einsum(subscripts, *operands, optimize=_einsum_spec(subscripts, shapes).optimize)


def _einsum_operand_grad(spec: _EinsumSpec, g, operands, i):
    """The gradient for operand ``i``: ``g`` contracted with every other operand."""
    x = operands[i]
    target = spec.inputs[i]
    labels = "".join(dict.fromkeys(target))  # each label once, in order
    others = [j for j in range(len(operands)) if j != i]
    reachable = set(spec.output).union(*(spec.inputs[j] for j in others))
    # Labels only this operand has were summed away: the gradient is constant along them.
    kept = "".join(c for c in labels if c in reachable)
    expression = ",".join([spec.output] + [spec.inputs[j] for j in others]) + "->" + kept
    grad = np.einsum(expression, g, *(operands[j] for j in others), optimize=spec.optimize)
    own = dict(zip(target, x.shape))
    if kept != labels:
        grad = np.expand_dims(grad, tuple(k for k, c in enumerate(labels) if c not in kept))
        grad = _spread(grad, tuple(spec.sizes[c] if c in kept else own[c] for c in labels))
    # Dims of size 1 that NumPy broadcast against the other operands: sum back to 1.
    summed = tuple(k for k, c in enumerate(labels) if own[c] == 1 and grad.shape[k] != 1)
    if summed:
        grad = grad.sum(axis=summed, keepdims=True)
    grad = grad.astype(x.dtype, copy=False)
    if labels == target:
        return grad
    # A repeated label (a diagonal or trace) reads only the diagonal: write the gradient there.
    full = np.zeros(x.shape, dtype=x.dtype)
    np.einsum(f"{target}->{labels}", full)[...] = grad
    return full


@vjp(einsum)
def _(g, out, subscripts, *operands):
    operands = [np.asarray(op) for op in operands]
    spec = _einsum_spec(subscripts, tuple(op.shape for op in operands))
    grads = [_einsum_operand_grad(spec, g, operands, i) if _wants(op) else None for i, op in enumerate(operands)]
    return (None, *grads)
