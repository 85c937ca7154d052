"""Manipulation and indexing ops (NumPy), each backward rule after its forward.

Rules return one gradient per positional argument of the op (None for shapes,
axes and indices), and a list of gradients for a list-of-tensors argument.
"""

from __future__ import annotations

import builtins

import numpy as np

from .autograd import plain, vjp
from .core import _dtype
from .math import unbroadcast


def _like(g, x):
    """``g`` with the dtype of ``x`` (gradients keep their input's float type)."""
    dtype = np.asarray(x).dtype
    return g.astype(dtype, copy=False) if np.issubdtype(dtype, np.inexact) else g


def _arrays(xs):
    return [np.asarray(plain(x)) for x in xs]


# -- manipulation ----------------------------------------------------------------


def reshape(x, newshape):
    return np.reshape(x, newshape)


def transpose(x, axes=None):
    return np.transpose(x, axes)


@vjp(transpose)
def _(g, out, x, axes=None):
    return np.transpose(g, None if axes is None else np.argsort([int(a) % g.ndim for a in axes])), None


def expand_dims(x, axis):
    return np.expand_dims(x, axis)


def squeeze(x, axis=None):
    return np.squeeze(x, axis)


def _same_values_new_shape(g, out, x, *shape_args):
    """reshape, expand_dims, squeeze: the gradient is ``g`` in the input's shape."""
    return (np.reshape(g, np.shape(x)),) + (None,) * len(shape_args)


for _op in (reshape, expand_dims, squeeze):
    vjp(_op)(_same_values_new_shape)


def swapaxes(x, axis1, axis2):
    return np.swapaxes(x, axis1, axis2)


@vjp(swapaxes)
def _(g, out, x, axis1, axis2):
    return np.swapaxes(g, axis1, axis2), None, None


def moveaxis(x, source, destination):
    return np.moveaxis(x, source, destination)


@vjp(moveaxis)
def _(g, out, x, source, destination):
    return np.moveaxis(g, destination, source), None, None


def concatenate(xs, axis=0):
    return np.concatenate(_arrays(xs), axis=axis)


@vjp(concatenate)
def _(g, out, xs, axis=0):
    xs = _arrays(xs)
    if axis is None:
        sizes = np.cumsum([x.size for x in xs])[:-1]
        return [_like(p.reshape(x.shape), x) for p, x in zip(np.split(g, sizes), xs)], None
    sizes = np.cumsum([x.shape[axis] for x in xs])[:-1]
    return [_like(p, x) for p, x in zip(np.split(g, sizes, axis=axis), xs)], None


def stack(xs, axis=0):
    return np.stack(_arrays(xs), axis=axis)


@vjp(stack)
def _(g, out, xs, axis=0):
    parts = np.moveaxis(g, axis, 0)
    return [_like(p, x) for p, x in zip(parts, _arrays(xs))], None


def split(x, indices_or_sections, axis=0):
    if not isinstance(indices_or_sections, (int, np.integer)):
        indices_or_sections = [int(i) for i in np.asarray(plain(indices_or_sections)).reshape(-1)]
    return np.split(x, indices_or_sections, axis=axis)


@vjp(split)
def _(g, out, x, indices_or_sections, axis=0):
    return _like(np.concatenate(g, axis=axis), x), None, None


def tile(x, repeats):
    return np.tile(x, repeats)


@vjp(tile)
def _(g, out, x, repeats):
    shape = np.shape(x)
    reps = (int(repeats),) if np.ndim(repeats) == 0 else tuple(int(r) for r in repeats)
    n = max(len(shape), len(reps))
    shape = (1,) * (n - len(shape)) + shape
    reps = (1,) * (n - len(reps)) + reps
    # out is laid out (r0, s0, r1, s1, ...): sum over every r axis.
    interleaved = g.reshape([d for pair in zip(reps, shape) for d in pair])
    return interleaved.sum(axis=tuple(range(0, 2 * n, 2))).reshape(np.shape(x)), None


def repeat(x, repeats, axis=None):
    return np.repeat(x, repeats, axis=axis)


@vjp(repeat)
def _(g, out, x, repeats, axis=None):
    x_shape = np.shape(x)
    if axis is None:
        x_shape, axis = (int(np.prod(x_shape)),), 0
    axis = axis % len(x_shape)
    counts = np.asarray(plain(repeats)).reshape(-1)
    n = x_shape[axis]
    if counts.size == 1:
        grouped = g.reshape(g.shape[:axis] + (n, int(counts[0])) + g.shape[axis + 1:])
        grad = grouped.sum(axis=axis + 1)
    else:
        grad = np.zeros(g.shape[:axis] + (n,) + g.shape[axis + 1:], g.dtype)
        used = counts > 0  # reduceat cannot express an empty segment
        if used.any():
            starts = (np.cumsum(counts) - counts)[used]
            grad[(builtins.slice(None),) * axis + (used,)] = np.add.reduceat(g, starts, axis=axis)
    return grad.reshape(np.shape(x)), None, None


_PAD_MODES = ("constant", "reflect", "symmetric")


def _pad_width(pad_width, ndim):
    """(ndim, 2) widths from any form np.pad accepts: n, (before, after) or one pair per axis."""
    return np.broadcast_to(np.asarray(plain(pad_width), dtype=np.int64), (ndim, 2))


def pad(x, pad_width, mode="constant", constant_values=0):
    if mode not in _PAD_MODES:
        raise ValueError(f"pad: `mode` must be one of {', '.join(_PAD_MODES)}; got {mode!r}.")
    x = np.asarray(x)
    widths = _pad_width(pad_width, x.ndim)
    if mode == "constant":
        return np.pad(x, widths, mode="constant", constant_values=0 if constant_values is None else constant_values)
    return np.pad(x, widths, mode=mode)


@vjp(pad)
def _(g, out, x, pad_width, mode="constant", constant_values=0):
    shape = np.shape(x)
    widths = _pad_width(pad_width, len(shape))
    if mode == "constant":
        return g[tuple(builtins.slice(b, b + n) for (b, _), n in zip(widths, shape))], None, None, None
    # Reflecting modes pad axis by axis, each a linear map on one axis: fold the
    # gradient back through each, sending every padded element to its source.
    for axis, ((before, after), n) in enumerate(zip(widths, shape)):
        if before == 0 and after == 0:
            continue
        source = np.pad(np.arange(n), (before, after), mode=mode)
        folded = np.zeros(g.shape[:axis] + (n,) + g.shape[axis + 1:], g.dtype)
        np.add.at(np.moveaxis(folded, axis, 0), source, np.moveaxis(g, axis, 0))
        g = folded
    return g, None, None, None


def broadcast_to(x, shape):
    return np.broadcast_to(x, shape)


@vjp(broadcast_to)
def _(g, out, x, shape):
    return np.reshape(unbroadcast(g, x), np.shape(x)), None


def flip(x, axis=None):
    return np.flip(x, axis)


@vjp(flip)
def _(g, out, x, axis=None):
    return np.flip(g, axis), None


# -- indexing ------------------------------------------------------------------------


def _key_part(k):
    if isinstance(k, (bool, np.bool_)):
        return np.asarray(k)  # a boolean scalar index, not the integer 1
    if k is None or k is Ellipsis or isinstance(k, (int, np.integer, builtins.slice)):
        return k
    array = np.asarray(plain(k))
    if array.dtype.kind not in "biu":
        raise IndexError(f"get_item: indices must be integers, slices, None, Ellipsis or integer/boolean arrays, "
                         f"got an array of dtype {array.dtype}.")
    return array


def _key(key):
    return tuple(_key_part(k) for k in key) if isinstance(key, tuple) else _key_part(key)


def _is_basic(key):
    parts = key if isinstance(key, tuple) else (key,)
    return not any(isinstance(k, np.ndarray) for k in parts)


def get_item(x, key):
    return np.asarray(x)[_key(key)]


@vjp(get_item)
def _(g, out, x, key):
    key = _key(key)
    x = np.asarray(x)
    grad = np.zeros(x.shape, g.dtype)
    if _is_basic(key):
        grad[key] = g
    else:
        np.add.at(grad, key, g)  # repeated indices accumulate
    return _like(grad, x), None


def _slices(op, x_shape, start_indices, shape):
    starts = [int(s) for s in np.asarray(plain(start_indices)).reshape(-1)]
    sizes = [int(s) for s in np.asarray(plain(shape)).reshape(-1)]
    if len(starts) != len(x_shape) or len(sizes) != len(x_shape):
        raise ValueError(f"{op}: `start_indices` {starts} and `shape` {sizes} need one entry per axis of the "
                         f"input of shape {tuple(x_shape)}.")
    index = []
    for start, size, n in zip(starts, sizes, x_shape):
        size = n - start if size == -1 else size  # -1: to the end, as tf.slice
        if start < 0 or size < 0 or start + size > n:
            raise ValueError(f"{op}: a slice of shape {sizes} starting at {starts} does not fit in the input "
                             f"of shape {tuple(x_shape)}.")
        index.append(builtins.slice(start, start + size))
    return tuple(index)


def slice(x, start_indices, shape):
    x = np.asarray(x)
    return x[_slices("slice", x.shape, start_indices, shape)]


@vjp(slice)
def _(g, out, x, start_indices, shape):
    x = np.asarray(x)
    grad = np.zeros(x.shape, g.dtype)
    grad[_slices("slice", x.shape, start_indices, shape)] = g
    return _like(grad, x), None, None


def _indices(op, indices):
    indices = np.asarray(plain(indices))
    if indices.dtype.kind not in "iu":
        if indices.dtype.kind == "f" and np.all(indices == np.round(indices)):
            return indices.astype(np.int64)
        raise IndexError(f"{op}: indices must be integers, got dtype {indices.dtype}.")
    return indices


def take(x, indices, axis=None):
    return np.take(x, _indices("take", indices), axis=axis)


@vjp(take)
def _(g, out, x, indices, axis=None):
    x = np.asarray(x)
    indices = _indices("take", indices)
    grad = np.zeros(x.shape, g.dtype)
    if axis is None:
        np.add.at(grad.reshape(-1), indices, g)
    else:
        axis = axis % x.ndim
        k = indices.ndim
        # g is (*before, *indices.shape, *after): bring the index axes to the front.
        moved = np.moveaxis(g, tuple(range(axis, axis + k)), tuple(range(k)))
        np.add.at(np.moveaxis(grad, axis, 0), indices, moved)
    return _like(grad, x), None, None


def take_along_axis(x, indices, axis=None):
    return np.take_along_axis(x, _indices("take_along_axis", indices), axis=axis)


@vjp(take_along_axis)
def _(g, out, x, indices, axis=None):
    x = np.asarray(x)
    indices = _indices("take_along_axis", indices)
    grad = np.zeros(x.shape, g.dtype)
    if axis is None:
        np.add.at(grad.reshape(-1), indices, g)
        return _like(grad, x), None, None
    axis = axis % x.ndim
    # Full fancy index: the given indices along `axis`, the position itself (or 0
    # where x was broadcast) along every other axis.
    index = []
    for d, n in enumerate(g.shape):
        if d == axis:
            index.append(np.broadcast_to(indices, g.shape))
        else:
            shape = [1] * g.ndim
            shape[d] = n
            index.append(np.arange(n).reshape(shape) if x.shape[d] == n else np.zeros(shape, np.intp))
    np.add.at(grad, tuple(index), g)
    return _like(grad, x), None, None


def one_hot(x, num_classes, axis=-1, dtype=None):
    x = _indices("one_hot", x)
    # Comparing with arange gives all-zero rows for out-of-range indices, as Keras's backends do.
    out = (x[..., None] == np.arange(int(num_classes))).astype(_dtype(dtype))
    return out if axis in (-1, out.ndim - 1) else np.moveaxis(out, -1, axis)
