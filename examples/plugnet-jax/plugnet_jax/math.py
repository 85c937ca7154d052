"""Elementwise, comparison, activation, reduction and linear-algebra ops (JAX).

Gradients are JAX's own, through ``jax.vjp``, except where plugnet's
convention differs from JAX's: ``maximum``/``minimum`` send the gradient of a
tie to ``x1`` (JAX splits it), so while JAX traces them (inside a recording
or a compiled step) they select with ``where``; ``clip`` is built from those
two, so its gradient is 1 at the bounds. Python numbers stay Python numbers
(``x * 2.0`` keeps x's dtype).
"""

from __future__ import annotations

import builtins
import functools

import jax
import jax.numpy as jnp
from jax.scipy.special import erfc

from .core import NUMBERS, Array, exact, floating, operand, operands, tensor


def _unary(fn, name, to_float=False):
    """The op ``name``: ``fn`` of one array (integers first made float32 when ``to_float``)."""

    def op(x):
        x = x if type(x) is Array else tensor(x)
        return fn(floating(x) if to_float else x)

    op.__name__ = op.__qualname__ = name
    return op


def _binary(fn, name):
    """The op ``name``: ``fn`` of two arrays or Python numbers."""

    def op(x1, x2):
        return fn(*operands(x1, x2))

    op.__name__ = op.__qualname__ = name
    return op


def _traced(*xs) -> bool:
    """Whether JAX traces these values now (a recorded op's vjp, a compiled step)."""
    return builtins.any(isinstance(x, jax.core.Tracer) for x in xs)


# -- elementwise ---------------------------------------------------------------

add = _binary(jnp.add, "add")
subtract = _binary(jnp.subtract, "subtract")
multiply = _binary(jnp.multiply, "multiply")
divide = _binary(jnp.true_divide, "divide")
floor_divide = _binary(jnp.floor_divide, "floor_divide")
mod = _binary(jnp.mod, "mod")
power = _binary(jnp.power, "power")


def maximum(x1, x2):
    x1, x2 = operands(x1, x2)
    if _traced(x1, x2):
        # NaN wins, as in np.maximum; a tie selects x1, so its gradient goes there.
        return jnp.where((x1 >= x2) | jnp.isnan(x1), x1, x2).astype(jnp.result_type(x1, x2))
    return jnp.maximum(x1, x2)


def minimum(x1, x2):
    x1, x2 = operands(x1, x2)
    if _traced(x1, x2):
        return jnp.where((x1 <= x2) | jnp.isnan(x1), x1, x2).astype(jnp.result_type(x1, x2))
    return jnp.minimum(x1, x2)


negative = _unary(jnp.negative, "negative")
abs = _unary(jnp.abs, "abs")
sign = _unary(jnp.sign, "sign")
square = _unary(jnp.square, "square")
sqrt = _unary(jnp.sqrt, "sqrt", to_float=True)
rsqrt = _unary(jax.lax.rsqrt, "rsqrt", to_float=True)
reciprocal = _unary(jnp.reciprocal, "reciprocal", to_float=True)
exp = _unary(jnp.exp, "exp", to_float=True)
expm1 = _unary(jnp.expm1, "expm1", to_float=True)
log = _unary(jnp.log, "log", to_float=True)
log1p = _unary(jnp.log1p, "log1p", to_float=True)
sin = _unary(jnp.sin, "sin", to_float=True)
cos = _unary(jnp.cos, "cos", to_float=True)
tanh = _unary(jnp.tanh, "tanh", to_float=True)
floor = _unary(jnp.floor, "floor")
ceil = _unary(jnp.ceil, "ceil")


def round(x, decimals=0):
    x = tensor(x)
    if not jnp.issubdtype(x.dtype, jnp.inexact) and decimals >= 0:
        return x
    return jnp.round(x, int(decimals))


def clip(x, x_min, x_max):
    x = tensor(x)
    if x_min is None and x_max is None:
        return x
    numbers = builtins.all(type(b) in NUMBERS or b is None for b in (x_min, x_max))
    if numbers and not jnp.issubdtype(x.dtype, jnp.inexact):
        return jnp.clip(x, x_min, x_max)  # integers: no gradient to mind
    # maximum then minimum, with their tie rule: gradient 1 to x inside [x_min, x_max] with the
    # bounds included; and with x_min > x_max every element is x_max, as np.clip.
    out = x if x_min is None else maximum(x, x_min)
    out = out if x_max is None else minimum(out, x_max)
    return out.astype(jnp.result_type(x, *[operand(b) for b in (x_min, x_max) if b is not None]))


def where(condition, x1, x2):
    condition = tensor(condition)
    if condition.dtype != jnp.bool_:
        condition = condition != 0
    return jnp.where(condition, *operands(x1, x2))


# -- comparison ----------------------------------------------------------------

equal = _binary(jnp.equal, "equal")
not_equal = _binary(jnp.not_equal, "not_equal")
less = _binary(jnp.less, "less")
less_equal = _binary(jnp.less_equal, "less_equal")
greater = _binary(jnp.greater, "greater")
greater_equal = _binary(jnp.greater_equal, "greater_equal")
logical_and = _binary(jnp.logical_and, "logical_and")
logical_or = _binary(jnp.logical_or, "logical_or")
logical_not = _unary(jnp.logical_not, "logical_not")
isnan = _unary(jnp.isnan, "isnan")
isinf = _unary(jnp.isinf, "isinf")
isfinite = _unary(jnp.isfinite, "isfinite")


# -- activation ----------------------------------------------------------------


# jax.nn.relu and relu6 propagate NaN and have no gradient at their kinks, as the NumPy reference.
relu = _unary(jax.nn.relu, "relu")
relu6 = _unary(jax.nn.relu6, "relu6")
sigmoid = _unary(jax.nn.sigmoid, "sigmoid", to_float=True)
softplus = _unary(jax.nn.softplus, "softplus", to_float=True)
softsign = _unary(lambda x: x / (1 + jnp.abs(x)), "softsign", to_float=True)
silu = _unary(jax.nn.silu, "silu", to_float=True)


def leaky_relu(x, negative_slope=0.2):
    x = floating(tensor(x))
    return jnp.where(x >= 0, x, exact(negative_slope, x) * x)


def elu(x, alpha=1.0):
    x = floating(tensor(x))
    # expm1 of min(x, 0): the branch not taken must not overflow, or its NaN gradient leaks through where.
    return jnp.where(x > 0, x, exact(alpha, x) * jnp.expm1(jnp.minimum(x, 0)))


def selu(x):
    x = floating(tensor(x))
    return exact(_SELU_SCALE, x) * elu(x, _SELU_ALPHA)


_SELU_ALPHA, _SELU_SCALE = 1.6732632423543772, 1.0507009873554805
_SQRT_HALF = 0.5**0.5
_SQRT_2_OVER_PI = (2 / 3.141592653589793) ** 0.5


def gelu(x, approximate=True):
    x = floating(tensor(x))
    if approximate:
        # 0.5 * (1 + tanh(u)) is sigmoid(2u): no cancellation for negative x, where 1 + tanh(u) rounds to 0.
        u = x + exact(0.044715, x) * x * x * x
        return x * jax.nn.sigmoid(u * exact(2 * _SQRT_2_OVER_PI, x))
    # x * Phi(x) with Phi from erfc: 1 + erf(x / sqrt(2)) cancels for negative x.
    return x * erfc(x * exact(-_SQRT_HALF, x)) * 0.5


def _axes(axis):
    """A reduction axis as JAX takes it: None, an int, or a tuple of ints."""
    if axis is None:
        return None
    if isinstance(axis, (list, tuple)):
        return tuple(int(a) for a in axis)
    return int(axis)


def softmax(x, axis=-1):
    return jax.nn.softmax(floating(tensor(x)), axis=_axes(axis))


def log_softmax(x, axis=-1):
    return jax.nn.log_softmax(floating(tensor(x)), axis=_axes(axis))


# -- reduction -----------------------------------------------------------------


def _reduction(fn, name, to_float=False):
    """The reduction op ``name``: ``fn(x, axis=..., keepdims=...)`` for an axis of None, an int or a tuple."""

    def op(x, axis=None, keepdims=False):
        x = x if type(x) is Array else tensor(x)
        return fn(floating(x) if to_float else x, axis=_axes(axis), keepdims=bool(keepdims))

    op.__name__ = op.__qualname__ = name
    return op


sum = _reduction(jnp.sum, "sum")
mean = _reduction(jnp.mean, "mean", to_float=True)
# JAX's max/min reductions share the gradient of ties equally, as the contract asks.
max = _reduction(jnp.max, "max")
min = _reduction(jnp.min, "min")


def _reduced_axes(ndim, axis) -> tuple:
    if axis is None:
        return tuple(range(ndim))
    return tuple(sorted(a % ndim for a in ((axis,) if isinstance(axis, int) else axis)))


@functools.partial(jax.custom_vjp, nondiff_argnums=(1, 2))
def _prod(x, axis, keepdims):
    return jnp.prod(x, axis=axis, keepdims=keepdims)


def _prod_forward(x, axis, keepdims):
    return _prod(x, axis, keepdims), x


def _prod_backward(axis, keepdims, x, g):
    # The product of all the other elements of each reduced group, from exclusive running
    # products from both ends: exact where elements are 0, unlike prod / x. (JAX's own rule
    # differentiates cumprod, whose transpose fails for float64 while x64 is off.)
    axes = _reduced_axes(x.ndim, axis)
    kept = tuple(1 if i in axes else d for i, d in enumerate(x.shape))
    moved = jnp.moveaxis(x, axes, tuple(range(x.ndim - len(axes), x.ndim)))
    grouped = moved.reshape(moved.shape[:x.ndim - len(axes)] + (-1,))
    ones = jnp.ones(grouped.shape[:-1] + (1,), x.dtype)
    before = jnp.concatenate([ones, jnp.cumprod(grouped, axis=-1)[..., :-1]], axis=-1)
    after = jnp.flip(jnp.concatenate([ones, jnp.cumprod(jnp.flip(grouped, -1), axis=-1)[..., :-1]], axis=-1), -1)
    others = jnp.moveaxis((before * after).reshape(moved.shape), tuple(range(x.ndim - len(axes), x.ndim)), axes)
    return (jnp.reshape(g, kept) * others,)


_prod.defvjp(_prod_forward, _prod_backward)
prod = _reduction(_prod, "prod")
var = _reduction(jnp.var, "var", to_float=True)
std = _reduction(jnp.std, "std", to_float=True)
logsumexp = _reduction(jax.nn.logsumexp, "logsumexp", to_float=True)
all = _reduction(jnp.all, "all")
any = _reduction(jnp.any, "any")


def cumsum(x, axis=None):
    return jnp.cumsum(tensor(x), axis=None if axis is None else int(axis))


def argmax(x, axis=None, keepdims=False):
    # JAX returns the first of tied extremes, as NumPy does.
    return jnp.argmax(tensor(x), axis=None if axis is None else int(axis), keepdims=bool(keepdims))


def argmin(x, axis=None, keepdims=False):
    return jnp.argmin(tensor(x), axis=None if axis is None else int(axis), keepdims=bool(keepdims))


# -- linalg --------------------------------------------------------------------

matmul = _binary(jnp.matmul, "matmul")
dot = _binary(jnp.dot, "dot")


def tensordot(x1, x2, axes=2):
    if not isinstance(axes, int):
        first, second = axes
        axes = (first if isinstance(first, int) else tuple(int(a) for a in first),
                second if isinstance(second, int) else tuple(int(b) for b in second))
    return jnp.tensordot(tensor(x1), tensor(x2), axes)


def einsum(subscripts, *operands):
    if not isinstance(subscripts, str):
        raise TypeError(f"einsum takes a subscripts string first, got {type(subscripts).__name__}.")
    return jnp.einsum(subscripts.replace(" ", ""), *[tensor(op) for op in operands])
