"""Layers that resize the spatial axes: ``UpSampling1D/2D/3D``, ``ZeroPadding1D/2D/3D``
and ``Cropping1D/2D/3D``.

Each works on ``(batch, *spatial, channels)`` inputs (or ``(batch, channels,
*spatial)`` with ``data_format="channels_first"``) and leaves the batch and
channels alone.
"""

from __future__ import annotations

import functools

import numpy as np

from plugnet import ops, registry
from plugnet.layers import conv_utils
from plugnet.layers.data_format import standardize_data_format
from plugnet.layers.input_spec import InputSpec, format_shape
from plugnet.layers.layer import Layer
from plugnet.layers.layer_utils import layer_label


class _Spatial(Layer):
    """Rank, data format and input spec of a spatial layer; ``_axes`` are the spatial axes."""

    rank = None

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format, layer_label(self))
        self._axes = conv_utils.spatial_axes(self.rank, self.data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def build(self, input_shape):
        self.compute_output_shape(input_shape)  # impossible sizes are an error now, naming the layer

    def compute_output_shape(self, input_shape):
        batch, spatial, channels = conv_utils.split_shape(input_shape, self.data_format)
        return conv_utils.join_shape(batch, self._spatial_output(input_shape, spatial), channels, self.data_format)

    def get_config(self) -> dict:
        config = super().get_config()
        config["data_format"] = self.data_format
        return config


# ---------------------------------------------------------------------------- UpSampling


@functools.lru_cache(maxsize=64)
def _bilinear_weights(size: int, factor: int) -> np.ndarray:
    """The (size * factor, size) matrix of bilinear upsampling along one axis.

    Output ``o`` samples input position ``(o + 0.5) / factor - 0.5`` (pixel
    centers aligned, as ``tf.image.resize`` and Keras do), clamped to the edges.
    """
    source = np.clip((np.arange(size * factor) + 0.5) / factor - 0.5, 0, size - 1)
    low = np.floor(source).astype(np.int64)
    high = np.minimum(low + 1, size - 1)
    frac = source - low
    weights = np.zeros((size * factor, size))
    rows = np.arange(size * factor)
    np.add.at(weights, (rows, low), 1 - frac)
    np.add.at(weights, (rows, high), frac)
    return weights


class _UpSampling(_Spatial):
    _interpolations = ("nearest",)

    def __init__(self, size, data_format=None, interpolation="nearest", **kwargs):
        super().__init__(data_format, **kwargs)
        label = layer_label(self)
        self.size = conv_utils.normalize_tuple(size, self.rank, "size", label)
        if interpolation not in self._interpolations:
            raise ValueError(f"{label}: `interpolation` must be one of {self._interpolations}, got {interpolation!r}.")
        self.interpolation = interpolation

    def _spatial_output(self, input_shape, spatial):
        return tuple(None if n is None else n * s for n, s in zip(spatial, self.size))

    def get_config(self) -> dict:
        config = super().get_config()
        config["size"] = self.size
        return config

    def call(self, inputs):
        if self.interpolation == "bilinear":
            return self._bilinear(inputs)
        for axis, factor in zip(self._axes, self.size):
            if factor != 1:
                inputs = ops.repeat(inputs, factor, axis=axis)
        return inputs

    def _bilinear(self, inputs):
        shape = ops.shape(inputs)
        dtype = ops.dtype(inputs)
        # Host matrices, converted per call: a tensor cached across calls could
        # belong to a finished graph trace on graph-compiling backends.
        rows = ops.convert_to_tensor(_bilinear_weights(shape[self._axes[0]], self.size[0]), dtype)
        cols = ops.convert_to_tensor(_bilinear_weights(shape[self._axes[1]], self.size[1]), dtype)
        if self.data_format == "channels_last":
            outputs = ops.einsum("ih,bhwc->biwc", rows, inputs)
            return ops.einsum("jw,biwc->bijc", cols, outputs)
        outputs = ops.einsum("ih,bchw->bciw", rows, inputs)
        return ops.einsum("jw,bciw->bcij", cols, outputs)


@registry.register_serializable()
class UpSampling1D(_UpSampling):
    """Repeats each step of ``(batch, steps, features)`` ``size`` times.

    Example:
        >>> plugnet.layers.UpSampling1D(3)(np.zeros((2, 4, 5))).shape
        (2, 12, 5)
    """

    rank = 1

    def __init__(self, size=2, **kwargs):
        super().__init__(size, None, "nearest", **kwargs)
        self.size = self.size[0]

    def call(self, inputs):
        return ops.repeat(inputs, self.size, axis=1)

    def _spatial_output(self, input_shape, spatial):
        return (None if spatial[0] is None else spatial[0] * self.size,)

    def get_config(self) -> dict:
        config = super().get_config()
        del config["data_format"]  # Keras's UpSampling1D has none: steps are axis 1
        return config


@registry.register_serializable()
class UpSampling2D(_UpSampling):
    """Enlarges images by ``size`` (rows, columns).

    Args:
        size: an int or 2 ints (default ``(2, 2)``).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        interpolation: ``"nearest"`` (repeat each pixel) or ``"bilinear"``.

    Example:
        >>> plugnet.layers.UpSampling2D()(np.zeros((1, 3, 4, 8))).shape
        (1, 6, 8, 8)
    """

    rank = 2
    _interpolations = ("nearest", "bilinear")

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(size, data_format, interpolation, **kwargs)

    def get_config(self) -> dict:
        config = super().get_config()
        config["interpolation"] = self.interpolation
        return config


@registry.register_serializable()
class UpSampling3D(_UpSampling):
    """Enlarges volumes by repeating each voxel ``size`` times per axis.

    Example:
        >>> plugnet.layers.UpSampling3D()(np.zeros((1, 2, 3, 4, 5))).shape
        (1, 4, 6, 8, 5)
    """

    rank = 3

    def __init__(self, size=(2, 2, 2), data_format=None, **kwargs):
        super().__init__(size, data_format, **kwargs)


# ---------------------------------------------------------------------------- ZeroPadding


class _ZeroPadding(_Spatial):
    def __init__(self, padding, data_format=None, **kwargs):
        super().__init__(data_format, **kwargs)
        self.padding = conv_utils.normalize_pairs(padding, self.rank, "padding", layer_label(self))
        widths = [(0, 0)] * (self.rank + 2)
        for axis, pair in zip(self._axes, self.padding):
            widths[axis] = pair
        self._widths = tuple(widths)

    def _spatial_output(self, input_shape, spatial):
        return tuple(None if n is None else n + a + b for n, (a, b) in zip(spatial, self.padding))

    def call(self, inputs):
        return ops.pad(inputs, self._widths)

    def get_config(self) -> dict:
        config = super().get_config()
        config["padding"] = self.padding[0] if self.rank == 1 else self.padding
        return config


@registry.register_serializable()
class ZeroPadding1D(_ZeroPadding):
    """Adds zeros at the start and end of the steps axis.

    Args:
        padding: an int (both ends) or a ``(start, end)`` pair (default 1).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Example:
        >>> plugnet.layers.ZeroPadding1D((1, 2))(np.ones((2, 3, 4))).shape
        (2, 6, 4)
    """

    rank = 1

    def __init__(self, padding=1, data_format=None, **kwargs):
        super().__init__(padding, data_format, **kwargs)


@registry.register_serializable()
class ZeroPadding2D(_ZeroPadding):
    """Adds rows and columns of zeros around images.

    Args:
        padding: an int (all sides), ``(rows, cols)`` (symmetric), or
            ``((top, bottom), (left, right))`` (default ``(1, 1)``).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Example:
        >>> plugnet.layers.ZeroPadding2D(((1, 0), (2, 2)))(np.ones((1, 3, 3, 8))).shape
        (1, 4, 7, 8)
    """

    rank = 2

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(padding, data_format, **kwargs)


@registry.register_serializable()
class ZeroPadding3D(_ZeroPadding):
    """Adds zeros around volumes; ``padding`` as in :class:`ZeroPadding2D`, for three axes.

    Example:
        >>> plugnet.layers.ZeroPadding3D(1)(np.ones((1, 2, 2, 2, 3))).shape
        (1, 4, 4, 4, 3)
    """

    rank = 3

    def __init__(self, padding=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(padding, data_format, **kwargs)


# ---------------------------------------------------------------------------- Cropping


class _Cropping(_Spatial):
    def __init__(self, cropping, data_format=None, **kwargs):
        super().__init__(data_format, **kwargs)
        self.cropping = conv_utils.normalize_pairs(cropping, self.rank, "cropping", layer_label(self))
        key = [slice(None)] * (self.rank + 2)
        for axis, (start, end) in zip(self._axes, self.cropping):
            key[axis] = slice(start, -end if end else None)
        self._key = tuple(key)

    def _spatial_output(self, input_shape, spatial):
        out = []
        for n, (a, b) in zip(spatial, self.cropping):
            if n is not None and a + b >= n:
                raise ValueError(
                    f"{layer_label(self)}: cropping {self.cropping} removes all of an axis of size {n}; each "
                    f"axis's cropping must total less than its size (input shape {format_shape(input_shape)})."
                )
            out.append(None if n is None else n - a - b)
        return tuple(out)

    def call(self, inputs):
        return ops.get_item(inputs, self._key)

    def get_config(self) -> dict:
        config = super().get_config()
        config["cropping"] = self.cropping[0] if self.rank == 1 else self.cropping
        return config


@registry.register_serializable()
class Cropping1D(_Cropping):
    """Removes steps from the start and end of ``(batch, steps, features)``.

    Args:
        cropping: an int (both ends) or a ``(start, end)`` pair (default ``(1, 1)``).

    Example:
        >>> plugnet.layers.Cropping1D((1, 2))(np.ones((2, 6, 4))).shape
        (2, 3, 4)
    """

    rank = 1

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(cropping, None, **kwargs)

    def get_config(self) -> dict:
        config = super().get_config()
        del config["data_format"]  # Keras's Cropping1D has none: steps are axis 1
        return config


@registry.register_serializable()
class Cropping2D(_Cropping):
    """Removes rows and columns at the borders of images.

    Args:
        cropping: an int (all sides), ``(rows, cols)`` (symmetric), or
            ``((top, bottom), (left, right))`` (default: nothing).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Example:
        >>> plugnet.layers.Cropping2D(((2, 2), (4, 4)))(np.ones((1, 28, 28, 3))).shape
        (1, 24, 20, 3)
    """

    rank = 2

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(cropping, data_format, **kwargs)


@registry.register_serializable()
class Cropping3D(_Cropping):
    """Removes borders of volumes; ``cropping`` as in :class:`Cropping2D`, for three axes.

    Example:
        >>> plugnet.layers.Cropping3D(1)(np.ones((1, 4, 4, 4, 2))).shape
        (1, 2, 2, 2, 2)
    """

    rank = 3

    def __init__(self, cropping=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(cropping, data_format, **kwargs)
