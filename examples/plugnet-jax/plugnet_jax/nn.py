"""Convolution, pooling and moments (JAX), with Keras's semantics.

Everything is one XLA op: ``lax.conv_general_dilated`` takes strides and
dilation together, explicit (even negative) padding, feature groups and
input dilation, so

* 'same' padding is placed as TensorFlow places it (the odd element at the end);
* a grouped conv is ``feature_group_count``, a depthwise conv a grouped conv
  with one input channel per group;
* a transposed conv is the conv of the input dilated by the strides with the
  flipped kernel, its padding chosen to give Keras's output length directly
  (negative padding crops; padding past the full length adds zeros, as
  ``output_padding`` asks);
* average pooling is a window sum (``lax.reduce_window``) divided by the
  number of real (unpadded) elements in each window; max pooling a running
  maximum over the window's taps, so that a tie sends the gradient to the
  first of them.
"""

from __future__ import annotations

import itertools
import math

import jax.numpy as jnp
import numpy as np
from jax import lax

from plugnet.plugins.nn_args import conv_groups, is_channels_first, transpose_geometry
from plugnet.plugins.nn_args import int_tuple as _tuple
from plugnet.plugins.nn_args import output_padding_tuple as _output_padding
from plugnet.plugins.nn_args import padding_mode as _padding

from .core import floating, pad_constant, tensor

_SPEC = {1: ("NWC", "WIO", "NWC"), 2: ("NHWC", "HWIO", "NHWC"), 3: ("NDHWC", "DHWIO", "NDHWC")}


def _channels_last(op, inputs, data_format):
    """``inputs`` as a channels_last array, and whether it was channels_first."""
    x = tensor(inputs)
    if is_channels_first(op, x.shape, data_format):
        return jnp.moveaxis(x, 1, -1), True
    return x, False


def _restore(x, channels_first):
    return jnp.moveaxis(x, -1, 1) if channels_first else x


def _same_or_valid(size, extent, stride, padding):
    """(before, after) zeros along one axis: none for 'valid'; TensorFlow's split for 'same'."""
    if padding == "valid":
        return 0, 0
    out = -(-size // stride)
    total = max((out - 1) * stride + extent - size, 0)
    return total // 2, total - total // 2


def _common_float(x, kernel):
    dtype = jnp.result_type(x, kernel)
    if not jnp.issubdtype(dtype, jnp.inexact):
        dtype = jnp.float32
    return x.astype(dtype), kernel.astype(dtype)


def _check_fits(op, sizes, extents, padding, window_name="window"):
    if padding == "valid" and any(size < e for size, e in zip(sizes, extents)):
        raise ValueError(
            f"{op}: the {window_name} {tuple(extents)} is larger than the input's spatial size {tuple(sizes)} "
            f"with padding='valid'."
        )


def _convolve(op, inputs, kernel, strides, padding, data_format, dilation_rate, depthwise):
    x, channels_first = _channels_last(op, inputs, data_format)
    x, kernel = _common_float(x, tensor(kernel))
    n = x.ndim - 2
    groups = conv_groups(op, x.shape, kernel.shape, False, depthwise)  # x is channels_last here
    if depthwise:
        # (*window, C, m) -> (*window, 1, C * m): one group per channel, outputs ordered c * m + j.
        kernel = kernel.reshape(kernel.shape[:n] + (1, groups * kernel.shape[-1]))
    strides = _tuple(op, "strides", strides, n)
    dilation = _tuple(op, "dilation_rate", dilation_rate, n)
    padding = _padding(op, padding)
    window = kernel.shape[:n]
    extents = [(k - 1) * d + 1 for k, d in zip(window, dilation)]
    _check_fits(op, x.shape[1:-1], extents, padding)
    pads = [_same_or_valid(size, e, s, padding) for size, e, s in zip(x.shape[1:-1], extents, strides)]
    out = lax.conv_general_dilated(x, kernel, strides, pads, rhs_dilation=dilation, dimension_numbers=_SPEC[n],
                                   feature_group_count=groups)
    return _restore(out, channels_first)


def conv(inputs, kernel, strides=1, padding="valid", data_format="channels_last", dilation_rate=1):
    return _convolve("conv", inputs, kernel, strides, padding, data_format, dilation_rate, depthwise=False)


def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format="channels_last", dilation_rate=1):
    return _convolve("depthwise_conv", inputs, kernel, strides, padding, data_format, dilation_rate, depthwise=True)


def conv_transpose(inputs, kernel, strides=1, padding="valid", output_padding=None,
                   data_format="channels_last", dilation_rate=1):
    op = "conv_transpose"
    x, channels_first = _channels_last(op, inputs, data_format)
    x, kernel = _common_float(x, tensor(kernel))
    n = x.ndim - 2
    if kernel.ndim != n + 2 or kernel.shape[-1] != x.shape[-1]:
        raise ValueError(
            f"{op}: inputs of shape {tuple(x.shape)} with {x.shape[-1]} channels need a kernel of rank "
            f"{n + 2} shaped (*kernel_size, out, {x.shape[-1]}), got {tuple(kernel.shape)}."
        )
    strides = _tuple(op, "strides", strides, n)
    dilation = _tuple(op, "dilation_rate", dilation_rate, n)
    padding = _padding(op, padding)
    output_padding = _output_padding(op, output_padding, n)
    window = kernel.shape[:n]
    sizes = x.shape[1:-1]
    lengths, starts = transpose_geometry(sizes, window, strides, dilation, padding, output_padding)
    # The full transposed conv pads the stride-dilated input by extent - 1 on each side; Keras's
    # piece [start, start + length) of it is that padding, shifted.
    pads = []
    for size, k, s, d, length, start in zip(sizes, window, strides, dilation, lengths, starts):
        extent = (k - 1) * d + 1
        dilated = (size - 1) * s + 1
        pads.append((extent - 1 - start, length - dilated + start))
    flipped = jnp.flip(kernel, tuple(range(n)))
    flipped = jnp.swapaxes(flipped, -1, -2)  # (*window, in, out)
    out = lax.conv_general_dilated(x, flipped, (1,) * n, pads, lhs_dilation=strides, rhs_dilation=dilation,
                                   dimension_numbers=_SPEC[n])
    return _restore(out, channels_first)


# -- pooling -----------------------------------------------------------------------------


def _pool(op, inputs, pool_size, strides, padding, data_format):
    """The channels_last input, whether it was channels_first, the window, strides and per-axis padding."""
    x, channels_first = _channels_last(op, inputs, data_format)
    n = x.ndim - 2
    window = _tuple(op, "pool_size", pool_size, n)
    strides = window if strides is None else _tuple(op, "strides", strides, n)
    padding = _padding(op, padding)
    _check_fits(op, x.shape[1:-1], window, padding)
    pads = [_same_or_valid(size, k, s, padding) for size, k, s in zip(x.shape[1:-1], window, strides)]
    return x, channels_first, window, strides, pads


def max_pool(inputs, pool_size, strides=None, padding="valid", data_format="channels_last"):
    x, channels_first, window, strides, pads = _pool("max_pool", inputs, pool_size, strides, padding, data_format)
    lowest = -jnp.inf if jnp.issubdtype(x.dtype, jnp.inexact) else jnp.iinfo(x.dtype).min
    xp = pad_constant(x, [(0, 0), *pads, (0, 0)], lowest)
    outs = [(size - k) // s + 1 for size, k, s in zip(xp.shape[1:-1], window, strides)]
    # A running maximum over the window's taps in row-major order: a tie keeps the earlier tap,
    # which so takes the gradient (as TensorFlow and the NumPy reference do); NaN wins, as in np.max.
    # (lax.reduce_window's gradient pads with a 32-bit zero, which fails for float64 while x64 is off.)
    out = None
    for tap in itertools.product(*map(range, window)):
        piece = xp[(slice(None),)
                   + tuple(slice(t, t + (o - 1) * s + 1, s) for t, o, s in zip(tap, outs, strides))]
        out = piece if out is None else jnp.where((piece > out) | jnp.isnan(piece), piece, out)
    return _restore(out, channels_first)


def average_pool(inputs, pool_size, strides=None, padding="valid", data_format="channels_last"):
    x, channels_first, window, strides, pads = _pool("average_pool", inputs, pool_size, strides, padding,
                                                     data_format)
    x = floating(x)
    window, strides, pads = (1, *window, 1), (1, *strides, 1), [(0, 0), *pads, (0, 0)]
    # A NumPy zero: JAX recognises the window sum (and differentiates it) only for a concrete init value.
    zero = np.zeros((), x.dtype)
    total = lax.reduce_window(x, zero, lax.add, window, strides, pads)
    if any(p != (0, 0) for p in pads):
        # Only real elements count: the number of them under each window, from a window sum of ones.
        ones = np.ones((1, *x.shape[1:-1], 1), x.dtype)
        count = lax.reduce_window(ones, zero, lax.add, window, strides, pads)
    else:
        count = math.prod(window)
    return _restore(total / count, channels_first)


# -- moments -----------------------------------------------------------------------------


def moments(x, axes, keepdims=False):
    x = floating(tensor(x))
    axes = (int(axes),) if isinstance(axes, int) else tuple(int(a) for a in axes)
    return jnp.mean(x, axis=axes, keepdims=bool(keepdims)), jnp.var(x, axis=axes, keepdims=bool(keepdims))
