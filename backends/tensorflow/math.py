"""Elementwise, comparison, activation, reduction and linear-algebra ops (TensorFlow).

Hot elementwise ops call TensorFlow's generated op functions (``gen_math_ops``)
after :func:`~.core.pair` has matched their operands' dtypes: the public
``tf.add`` spends most of its time on dispatch and conversion that ``pair``
has already done. Gradients come from TensorFlow's own registered rules, which
already follow the contract's conventions (ties of maximum/minimum go to x1,
max/min reductions share ties, abs and relu have gradient 0 at 0); the few
ops whose TensorFlow form differs (clip, leaky_relu, std at 0) are written
from primitives that do.
"""

from __future__ import annotations

import string

import tensorflow as tf
from tensorflow.python.ops import gen_math_ops, gen_nn_ops

from .core import FLOATS, NATIVE, bool_, float32, floating, int32, pair, promote, promoted, read, tensor

# -- helpers ----------------------------------------------------------------------


def _binary(raw, name):
    def op(x1, x2):
        return raw(*pair(x1, x2))

    op.__name__ = op.__qualname__ = name
    return op


def _unary(raw, name):
    def op(x):
        return raw(x if type(x) in NATIVE else tensor(x))

    op.__name__ = op.__qualname__ = name
    return op


def _unary_float(raw, name):
    """An op defined on floats: integer and bool inputs are computed in float32 (as Keras does)."""

    def op(x):
        if type(x) not in NATIVE or x.dtype not in FLOATS:
            x = floating(x)
        return raw(x)

    op.__name__ = op.__qualname__ = name
    return op


def _axis(axis):
    return list(axis) if isinstance(axis, tuple) else axis


def _as_bool(x):
    x = tensor(x)
    return x if x.dtype is bool_ else tf.cast(x, bool_)


# -- elementwise ---------------------------------------------------------------------

add = _binary(gen_math_ops.add_v2, "add")
subtract = _binary(gen_math_ops.sub, "subtract")
multiply = _binary(gen_math_ops.mul, "multiply")
floor_divide = _binary(gen_math_ops.floor_div, "floor_divide")
mod = _binary(gen_math_ops.floor_mod, "mod")  # the sign of the divisor, as NumPy
power = _binary(gen_math_ops._pow, "power")
maximum = _binary(gen_math_ops.maximum, "maximum")
minimum = _binary(gen_math_ops.minimum, "minimum")


def _float32(v):
    return tf.cast(v, float32) if hasattr(v, "dtype") else float(v)


def divide(x1, x2):
    x1, x2 = pair(x1, x2)
    dtype = x1.dtype if hasattr(x1, "dtype") else x2.dtype
    if dtype not in FLOATS:  # true division of integers gives float32, as in Keras
        x1, x2 = _float32(x1), _float32(x2)
    return gen_math_ops.real_div(x1, x2)


negative = _unary(gen_math_ops.neg, "negative")
abs = _unary(gen_math_ops._abs, "abs")
sign = _unary(gen_math_ops.sign, "sign")
square = _unary(gen_math_ops.square, "square")
sqrt = _unary_float(gen_math_ops.sqrt, "sqrt")
rsqrt = _unary_float(gen_math_ops.rsqrt, "rsqrt")
reciprocal = _unary_float(gen_math_ops.reciprocal, "reciprocal")
exp = _unary_float(gen_math_ops.exp, "exp")
expm1 = _unary_float(gen_math_ops.expm1, "expm1")
log = _unary_float(gen_math_ops.log, "log")
log1p = _unary_float(gen_math_ops.log1p, "log1p")
sin = _unary_float(gen_math_ops.sin, "sin")
cos = _unary_float(gen_math_ops.cos, "cos")
tanh = _unary_float(gen_math_ops.tanh, "tanh")
floor = _unary_float(gen_math_ops.floor, "floor")
ceil = _unary_float(gen_math_ops.ceil, "ceil")


def round(x, decimals=0):
    x = tensor(x)
    if x.dtype not in FLOATS:
        if decimals >= 0:
            return read(x)
        scale = 10 ** (-decimals)
        return tf.cast(tf.round(tf.cast(x, tf.float64) / scale) * scale, x.dtype)
    if decimals == 0:
        return tf.round(x)  # half to even, as NumPy
    scale = 10.0**decimals
    return tf.round(x * scale) / scale


def clip(x, x_min, x_max):
    # minimum(maximum(x, lo), hi) is NumPy's definition (x_min > x_max gives x_max), and
    # TensorFlow's maximum/minimum send the gradient of ties to their first argument,
    # so the gradient is 1 on the closed interval [x_min, x_max].
    x = read(x)
    if x_min is not None:
        x = maximum(x, x_min)
    if x_max is not None:
        x = minimum(x, x_max)
    return x


def where(condition, x1, x2):
    x1, x2 = promoted((x1, x2))
    return tf.where(_as_bool(condition), x1, x2)


# -- comparison ----------------------------------------------------------------------


def equal(x1, x2):
    return gen_math_ops.equal(*pair(x1, x2))


def not_equal(x1, x2):
    return gen_math_ops.not_equal(*pair(x1, x2))


less = _binary(gen_math_ops.less, "less")
less_equal = _binary(gen_math_ops.less_equal, "less_equal")
greater = _binary(gen_math_ops.greater, "greater")
greater_equal = _binary(gen_math_ops.greater_equal, "greater_equal")


def logical_and(x1, x2):
    return gen_math_ops.logical_and(_as_bool(x1), _as_bool(x2))


def logical_or(x1, x2):
    return gen_math_ops.logical_or(_as_bool(x1), _as_bool(x2))


def logical_not(x):
    return gen_math_ops.logical_not(_as_bool(x))


def _float_test(raw, name, for_integers):
    """isnan & co.: integers are never nan or inf (TensorFlow's kernels take floats only)."""

    def op(x):
        x = tensor(x)
        if x.dtype in FLOATS:
            return raw(x)
        return tf.fill(tf.shape(x), for_integers)

    op.__name__ = op.__qualname__ = name
    return op


isnan = _float_test(gen_math_ops.is_nan, "isnan", False)
isinf = _float_test(gen_math_ops.is_inf, "isinf", False)
isfinite = _float_test(gen_math_ops.is_finite, "isfinite", True)


# -- activation -----------------------------------------------------------------------

relu = _unary(gen_nn_ops.relu, "relu")
relu6 = _unary(gen_nn_ops.relu6, "relu6")
sigmoid = _unary_float(gen_math_ops.sigmoid, "sigmoid")
softplus = _unary_float(gen_nn_ops.softplus, "softplus")
softsign = _unary_float(gen_nn_ops.softsign, "softsign")
silu = _unary_float(tf.nn.silu, "silu")
selu = _unary_float(gen_nn_ops.selu, "selu")


def leaky_relu(x, negative_slope=0.2):
    # tf.nn.leaky_relu has gradient negative_slope at 0; the contract's x >= 0 branch has 1.
    x = floating(x)
    return tf.where(x >= 0, x, x * negative_slope)


def elu(x, alpha=1.0):
    x = floating(x)
    if alpha == 1.0:
        return gen_nn_ops.elu(x)
    return tf.where(x > 0, x, alpha * tf.math.expm1(tf.minimum(x, 0)))


_SQRT_2_OVER_PI = 0.7978845608028654
_SQRT_HALF = 0.7071067811865476


def gelu(x, approximate=True):
    x = floating(x)
    if approximate:
        # 0.5 (1 + tanh(z)) is sigmoid(2 z): TensorFlow's float32 tanh is exactly -1 below
        # about -7.9, which would zero the tail that sigmoid keeps.
        inner = x * (1.0 + 0.044715 * tf.square(x))
        return x * tf.sigmoid(inner * (2.0 * _SQRT_2_OVER_PI))
    return 0.5 * x * tf.math.erfc(-x * _SQRT_HALF)  # erfc keeps the negative tail that 1 + erf cancels


def softmax(x, axis=-1):
    x = floating(x)
    if isinstance(axis, int):
        return tf.nn.softmax(x, axis=axis)
    return tf.exp(x - tf.reduce_logsumexp(x, axis=_axis(axis), keepdims=True))


def log_softmax(x, axis=-1):
    x = floating(x)
    if isinstance(axis, int):
        return tf.nn.log_softmax(x, axis=axis)
    return x - tf.reduce_logsumexp(x, axis=_axis(axis), keepdims=True)


# -- reduction -------------------------------------------------------------------------


_NARROW = frozenset({tf.bool, tf.int8, tf.int16, tf.uint8, tf.uint16})


def _summable(x):
    """Sums and products of bools and narrow integers accumulate in int32, as in Keras."""
    x = tensor(x)
    return tf.cast(x, int32) if x.dtype in _NARROW else x


def sum(x, axis=None, keepdims=False):
    return tf.reduce_sum(_summable(x), axis=_axis(axis), keepdims=keepdims)


def mean(x, axis=None, keepdims=False):
    return tf.reduce_mean(floating(x), axis=_axis(axis), keepdims=keepdims)


def max(x, axis=None, keepdims=False):
    return tf.reduce_max(tensor(x), axis=_axis(axis), keepdims=keepdims)


def min(x, axis=None, keepdims=False):
    return tf.reduce_min(tensor(x), axis=_axis(axis), keepdims=keepdims)


def prod(x, axis=None, keepdims=False):
    return tf.reduce_prod(_summable(x), axis=_axis(axis), keepdims=keepdims)


def var(x, axis=None, keepdims=False):
    return tf.math.reduce_variance(floating(x), axis=_axis(axis), keepdims=keepdims)


def std(x, axis=None, keepdims=False):
    # sqrt's derivative is infinite at 0: where a slice is constant, use 0 (as the
    # reference does), so one flat slice cannot turn a whole update into NaN.
    variance = var(x, axis, keepdims)
    positive = variance > 0
    return tf.where(positive, tf.sqrt(tf.where(positive, variance, tf.ones_like(variance))), tf.zeros_like(variance))


def logsumexp(x, axis=None, keepdims=False):
    return tf.reduce_logsumexp(floating(x), axis=_axis(axis), keepdims=keepdims)


def cumsum(x, axis=None):
    x = _summable(x)
    if axis is None:
        return tf.cumsum(tf.reshape(x, [-1]), axis=0)
    return tf.cumsum(x, axis=axis)


def _arg_reduce(reduce, x, axis, keepdims):
    x = tensor(x)
    if x.dtype is bool_:
        x = tf.cast(x, int32)
    if axis is None:
        index = reduce(tf.reshape(x, [-1]), axis=0, output_type=int32)
        return tf.reshape(index, [1] * x.shape.rank) if keepdims else index
    index = reduce(x, axis=axis, output_type=int32)
    return tf.expand_dims(index, axis) if keepdims else index


def argmax(x, axis=None, keepdims=False):
    return _arg_reduce(tf.argmax, x, axis, keepdims)


def argmin(x, axis=None, keepdims=False):
    return _arg_reduce(tf.argmin, x, axis, keepdims)


def all(x, axis=None, keepdims=False):
    return tf.reduce_all(_as_bool(x), axis=_axis(axis), keepdims=keepdims)


def any(x, axis=None, keepdims=False):
    return tf.reduce_any(_as_bool(x), axis=_axis(axis), keepdims=keepdims)


# -- linalg -------------------------------------------------------------------------


def matmul(x1, x2):
    x1, x2 = pair(x1, x2)
    x1, x2 = tensor(x1), tensor(x2)  # a Python scalar is not a matrix: let TensorFlow say so
    r1, r2 = x1.shape.rank, x2.shape.rank
    if r1 == 2 and r2 == 2:
        return gen_math_ops.mat_mul(x1, x2)
    if r1 == 1 and r2 == 1:
        return tf.reduce_sum(x1 * x2)
    if r1 == 1:
        return tf.squeeze(tf.linalg.matmul(x1[None, :], x2), axis=-2)
    if r2 == 1:
        return tf.squeeze(tf.linalg.matmul(x1, x2[:, None]), axis=-1)
    return tf.linalg.matmul(x1, x2)


def _normalized_axes(axes, nd1, nd2):
    if isinstance(axes, int):
        return axes
    first, second = axes
    first = [first] if isinstance(first, int) else list(first)
    second = [second] if isinstance(second, int) else list(second)
    return [int(a) % nd1 for a in first], [int(b) % nd2 for b in second]


def tensordot(x1, x2, axes=2):
    x1, x2 = promote(tensor(x1), tensor(x2))
    return tf.tensordot(x1, x2, _normalized_axes(axes, x1.shape.rank, x2.shape.rank))


def dense(x, kernel, bias=None):
    out = matmul(x, kernel)
    if bias is None:
        return out
    b = tensor(bias)
    if b.dtype == out.dtype and b.shape.rank == 1 and (out.shape.rank or 0) >= 2:
        # One op whose gradient is one BiasAddGrad, where a broadcasting add's takes several.
        return gen_nn_ops.bias_add(out, b)
    return add(out, bias)


def dot(x1, x2):
    x1, x2 = promote(tensor(x1), tensor(x2))
    nd1, nd2 = x1.shape.rank, x2.shape.rank
    if nd1 == 0 or nd2 == 0:
        return x1 * x2
    if nd1 == 2 and nd2 == 2:
        return gen_math_ops.mat_mul(x1, x2)
    # np.dot contracts the last axis of x1 with the second-to-last of x2 (the only one if 1-D).
    return tf.tensordot(x1, x2, [[nd1 - 1], [nd2 - 2 if nd2 > 1 else 0]])


_LABELS = frozenset(string.ascii_letters + ".,->")


def einsum(subscripts, *operands):
    if not isinstance(subscripts, str):
        raise TypeError(f"einsum takes a subscripts string first, got {type(subscripts).__name__}.")
    equation = subscripts.replace(" ", "")
    if not set(equation) <= _LABELS:
        raise ValueError(f"einsum: invalid subscripts {subscripts!r}.")
    return tf.einsum(equation, *promoted(operands))
