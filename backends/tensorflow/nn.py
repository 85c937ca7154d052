"""Convolution, pooling and moments (TensorFlow), with Keras's semantics.

Convolutions run channels_last (TensorFlow's CPU kernels support only that
layout; channels_first inputs are transposed in and out) through
``tf.nn.convolution``, ``tf.nn.depthwise_conv2d``, ``tf.nn.conv_transpose``
and ``tf.nn.pool``, whose 'same' padding is Keras's (the odd element at the
end) and whose average pooling already excludes padding from the count.

What those ops refuse is computed from them exactly:

* strides > 1 together with dilation > 1 (``tf.nn.convolution`` and Keras's
  TensorFlow backend refuse it): the stride-1 dilated conv of the explicitly
  padded input, keeping every ``strides``-th output;
* grouped convolutions (only some CPU builds of TensorFlow run them; Keras's
  TensorFlow backend compiles them with XLA for that reason): one conv per
  group, or a depthwise conv when each group holds one channel;
* conv_transpose output lengths that TensorFlow's op cannot place (Keras's
  ``output_padding``, even kernels with 'same', dilation): the full transposed
  conv as a conv of the zero-upsampled input with the flipped kernel, then
  cropped to Keras's length.
"""

from __future__ import annotations

import tensorflow as tf

from plugnet.plugins.nn_args import conv_groups, is_channels_first, transpose_geometry
from plugnet.plugins.nn_args import int_tuple as _tuple
from plugnet.plugins.nn_args import output_padding_tuple as _output_padding
from plugnet.plugins.nn_args import padding_mode as _padding

from .core import FLOATS, float32, floating, promote, static_or_dynamic_shape, tensor

# -- argument checking -------------------------------------------------------------


def _channels_last(op, inputs, data_format):
    """``inputs`` as a channels_last tensor, and whether it was channels_first."""
    x = tensor(inputs)
    rank = x.shape.rank
    if is_channels_first(op, None if rank is None else x.shape, data_format):
        return tf.transpose(x, [0, *range(2, rank), 1]), True
    return x, False


def _restore(x, channels_first):
    if not channels_first:
        return x
    rank = x.shape.rank
    return tf.transpose(x, [0, rank - 1, *range(1, rank - 1)])


def _spatial(op, x):
    """The static spatial sizes of a channels_last ``x`` (needed to place explicit padding)."""
    sizes = x.shape[1:-1].as_list()
    if None in sizes:
        raise ValueError(f"{op}: this configuration needs the input's spatial size to be known, got {tuple(x.shape)}.")
    return sizes


# -- strides with dilation -------------------------------------------------------------


def _same_padding(size, extent, stride):
    """(before, after) zeros of 'same' padding along one axis: the odd one at the end."""
    out = -(-size // stride)
    total = max((out - 1) * stride + extent - size, 0)
    return total // 2, total - total // 2


def _windowed(compute, op, x, window, strides, dilation, padding):
    """``compute(x, strides, dilation, padding)``, also for strides > 1 with dilation > 1."""
    if max(strides) == 1 or max(dilation) == 1:
        return compute(x, strides, dilation, padding)
    if padding == "same":
        extents = [(k - 1) * d + 1 for k, d in zip(window, dilation)]
        pads = [_same_padding(n, e, s) for n, e, s in zip(_spatial(op, x), extents, strides)]
        x = tf.pad(x, [(0, 0), *pads, (0, 0)])
    full = compute(x, (1,) * len(strides), dilation, "valid")
    return full[(slice(None),) + tuple(slice(None, None, s) for s in strides)]


# -- convolution -------------------------------------------------------------------------


_FORMATS = {3: "NWC", 4: "NHWC", 5: "NDHWC"}


def _conv_nd(x, kernel, strides, padding, dilation):
    # An explicit data_format: with None, TensorFlow records a Conv3D it cannot differentiate eagerly.
    return tf.nn.convolution(x, kernel, strides, padding, data_format=_FORMATS[x.shape.rank], dilations=dilation)


def _grouped(x, kernel, strides, dilation, padding, groups):
    """A conv whose input channels split into ``groups`` (kernel (*window, C / groups, O))."""
    in_per_group = kernel.shape[-2]
    spatial = len(strides)
    if in_per_group == 1 and spatial <= 2:
        # One channel per group: a depthwise conv with multiplier O / C, whose output order matches.
        depthwise = tf.reshape(kernel, [*kernel.shape[:-2], groups, kernel.shape[-1] // groups])
        return _depthwise(x, depthwise, strides, dilation, padding)
    parts = tf.split(x, groups, axis=-1)
    kernels = tf.split(kernel, groups, axis=-1)
    return tf.concat([_conv_nd(p, k, strides, padding.upper(), dilation) for p, k in zip(parts, kernels)], axis=-1)


def _convolve(x, kernel, strides, dilation, padding, groups):
    if groups == 1:
        return _conv_nd(x, kernel, strides, padding.upper(), dilation)
    return _grouped(x, kernel, strides, dilation, padding, groups)


def _depthwise(x, kernel, strides, dilation, padding):
    """Depthwise conv of a channels_last ``x`` with 1 or 2 spatial dims (kernel (*window, C, m))."""
    if x.shape.rank == 3:  # 1-D: a 2-D conv over a height of 1
        # TensorFlow's CPU kernel wants equal row and column strides; over a height of 1 the
        # row stride changes nothing.
        out = tf.nn.depthwise_conv2d(x[:, None], kernel[None], (1, strides[0], strides[0], 1), padding.upper(),
                                     dilations=(1, *dilation))
        return out[:, 0]
    return tf.nn.depthwise_conv2d(x, kernel, (1, *strides, 1), padding.upper(), dilations=dilation)


class _Conv:
    """The parsed arguments of a conv or depthwise_conv call, channels_last."""

    def __init__(self, op, inputs, kernel, strides, padding, data_format, dilation_rate, depthwise=False):
        x, self.channels_first = _channels_last(op, inputs, data_format)
        x, kernel = promote(x, tensor(kernel))
        n = x.shape.rank - 2
        self.groups = conv_groups(op, x.shape, kernel.shape, False, depthwise)  # x is channels_last here
        self.op, self.x, self.kernel = op, x, kernel
        self.window = tuple(kernel.shape[:n])
        self.strides = _tuple(op, "strides", strides, n)
        self.dilation = _tuple(op, "dilation_rate", dilation_rate, n)
        self.padding = _padding(op, padding)
        sizes = x.shape[1:-1].as_list()
        extents = tuple((k - 1) * d + 1 for k, d in zip(self.window, self.dilation))
        if self.padding == "valid" and any(size is not None and size < e for size, e in zip(sizes, extents)):
            raise ValueError(
                f"{op}: the window {self.window} (dilation {self.dilation}) is larger than the input's spatial "
                f"size {tuple(sizes)} with padding='valid'."
            )


def conv(inputs, kernel, strides=1, padding="valid", data_format="channels_last", dilation_rate=1):
    call = _Conv("conv", inputs, kernel, strides, padding, data_format, dilation_rate)

    def compute(x, strides, dilation, padding):
        return _convolve(x, call.kernel, strides, dilation, padding, call.groups)

    out = _windowed(compute, "conv", call.x, call.window, call.strides, call.dilation, call.padding)
    return _restore(out, call.channels_first)


def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format="channels_last", dilation_rate=1):
    call = _Conv("depthwise_conv", inputs, kernel, strides, padding, data_format, dilation_rate, depthwise=True)
    kernel = call.kernel

    def compute(x, strides, dilation, padding):
        if x.shape.rank <= 4:
            return _depthwise(x, kernel, strides, dilation, padding)
        # 3-D: TensorFlow has no depthwise op; a grouped conv with one channel per group is the same.
        grouped = tf.reshape(kernel, [*kernel.shape[:-2], 1, kernel.shape[-2] * kernel.shape[-1]])
        return _grouped(x, grouped, strides, dilation, padding, call.groups)

    out = _windowed(compute, "depthwise_conv", call.x, call.window, call.strides, call.dilation, call.padding)
    return _restore(out, call.channels_first)


# -- transposed convolution --------------------------------------------------------------


def _tf_places(sizes, window, strides, padding, lengths):
    """Whether tf.nn.conv_transpose accepts these output lengths (its forward conv must map
    each back to the input size); where it does, it places them as Keras does."""
    for n, k, s, length in zip(sizes, window, strides, lengths):
        forward = -(-length // s) if padding == "same" else (length - k) // s + 1
        if forward != n:
            return False
    return True


def _upsampled(x, strides):
    """``x`` with ``s - 1`` zeros between neighbours along each spatial axis."""
    for axis, s in enumerate(strides, start=1):
        if s == 1:
            continue
        dims = static_or_dynamic_shape(x)
        zeros = tf.zeros([*dims[:axis + 1], s - 1, *dims[axis + 1:]], x.dtype)
        spread = tf.concat([tf.expand_dims(x, axis + 1), zeros], axis=axis + 1)
        merged = tf.reshape(spread, [*dims[:axis], dims[axis] * s, *dims[axis + 1:]])
        x = merged[(slice(None),) * axis + (slice(0, (dims[axis] - 1) * s + 1),)]
    return x


def _full_transpose(x, kernel, strides, dilation):
    """The untrimmed transposed conv, length (n - 1) * s + extent per axis: a stride-1 conv of
    the zero-upsampled input, padded by extent - 1 each side, with the kernel flipped."""
    n = len(strides)
    window = kernel.shape[:n]
    pads = [((k - 1) * d, (k - 1) * d) for k, d in zip(window, dilation)]
    up = tf.pad(_upsampled(x, strides), [(0, 0), *pads, (0, 0)])
    flipped = tf.reverse(kernel, list(range(n)))
    flipped = tf.transpose(flipped, [*range(n), n + 1, n])  # (*window, in, out)
    return _conv_nd(up, flipped, 1, "VALID", dilation)


def conv_transpose(inputs, kernel, strides=1, padding="valid", output_padding=None,
                   data_format="channels_last", dilation_rate=1):
    op = "conv_transpose"
    x, channels_first = _channels_last(op, inputs, data_format)
    x, kernel = promote(x, tensor(kernel))
    n = x.shape.rank - 2
    if kernel.shape.rank != n + 2 or kernel.shape[-1] != x.shape[-1]:
        raise ValueError(
            f"{op}: inputs of shape {tuple(x.shape)} with {x.shape[-1]} channels need a kernel of rank "
            f"{n + 2} shaped (*kernel_size, out, {x.shape[-1]}), got {tuple(kernel.shape)}."
        )
    strides = _tuple(op, "strides", strides, n)
    dilation = _tuple(op, "dilation_rate", dilation_rate, n)
    padding = _padding(op, padding)
    output_padding = _output_padding(op, output_padding, n)
    window = tuple(kernel.shape[:n])
    sizes = _spatial(op, x)
    lengths, starts = transpose_geometry(sizes, window, strides, dilation, padding, output_padding)
    batch = static_or_dynamic_shape(x)[0]
    if max(dilation) == 1 and _tf_places(sizes, window, strides, padding, lengths):
        out = tf.nn.conv_transpose(x, kernel, [batch, *lengths, kernel.shape[-2]], strides, padding.upper(),
                                   data_format=_FORMATS[x.shape.rank])
    else:
        full = _full_transpose(x, kernel, strides, dilation)
        full_sizes = full.shape[1:-1].as_list()
        # Keras's length may reach past the full conv (output_padding): those positions are zeros.
        extra = [(0, max(start + length - size, 0)) for start, length, size in zip(starts, lengths, full_sizes)]
        if any(after for _, after in extra):
            full = tf.pad(full, [(0, 0), *extra, (0, 0)])
        out = full[(slice(None),) + tuple(slice(s, s + length) for s, length in zip(starts, lengths))]
    return _restore(out, channels_first)


# -- pooling -----------------------------------------------------------------------------


def _pool(op, kind, inputs, pool_size, strides, padding, data_format):
    x, channels_first = _channels_last(op, inputs, data_format)
    if kind == "AVG" and x.dtype not in FLOATS:
        x = tf.cast(x, float32)
    n = x.shape.rank - 2
    window = _tuple(op, "pool_size", pool_size, n)
    strides = window if strides is None else _tuple(op, "strides", strides, n)
    padding = _padding(op, padding)
    sizes = x.shape[1:-1].as_list()
    if padding == "valid" and any(size is not None and size < k for size, k in zip(sizes, window)):
        raise ValueError(f"{op}: the window {window} is larger than the input's spatial size {tuple(sizes)} "
                         f"with padding='valid'.")
    out = tf.nn.pool(x, window, kind, strides=strides, padding=padding.upper())
    return _restore(out, channels_first)


def max_pool(inputs, pool_size, strides=None, padding="valid", data_format="channels_last"):
    return _pool("max_pool", "MAX", inputs, pool_size, strides, padding, data_format)


def average_pool(inputs, pool_size, strides=None, padding="valid", data_format="channels_last"):
    return _pool("average_pool", "AVG", inputs, pool_size, strides, padding, data_format)


# -- moments -----------------------------------------------------------------------------


def moments(x, axes, keepdims=False):
    x = floating(x)
    axes = [int(axes)] if isinstance(axes, int) else [int(a) for a in axes]
    # tf.nn.moments computes float16 statistics in float32, as Keras does.
    mean, variance = tf.nn.moments(x, axes, keepdims=keepdims)
    return mean, variance
