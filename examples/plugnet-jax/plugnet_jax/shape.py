"""Manipulation and indexing ops (JAX).

``jax.numpy`` follows NumPy here, so most ops are one call. The exceptions
are values NumPy reads on the host that ``jax.jit`` cannot trace: a boolean
mask (its count of True values is a shape), ``repeats`` given as an array,
starts and sizes of ``slice``. Those are read on the host (as integer
indices, tuples of ints) before an op is compiled (see
:mod:`plugnet_jax.templates`); inside a compiled step they must be known when
it is traced (a JAX limitation: shapes are static). Likewise ``take`` checks
its indices on the host, raising NumPy's IndexError where JAX would clip or
fill silently.
"""

from __future__ import annotations

import builtins

import jax
import jax.numpy as jnp
import numpy as np

from plugnet.variables import Variable

from .autograd import Tensor
from .core import as_shape, host_ints, jax_dtype, number, pad_constant, tensor
from .storage import Storage
from .templates import prepares


def _tensors(xs):
    return [tensor(x) for x in xs]


# -- manipulation ----------------------------------------------------------------


def reshape(x, newshape):
    return jnp.reshape(tensor(x), as_shape(newshape))


def transpose(x, axes=None):
    return jnp.transpose(tensor(x), None if axes is None else host_ints(axes))


def expand_dims(x, axis):
    return jnp.expand_dims(tensor(x), host_ints(axis))


def squeeze(x, axis=None):
    return jnp.squeeze(tensor(x), None if axis is None else host_ints(axis))


def swapaxes(x, axis1, axis2):
    return jnp.swapaxes(tensor(x), int(axis1), int(axis2))


def moveaxis(x, source, destination):
    return jnp.moveaxis(tensor(x), host_ints(source), host_ints(destination))


def concatenate(xs, axis=0):
    xs = _tensors(xs)
    if axis is None:
        return jnp.concatenate([x.reshape(-1) for x in xs])
    return jnp.concatenate(xs, axis=int(axis))


def stack(xs, axis=0):
    return jnp.stack(_tensors(xs), axis=int(axis))


def split(x, indices_or_sections, axis=0):
    return list(jnp.split(tensor(x), host_ints(indices_or_sections), axis=int(axis)))


def tile(x, repeats):
    return jnp.tile(tensor(x), host_ints(repeats))


def repeat(x, repeats, axis=None):
    repeats = host_ints(repeats)
    x = tensor(x)
    if isinstance(repeats, tuple) and len(repeats) == 1:
        repeats = repeats[0]  # one count for every element, as NumPy broadcasts it
    if isinstance(repeats, tuple):
        # Counts per element: the result's length is their sum, which JAX must know when tracing.
        return jnp.repeat(x, jnp.asarray(repeats, jnp.int32), axis=axis, total_repeat_length=sum(repeats))
    return jnp.repeat(x, repeats, axis=axis)


@prepares(repeat)
def _(x, repeats, axis=None):
    return x, host_ints(repeats), axis


_PAD_MODES = ("constant", "reflect", "symmetric")


def pad(x, pad_width, mode="constant", constant_values=0):
    if mode not in _PAD_MODES:
        raise ValueError(f"pad: `mode` must be one of {_PAD_MODES}, got {mode!r}.")
    x = tensor(x)
    # NumPy's forms: an int, (before, after) for every axis, or one pair per axis.
    widths = tuple((int(a), int(b)) for a, b in np.broadcast_to(np.asarray(pad_width, dtype=np.int64), (x.ndim, 2)))
    if mode == "constant":
        fill = constant_values if isinstance(constant_values, (int, float)) else tensor(constant_values)
        return pad_constant(x, widths, fill)
    return jnp.pad(x, widths, mode=mode)


def broadcast_to(x, shape):
    return jnp.broadcast_to(tensor(x), as_shape(shape))


def flip(x, axis=None):
    return jnp.flip(tensor(x), None if axis is None else host_ints(axis))


# -- indexing --------------------------------------------------------------------


def _index(item):
    """One part of an indexing key as JAX takes it; a concrete boolean mask becomes integer indices."""
    if isinstance(item, (Tensor, Variable, Storage, jax.Array)):
        item = tensor(item)
        if item.dtype == jnp.bool_ and not isinstance(item, jax.core.Tracer):
            return tuple(jnp.asarray(i, jnp.int32) for i in np.nonzero(np.asarray(item)))
        return item
    if isinstance(item, np.ndarray):
        if item.dtype == np.bool_:
            return tuple(jnp.asarray(i, jnp.int32) for i in np.nonzero(item))
        return jnp.asarray(item)
    if isinstance(item, (list, tuple)):
        return _index(np.asarray(item))
    return item


def _key(key):
    """An indexing key (a tuple of parts, or one part) as JAX takes it."""
    parts = key if type(key) is tuple else (key,)
    out = []
    for part in parts:
        part = _index(part)
        # A mask stands for as many integer index arrays as it has dimensions.
        out.extend(part) if type(part) is tuple else out.append(part)
    return tuple(out)


def get_item(x, key):
    return tensor(x)[_key(key)]


@prepares(get_item)
def _(x, key):
    return x, _key(key)


def slice(x, start_indices, shape):
    x = tensor(x)
    starts, sizes = as_shape(start_indices), as_shape(shape)
    index = tuple(builtins.slice(s, None if n == -1 else s + n) for s, n in zip(starts, sizes))
    return x[index]


@prepares(slice)
def _(x, start_indices, shape):
    return x, as_shape(start_indices), as_shape(shape)


def _integer(indices):
    indices = tensor(indices)
    if not jnp.issubdtype(indices.dtype, jnp.integer):
        raise TypeError(f"indices must be integers, got dtype {indices.dtype}.")
    return indices


def _check_bounds(op, x, indices, axis):
    """NumPy's IndexError for an index outside the axis (JAX would fill or clip silently).

    Only indices known now can be checked: inside a compiled step they are traced, and JAX's
    rule holds there (an out-of-range ``take`` gives NaN).
    """
    if isinstance(indices, jax.core.Tracer):
        return
    size = int(np.prod(x.shape, dtype=np.int64)) if axis is None else x.shape[int(axis)]
    host = np.asarray(indices)
    outside = (host < -size) | (host >= size)
    if outside.any():
        raise IndexError(f"{op}: index {host[outside].flat[0]} is out of bounds for axis "
                         f"{'None' if axis is None else int(axis)} with size {size}.")


def take(x, indices, axis=None):
    x, indices = tensor(x), _integer(indices)
    _check_bounds("take", x, indices, axis)
    return jnp.take(x, indices, axis=None if axis is None else int(axis))


@prepares(take)
def _(x, indices, axis=None):
    _check_bounds("take", tensor(x), _integer(indices), axis)
    return x, indices, axis


def take_along_axis(x, indices, axis=None):
    x, indices = tensor(x), _integer(indices)
    _check_bounds("take_along_axis", x, indices, axis)
    if axis is None:
        return jnp.take_along_axis(x.reshape(-1), indices.reshape(-1), axis=0)
    return jnp.take_along_axis(x, indices, axis=int(axis))


@prepares(take_along_axis)
def _(x, indices, axis=None):
    _check_bounds("take_along_axis", tensor(x), _integer(indices), axis)
    return x, indices, axis


def one_hot(x, num_classes, axis=-1, dtype=None):
    # Out-of-range classes give an all-zero row, as in NumPy's reference and Keras.
    return jax.nn.one_hot(tensor(x), int(number(num_classes)), dtype=jax_dtype(dtype), axis=int(axis))

