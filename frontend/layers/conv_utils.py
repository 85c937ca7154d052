"""Argument checking and shape arithmetic shared by the convolution, pooling and spatial layers.

Sizes follow Keras exactly: ``"valid"`` keeps only whole windows, ``"same"``
(and Conv1D's ``"causal"``) gives ``ceil(length / stride)`` outputs, and an
unknown length (None) stays unknown.
"""

from __future__ import annotations

from plugnet.layers.input_spec import format_shape
from plugnet.layers.layer_utils import as_int


def normalize_tuple(value, n: int, name: str, owner: str, allow_zero: bool = False) -> tuple:
    """``value`` (an int or ``n`` ints) as a tuple of ``n`` ints, each positive (or >= 0)."""
    single = as_int(value)
    if single is not None:
        result = (single,) * n
    else:
        try:
            result = tuple(as_int(v) for v in value)
        except TypeError:
            result = None
        if result is None or len(result) != n or None in result:
            raise ValueError(f"{owner}: `{name}` must be an int or a tuple of {n} ints, got {value!r}.")
    lowest = 0 if allow_zero else 1
    if any(v < lowest for v in result):
        kind = "non-negative" if allow_zero else "positive"
        raise ValueError(f"{owner}: every value of `{name}` must be {kind}, got {value!r}.")
    return result


def normalize_padding(value, owner: str, allowed=("valid", "same")) -> str:
    """``padding`` lower-cased and checked against ``allowed``."""
    mode = value.lower() if isinstance(value, str) else value
    if mode not in allowed:
        raise ValueError(f"{owner}: `padding` must be one of {allowed}, got {value!r}.")
    return mode


def normalize_pairs(value, n: int, name: str, owner: str) -> tuple:
    """Padding or cropping amounts as ``n`` ``(before, after)`` pairs of non-negative ints.

    Accepts an int (the same on every side), ``n`` ints (symmetric per axis) or
    ``n`` pairs, as Keras's ZeroPadding and Cropping layers do.
    """
    error = ValueError(
        f"{owner}: `{name}` must be an int, a tuple of {n} ints or a tuple of {n} (before, after) pairs "
        f"of non-negative ints, got {value!r}."
    )
    single = as_int(value)
    if single is not None:
        return _checked_pairs(((single, single),) * n, error)
    try:
        items = tuple(value)
    except TypeError:
        raise error from None
    if n == 1 and len(items) == 2 and all(as_int(v) is not None for v in items):
        items = (items,)  # a 1-d (before, after) pair
    if len(items) != n:
        raise error
    pairs = []
    for item in items:
        number = as_int(item)
        if number is not None:
            pairs.append((number, number))
            continue
        try:
            pair = tuple(as_int(v) for v in item)
        except TypeError:
            raise error from None
        if len(pair) != 2:
            raise error
        pairs.append(pair)
    return _checked_pairs(tuple(pairs), error)


def _checked_pairs(pairs, error) -> tuple:
    if not all(v is not None and v >= 0 for pair in pairs for v in pair):
        raise error
    return pairs


def conv_output_length(length, kernel: int, stride: int, dilation: int, padding: str):
    """The number of windows along an axis of ``length`` (None if unknown)."""
    if length is None:
        return None
    if padding == "valid":
        return (length - (kernel - 1) * dilation - 1) // stride + 1
    return (length - 1) // stride + 1


def conv_transpose_output_length(length, kernel: int, stride: int, dilation: int, padding: str, output_padding):
    """The output length of a transposed convolution, as Keras computes it."""
    if length is None:
        return None
    extent = (kernel - 1) * dilation + 1
    if output_padding is None:
        return length * stride + max(extent - stride, 0) if padding == "valid" else length * stride
    pad = extent // 2 if padding == "same" else 0
    return (length - 1) * stride + extent - 2 * pad + output_padding


def channel_axis(data_format: str) -> int:
    return -1 if data_format == "channels_last" else 1


def split_shape(input_shape, data_format: str) -> tuple:
    """``(batch, spatial dims, channels)`` of an image-like shape."""
    shape = tuple(input_shape)
    if data_format == "channels_last":
        return shape[0], shape[1:-1], shape[-1]
    return shape[0], shape[2:], shape[1]


def join_shape(batch, spatial, channels, data_format: str) -> tuple:
    """The inverse of :func:`split_shape`."""
    if data_format == "channels_last":
        return (batch, *spatial, channels)
    return (batch, channels, *spatial)


def windowed_spatial(owner: str, input_shape, spatial, window, strides, dilation, padding) -> tuple:
    """The spatial output size of a conv or pool; a clear error when a 'valid' window does not fit."""
    out = tuple(
        conv_output_length(n, k, s, d, padding) for n, k, s, d in zip(spatial, window, strides, dilation)
    )
    if any(o is not None and o <= 0 for o in out):
        raise ValueError(
            f"{owner}: the output would be empty: the window {tuple(window)} (dilation {tuple(dilation)}, "
            f"strides {tuple(strides)}, padding='{padding}') does not fit the input of shape "
            f"{format_shape(input_shape)}."
        )
    return out


def spatial_axes(rank: int, data_format: str) -> tuple:
    """The positions of the spatial axes in a rank ``rank + 2`` input."""
    first = 1 if data_format == "channels_last" else 2
    return tuple(range(first, first + rank))
