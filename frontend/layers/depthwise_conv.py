"""Depthwise and separable convolution layers: ``DepthwiseConv1D``, ``DepthwiseConv2D``,
``SeparableConv1D``, ``SeparableConv2D``.

A depthwise convolution filters each input channel on its own with
``depth_multiplier`` filters (kernel ``(*kernel_size, channels,
depth_multiplier)``); a separable convolution follows it with a 1x1
convolution mixing the channels (kernel ``(1, ..., channels * depth_multiplier,
filters)``): far fewer weights than a full convolution, as in MobileNet.
"""

from __future__ import annotations

from plugnet import initializers, ops, registry, regularizers
from plugnet.layers.convolutional import ConvBase
from plugnet.layers.core import serialize_constraint
from plugnet.layers.layer import get_constraint
from plugnet.layers.layer_utils import check_positive_int


class DepthwiseBase(ConvBase):
    """What depthwise and separable convolutions share: the per-channel kernel."""

    _strided_dilation_allowed = True

    def __init__(self, rank, kernel_size, strides, padding, data_format, dilation_rate, depth_multiplier,
                 activation, use_bias, depthwise_initializer, bias_initializer, depthwise_regularizer,
                 bias_regularizer, depthwise_constraint, bias_constraint, **kwargs):
        super().__init__(rank, kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
                         bias_initializer, bias_regularizer, bias_constraint, **kwargs)
        self.depth_multiplier = check_positive_int(self, "depth_multiplier", depth_multiplier)
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.depthwise_constraint = get_constraint(depthwise_constraint)

    def _add_depthwise_kernel(self, channels, name):
        return self.add_weight(
            self.kernel_size + (channels, self.depth_multiplier), initializer=self.depthwise_initializer,
            regularizer=self.depthwise_regularizer, constraint=self.depthwise_constraint, name=name,
        )

    def _depthwise(self, inputs, kernel):
        return ops.depthwise_conv(inputs, kernel, self.strides, self.padding, self.data_format, self.dilation_rate)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(
            depth_multiplier=self.depth_multiplier,
            depthwise_initializer=initializers.serialize(self.depthwise_initializer),
            depthwise_regularizer=regularizers.serialize(self.depthwise_regularizer),
            depthwise_constraint=serialize_constraint(self.depthwise_constraint),
        )
        return config


class DepthwiseConv(DepthwiseBase):
    """An N-d depthwise convolution; use :class:`DepthwiseConv1D` or :class:`DepthwiseConv2D`.

    Args:
        kernel_size, strides, dilation_rate: an int or ``rank`` ints.
        padding: ``"valid"`` or ``"same"``.
        depth_multiplier: the number of filters per input channel; the output
            has ``channels * depth_multiplier`` channels, those of input
            channel ``c`` at ``c * depth_multiplier + m``.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        activation, use_bias: as in ``Conv2D``.
        depthwise_initializer / bias_initializer: default ``"glorot_uniform"`` / ``"zeros"``.
        depthwise_regularizer / bias_regularizer / activity_regularizer,
        depthwise_constraint / bias_constraint: as in ``Conv2D``.
    """

    rank = None

    def __init__(self, kernel_size, strides=1, padding="valid", depth_multiplier=1, data_format=None,
                 dilation_rate=1, activation=None, use_bias=True, depthwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(
            type(self).rank, kernel_size, strides, padding, data_format, dilation_rate, depth_multiplier,
            activation, use_bias, depthwise_initializer, bias_initializer, depthwise_regularizer,
            bias_regularizer, depthwise_constraint, bias_constraint, activity_regularizer=activity_regularizer,
            **kwargs,
        )
        self.kernel = None

    def _create_kernels(self, channels):
        self.kernel = self._add_depthwise_kernel(channels, "kernel")

    def _output_channels(self, channels):
        return None if channels is None else channels * self.depth_multiplier

    def _convolve(self, inputs):
        return self._depthwise(inputs, self.kernel)


@registry.register_serializable()
class DepthwiseConv1D(DepthwiseConv):
    """1-d depthwise convolution over ``(batch, steps, channels)``; takes :class:`DepthwiseConv`'s arguments.

    Example:
        >>> plugnet.layers.DepthwiseConv1D(3, depth_multiplier=2)(np.zeros((2, 8, 4))).shape
        (2, 6, 8)
    """

    rank = 1


@registry.register_serializable()
class DepthwiseConv2D(DepthwiseConv):
    """2-d depthwise convolution over images; takes :class:`DepthwiseConv`'s arguments.

    Example:
        >>> layer = plugnet.layers.DepthwiseConv2D(3, padding="same")
        >>> layer(np.zeros((2, 8, 8, 16))).shape
        (2, 8, 8, 16)
        >>> layer.kernel.shape, layer.count_params()     # 3 * 3 * 16 + 16
        ((3, 3, 16, 1), 160)
    """

    rank = 2


class SeparableConv(DepthwiseBase):
    """An N-d separable convolution (depthwise, then 1x1 pointwise); use
    :class:`SeparableConv1D` or :class:`SeparableConv2D`.

    Args:
        filters: the number of output channels.
        kernel_size, strides, padding, data_format, dilation_rate,
        depth_multiplier: of the depthwise step, as in :class:`DepthwiseConv`.
        activation, use_bias: as in ``Conv2D``; the bias has ``filters`` values.
        depthwise_* / pointwise_* / bias_*: initializer (default
            ``"glorot_uniform"``, ``"glorot_uniform"``, ``"zeros"``), regularizer
            and constraint of each weight.
    """

    rank = None

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 depth_multiplier=1, activation=None, use_bias=True, depthwise_initializer="glorot_uniform",
                 pointwise_initializer="glorot_uniform", bias_initializer="zeros", depthwise_regularizer=None,
                 pointwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, pointwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(
            type(self).rank, kernel_size, strides, padding, data_format, dilation_rate, depth_multiplier,
            activation, use_bias, depthwise_initializer, bias_initializer, depthwise_regularizer,
            bias_regularizer, depthwise_constraint, bias_constraint, activity_regularizer=activity_regularizer,
            **kwargs,
        )
        self.filters = check_positive_int(self, "filters", filters)
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)
        self.pointwise_constraint = get_constraint(pointwise_constraint)
        self.depthwise_kernel = None
        self.pointwise_kernel = None

    def _create_kernels(self, channels):
        self.depthwise_kernel = self._add_depthwise_kernel(channels, "depthwise_kernel")
        self.pointwise_kernel = self.add_weight(
            (1,) * self.rank + (channels * self.depth_multiplier, self.filters),
            initializer=self.pointwise_initializer, regularizer=self.pointwise_regularizer,
            constraint=self.pointwise_constraint, name="pointwise_kernel",
        )

    def _output_channels(self, channels):
        return self.filters

    def _convolve(self, inputs):
        depthwise = self._depthwise(inputs, self.depthwise_kernel)
        return ops.conv(depthwise, self.pointwise_kernel, 1, "valid", self.data_format, 1)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(
            filters=self.filters,
            pointwise_initializer=initializers.serialize(self.pointwise_initializer),
            pointwise_regularizer=regularizers.serialize(self.pointwise_regularizer),
            pointwise_constraint=serialize_constraint(self.pointwise_constraint),
        )
        return config


@registry.register_serializable()
class SeparableConv1D(SeparableConv):
    """1-d separable convolution over ``(batch, steps, channels)``; takes :class:`SeparableConv`'s arguments.

    Example:
        >>> plugnet.layers.SeparableConv1D(8, 3)(np.zeros((2, 10, 4))).shape
        (2, 8, 8)
    """

    rank = 1


@registry.register_serializable()
class SeparableConv2D(SeparableConv):
    """2-d separable convolution over images; takes :class:`SeparableConv`'s arguments.

    Example:
        >>> layer = plugnet.layers.SeparableConv2D(32, 3, padding="same")
        >>> layer(np.zeros((2, 8, 8, 16))).shape
        (2, 8, 8, 32)
        >>> [w.shape for w in layer.weights]
        [(3, 3, 16, 1), (1, 1, 16, 32), (32,)]
    """

    rank = 2
