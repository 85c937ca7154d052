"""Pooling layers: ``MaxPooling1D/2D/3D`` and ``AveragePooling1D/2D/3D``.

Each output is the maximum (or mean) of a window of the input, channel by
channel. ``"same"`` padding averages only the real elements of windows that
overhang the border, as Keras does.
"""

from __future__ import annotations

from plugnet import ops, registry
from plugnet.layers import conv_utils
from plugnet.layers.data_format import standardize_data_format
from plugnet.layers.input_spec import InputSpec
from plugnet.layers.layer import Layer
from plugnet.layers.layer_utils import layer_label


class Pooling(Layer):
    """The shared part of the pooling layers (use the concrete classes).

    Args:
        rank: the number of spatial dimensions.
        pool_op: ``ops.max_pool`` or ``ops.average_pool``.
        pool_size: the window size, an int or ``rank`` ints.
        strides: the step between windows; None means ``pool_size``.
        padding: ``"valid"`` or ``"same"``.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
    """

    def __init__(self, rank, pool_op, pool_size, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**kwargs)
        label = layer_label(self)
        self.rank = rank
        self._pool_op = pool_op
        self.pool_size = conv_utils.normalize_tuple(pool_size, rank, "pool_size", label)
        self.strides = self.pool_size if strides is None else conv_utils.normalize_tuple(
            strides, rank, "strides", label
        )
        self.padding = conv_utils.normalize_padding(padding, label)
        self.data_format = standardize_data_format(data_format, label)
        self.input_spec = InputSpec(ndim=rank + 2)

    def call(self, inputs):
        return self._pool_op(inputs, self.pool_size, self.strides, self.padding, self.data_format)

    def compute_output_shape(self, input_shape):
        batch, spatial, channels = conv_utils.split_shape(input_shape, self.data_format)
        out = conv_utils.windowed_spatial(
            layer_label(self), input_shape, spatial, self.pool_size, self.strides, (1,) * self.rank, self.padding
        )
        return conv_utils.join_shape(batch, out, channels, self.data_format)

    def build(self, input_shape):
        self.compute_output_shape(input_shape)  # a window larger than the input is an error now, not later

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(pool_size=self.pool_size, padding=self.padding, strides=self.strides,
                      data_format=self.data_format)
        return config


@registry.register_serializable()
class MaxPooling1D(Pooling):
    """Max over windows of ``pool_size`` steps of ``(batch, steps, channels)``.

    Example:
        >>> plugnet.layers.MaxPooling1D(2)(np.zeros((4, 10, 3))).shape
        (4, 5, 3)
    """

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, name=None, **kwargs):
        super().__init__(1, ops.max_pool, pool_size, strides, padding, data_format, name=name, **kwargs)


@registry.register_serializable()
class MaxPooling2D(Pooling):
    """Max over ``pool_size`` windows of images ``(batch, height, width, channels)``.

    Args:
        pool_size: an int or 2 ints (default ``(2, 2)``).
        strides: an int or 2 ints; None (default) means ``pool_size``.
        padding: ``"valid"`` (default) or ``"same"``.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Example:
        >>> plugnet.layers.MaxPooling2D()(np.zeros((4, 28, 28, 8))).shape
        (4, 14, 14, 8)
        >>> plugnet.layers.MaxPooling2D(3, strides=2, padding="same")(np.zeros((1, 7, 9, 2))).shape
        (1, 4, 5, 2)
    """

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, name=None, **kwargs):
        super().__init__(2, ops.max_pool, pool_size, strides, padding, data_format, name=name, **kwargs)


@registry.register_serializable()
class MaxPooling3D(Pooling):
    """Max over ``pool_size`` windows of volumes ``(batch, depth, height, width, channels)``.

    Example:
        >>> plugnet.layers.MaxPooling3D()(np.zeros((1, 4, 4, 4, 2))).shape
        (1, 2, 2, 2, 2)
    """

    def __init__(self, pool_size=(2, 2, 2), strides=None, padding="valid", data_format=None, name=None, **kwargs):
        super().__init__(3, ops.max_pool, pool_size, strides, padding, data_format, name=name, **kwargs)


@registry.register_serializable()
class AveragePooling1D(Pooling):
    """Mean over windows of ``pool_size`` steps of ``(batch, steps, channels)``.

    Example:
        >>> plugnet.layers.AveragePooling1D(3, strides=1, padding="same")(np.zeros((4, 10, 3))).shape
        (4, 10, 3)
    """

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, name=None, **kwargs):
        super().__init__(1, ops.average_pool, pool_size, strides, padding, data_format, name=name, **kwargs)


@registry.register_serializable()
class AveragePooling2D(Pooling):
    """Mean over ``pool_size`` windows of images; arguments as :class:`MaxPooling2D`
    (``pool_size`` is required, as in Keras).

    Example:
        >>> plugnet.layers.AveragePooling2D(2)(np.zeros((4, 28, 28, 8))).shape
        (4, 14, 14, 8)
    """

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, name=None, **kwargs):
        super().__init__(2, ops.average_pool, pool_size, strides, padding, data_format, name=name, **kwargs)


@registry.register_serializable()
class AveragePooling3D(Pooling):
    """Mean over ``pool_size`` windows of volumes.

    Example:
        >>> plugnet.layers.AveragePooling3D(2)(np.zeros((1, 4, 4, 4, 2))).shape
        (1, 2, 2, 2, 2)
    """

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, name=None, **kwargs):
        super().__init__(3, ops.average_pool, pool_size, strides, padding, data_format, name=name, **kwargs)
