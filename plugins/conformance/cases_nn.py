"""Sample calls of the nn ops, with slow loop-based NumPy references (see harness.Case).

The references follow the definitions directly: a convolution output is a sum
over kernel taps at ``position * stride + tap * dilation`` of the zero-padded
input; a transposed convolution scatters each input position through the
kernel; a pooling window reduces only the elements inside the input. They are
deliberately simple and slow, and independent of any backend's im2col.
"""

from itertools import product

import numpy as np

from .harness import Case, sample


def _as_tuple(value, n):
    return (value,) * n if isinstance(value, int) else tuple(value)


def _to_last(x, data_format):
    return np.moveaxis(x, 1, -1) if data_format == "channels_first" else x


def _from_last(x, data_format):
    return np.moveaxis(x, -1, 1) if data_format == "channels_first" else x


def _same_or_valid(size, extent, stride, padding):
    """(output size, zeros before) along one axis, TensorFlow's convention."""
    if padding == "valid":
        return (size - extent) // stride + 1, 0
    out = -(-size // stride)
    return out, max((out - 1) * stride + extent - size, 0) // 2


def _padded(x, window, strides, dilation, padding):
    """x (batch, *spatial, channels) zero-padded, and the output's spatial size."""
    outs, pads = [], [(0, 0)]
    for n, k, s, d in zip(x.shape[1:-1], window, strides, dilation):
        extent = (k - 1) * d + 1
        out, before = _same_or_valid(n, extent, s, padding)
        outs.append(out)
        pads.append((before, max((out - 1) * s + extent - n - before, 0)))
    return np.pad(x, pads + [(0, 0)]), tuple(outs)


def conv_reference(inputs, kernel, strides=1, padding="valid", data_format="channels_last", dilation_rate=1):
    x = _to_last(inputs, data_format)
    n = x.ndim - 2
    strides, dilation = _as_tuple(strides, n), _as_tuple(dilation_rate, n)
    window = kernel.shape[:n]
    xp, outs = _padded(x, window, strides, dilation, padding)
    c_in, c_out = kernel.shape[-2], kernel.shape[-1]
    groups = x.shape[-1] // c_in
    per_group = c_out // groups
    out = np.zeros((x.shape[0],) + outs + (c_out,))
    for o in product(*map(range, outs)):
        for t in product(*map(range, window)):
            pos = tuple(oi * s + ti * d for oi, ti, s, d in zip(o, t, strides, dilation))
            patch = xp[(slice(None),) + pos]  # (batch, channels)
            for gi in range(groups):
                cols = slice(gi * per_group, (gi + 1) * per_group)
                out[(slice(None),) + o + (cols,)] += patch[:, gi * c_in:(gi + 1) * c_in] @ kernel[t][:, cols]
    return _from_last(out, data_format)


def depthwise_conv_reference(inputs, kernel, strides=1, padding="valid", data_format="channels_last",
                             dilation_rate=1):
    x = _to_last(inputs, data_format)
    n = x.ndim - 2
    strides, dilation = _as_tuple(strides, n), _as_tuple(dilation_rate, n)
    window, channels, multiplier = kernel.shape[:n], kernel.shape[-2], kernel.shape[-1]
    xp, outs = _padded(x, window, strides, dilation, padding)
    out = np.zeros((x.shape[0],) + outs + (channels * multiplier,))
    for o in product(*map(range, outs)):
        for t in product(*map(range, window)):
            pos = tuple(oi * s + ti * d for oi, ti, s, d in zip(o, t, strides, dilation))
            for c in range(channels):
                for m in range(multiplier):
                    patch = xp[(slice(None),) + pos + (c,)]
                    out[(slice(None),) + o + (c * multiplier + m,)] += patch * kernel[t + (c, m)]
    return _from_last(out, data_format)


def conv_transpose_reference(inputs, kernel, strides=1, padding="valid", output_padding=None,
                             data_format="channels_last", dilation_rate=1):
    x = _to_last(inputs, data_format)
    n = x.ndim - 2
    strides, dilation = _as_tuple(strides, n), _as_tuple(dilation_rate, n)
    extra = (None,) * n if output_padding is None else _as_tuple(output_padding, n)
    window = kernel.shape[:n]
    # Scatter every input position through the kernel onto the full output ...
    full_size = tuple((i - 1) * s + (k - 1) * d + 1 for i, k, s, d in zip(x.shape[1:-1], window, strides, dilation))
    full = np.zeros((x.shape[0],) + full_size + (kernel.shape[-2],))
    for i in product(*map(range, x.shape[1:-1])):
        for t in product(*map(range, window)):
            pos = tuple(ii * s + ti * d for ii, ti, s, d in zip(i, t, strides, dilation))
            full[(slice(None),) + pos] += x[(slice(None),) + i] @ kernel[t].T
    # ... then cut Keras's output length from it, starting where TensorFlow does.
    index = [slice(None)]
    size = []
    for i, k, s, d, p in zip(x.shape[1:-1], window, strides, dilation, extra):
        extent = (k - 1) * d + 1
        if p is None:
            length = i * s + max(extent - s, 0) if padding == "valid" else i * s
        else:
            length = (i - 1) * s + extent + p - (2 * (extent // 2) if padding == "same" else 0)
        start = 0 if padding == "valid" else max((i - 1) * s + extent - length, 0) // 2
        index.append(slice(start, start + length))
        size.append(length)
    out = np.zeros((x.shape[0],) + tuple(size) + (kernel.shape[-2],))
    piece = full[tuple(index)]
    out[(slice(None),) + tuple(slice(0, m) for m in piece.shape[1:-1])] = piece
    return _from_last(out, data_format)


def _pool_reference(reduce, inputs, pool_size, strides, padding, data_format):
    x = _to_last(inputs, data_format)
    n = x.ndim - 2
    window = _as_tuple(pool_size, n)
    strides = window if strides is None else _as_tuple(strides, n)
    outs, befores = zip(*(_same_or_valid(size, k, s, padding) for size, k, s in zip(x.shape[1:-1], window, strides)))
    out = np.zeros((x.shape[0],) + outs + (x.shape[-1],))
    for o in product(*map(range, outs)):
        region = tuple(
            slice(max(oi * s - b, 0), min(oi * s - b + k, size))
            for oi, s, b, k, size in zip(o, strides, befores, window, x.shape[1:-1])
        )
        patch = x[(slice(None),) + region].reshape(x.shape[0], -1, x.shape[-1])
        out[(slice(None),) + o] = reduce(patch, axis=1)
    return _from_last(out, data_format)


def max_pool_reference(inputs, pool_size, strides=None, padding="valid", data_format="channels_last"):
    return _pool_reference(np.max, inputs, pool_size, strides, padding, data_format)


def average_pool_reference(inputs, pool_size, strides=None, padding="valid", data_format="channels_last"):
    return _pool_reference(np.mean, inputs, pool_size, strides, padding, data_format)


def moments_reference(x, axes, keepdims=False):
    axes = tuple(axes) if isinstance(axes, (list, tuple)) else axes
    return np.mean(x, axis=axes, keepdims=keepdims), np.var(x, axis=axes, keepdims=keepdims)


def _img(*shape, key=""):
    return sample(*shape, key=key)


CASES = {
    "conv": [
        # 2-D: valid, same (odd and even extents), strides, dilation, channels_first, groups.
        Case(_img(2, 5, 5, 2), _img(3, 3, 2, 3)),
        Case(_img(2, 6, 7, 2), _img(3, 2, 2, 3), padding="same"),
        Case(_img(2, 6, 7, 2), _img(3, 3, 2, 2), strides=2, padding="same"),
        Case(_img(2, 7, 6, 2), _img(3, 3, 2, 2), strides=(2, 1)),
        Case(_img(1, 7, 7, 2), _img(2, 3, 2, 2), dilation_rate=2, padding="same"),
        Case(_img(2, 2, 5, 6), _img(3, 3, 2, 3), data_format="channels_first", padding="same"),
        Case(_img(2, 5, 5, 4), _img(3, 3, 2, 4), padding="same"),  # two groups
        Case(_img(2, 5, 5, 3), _img(3, 3, 1, 6), strides=2),  # one channel per group
        Case(_img(2, 4, 4, 1), _img(1, 1, 1, 3)),
        # 1-D and 3-D.
        Case(_img(2, 9, 3), _img(3, 3, 2)),
        Case(_img(2, 9, 3), _img(4, 3, 2), strides=2, padding="same"),
        Case(_img(2, 3, 10), _img(3, 3, 2), dilation_rate=3, data_format="channels_first"),
        Case(_img(1, 4, 4, 3, 2), _img(2, 2, 2, 2, 2), padding="same"),
        Case(_img(2, 9, 9, 3), _img(3, 3, 3, 4), strides=2, dilation_rate=2, padding="same", grad=False),
    ],
    "depthwise_conv": [
        Case(_img(2, 5, 5, 2), _img(3, 3, 2, 2)),
        Case(_img(2, 6, 5, 3), _img(3, 3, 3, 1), strides=2, padding="same"),
        Case(_img(2, 2, 6, 6), _img(2, 2, 2, 2), dilation_rate=2, data_format="channels_first"),
        Case(_img(2, 8, 2), _img(3, 2, 3), padding="same"),
    ],
    "conv_transpose": [
        # kernel (*kernel_size, out_channels, in_channels)
        Case(_img(2, 3, 3, 2), _img(3, 3, 3, 2)),
        Case(_img(2, 3, 4, 2), _img(3, 3, 2, 2), strides=2, padding="same"),
        Case(_img(2, 3, 3, 2), _img(4, 4, 2, 2), strides=2, padding="same"),
        Case(_img(2, 3, 3, 2), _img(3, 3, 2, 2), strides=2, padding="valid"),
        Case(_img(2, 3, 3, 2), _img(3, 2, 2, 2), strides=2, padding="same", output_padding=1),
        Case(_img(2, 3, 3, 2), _img(3, 3, 2, 2), strides=3, padding="valid", output_padding=(2, 1)),
        Case(_img(1, 2, 3, 3), _img(2, 2, 2, 2), strides=2, data_format="channels_first"),
        Case(_img(2, 4, 2), _img(3, 3, 2), strides=2, dilation_rate=1, padding="same"),
        Case(_img(2, 4, 2), _img(3, 2, 2), dilation_rate=2, padding="same"),
        Case(_img(2, 2, 2, 2, 1), _img(2, 2, 2, 2, 1), strides=2, grad=False),
    ],
    "max_pool": [
        Case(_img(2, 4, 4, 3), 2),
        Case(_img(2, 5, 7, 2), 2),
        Case(_img(2, 5, 7, 2), 3, strides=2, padding="same"),
        Case(_img(2, 6, 6, 2), (3, 2), strides=(1, 2)),
        Case(_img(2, 2, 5, 5), 2, strides=1, padding="same", data_format="channels_first"),
        Case(_img(2, 9, 3), 3, strides=2, padding="same"),
        Case(_img(1, 4, 4, 4, 2), 2, grad=False),
    ],
    "average_pool": [
        Case(_img(2, 4, 4, 3), 2),
        Case(_img(2, 5, 7, 2), 3, strides=2, padding="same"),
        Case(_img(2, 6, 6, 2), (3, 2), strides=(1, 2)),
        Case(_img(2, 2, 5, 5), 2, strides=1, padding="same", data_format="channels_first"),
        Case(_img(2, 9, 3), 4, strides=3, padding="same"),
        Case(_img(1, 4, 5, 4, 2), 2, padding="same", grad=False),
    ],
    "moments": [
        Case(sample(4, 3), [0]),
        Case(sample(2, 3, 4), (0, 1), keepdims=True),
        Case(sample(3, 5), -1),
        Case(sample(2, 3, 2, 3), [0, 1, 2]),
        Case(sample(1000, low=999.0, high=1001.0), 0, grad=False, rtol=1e-4, atol=1e-4),
    ],
}

REFERENCE = {
    "conv": conv_reference,
    "depthwise_conv": depthwise_conv_reference,
    "conv_transpose": conv_transpose_reference,
    "max_pool": max_pool_reference,
    "average_pool": average_pool_reference,
    "moments": moments_reference,
}
