"""Convolution, pooling and moments (NumPy), each backward rule after its forward.

Every windowed op is computed channels_last by one piece of machinery,
:class:`_Windows`, which knows where each window of an N-d op lies on its
(padded) input:

* ``conv`` is im2col (an ``as_strided`` view copied once into a matrix) and one
  (batched, for groups) matmul; its kernel gradient is the transposed matmul,
  its input gradient one small matmul per kernel tap folded back (col2im).
* ``depthwise_conv`` is ``conv`` with one group per input channel; with one
  channel per group, multiply-accumulating tap by tap beats matmuls.
* ``conv_transpose`` *is* conv's input gradient, so its gradients are conv's
  forward (for its input) and conv's kernel gradient (for its kernel).
* pooling reduces tap by tap (``np.maximum``/``np.add`` over strided views,
  far faster than reducing a 2N-d view) and folds gradients back the same way.

Looping over kernel taps (9 for a 3x3 kernel) rather than pixels keeps every
inner loop inside NumPy; folding per tap from a contiguous per-tap matmul
result is about twice as fast as folding a strided im2col gradient.
"""

from __future__ import annotations

import math
from itertools import product

import numpy as np
from numpy.lib.stride_tricks import as_strided

from plugnet.plugins.nn_args import conv_groups, is_channels_first, transpose_geometry
from plugnet.plugins.nn_args import int_tuple as _tuple
from plugnet.plugins.nn_args import output_padding_tuple as _output_padding
from plugnet.plugins.nn_args import padding_mode as _padding

from . import autograd
from .autograd import vjp, wants

# -- argument checking ---------------------------------------------------------


def _channels_last(op, inputs, data_format):
    """``inputs`` as a channels_last array (a view), and whether it was channels_first."""
    x = np.asarray(inputs)
    if is_channels_first(op, x.shape, data_format):
        return np.moveaxis(x, 1, -1), True
    return x, False


def _restore(x, channels_first):
    return np.moveaxis(x, -1, 1) if channels_first else x


# -- where the windows lie --------------------------------------------------------


class _Windows:
    """The windows of an N-d sliding-window op over a channels_last input.

    ``in_size``: the input's spatial size; ``out_size``: the number of windows
    per axis; window ``o`` reads padded positions ``o * stride + tap * dilation``
    where the padded input is the input shifted by ``before`` and extended with
    padding up to ``padded``.
    """

    __slots__ = ("window", "strides", "dilation", "in_size", "out_size", "before", "padded", "taps")

    def __init__(self, in_size, window, strides, dilation, before, out_size):
        self.in_size, self.window, self.strides, self.dilation = in_size, window, strides, dilation
        self.before, self.out_size = before, out_size
        self.padded = tuple(
            max(b + n, (o - 1) * s + (k - 1) * d + 1)
            for n, k, s, d, b, o in zip(in_size, window, strides, dilation, before, out_size)
        )
        self.taps = tuple(product(*(range(k) for k in window)))

    @classmethod
    def over(cls, op, in_size, window, strides, dilation, padding):
        """Windows of a conv or pool with Keras's 'valid' / 'same' padding.

        'same' pads ``max((ceil(n / s) - 1) * s + extent - n, 0)`` in total, the
        odd element at the end, as TensorFlow does.
        """
        before, out_size = [], []
        for n, k, s, d in zip(in_size, window, strides, dilation):
            extent = (k - 1) * d + 1
            if padding == "valid":
                before.append(0)
                out_size.append((n - extent) // s + 1 if n >= extent else 0)
            else:
                out = -(-n // s)
                before.append(max((out - 1) * s + extent - n, 0) // 2)
                out_size.append(out)
        if min(out_size) <= 0:
            raise ValueError(
                f"{op}: the window {window} (dilation {dilation}) is larger than the input's spatial size "
                f"{in_size} with padding='valid'."
            )
        return cls(tuple(in_size), window, strides, dilation, tuple(before), tuple(out_size))

    @classmethod
    def transposed(cls, in_size, window, strides, dilation, padding, output_padding):
        """The conv whose input gradient is a conv_transpose of input size ``in_size``.

        The output length is Keras's ``compute_conv_transpose_output_length``;
        its placement follows TensorFlow's conv2d_transpose.
        """
        length, before = transpose_geometry(in_size, window, strides, dilation, padding, output_padding)
        return cls(tuple(length), window, strides, dilation, tuple(before), tuple(in_size))

    @property
    def overlapping(self):
        """Whether an input element can lie under two taps: positions o*s + t*d and
        o'*s + t'*d meet when t - t' is a multiple of s / gcd(s, d) within the window."""
        return any(s // math.gcd(s, d) < k for k, s, d in zip(self.window, self.strides, self.dilation))

    def tap(self, tap):
        """Index of the padded input read by kernel position ``tap`` of every window."""
        return (slice(None),) + tuple(
            slice(t * d, t * d + (o - 1) * s + 1, s)
            for t, d, s, o in zip(tap, self.dilation, self.strides, self.out_size)
        )

    def pad(self, x, value=0):
        """``x`` (batch, *in_size, *channels) extended to the padded size with ``value``."""
        n = len(self.in_size)
        if self.padded == self.in_size and not any(self.before):
            return x
        xp = np.full((x.shape[0],) + self.padded + x.shape[1 + n:], value, dtype=x.dtype)
        xp[self._inner()] = x
        return xp

    def _inner(self):
        return (slice(None),) + tuple(slice(b, b + n) for b, n in zip(self.before, self.in_size))

    def view(self, xp):
        """A read-only strided view (batch, *out_size, *window, *channels) of padded ``xp``."""
        n = len(self.in_size)
        spatial = xp.strides[1:1 + n]
        strides = (
            (xp.strides[0],)
            + tuple(st * s for st, s in zip(spatial, self.strides))
            + tuple(st * d for st, d in zip(spatial, self.dilation))
            + xp.strides[1 + n:]
        )
        shape = (xp.shape[0],) + self.out_size + self.window + xp.shape[1 + n:]
        return as_strided(xp, shape, strides, writeable=False)

    def fold(self, parts, batch, channels, dtype):
        """col2im: sum ``(tap, contribution, factor)`` triples back onto the unpadded input.

        Each ``contribution * factor`` (``factor`` may be None) broadcasts to
        (batch, *out_size, *channels). The product is written straight into
        place where no two windows share an element (a multiply with ``out=``
        is several times faster than a masked copy).
        """
        overlapping = self.overlapping
        # Windows that tile the input exactly write every element: no need to zero it first.
        tiles = not overlapping and all(
            k == s and d == 1 and o * s == n == p
            for k, s, d, o, n, p in zip(
                self.window, self.strides, self.dilation, self.out_size, self.in_size, self.padded
            )
        )
        buffer = (np.empty if tiles else np.zeros)((batch,) + self.padded + tuple(channels), dtype)
        for tap, part, factor in parts:
            target = buffer[self.tap(tap)]
            if overlapping:
                target += part if factor is None else part * factor
            elif factor is None:
                target[...] = part
            else:
                np.multiply(part, factor, out=target)
        return buffer[self._inner()]


# -- convolution in channels_last, shared by conv, depthwise_conv, conv_transpose --


def _im2col(x, windows, groups):
    """(groups, batch * windows, taps * channels_per_group): one copy of a strided view."""
    view = windows.view(windows.pad(x))
    c = x.shape[-1]
    view = view.reshape(view.shape[:-1] + (groups, c // groups))
    rows = math.prod(view.shape[: 1 + len(windows.window)])
    return np.moveaxis(view, -2, 0).reshape(groups, rows, -1)


def _grouped(g, groups):
    """(batch, *out, O) -> (groups, batch * windows, O // groups), a view."""
    o = g.shape[-1]
    return g.reshape(-1, groups, o // groups).transpose(1, 0, 2)


def _conv(x, kernel, windows, groups):
    """The conv of channels_last ``x``, and its im2col matrix (None for one channel per group)."""
    *spatial, cg, o = kernel.shape
    if cg == 1 and groups > 1:
        return _depthwise(x, kernel, windows), None
    matrix = kernel.reshape(-1, cg, groups, o // groups).transpose(2, 0, 1, 3).reshape(groups, -1, o // groups)
    cols = _im2col(x, windows, groups)
    out = np.matmul(cols, matrix)  # (groups, rows, o // groups)
    return out.transpose(1, 0, 2).reshape((x.shape[0],) + windows.out_size + (o,)), cols


def _conv_input_grad(g, kernel, windows, groups):
    *spatial, cg, o = kernel.shape
    if cg == 1 and groups > 1:
        return _depthwise_input_grad(g, kernel, windows, groups)
    n = len(spatial)
    taps = len(windows.taps)
    # One product for every tap at once, (G, rows, O/G) x (G, O/G, taps * Cg): a wide matrix
    # multiplies several times faster than one narrow product per tap.
    matrix = kernel.reshape(taps, cg, groups, o // groups).transpose(2, 3, 0, 1).reshape(groups, o // groups, -1)
    batch = g.shape[0]
    cols = np.matmul(_grouped(g, groups), matrix).reshape((groups, batch) + windows.out_size + (taps, cg))

    def parts():
        for index, tap in enumerate(windows.taps):
            yield tap, np.moveaxis(cols[..., index, :], 0, -2), None

    dx = windows.fold(parts(), batch, (groups, cg), np.result_type(g.dtype, kernel.dtype))
    return dx.reshape(dx.shape[: 1 + n] + (groups * cg,))


def _conv_kernel_grad(x, g, windows, groups, kernel_shape, cols=None):
    *spatial, cg, o = kernel_shape
    if cg == 1 and groups > 1:
        return _depthwise_kernel_grad(x, g, windows, kernel_shape, groups)
    if cols is None:
        cols = _im2col(x, windows, groups)
    grad = np.matmul(cols.transpose(0, 2, 1), _grouped(g, groups))  # (G, taps * Cg, O/G)
    return grad.reshape(groups, -1, cg, o // groups).transpose(1, 2, 0, 3).reshape(kernel_shape)


# One input channel per group (depthwise): matmuls would be (rows, taps) x (taps, 1)
# per channel, and gathering channels first costs more than the arithmetic, so
# these multiply-accumulate tap by tap over the strided input instead (3x faster).


def _per_channel(kernel, groups):
    """A (*window, 1, G * m) kernel as (taps, G, m)."""
    return kernel.reshape(-1, groups, kernel.shape[-1] // groups)


def _depthwise(x, kernel, windows):
    weights = _per_channel(kernel, x.shape[-1])
    xp = windows.pad(x)
    out = np.zeros((x.shape[0],) + windows.out_size + weights.shape[1:], np.result_type(x.dtype, kernel.dtype))
    for index, tap in enumerate(windows.taps):
        out += xp[windows.tap(tap)][..., None] * weights[index]
    return out.reshape(out.shape[:-2] + (-1,))


def _depthwise_input_grad(g, kernel, windows, groups):
    weights = _per_channel(kernel, groups)
    g = g.reshape(g.shape[:-1] + weights.shape[1:])  # (batch, *out, channels, m)
    parts = ((tap, np.einsum("...cm,cm->...c", g, weights[index]), None) for index, tap in enumerate(windows.taps))
    return windows.fold(parts, g.shape[0], (groups,), np.result_type(g.dtype, kernel.dtype))


def _depthwise_kernel_grad(x, g, windows, kernel_shape, groups):
    xp = windows.pad(x)
    g = g.reshape(g.shape[:-1] + (groups, kernel_shape[-1] // groups))
    summed = "abcd"[: x.ndim - 1]  # batch and spatial axes, summed over
    spec = f"{summed}y,{summed}yz->yz"
    taps = [np.einsum(spec, xp[windows.tap(tap)], g) for tap in windows.taps]
    return np.stack(taps).reshape(kernel_shape)


class _ConvCall:
    """The parsed arguments of one conv-like call, in channels_last terms."""

    __slots__ = ("x", "kernel", "windows", "groups", "channels_first")

    def __init__(self, op, inputs, kernel, strides, padding, data_format, dilation_rate, depthwise=False):
        x, self.channels_first = _channels_last(op, inputs, data_format)
        kernel = np.asarray(kernel)
        n = x.ndim - 2
        self.groups = conv_groups(op, np.shape(inputs), kernel.shape, self.channels_first, depthwise)
        if depthwise:
            kernel = kernel.reshape(kernel.shape[:-2] + (1, self.groups * kernel.shape[-1]))
        self.x, self.kernel = x, kernel
        self.windows = _Windows.over(
            op, x.shape[1:-1], kernel.shape[:n], _tuple(op, "strides", strides, n),
            _tuple(op, "dilation_rate", dilation_rate, n), _padding(op, padding),
        )


def _conv_forward(call):
    out, cols = _conv(call.x, call.kernel, call.windows, call.groups)
    return autograd.save(_restore(out, call.channels_first), cols)


def _conv_gradients(call, g, out, want_inputs, want_kernel):
    """(d inputs, d kernel in the call's grouped layout) of a conv or depthwise_conv;
    None for one the tape does not need (a first layer's input batch)."""
    g = np.moveaxis(g, 1, -1) if call.channels_first else g
    dx = dk = None
    if want_inputs:
        dx = _conv_input_grad(g, call.kernel, call.windows, call.groups)
        dx = _restore(dx, call.channels_first).astype(call.x.dtype, copy=False)
    if want_kernel:
        dk = _conv_kernel_grad(call.x, g, call.windows, call.groups, call.kernel.shape, autograd.saved(out))
        dk = dk.astype(call.kernel.dtype, copy=False)
    return dx, dk


def conv(inputs, kernel, strides=1, padding="valid", data_format="channels_last", dilation_rate=1):
    return _conv_forward(_ConvCall("conv", inputs, kernel, strides, padding, data_format, dilation_rate))


@vjp(conv)
def _(g, out, inputs, kernel, strides=1, padding="valid", data_format="channels_last", dilation_rate=1):
    call = _ConvCall("conv", inputs, kernel, strides, padding, data_format, dilation_rate)
    return _conv_gradients(call, g, out, wants(inputs), wants(kernel)) + (None, None, None, None)


def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format="channels_last", dilation_rate=1):
    call = _ConvCall("depthwise_conv", inputs, kernel, strides, padding, data_format, dilation_rate, depthwise=True)
    return _conv_forward(call)


@vjp(depthwise_conv)
def _(g, out, inputs, kernel, strides=1, padding="valid", data_format="channels_last", dilation_rate=1):
    call = _ConvCall("depthwise_conv", inputs, kernel, strides, padding, data_format, dilation_rate, depthwise=True)
    dx, dk = _conv_gradients(call, g, out, wants(inputs), wants(kernel))
    return dx, None if dk is None else dk.reshape(np.shape(kernel)), None, None, None, None


class _TransposeCall:
    """The parsed arguments of a conv_transpose call: the conv it is the input gradient of."""

    __slots__ = ("x", "kernel", "windows", "channels_first")

    def __init__(self, inputs, kernel, strides, padding, output_padding, data_format, dilation_rate):
        op = "conv_transpose"
        x, self.channels_first = _channels_last(op, inputs, data_format)
        kernel = np.asarray(kernel)
        n = x.ndim - 2
        if kernel.ndim != n + 2 or kernel.shape[-1] != x.shape[-1]:
            raise ValueError(
                f"{op}: inputs of shape {np.shape(inputs)} with {x.shape[-1]} channels need a kernel of rank "
                f"{n + 2} shaped (*kernel_size, out, {x.shape[-1]}), got {kernel.shape}."
            )
        strides = _tuple(op, "strides", strides, n)
        dilation = _tuple(op, "dilation_rate", dilation_rate, n)
        output_padding = _output_padding(op, output_padding, n)
        self.x, self.kernel = x, kernel
        self.windows = _Windows.transposed(
            x.shape[1:-1], kernel.shape[:n], strides, dilation, _padding(op, padding), output_padding
        )


def conv_transpose(inputs, kernel, strides=1, padding="valid", output_padding=None,
                   data_format="channels_last", dilation_rate=1):
    call = _TransposeCall(inputs, kernel, strides, padding, output_padding, data_format, dilation_rate)
    return _restore(_conv_input_grad(call.x, call.kernel, call.windows, 1), call.channels_first)


@vjp(conv_transpose)
def _(g, out, inputs, kernel, strides=1, padding="valid", output_padding=None,
      data_format="channels_last", dilation_rate=1):
    call = _TransposeCall(inputs, kernel, strides, padding, output_padding, data_format, dilation_rate)
    g = np.moveaxis(g, 1, -1) if call.channels_first else g
    dx = dk = None
    if wants(inputs):
        dx = _restore(_conv(g, call.kernel, call.windows, 1)[0], call.channels_first).astype(call.x.dtype, copy=False)
    if wants(kernel):
        dk = _conv_kernel_grad(g, call.x, call.windows, 1, call.kernel.shape).astype(call.kernel.dtype, copy=False)
    return dx, dk, None, None, None, None, None


# -- pooling -------------------------------------------------------------------


class _PoolCall:
    __slots__ = ("x", "windows", "channels_first")

    def __init__(self, op, inputs, pool_size, strides, padding, data_format):
        x, self.channels_first = _channels_last(op, inputs, data_format)
        n = x.ndim - 2
        window = _tuple(op, "pool_size", pool_size, n)
        strides = window if strides is None else _tuple(op, "strides", strides, n)
        self.x = x
        self.windows = _Windows.over(op, x.shape[1:-1], window, strides, (1,) * n, _padding(op, padding))


def _lowest(dtype):
    return -np.inf if np.issubdtype(dtype, np.inexact) else np.iinfo(dtype).min


def max_pool(inputs, pool_size, strides=None, padding="valid", data_format="channels_last"):
    call = _PoolCall("max_pool", inputs, pool_size, strides, padding, data_format)
    windows = call.windows
    xp = windows.pad(call.x, _lowest(call.x.dtype))
    out = xp[windows.tap(windows.taps[0])].copy()
    for tap in windows.taps[1:]:
        np.maximum(out, xp[windows.tap(tap)], out=out)
    result = _restore(out, call.channels_first)
    if autograd.recording():
        # Which tap wins each window, found while the input is still in the caches: the backward
        # rule then reads these masks (a bit per output element and tap) instead of the input again.
        autograd.save(result, list(_winners(windows, xp, out)))
    return result


def _winners(windows, xp, out):
    """``(tap, mask)`` per tap of the window: where that tap is the window's first maximum (in
    row-major window order, as TensorFlow gives the gradient)."""
    taps = windows.taps
    hit = np.equal(xp[windows.tap(taps[0])], out)
    free = np.logical_not(hit)
    yield taps[0], hit
    for index, tap in enumerate(taps[1:], 2):
        hit = np.equal(xp[windows.tap(tap)], out)
        np.logical_and(hit, free, out=hit)
        if index < len(taps):
            np.logical_xor(free, hit, out=free)  # hit lies within free: this clears it
        yield tap, hit


@vjp(max_pool)
def _(g, out, inputs, pool_size, strides=None, padding="valid", data_format="channels_last"):
    call = _PoolCall("max_pool", inputs, pool_size, strides, padding, data_format)
    windows, x = call.windows, call.x
    winners = autograd.saved(out)  # kept by the forward pass, in channels_last layout
    if call.channels_first:
        g, out = np.moveaxis(g, 1, -1), np.moveaxis(out, 1, -1)
    if winners is None:
        winners = _winners(windows, windows.pad(x, _lowest(x.dtype)), out)
    dx = windows.fold(((tap, g, hit) for tap, hit in winners), x.shape[0], x.shape[-1:], x.dtype)
    return _restore(dx, call.channels_first), None, None, None, None


def _window_counts(windows):
    """How many real (unpadded) elements each window covers, shaped (1, *out_size, 1)."""
    count = np.ones((), np.float64)
    for n, k, s, b, o in zip(windows.in_size, windows.window, windows.strides, windows.before, windows.out_size):
        start = np.arange(o) * s - b
        per_axis = np.minimum(start + k, n) - np.maximum(start, 0)
        count = np.multiply.outer(count, per_axis)
    return count.reshape((1,) + windows.out_size + (1,))


def _averaging(call):
    """The divisor of average_pool: a number, or per-window counts when 'same' padding clips windows."""
    windows = call.windows
    if windows.padded == windows.in_size and not any(windows.before):
        return math.prod(windows.window)
    return _window_counts(windows)


def average_pool(inputs, pool_size, strides=None, padding="valid", data_format="channels_last"):
    call = _PoolCall("average_pool", inputs, pool_size, strides, padding, data_format)
    windows, x = call.windows, call.x
    if not np.issubdtype(x.dtype, np.inexact):
        x = x.astype(np.float32)
    xp = windows.pad(x)
    total = xp[windows.tap(windows.taps[0])].copy()
    for tap in windows.taps[1:]:
        np.add(total, xp[windows.tap(tap)], out=total)
    total /= np.asarray(_averaging(call), dtype=total.dtype)
    return _restore(total, call.channels_first)


@vjp(average_pool)
def _(g, out, inputs, pool_size, strides=None, padding="valid", data_format="channels_last"):
    call = _PoolCall("average_pool", inputs, pool_size, strides, padding, data_format)
    x = call.x
    g = np.moveaxis(g, 1, -1) if call.channels_first else g
    share = g / np.asarray(_averaging(call), dtype=g.dtype)
    dx = call.windows.fold(((tap, share, None) for tap in call.windows.taps), x.shape[0], x.shape[-1:], x.dtype)
    return _restore(dx, call.channels_first), None, None, None, None


# -- moments -------------------------------------------------------------------


def _axes(x, axes):
    if axes is None:
        return tuple(range(x.ndim))
    if isinstance(axes, (int, np.integer)):
        return (int(axes) % max(x.ndim, 1),)
    return tuple(int(a) % max(x.ndim, 1) for a in axes)


def moments(x, axes, keepdims=False):
    x = np.asarray(x)
    axes = _axes(x, axes)
    # float16 statistics overflow easily: compute them in float32, as Keras does.
    work = x if x.dtype.itemsize >= 4 and np.issubdtype(x.dtype, np.floating) else x.astype(np.float32)
    dtype = x.dtype if np.issubdtype(x.dtype, np.floating) else work.dtype
    mean = np.mean(work, axis=axes, keepdims=True)
    centered = work - mean
    variance = np.mean(np.square(centered, out=centered), axis=axes, keepdims=keepdims)
    if not keepdims:
        mean = np.squeeze(mean, axis=axes)
    return mean.astype(dtype, copy=False), variance.astype(dtype, copy=False)


@vjp(moments)
def _(g, out, x, axes, keepdims=False):
    x = np.asarray(x)
    axes = _axes(x, axes)
    g_mean, g_var = g
    if not keepdims:
        g_mean, g_var = np.expand_dims(g_mean, axes), np.expand_dims(g_var, axes)
    count = math.prod(x.shape[a] for a in axes)
    mean = np.mean(x, axis=axes, keepdims=True)
    dx = (g_mean + 2 * g_var * (x - mean)) / count
    return dx.astype(x.dtype, copy=False), None, None
