"""Convolution, pooling and moments (torch), with Keras's layouts and padding.

torch computes channels_first, with conv kernels shaped (out, in, *window):
channels_last inputs are *viewed* channels_first (``movedim``, no copy; torch's
CPU kernels read that memory layout as it is), Keras kernels are permuted, and
results are viewed back. 'same' padding is TensorFlow's, the odd element at
the end: when it is even on every axis torch pads (and for pooling, counts)
itself, otherwise the input is padded explicitly. ``conv_transpose`` crops
(or zero-extends) torch's full transposed convolution to Keras's output size.
Gradients are torch autograd's.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import torch
import torch.nn.functional as F

from plugnet.plugins.nn_args import conv_groups, is_channels_first
from plugnet.plugins.nn_args import int_tuple as _tuple
from plugnet.plugins.nn_args import output_padding_tuple as _output_padding
from plugnet.plugins.nn_args import padding_mode as _padding

from .core import same_dtype, tensor

_CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
_CONV_TRANSPOSE = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}
_MAX_POOL = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}
_AVERAGE_POOL = {1: F.avg_pool1d, 2: F.avg_pool2d, 3: F.avg_pool3d}

# -- argument checking ---------------------------------------------------------


def _channels_first(op, inputs, data_format):
    """``inputs`` as a channels_first tensor (a view), and whether it came channels_first."""
    x = tensor(inputs)
    if is_channels_first(op, x.shape, data_format):
        return x, True
    return x.movedim(-1, 1), False


def _restore(out, channels_first):
    return out if channels_first else out.movedim(1, -1)


def _input_shape(x, channels_first):
    """The shape the caller gave, for error messages."""
    return tuple(x.shape) if channels_first else tuple(x.movedim(1, -1).shape)


# -- padding -----------------------------------------------------------------------


def _same_pads(in_size, extents, strides):
    """TensorFlow's 'same' padding per axis as (before, after): the odd element after."""
    pads = []
    for n, e, s in zip(in_size, extents, strides):
        total = max((-(-n // s) - 1) * s + e - n, 0)
        pads.append((total // 2, total - total // 2))
    return pads


def _padded(op, x, window, strides, dilation, padding, value=0.0):
    """(x, padding for torch, the pads per axis): ``x`` padded explicitly when 'same' padding is
    uneven, else itself with the symmetric padding torch applies (0 for 'valid')."""
    extents = [(k - 1) * d + 1 for k, d in zip(window, dilation)]
    spatial = tuple(x.shape[2:])
    if padding == "valid":
        if any(n < e for n, e in zip(spatial, extents)):
            raise ValueError(
                f"{op}: the window {tuple(window)} (dilation {tuple(dilation)}) is larger than the input's "
                f"spatial size {spatial} with padding='valid'."
            )
        return x, 0, None
    pads = _same_pads(spatial, extents, strides)
    if all(before == after for before, after in pads):
        return x, tuple(before for before, _ in pads), None
    flat = [v for pair in reversed(pads) for v in pair]  # F.pad lists the last axis first
    return F.pad(x, flat, value=value), 0, pads


# -- convolution ---------------------------------------------------------------


def _conv(op, inputs, kernel, strides, padding, data_format, dilation_rate, depthwise=False):
    x, channels_first = _channels_first(op, inputs, data_format)
    x, kernel = same_dtype(x, tensor(kernel, x.device))
    n = x.dim() - 2
    groups = conv_groups(op, _input_shape(x, channels_first), kernel.shape, channels_first, depthwise)
    if depthwise:
        kernel = kernel.reshape(tuple(kernel.shape[:n]) + (1, groups * kernel.shape[-1]))
    strides = _tuple(op, "strides", strides, n)
    dilation = _tuple(op, "dilation_rate", dilation_rate, n)
    x, pad, _ = _padded(op, x, kernel.shape[:n], strides, dilation, _padding(op, padding))
    weight = kernel.permute(n + 1, n, *range(n))  # (*window, in, out) -> (out, in, *window)
    return _restore(_CONV[n](x, weight, None, strides, pad, dilation, groups), channels_first)


def conv(inputs, kernel, strides=1, padding="valid", data_format="channels_last", dilation_rate=1):
    return _conv("conv", inputs, kernel, strides, padding, data_format, dilation_rate)


def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format="channels_last", dilation_rate=1):
    return _conv("depthwise_conv", inputs, kernel, strides, padding, data_format, dilation_rate, depthwise=True)


def _transposed_span(size, extent, stride, padding, output_padding):
    """(start, length) of Keras's conv_transpose output within torch's full one, along one axis.

    The length is Keras's ``compute_conv_transpose_output_length``; the start
    follows TensorFlow's conv2d_transpose.
    """
    if output_padding is None:
        length = size * stride + max(extent - stride, 0) if padding == "valid" else size * stride
    else:
        pad = extent // 2 if padding == "same" else 0
        length = (size - 1) * stride + extent - 2 * pad + output_padding
    start = 0 if padding == "valid" else max((size - 1) * stride + extent - length, 0) // 2
    return start, length


def conv_transpose(inputs, kernel, strides=1, padding="valid", output_padding=None,
                   data_format="channels_last", dilation_rate=1):
    op = "conv_transpose"
    x, channels_first = _channels_first(op, inputs, data_format)
    x, kernel = same_dtype(x, tensor(kernel, x.device))
    n = x.dim() - 2
    if kernel.dim() != n + 2 or kernel.shape[-1] != x.shape[1]:
        raise ValueError(
            f"{op}: inputs of shape {_input_shape(x, channels_first)} with {x.shape[1]} channels need a kernel of "
            f"rank {n + 2} shaped (*kernel_size, out, {x.shape[1]}), got {tuple(kernel.shape)}."
        )
    strides = _tuple(op, "strides", strides, n)
    dilation = _tuple(op, "dilation_rate", dilation_rate, n)
    mode = _padding(op, padding)
    extra = _output_padding(op, output_padding, n)
    weight = kernel.permute(n + 1, n, *range(n))  # (*window, out, in) -> (in, out, *window)
    full = _CONV_TRANSPOSE[n](x, weight, None, strides, 0, 0, 1, dilation)
    index, missing = [slice(None), slice(None)], []
    for size, k, s, d, p, available in zip(x.shape[2:], kernel.shape[:n], strides, dilation, extra, full.shape[2:]):
        start, length = _transposed_span(size, (k - 1) * d + 1, s, mode, p)
        stop = min(start + length, available)
        index.append(slice(start, stop))
        missing.append(start + length - stop)
    out = full[tuple(index)]
    if any(missing):  # Keras's length can exceed the full output: zeros after it
        out = F.pad(out, [v for m in reversed(missing) for v in (0, m)])
    return _restore(out, channels_first)


# -- pooling -------------------------------------------------------------------


def _pool_args(op, inputs, pool_size, strides, padding, data_format):
    x, channels_first = _channels_first(op, inputs, data_format)
    n = x.dim() - 2
    window = _tuple(op, "pool_size", pool_size, n)
    strides = window if strides is None else _tuple(op, "strides", strides, n)
    return x, channels_first, n, window, strides, _padding(op, padding)


def max_pool(inputs, pool_size, strides=None, padding="valid", data_format="channels_last"):
    x, channels_first, n, window, strides, mode = _pool_args(
        "max_pool", inputs, pool_size, strides, padding, data_format)
    lowest = -math.inf if x.is_floating_point() else torch.iinfo(x.dtype).min
    x, pad, _ = _padded("max_pool", x, window, strides, (1,) * n, mode, value=lowest)
    # torch's own padding is -inf too; the first maximum of a window takes the gradient, as in TensorFlow.
    return _restore(_MAX_POOL[n](x, window, strides, pad), channels_first)


@functools.lru_cache(maxsize=128)
def _window_counts(in_size, window, strides, befores):
    """How many real (unpadded) elements each window covers, shaped (*out_size)."""
    count = np.ones((), np.float64)
    for n, k, s, b in zip(in_size, window, strides, befores):
        start = np.arange(-(-n // s)) * s - b
        count = np.multiply.outer(count, np.minimum(start + k, n) - np.maximum(start, 0))
    return count


def average_pool(inputs, pool_size, strides=None, padding="valid", data_format="channels_last"):
    x, channels_first, n, window, strides, mode = _pool_args(
        "average_pool", inputs, pool_size, strides, padding, data_format)
    if not x.is_floating_point():
        x = x.to(torch.float32)
    in_size = tuple(x.shape[2:])
    x, pad, pads = _padded("average_pool", x, window, strides, (1,) * n, mode)
    if pads is None:  # torch pads evenly itself and leaves padding out of each count
        out = _AVERAGE_POOL[n](x, window, strides, pad, count_include_pad=False)
    else:
        counts = _window_counts(in_size, window, strides, tuple(b for b, _ in pads))
        scale = torch.from_numpy(math.prod(window) / counts).to(device=x.device, dtype=x.dtype)
        out = _AVERAGE_POOL[n](x, window, strides) * scale
    return _restore(out, channels_first)


# -- moments -------------------------------------------------------------------


def moments(x, axes, keepdims=False):
    x = tensor(x)
    if axes is None:
        dims = None
    elif isinstance(axes, (int, np.integer)):
        dims = (int(axes),)
    else:
        dims = tuple(int(a) for a in axes)
    # float16 statistics overflow easily: compute them in float32, as Keras does.
    work = x if x.dtype in (torch.float32, torch.float64) else x.to(torch.float32)
    variance, mean = torch.var_mean(work, dim=dims, correction=0, keepdim=keepdims)
    dtype = x.dtype if x.is_floating_point() else work.dtype
    return mean.to(dtype), variance.to(dtype)
