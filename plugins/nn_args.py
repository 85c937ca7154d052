"""Argument checks shared by every backend's convolution and pooling ops.

Framework-free, so each backend (and a third party's) validates ``strides``,
``padding`` and friends the same way, with the same error messages.
"""

from __future__ import annotations

import numbers


def int_tuple(op: str, name: str, value, n: int) -> tuple[int, ...]:
    """``value`` (an int, or a sequence of ``n`` ints) as a tuple of ``n`` positive ints."""
    if isinstance(value, numbers.Integral):
        result = (int(value),) * n
    else:
        result = tuple(int(v) for v in value)
        if len(result) != n:
            raise ValueError(f"{op}: `{name}` must be an int or a tuple of {n} ints for {n}-d inputs, got {value!r}.")
    if any(v < 1 for v in result):
        raise ValueError(f"{op}: `{name}` must be positive, got {value!r}.")
    return result


def padding_mode(op: str, padding) -> str:
    """``"valid"`` or ``"same"`` (any case); anything else is an error naming the op."""
    mode = str(padding).lower()
    if mode not in ("valid", "same"):
        raise ValueError(f"{op}: `padding` must be 'valid' or 'same', got {padding!r}.")
    return mode


def output_padding_tuple(op: str, output_padding, n: int) -> tuple:
    """conv_transpose's ``output_padding``: None per axis when not given, else ``n`` ints >= 0."""
    if output_padding is None:
        return (None,) * n
    if isinstance(output_padding, numbers.Integral) or getattr(output_padding, "ndim", 1) == 0:
        result = (int(output_padding),) * n
    else:
        result = tuple(int(p) for p in output_padding)
    if len(result) != n or min(result) < 0:
        raise ValueError(f"{op}: `output_padding` must be a non-negative int or {n} of them, got {output_padding!r}.")
    return result


def noise_shape(op: str, shape, noise_shape) -> tuple:
    """dropout's mask shape: ``noise_shape`` with None entries taken from the inputs' ``shape``
    (entries may be symbolic in a traced graph); it must broadcast to ``shape``."""
    shape = tuple(shape)
    if noise_shape is None:
        return shape
    given = tuple(n if d is None else int(d) for d, n in zip(noise_shape, shape))
    if len(noise_shape) != len(shape) or any(isinstance(n, int) and d not in (1, n) for d, n in zip(given, shape)):
        raise ValueError(f"{op}: noise_shape {tuple(noise_shape)} does not broadcast to the inputs' shape {shape}.")
    return given


def is_channels_first(op: str, shape, data_format) -> bool:
    """Whether conv/pool inputs of ``shape`` (rank 3 to 5; None for an unknown rank) come
    channels_first by ``data_format``; anything else is an error naming the op."""
    if shape is None or not 3 <= len(shape) <= 5:
        raise ValueError(
            f"{op}: inputs must have shape (batch, *spatial, channels) with 1 to 3 spatial dims, "
            f"got shape {None if shape is None else tuple(shape)}."
        )
    if data_format in (None, "channels_last"):
        return False
    if data_format == "channels_first":
        return True
    raise ValueError(f"{op}: `data_format` must be 'channels_last' or 'channels_first', got {data_format!r}.")


def conv_groups(op: str, shape, kernel_shape, channels_first: bool, depthwise: bool = False) -> int:
    """The number of channel groups of a convolution of inputs of ``shape`` (as the user laid
    them out) by a kernel of ``kernel_shape`` (Keras's ``(*window, in, out)``; for a depthwise
    conv ``(*window, channels, multiplier)``): 1 for an ordinary conv. Errors name the op, both
    shapes and what does not fit."""
    shape, kernel_shape = tuple(shape), tuple(kernel_shape)
    n = len(shape) - 2
    if len(kernel_shape) != n + 2:
        raise ValueError(
            f"{op}: a kernel for {n}-d inputs of shape {shape} must have rank {n + 2} "
            f"(*kernel_size, in, out), got shape {kernel_shape}."
        )
    channels = shape[1] if channels_first else shape[-1]
    per_group, out = kernel_shape[-2], kernel_shape[-1]
    if depthwise:
        if per_group != channels:
            raise ValueError(f"{op}: the kernel {kernel_shape} expects {per_group} input channels, "
                             f"but the inputs have {channels} (shape {shape}).")
        return channels
    if channels is None or channels % per_group or out % (channels // per_group):
        layout = "channels_first" if channels_first else "channels_last"
        raise ValueError(
            f"{op}: the inputs have {channels} channels (shape {shape}, {layout}); the kernel {kernel_shape} "
            f"expects a multiple of {per_group} input channels and as many groups dividing its {out} output "
            f"channels."
        )
    return channels // per_group


def transpose_geometry(sizes, window, strides, dilation, padding, output_padding):
    """conv_transpose per spatial axis: Keras's output length, and where that output starts
    within the full transposed convolution (``padding`` "valid" or "same")."""
    lengths, starts = [], []
    for n, k, s, d, p in zip(sizes, window, strides, dilation, output_padding):
        extent = (k - 1) * d + 1
        if p is None:
            length = n * s + max(extent - s, 0) if padding == "valid" else n * s
        else:
            length = (n - 1) * s + extent + p - (2 * (extent // 2) if padding == "same" else 0)
        lengths.append(length)
        starts.append(0 if padding == "valid" else max((n - 1) * s + extent - length, 0) // 2)
    return lengths, starts
