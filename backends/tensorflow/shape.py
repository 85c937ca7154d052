"""Manipulation and indexing ops (TensorFlow), with NumPy's semantics.

Where TensorFlow's op differs from NumPy's (negative axes and indices,
advanced indexing, reflections wider than the axis, split points), the
difference is resolved from static shapes when they are known and with
tensor arithmetic otherwise, so every op also runs inside ``tf.function``.
"""

from __future__ import annotations

import builtins

import numpy as np
import tensorflow as tf

from plugnet.variables import Variable

from .core import INTEGERS, bool_, int32, int64, promoted, read, tensor, tf_dtype

# -- helpers -------------------------------------------------------------------------


def _rank(x) -> int:
    rank = x.shape.rank
    if rank is None:
        raise ValueError(f"The 'tensorflow' backend needs the rank of {x!r} to be known.")
    return rank


def _normalized(axis, rank: int) -> int:
    axis = int(axis)
    if not -rank <= axis < rank:
        raise ValueError(f"axis {axis} is out of bounds for a tensor of rank {rank}.")
    return axis % rank


def _dim(x, axis: int):
    """The size of ``x`` along ``axis``: an int if static, else a scalar tensor."""
    n = x.shape[axis]
    return n if n is not None else tf.shape(x, out_type=int64)[axis]


def _is_host(value) -> bool:
    return not isinstance(value, (tf.Tensor, tf.Variable, Variable))


def _wrapped(indices, n):
    """Integer ``indices`` with negative entries counted from the end of an axis of size ``n``."""
    if _is_host(indices):
        indices = np.asarray(indices)
        if isinstance(n, int):
            return np.where(indices < 0, indices + n, indices).astype(np.int64)
        indices = tf.constant(indices.astype(np.int64))
    indices = tf.cast(tensor(indices), int64)
    return tf.where(indices < 0, indices + tf.cast(n, int64), indices)


def _int_indices(op, indices):
    """``indices`` as integers: integral floats are accepted, as by the reference backend."""
    if _is_host(indices):
        array = np.asarray(indices)
        if array.dtype.kind in "iu":
            return array
        if array.dtype.kind == "f" and np.all(array == np.round(array)):
            return array.astype(np.int64)
        raise IndexError(f"{op}: indices must be integers, got dtype {array.dtype}.")
    indices = tensor(indices)
    if indices.dtype in INTEGERS:
        return indices
    if indices.dtype.is_floating:
        return tf.cast(indices, int64)
    raise IndexError(f"{op}: indices must be integers, got dtype {indices.dtype.name}.")


# -- manipulation -------------------------------------------------------------------


def reshape(x, newshape):
    return tf.reshape(tensor(x), [newshape] if isinstance(newshape, int) else newshape)


def transpose(x, axes=None):
    x = tensor(x)
    if axes is None:
        return tf.transpose(x)
    rank = _rank(x)
    return tf.transpose(x, [_normalized(a, rank) for a in axes])


def expand_dims(x, axis):
    x = read(x)
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    rank = _rank(x) + len(axes)
    for a in sorted(_normalized(a, rank) for a in axes):
        x = tf.expand_dims(x, a)
    return x


def squeeze(x, axis=None):
    x = tensor(x)
    if axis is None:
        return tf.squeeze(x)
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    rank = _rank(x)
    for a in axes:
        n = x.shape[a]
        if n is not None and n != 1:
            raise ValueError(f"squeeze: cannot select axis {a} of size {n} (shape {tuple(x.shape)}); only size 1.")
    return tf.squeeze(x, [_normalized(a, rank) for a in axes])


def swapaxes(x, axis1, axis2):
    x = tensor(x)
    rank = _rank(x)
    perm = list(range(rank))
    a, b = _normalized(axis1, rank), _normalized(axis2, rank)
    perm[a], perm[b] = perm[b], perm[a]
    return tf.transpose(x, perm)


def _moveaxis_perm(rank, source, destination):
    source = [source] if isinstance(source, int) else list(source)
    destination = [destination] if isinstance(destination, int) else list(destination)
    source = [_normalized(a, rank) for a in source]
    destination = [_normalized(a, rank) for a in destination]
    perm = [a for a in range(rank) if a not in source]
    for dest, src in sorted(zip(destination, source)):
        perm.insert(dest, src)
    return perm


def moveaxis(x, source, destination):
    x = tensor(x)
    return tf.transpose(x, _moveaxis_perm(_rank(x), source, destination))


def concatenate(xs, axis=0):
    xs = promoted(xs)
    if axis is None:
        return tf.concat([tf.reshape(x, [-1]) for x in xs], axis=0)
    return tf.concat(xs, axis=axis)


def stack(xs, axis=0):
    return tf.stack(promoted(xs), axis=axis)


def split(x, indices_or_sections, axis=0):
    x = tensor(x)
    axis = _normalized(axis, _rank(x))
    if isinstance(indices_or_sections, (int, np.integer)):
        sections = int(indices_or_sections)
        n = x.shape[axis]
        if n is not None and n % sections:
            raise ValueError(f"split: an axis of size {n} does not divide into {sections} equal sections.")
        return tf.split(x, sections, axis=axis)
    points = [int(i) for i in np.asarray(indices_or_sections).reshape(-1)]
    # Python slices clamp, count negatives from the end and are empty when stop < start, as np.split's parts are.
    return [_axis_slice(x, axis, start, stop) for start, stop in zip([0] + points, points + [None])]


def _axis_slice(x, axis, start, stop):
    return x[(builtins.slice(None),) * axis + (builtins.slice(start, stop),)]


def tile(x, repeats):
    x = tensor(x)
    reps = [int(repeats)] if np.ndim(repeats) == 0 else [int(r) for r in np.asarray(repeats).reshape(-1)]
    rank = _rank(x)
    if len(reps) > rank:
        x = tf.reshape(x, [1] * (len(reps) - rank) + [_dim(x, i) for i in range(rank)])
    reps = [1] * (_rank(x) - len(reps)) + reps
    return tf.tile(x, reps)


def repeat(x, repeats, axis=None):
    x = tensor(x)
    if not _is_host(repeats):
        repeats = tensor(repeats)
    return tf.repeat(x, repeats, axis=axis)


_PAD_MODES = {"constant": "CONSTANT", "reflect": "REFLECT", "symmetric": "SYMMETRIC"}


def pad(x, pad_width, mode="constant", constant_values=0):
    if mode not in _PAD_MODES:
        raise ValueError(f"pad: `mode` must be one of {', '.join(_PAD_MODES)}; got {mode!r}.")
    x = read(x)
    rank = _rank(x)
    value = 0 if constant_values is None or mode != "constant" else constant_values
    if not _is_host(value):
        value = tf.cast(tensor(value), x.dtype)
    if not _is_host(pad_width):
        return tf.pad(x, tf.broadcast_to(tf.cast(tensor(pad_width), int64), [rank, 2]), _PAD_MODES[mode], value)
    widths = np.broadcast_to(np.asarray(pad_width, dtype=np.int64), (rank, 2))
    if mode == "constant":
        return tf.pad(x, widths, "CONSTANT", value)
    # TensorFlow reflects once (widths up to the axis size less 1 for 'reflect'); NumPy keeps
    # reflecting: wider axes gather NumPy's own source indices. Reflections are separable by axis.
    shortfall = 1 if mode == "reflect" else 0
    wide = [n is not None and builtins.max(b, a) > n - shortfall for (b, a), n in zip(widths, x.shape)]
    narrow = np.where(np.asarray(wide)[:, None], 0, widths)
    if narrow.any():
        x = tf.pad(x, narrow, _PAD_MODES[mode])
    for axis, ((before, after), n) in enumerate(zip(widths, x.shape)):
        if wide[axis]:
            x = tf.gather(x, np.pad(np.arange(n), (int(before), int(after)), mode=mode), axis=axis)
    return x


def broadcast_to(x, shape):
    return tf.broadcast_to(tensor(x), shape)


def flip(x, axis=None):
    x = tensor(x)
    rank = _rank(x)
    if axis is None:
        axes = list(range(rank))
    else:
        axes = [_normalized(a, rank) for a in (axis if isinstance(axis, (tuple, list)) else (axis,))]
    return tf.reverse(x, axes)


# -- indexing -------------------------------------------------------------------------

_BASIC = (builtins.slice, type(None), type(Ellipsis))


def _key_part(k):
    """One entry of an index key: an int, slice, None, Ellipsis, or an integer or boolean array/tensor."""
    if isinstance(k, (bool, np.bool_)):
        raise IndexError("get_item: a boolean scalar index is not supported; use None to add an axis.")
    if isinstance(k, (int, np.integer)):
        return int(k)
    if isinstance(k, _BASIC):
        return k
    if isinstance(k, (tf.Tensor, tf.Variable, Variable)):
        k = read(k)
        if k.dtype is not bool_ and k.dtype not in INTEGERS:
            raise IndexError(f"get_item: indices must be integers or booleans, got a tensor of dtype {k.dtype.name}.")
        return k
    array = np.asarray(k)
    if array.dtype.kind not in "biu":
        raise IndexError(f"get_item: indices must be integers, slices, None, Ellipsis or integer/boolean arrays, "
                         f"got an array of dtype {array.dtype}.")
    return array


def _is_array(k) -> bool:
    return isinstance(k, (np.ndarray, tf.Tensor)) and not (isinstance(k, tf.Tensor) and k.shape.rank == 0
                                                           and k.dtype is not bool_)


def _is_mask(k) -> bool:
    return _is_array(k) and k.dtype in (np.bool_, bool_)


def _expand_ellipsis(parts, rank):
    """``parts`` with an Ellipsis replaced by the full slices it stands for."""
    where = [i for i, p in enumerate(parts) if p is Ellipsis]
    if not where:
        return parts
    consumed = builtins.sum(len(p.shape) if _is_mask(p) else (0 if p is None or p is Ellipsis else 1) for p in parts)
    return parts[:where[0]] + [builtins.slice(None)] * (rank - consumed) + parts[where[0] + 1:]


def _mask_to_indices(mask):
    """A boolean mask as one index array per masked axis (NumPy's nonzero)."""
    if isinstance(mask, np.ndarray):
        return list(np.nonzero(mask))
    positions = tf.where(mask)  # (count, mask rank), int64
    return [positions[:, i] for i in range(mask.shape.rank)]


def _broadcast(indices):
    if builtins.all(isinstance(i, np.ndarray) for i in indices):
        return [tf.constant(i) for i in np.broadcast_arrays(*indices)]
    tensors = [tf.cast(tensor(i), int64) for i in indices]
    shape = tf.shape(tensors[0], out_type=int64)
    for t in tensors[1:]:
        shape = tf.broadcast_dynamic_shape(shape, tf.shape(t, out_type=int64))
    return [tf.broadcast_to(t, shape) for t in tensors]


def _advanced_index(x, parts):
    """NumPy advanced indexing: slices and new axes first, then one gather_nd over the indexed axes."""
    expanded = []
    for p in _expand_ellipsis(parts, _rank(x)):
        expanded += _mask_to_indices(p) if _is_mask(p) else [p]
    basic = tuple(p if isinstance(p, _BASIC) else builtins.slice(None) for p in expanded)
    y = x[basic] if builtins.any(p != builtins.slice(None) for p in basic) else x
    positions = [d for d, p in enumerate(expanded) if not isinstance(p, _BASIC)]
    # Ints among index arrays are 0-d index arrays, as in NumPy.
    indices = _broadcast([_wrapped(np.asarray(expanded[d]) if isinstance(expanded[d], int) else expanded[d],
                                   _dim(y, d)) for d in positions])
    y_rank = _rank(y)
    rest = [d for d in range(y_rank) if d not in positions]
    gathered = tf.gather_nd(tf.transpose(y, positions + rest), tf.stack(indices, axis=-1))
    first = positions[0]
    if positions != list(range(first, first + len(positions))) or first == 0:
        return gathered  # NumPy puts the broadcast index dims first unless the indexed axes are adjacent
    n_index = indices[0].shape.rank
    out_rank = n_index + len(rest)
    perm = list(range(n_index, n_index + first)) + list(range(n_index)) + list(range(n_index + first, out_rank))
    return tf.transpose(gathered, perm)


def get_item(x, key):
    x = tensor(x)
    parts = [_key_part(k) for k in (key if isinstance(key, tuple) else (key,))]
    if not builtins.any(_is_array(p) for p in parts):
        return x[tuple(parts)]
    if len(parts) == 1:
        (index,) = parts
        if _is_mask(index):
            return tf.boolean_mask(x, index)
        return tf.gather(x, _wrapped(index, _dim(x, 0)), axis=0)
    return _advanced_index(x, parts)


def _host_ints(values):
    return None if not _is_host(values) else [int(v) for v in np.asarray(values).reshape(-1)]


def slice(x, start_indices, shape):
    x = tensor(x)
    starts, sizes = _host_ints(start_indices), _host_ints(shape)
    if starts is not None and sizes is not None:
        dims = x.shape.as_list()
        if len(starts) != len(dims) or len(sizes) != len(dims):
            raise ValueError(f"slice: `start_indices` {starts} and `shape` {sizes} need one entry per axis of the "
                             f"input of shape {tuple(dims)}.")
        for start, size, n in zip(starts, sizes, dims):
            if n is None:
                continue
            stop = n if size == -1 else start + size
            if start < 0 or stop < start or stop > n:
                raise ValueError(f"slice: a slice of shape {sizes} starting at {starts} does not fit in the input "
                                 f"of shape {tuple(dims)}.")
    return tf.slice(x, start_indices if starts is None else starts, shape if sizes is None else sizes)


def take(x, indices, axis=None):
    x = tensor(x)
    indices = _int_indices("take", indices)
    if axis is None:
        x, axis = tf.reshape(x, [-1]), 0
    axis = _normalized(axis, _rank(x))
    return tf.gather(x, _wrapped(indices, _dim(x, axis)), axis=axis)


def take_along_axis(x, indices, axis=None):
    x = tensor(x)
    indices = _int_indices("take_along_axis", indices)
    if axis is None:
        x = tf.reshape(x, [-1])
        return tf.gather(x, _wrapped(indices, _dim(x, 0)))
    rank = _rank(x)
    axis = _normalized(axis, rank)
    indices = _wrapped(indices, _dim(x, axis))
    indices = indices if isinstance(indices, tf.Tensor) else tf.constant(indices)
    # Along every other axis the two broadcast together; then one batched gather on the last axis.
    x_last = tf.transpose(x, _moveaxis_perm(rank, axis, -1))
    i_last = tf.transpose(indices, _moveaxis_perm(rank, axis, -1))
    batch = tf.broadcast_static_shape(x_last.shape[:-1], i_last.shape[:-1])
    if batch.is_fully_defined():
        batch = batch.as_list()
        x_b = tf.broadcast_to(x_last, batch + [_dim(x_last, -1)])
        i_b = tf.broadcast_to(i_last, batch + [_dim(i_last, -1)])
    else:
        x_shape, i_shape = tf.shape(x_last, out_type=int64), tf.shape(i_last, out_type=int64)
        dynamic = tf.broadcast_dynamic_shape(x_shape[:-1], i_shape[:-1])
        x_b = tf.broadcast_to(x_last, tf.concat([dynamic, x_shape[-1:]], 0))
        i_b = tf.broadcast_to(i_last, tf.concat([dynamic, i_shape[-1:]], 0))
    out = tf.gather(x_b, i_b, axis=rank - 1, batch_dims=rank - 1)
    return tf.transpose(out, _moveaxis_perm(rank, -1, axis))


def one_hot(x, num_classes, axis=-1, dtype=None):
    indices = _int_indices("one_hot", x)
    indices = tensor(indices)
    if indices.dtype not in (int32, int64):
        indices = tf.cast(indices, int64)
    axis = _normalized(axis, _rank(indices) + 1)
    # TensorFlow gives all-zero rows for out-of-range indices, as Keras's backends do.
    return tf.one_hot(indices, int(num_classes), axis=axis, dtype=tf_dtype(dtype))
