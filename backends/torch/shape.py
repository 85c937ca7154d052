"""Manipulation and indexing ops (torch). Gradients are torch autograd's.

Where NumPy and torch spell an op differently the op follows NumPy: negative
slice steps (torch has none) become flips, ``split`` takes sections or
indices, ``pad`` reflects past the edge as often as needed, and ``take``
accepts negative indices.
"""

from __future__ import annotations

import builtins
import functools

import numpy as np
import torch
import torch.nn.functional as F

from .core import Tensor, as_shape, device_of, placement, tensor, torch_dtype


def _ints(values) -> list[int]:
    """An int, or a sequence/array/tensor of ints, as a flat list of Python ints."""
    if isinstance(values, Tensor):
        return [int(v) for v in values.reshape(-1).tolist()]
    return [int(v) for v in np.asarray(values).reshape(-1).tolist()]


def _axes(axis, ndim: int):
    """An int or a sequence of ints as a tuple of non-negative axes."""
    if isinstance(axis, (int, np.integer)):
        return (int(axis) % builtins.max(ndim, 1),)
    return tuple(int(a) % builtins.max(ndim, 1) for a in axis)


# -- manipulation ----------------------------------------------------------------


def reshape(x, newshape):
    return tensor(x).reshape(as_shape(newshape))


def transpose(x, axes=None):
    x = tensor(x)
    if axes is None:
        return x.permute(tuple(range(x.dim() - 1, -1, -1)))
    return x.permute(tuple(int(a) for a in axes))


def expand_dims(x, axis):
    x = tensor(x)
    if isinstance(axis, (int, np.integer)):
        return x.unsqueeze(int(axis))
    for a in sorted(_axes(axis, x.dim() + len(axis))):
        x = x.unsqueeze(a)
    return x


def squeeze(x, axis=None):
    x = tensor(x)
    if axis is None:
        return x.squeeze()
    axes = _axes(axis, x.dim())
    if builtins.any(x.shape[a] != 1 for a in axes):
        raise ValueError(f"squeeze: cannot squeeze axis {axis} of a tensor of shape {tuple(x.shape)}: "
                         f"its size is not 1.")
    return x.squeeze(axes)


def swapaxes(x, axis1, axis2):
    return torch.swapaxes(tensor(x), int(axis1), int(axis2))


def moveaxis(x, source, destination):
    if not isinstance(source, (int, np.integer)):
        source, destination = tuple(int(s) for s in source), tuple(int(d) for d in destination)
    return torch.movedim(tensor(x), source, destination)


def _tensors(xs) -> list:
    """A list of tensors; host data goes to the device of the first tensor or Variable among them."""
    devices = (device_of(x) for x in xs)
    device = next((d for d in devices if d is not None), None)
    return [tensor(x, device) for x in xs]


def concatenate(xs, axis=0):
    parts = _tensors(xs)
    if axis is None:
        return torch.cat([p.reshape(-1) for p in parts])
    return torch.cat(parts, dim=int(axis))


def stack(xs, axis=0):
    return torch.stack(_tensors(xs), dim=int(axis))


def split(x, indices_or_sections, axis=0):
    x = tensor(x)
    axis = int(axis)
    if isinstance(indices_or_sections, (int, np.integer)):
        sections = int(indices_or_sections)
        if x.shape[axis] % sections:
            raise ValueError(f"split: {sections} sections do not divide axis {axis} of length {x.shape[axis]} "
                             f"(input shape {tuple(x.shape)}) equally.")
        return list(torch.tensor_split(x, sections, dim=axis))
    return list(torch.tensor_split(x, _ints(indices_or_sections), dim=axis))


def tile(x, repeats):
    return torch.tile(tensor(x), as_shape(repeats))


def repeat(x, repeats, axis=None):
    x = tensor(x)
    dim = None if axis is None else int(axis)
    counts = [int(repeats)] if isinstance(repeats, (int, np.integer)) else _ints(repeats)
    if len(counts) == 1:  # one count repeats every element, as NumPy broadcasts it
        return torch.repeat_interleave(x, counts[0], dim=dim)
    # The output size is known here: telling torch spares it a device-to-host sync.
    return torch.repeat_interleave(x, torch.tensor(counts, device=x.device), dim=dim, output_size=builtins.sum(counts))


_PAD_MODES = ("constant", "reflect", "symmetric")


@functools.lru_cache(maxsize=256)
def _reflected(n: int, before: int, after: int, mode: str) -> np.ndarray:
    """Source positions of an axis of length ``n`` padded in a reflecting ``mode`` (any width)."""
    return np.pad(np.arange(n), (before, after), mode=mode)


def pad(x, pad_width, mode="constant", constant_values=0):
    if mode not in _PAD_MODES:
        raise ValueError(f"pad: `mode` must be one of {', '.join(_PAD_MODES)}; got {mode!r}.")
    x = tensor(x)
    if isinstance(pad_width, Tensor):
        pad_width = pad_width.tolist()
    # Any form np.pad takes: n, (before, after), or one pair per axis.
    widths = np.broadcast_to(np.asarray(pad_width, dtype=np.int64), (x.dim(), 2))
    if mode == "constant":
        flat = [int(w) for pair in widths[::-1] for w in pair]  # F.pad lists the last axis first
        value = 0 if constant_values is None else constant_values
        return F.pad(x, flat, mode="constant", value=float(value) if x.is_floating_point() else value)
    # Reflecting modes gather, axis by axis, each padded position's source element.
    for axis, (before, after) in enumerate(widths.tolist()):
        if before or after:
            source = _reflected(x.shape[axis], before, after, mode)
            x = x.index_select(axis, torch.from_numpy(source).to(x.device))
    return x


def broadcast_to(x, shape):
    return torch.broadcast_to(tensor(x), as_shape(shape))


def flip(x, axis=None):
    x = tensor(x)
    if axis is None:
        return torch.flip(x, tuple(range(x.dim())))
    return torch.flip(x, _axes(axis, x.dim()))


# -- indexing ------------------------------------------------------------------------


_INDEX_ERROR = "indices must be integers, slices, None, Ellipsis or integer/boolean arrays"


def _index_tensor(k, device) -> Tensor:
    """An array-like index as an integer or boolean tensor on ``device``."""
    t = tensor(k, device)
    if t.is_floating_point() or t.is_complex():
        raise IndexError(f"get_item: {_INDEX_ERROR}, got an array of dtype {t.dtype}.")
    if not (t.dtype is torch.bool or t.is_signed()):
        t = t.long()  # torch would read uint8 as a mask
    return t if t.device == device else t.to(device)


def _key_part(k, device):
    if k is None or k is Ellipsis or type(k) in (int, bool, builtins.slice):
        return k
    if isinstance(k, (bool, np.bool_)):
        return bool(k)
    if isinstance(k, (int, np.integer)):
        return int(k)
    return _index_tensor(k, device)


def _span(part) -> int:
    """How many axes of the indexed tensor a key part consumes."""
    if part is None or part is Ellipsis or type(part) is bool:
        return 0
    if isinstance(part, Tensor) and part.dtype is torch.bool:
        return part.dim()
    return 1


def _positive_steps(x: Tensor, parts: tuple):
    """``x`` flipped along the axes that negative-step slices read, and the key with those
    slices rewritten to read the flipped axes forwards (torch slices cannot step backwards)."""
    spans = [_span(p) for p in parts]
    rest = x.dim() - builtins.sum(spans)
    axis, flips, key = 0, [], []
    for part, span in zip(parts, spans):
        if part is Ellipsis:
            axis += rest
        elif isinstance(part, builtins.slice) and part.step is not None and part.step < 0:
            n = x.shape[axis]
            start, stop, step = part.indices(n)
            count = len(range(start, stop, step))
            first = n - 1 - start  # where x[start] lies once the axis is flipped
            part = builtins.slice(first, first + (count - 1) * -step + 1, -step) if count else builtins.slice(0, 0)
            flips.append(axis)
        key.append(part)
        axis += span
    return x.flip(flips), tuple(key)


def get_item(x, key):
    x = tensor(x)
    if type(key) is int or (type(key) is builtins.slice and (key.step is None or key.step > 0)):
        return x[key]
    parts = tuple(_key_part(k, x.device) for k in (key if isinstance(key, tuple) else (key,)))
    if builtins.any(isinstance(p, builtins.slice) and p.step is not None and p.step < 0 for p in parts):
        x, parts = _positive_steps(x, parts)
    return x[parts if isinstance(key, tuple) else parts[0]]


def slice(x, start_indices, shape):
    x = tensor(x)
    starts, sizes = _ints(start_indices), _ints(shape)
    if len(starts) != x.dim() or len(sizes) != x.dim():
        raise ValueError(f"slice: `start_indices` {starts} and `shape` {sizes} need one entry per axis of the "
                         f"input of shape {tuple(x.shape)}.")
    index = []
    for start, size, n in zip(starts, sizes, x.shape):
        size = n - start if size == -1 else size  # -1: to the end, as tf.slice
        if start < 0 or size < 0 or start + size > n:
            raise ValueError(f"slice: a slice of shape {sizes} starting at {starts} does not fit in the input "
                             f"of shape {tuple(x.shape)}.")
        index.append(builtins.slice(start, start + size))
    return x[tuple(index)]


def _indices(op, indices, device) -> Tensor:
    """Integer indices (integral floats accepted, as in the NumPy backend) as an int64 tensor on ``device``."""
    t = tensor(indices)
    if t.is_floating_point():
        if not torch.equal(t, torch.round(t)):
            raise IndexError(f"{op}: indices must be integers, got dtype {t.dtype}.")
    elif t.dtype is torch.bool or t.is_complex():
        raise IndexError(f"{op}: indices must be integers, got dtype {t.dtype}.")
    t = t.long()
    return t if t.device == device else t.to(device)


def _wrapped(indices: Tensor, n: int) -> Tensor:
    """Negative indices counted from the end, as NumPy's."""
    return torch.where(indices < 0, indices + n, indices)


def take(x, indices, axis=None):
    x = tensor(x)
    indices = _indices("take", indices, x.device)
    if axis is None:
        flat = x.reshape(-1)
        return flat[_wrapped(indices, flat.shape[0])]
    axis = int(axis) % x.dim()
    picked = x.index_select(axis, _wrapped(indices, x.shape[axis]).reshape(-1))
    return picked.reshape(x.shape[:axis] + indices.shape + x.shape[axis + 1:])


def take_along_axis(x, indices, axis=None):
    x = tensor(x)
    indices = _indices("take_along_axis", indices, x.device)
    if axis is None:
        flat = x.reshape(-1)
        return torch.take_along_dim(flat, _wrapped(indices, flat.shape[0]))
    axis = int(axis)
    return torch.take_along_dim(x, _wrapped(indices, x.shape[axis]), dim=axis)


def one_hot(x, num_classes, axis=-1, dtype=None):
    device = x.device if isinstance(x, Tensor) else placement.device
    indices = _indices("one_hot", x, device)
    # Comparing with arange gives all-zero rows for out-of-range indices, as Keras's backends do.
    out = (indices.unsqueeze(-1) == torch.arange(int(num_classes), device=device)).to(torch_dtype(dtype))
    return out if axis in (-1, out.dim() - 1) else out.movedim(-1, axis)
