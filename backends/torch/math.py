"""Elementwise, comparison, activation, reduction and linear-algebra ops (torch).

Gradients are torch autograd's own, except where plugnet's convention differs
from torch's: ``maximum``/``minimum`` send the gradient of a tie to ``x1``
(torch splits it), so while autograd records they select with ``where``;
``clip`` with tensor bounds is built from those two. Python numbers stay
Python numbers where torch takes them (``torch.mul(x, 2.0)`` keeps float32).
"""

from __future__ import annotations

import builtins

import torch
import torch.nn.functional as F

from .core import NUMBERS, Tensor, floating, lift, operands, same_dtype, tensor, tensors


def _unary(fn, name):
    """The op ``name``: ``fn`` of one tensor."""

    def op(x):
        return fn(x if type(x) is Tensor else tensor(x))

    op.__name__ = op.__qualname__ = name
    return op


def _unary_float(fn, name):
    """The op ``name``: ``fn`` of one tensor, integers first made float32 (torch has no integer kernel)."""

    def op(x):
        return fn(floating(x if type(x) is Tensor else tensor(x)))

    op.__name__ = op.__qualname__ = name
    return op


def _binary(fn, name):
    """The op ``name``: ``fn(tensor, tensor or Python number)``."""

    def op(x1, x2):
        if type(x1) is not Tensor or (type(x2) is not Tensor and type(x2) not in NUMBERS):
            x1, x2 = operands(x1, x2)
        return fn(x1, x2)

    op.__name__ = op.__qualname__ = name
    return op


def _recording(*xs) -> bool:
    """Whether autograd records an op on these tensors now."""
    return torch.is_grad_enabled() and builtins.any(x.requires_grad for x in xs)


# -- elementwise ---------------------------------------------------------------

add = _binary(torch.add, "add")
subtract = _binary(torch.sub, "subtract")
multiply = _binary(torch.mul, "multiply")
divide = _binary(torch.true_divide, "divide")
floor_divide = _binary(torch.floor_divide, "floor_divide")
mod = _binary(torch.remainder, "mod")
power = _binary(torch.pow, "power")


def maximum(x1, x2):
    if type(x2) in NUMBERS and type(x1) is Tensor:
        return torch.clamp_min(x1, x2)  # its gradient goes to x1 on ties too
    x1, x2 = tensors(x1, x2)
    if _recording(x1, x2):
        return torch.where((x1 >= x2) | torch.isnan(x1), x1, x2)
    return torch.maximum(x1, x2)


def minimum(x1, x2):
    if type(x2) in NUMBERS and type(x1) is Tensor:
        return torch.clamp_max(x1, x2)
    x1, x2 = tensors(x1, x2)
    if _recording(x1, x2):
        return torch.where((x1 <= x2) | torch.isnan(x1), x1, x2)
    return torch.minimum(x1, x2)


negative = _unary(torch.neg, "negative")
abs = _unary(torch.abs, "abs")
sign = _unary(torch.sign, "sign")
square = _unary(torch.square, "square")
sqrt = _unary(torch.sqrt, "sqrt")
rsqrt = _unary(torch.rsqrt, "rsqrt")
reciprocal = _unary_float(torch.reciprocal, "reciprocal")
exp = _unary(torch.exp, "exp")
expm1 = _unary(torch.expm1, "expm1")
log = _unary(torch.log, "log")
log1p = _unary(torch.log1p, "log1p")
sin = _unary(torch.sin, "sin")
cos = _unary(torch.cos, "cos")
tanh = _unary(torch.tanh, "tanh")
floor = _unary(torch.floor, "floor")
ceil = _unary(torch.ceil, "ceil")


def round(x, decimals=0):
    x = tensor(x)
    if not x.is_floating_point():
        return x if decimals >= 0 else torch.round(x.double(), decimals=decimals).to(x.dtype)
    return torch.round(x) if decimals == 0 else torch.round(x, decimals=decimals)


def _bound(value, device):
    if value is None or type(value) in NUMBERS:
        return value
    return tensor(value, device)


def clip(x, x_min, x_max):
    x = tensor(x)
    lower, upper = _bound(x_min, x.device), _bound(x_max, x.device)
    tensor_bounds = [b for b in (lower, upper) if isinstance(b, Tensor)]
    if not tensor_bounds:
        return torch.clamp(x, lower, upper)
    if _recording(x, *tensor_bounds):
        # maximum then minimum, with their tie rule: gradient 1 to x inside [x_min, x_max] with
        # the bounds included; and with x_min > x_max every element is x_max, as np.clip.
        out = x if lower is None else maximum(x, lower)
        return out if upper is None else minimum(out, upper)
    lower = lift(lower, x) if type(lower) in NUMBERS else lower
    upper = lift(upper, x) if type(upper) in NUMBERS else upper
    return torch.clamp(x, lower, upper)


def where(condition, x1, x2):
    if type(x1) is not Tensor and type(x1) not in NUMBERS:
        x1 = tensor(x1)
    if type(x2) is not Tensor and type(x2) not in NUMBERS:
        x2 = tensor(x2, x1.device if isinstance(x1, Tensor) else None)
    values = x1 if isinstance(x1, Tensor) else x2
    condition = tensor(condition, values.device if isinstance(values, Tensor) else None)
    if condition.dtype is not torch.bool:
        condition = condition != 0
    return torch.where(condition, x1, x2)


# -- comparison ----------------------------------------------------------------

equal = _binary(torch.eq, "equal")
not_equal = _binary(torch.ne, "not_equal")
less = _binary(torch.lt, "less")
less_equal = _binary(torch.le, "less_equal")
greater = _binary(torch.gt, "greater")
greater_equal = _binary(torch.ge, "greater_equal")


def logical_and(x1, x2):
    return torch.logical_and(*tensors(x1, x2))


def logical_or(x1, x2):
    return torch.logical_or(*tensors(x1, x2))


logical_not = _unary(torch.logical_not, "logical_not")
isnan = _unary(torch.isnan, "isnan")
isinf = _unary(torch.isinf, "isinf")
isfinite = _unary(torch.isfinite, "isfinite")


# -- activation ----------------------------------------------------------------

relu = _unary(torch.relu, "relu")
sigmoid = _unary(torch.sigmoid, "sigmoid")
softsign = _unary_float(F.softsign, "softsign")
silu = _unary_float(F.silu, "silu")
selu = _unary_float(F.selu, "selu")


def relu6(x):
    x = tensor(x)
    # hardtanh's gradient is 0 at both kinks, as relu's is at 0.
    return F.relu6(x) if x.is_floating_point() else torch.clamp(x, 0, 6)


def leaky_relu(x, negative_slope=0.2):
    return F.leaky_relu(floating(tensor(x)), negative_slope)


def elu(x, alpha=1.0):
    return F.elu(floating(tensor(x)), alpha)


def softplus(x):
    x = floating(tensor(x))
    # Past `threshold` F.softplus returns x itself; where log1p(exp(x)) - x is still visible (float64
    # up to about 37) that step would show in gradients taken by finite differences.
    return F.softplus(x, threshold=40.0 if x.dtype is torch.float64 else 20.0)


_SQRT_HALF = 0.5**0.5


def gelu(x, approximate=True):
    x = floating(tensor(x))
    if approximate:
        return F.gelu(x, approximate="tanh")
    # x * Phi(x) with Phi from erfc: 1 + erf(x / sqrt(2)) cancels for negative x (F.gelu's form).
    return x * torch.special.erfc(x * -_SQRT_HALF) * 0.5


def _dims(axis):
    """A reduction axis as torch takes it: None, an int, or a tuple of ints."""
    if axis is None or isinstance(axis, int):
        return axis
    if isinstance(axis, (list, tuple)):
        return tuple(int(a) for a in axis)
    return int(axis)


def softmax(x, axis=-1):
    x = floating(tensor(x))
    dims = _dims(axis)
    if isinstance(dims, int):
        return torch.softmax(x, dims)
    return torch.exp(x - torch.logsumexp(x, _all_dims(x, dims), keepdim=True))


def log_softmax(x, axis=-1):
    x = floating(tensor(x))
    dims = _dims(axis)
    if isinstance(dims, int):
        return torch.log_softmax(x, dims)
    return x - torch.logsumexp(x, _all_dims(x, dims), keepdim=True)


# -- reduction -----------------------------------------------------------------


def _all_dims(x, dims):
    """``dims`` with None spelled out as every axis (for torch functions that need a tuple)."""
    return tuple(range(x.dim())) if dims is None else dims


def _reduction(fn, name, to_float=False):
    """The reduction op ``name``: ``fn(x, dim=..., keepdim=...)``, taking an axis of None, an int or a tuple."""

    def op(x, axis=None, keepdims=False):
        x = x if type(x) is Tensor else tensor(x)
        if to_float and not x.is_floating_point():
            x = x.to(torch.float32)
        dims = _dims(axis)
        if dims == ():
            return x  # no axis reduced (torch would read () as all of them)
        return fn(x, dim=dims, keepdim=keepdims)

    op.__name__ = op.__qualname__ = name
    return op


sum = _reduction(torch.sum, "sum")
mean = _reduction(torch.mean, "mean", to_float=True)
# amax/amin share the gradient of ties equally, as the contract asks.
max = _reduction(torch.amax, "max")
min = _reduction(torch.amin, "min")
var = _reduction(lambda x, dim, keepdim: torch.var(x, dim=dim, correction=0, keepdim=keepdim), "var", to_float=True)
std = _reduction(lambda x, dim, keepdim: torch.std(x, dim=dim, correction=0, keepdim=keepdim), "std", to_float=True)
logsumexp = _reduction(lambda x, dim, keepdim: torch.logsumexp(x, _all_dims(x, dim), keepdim), "logsumexp",
                       to_float=True)
all = _reduction(torch.all, "all")
any = _reduction(torch.any, "any")


def _prod(x, dim, keepdim):
    if dim is None:
        out = torch.prod(x)
        return out.reshape((1,) * x.dim()) if keepdim else out
    if isinstance(dim, int):
        return torch.prod(x, dim, keepdim=keepdim)
    # torch.prod takes one axis: reduce them one by one, keeping them, then drop them.
    axes = sorted({d % x.dim() for d in dim})
    for d in axes:
        x = torch.prod(x, d, keepdim=True)
    return x if keepdim else x.squeeze(tuple(axes))


prod = _reduction(_prod, "prod")


def cumsum(x, axis=None):
    x = tensor(x)
    if axis is None:
        return torch.cumsum(x.reshape(-1), 0)
    return torch.cumsum(x, int(axis))


def _arg(fn):
    def op(x, axis=None, keepdims=False):
        x = tensor(x)
        if x.dtype is torch.bool:
            x = x.to(torch.uint8)
        if axis is None:
            out = fn(x.reshape(-1), 0)
            return out.reshape((1,) * x.dim()) if keepdims else out
        return fn(x, int(axis), keepdim=keepdims)

    return op


# torch returns the first of tied extremes, as NumPy does.
argmax = _arg(torch.argmax)
argmin = _arg(torch.argmin)


# -- linalg --------------------------------------------------------------------


def _pair(x1, x2):
    if type(x1) is not Tensor or type(x2) is not Tensor:
        x1, x2 = tensors(x1, x2)
    return same_dtype(x1, x2)


def matmul(x1, x2):
    return torch.matmul(*_pair(x1, x2))


def dense(x, kernel, bias=None):
    x, kernel = _pair(x, kernel)
    if bias is None:
        return torch.matmul(x, kernel)
    b = bias if type(bias) is Tensor else tensor(bias)
    if x.dim() == 2 and kernel.dim() == 2 and b.dim() == 1 and b.dtype is x.dtype:
        return torch.addmm(b, x, kernel)  # one kernel and one autograd node for the Dense layer's map
    return add(torch.matmul(x, kernel), bias)


def dot(x1, x2):
    x1, x2 = _pair(x1, x2)
    if x1.dim() == 0 or x2.dim() == 0:
        return torch.mul(x1, x2)
    if x2.dim() <= 2:
        return torch.matmul(x1, x2)
    # np.dot contracts the last axis of x1 with the second-to-last of x2, pairing every batch element.
    return torch.tensordot(x1, x2, dims=([x1.dim() - 1], [x2.dim() - 2]))


def _tensordot_dims(axes, nd1: int, nd2: int):
    if isinstance(axes, int):
        return axes
    first, second = axes
    first = [first] if isinstance(first, int) else list(first)
    second = [second] if isinstance(second, int) else list(second)
    return [int(a) % nd1 for a in first], [int(b) % nd2 for b in second]


def tensordot(x1, x2, axes=2):
    x1, x2 = _pair(x1, x2)
    return torch.tensordot(x1, x2, dims=_tensordot_dims(axes, x1.dim(), x2.dim()))


def einsum(subscripts, *operands):
    if not isinstance(subscripts, str):
        raise TypeError(f"einsum takes a subscripts string first, got {type(subscripts).__name__}.")
    tensors_ = [tensor(op) for op in operands]
    dtypes = {t.dtype for t in tensors_}
    if len(dtypes) > 1:
        common = tensors_[0].dtype
        for dt in dtypes:
            common = torch.promote_types(common, dt)
        tensors_ = [t.to(common) for t in tensors_]
    return torch.einsum(subscripts.replace(" ", ""), *tensors_)
