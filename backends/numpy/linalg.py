"""Matrix products, tensordot and einsum (NumPy).

Backward rules follow their forward definitions, with the conventions of
:mod:`plugnet.backends.numpy.math`.
"""

from __future__ import annotations

import builtins
import functools
import math as _math
import string

import numpy as np

from .autograd import plain, vjp
from .math import _multiply_grad, _spread, _wants, unbroadcast

# -- linalg --------------------------------------------------------------------


matmul = np.matmul


@vjp(matmul)
def _matmul_grad(g, out, x1, x2):
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


def dense(x, kernel, bias=None):
    out = np.matmul(x, kernel)
    if bias is None:
        return out
    b = plain(bias)
    # A Dense bias is added into the product's own array: one temporary fewer than matmul + add.
    if (type(out) is np.ndarray and type(b) is np.ndarray and b.dtype == out.dtype and b.ndim == 1
            and out.ndim and b.shape[0] == out.shape[-1]):
        return np.add(out, b, out=out)
    return np.add(out, b)


@vjp(dense)
def _(g, out, x, kernel, bias=None):
    # One node for the Dense layer's map, where matmul + add record two.
    gx, gk = _matmul_grad(g, None, x, kernel)
    return gx, gk, (unbroadcast(g, bias) if bias is not None and _wants(bias) else None)


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
