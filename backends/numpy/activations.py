"""Activation ops and the error function behind gelu (NumPy).

Backward rules follow their forward definitions, with the conventions of
:mod:`plugnet.backends.numpy.math`.
"""

from __future__ import annotations

import builtins
import functools
import math as _math

import numpy as np

from .autograd import vjp
from .math import _as_float, _axis, _into

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
