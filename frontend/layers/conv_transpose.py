"""Transposed convolution layers: ``Conv1DTranspose``, ``Conv2DTranspose``, ``Conv3DTranspose``.

A transposed convolution maps each input pixel to a window of the output (the
gradient of a convolution with respect to its input), so ``strides=2``
doubles the spatial size: the upsampling half of autoencoders and GANs. The
kernel has Keras's layout ``(*kernel_size, filters, input_channels)``.
"""

from __future__ import annotations

from plugnet import initializers, ops, registry, regularizers
from plugnet.layers import conv_utils
from plugnet.layers.convolutional import ConvBase
from plugnet.layers.core import serialize_constraint
from plugnet.layers.layer import get_constraint
from plugnet.layers.layer_utils import check_positive_int, layer_label


class ConvTranspose(ConvBase):
    """An N-d transposed convolution; use :class:`Conv1DTranspose`,
    :class:`Conv2DTranspose` or :class:`Conv3DTranspose`.

    Args:
        filters: the number of output channels.
        kernel_size, strides, dilation_rate: an int or ``rank`` ints.
        padding: ``"valid"`` (output ``input * strides + max(kernel - strides, 0)``)
            or ``"same"`` (output ``input * strides``).
        output_padding: None (the sizes above), or an int or ``rank`` ints,
            each smaller than its stride, choosing among the output sizes a
            strided convolution maps back to the input size.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        activation, use_bias, initializers, regularizers, constraints: as in ``Conv2D``.
    """

    rank = None

    def __init__(self, filters, kernel_size, strides=1, padding="valid", output_padding=None, data_format=None,
                 dilation_rate=1, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(
            type(self).rank, kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
            bias_initializer, bias_regularizer, bias_constraint, activity_regularizer=activity_regularizer,
            **kwargs,
        )
        self.filters = check_positive_int(self, "filters", filters)
        if output_padding is not None:
            output_padding = conv_utils.normalize_tuple(
                output_padding, self.rank, "output_padding", layer_label(self), allow_zero=True
            )
            for axis, (pad, stride) in enumerate(zip(output_padding, self.strides)):
                if pad >= stride:
                    raise ValueError(
                        f"{layer_label(self)}: `output_padding` must be smaller than `strides` on every axis; "
                        f"on axis {axis} it is {pad} with stride {stride} (output_padding={output_padding}, "
                        f"strides={self.strides})."
                    )
        self.output_padding = output_padding
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.kernel_constraint = get_constraint(kernel_constraint)
        self.kernel = None

    def _create_kernels(self, channels):
        self.kernel = self.add_weight(
            self.kernel_size + (self.filters, channels), initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer, constraint=self.kernel_constraint, name="kernel",
        )

    def _output_channels(self, channels):
        return self.filters

    def _output_spatial(self, input_shape, spatial):
        paddings = self.output_padding or (None,) * self.rank
        return tuple(
            conv_utils.conv_transpose_output_length(n, k, s, d, self.padding, p)
            for n, k, s, d, p in zip(spatial, self.kernel_size, self.strides, self.dilation_rate, paddings)
        )

    def _convolve(self, inputs):
        return ops.conv_transpose(inputs, self.kernel, self.strides, self.padding, self.output_padding,
                                  self.data_format, self.dilation_rate)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(
            filters=self.filters,
            output_padding=self.output_padding,
            kernel_initializer=initializers.serialize(self.kernel_initializer),
            kernel_regularizer=regularizers.serialize(self.kernel_regularizer),
            kernel_constraint=serialize_constraint(self.kernel_constraint),
        )
        return config


@registry.register_serializable()
class Conv1DTranspose(ConvTranspose):
    """1-d transposed convolution over ``(batch, steps, channels)``; takes :class:`ConvTranspose`'s arguments.

    Example:
        >>> plugnet.layers.Conv1DTranspose(4, 3, strides=2)(np.zeros((2, 5, 3))).shape
        (2, 11, 4)
    """

    rank = 1


@registry.register_serializable()
class Conv2DTranspose(ConvTranspose):
    """2-d transposed convolution over images; takes :class:`ConvTranspose`'s arguments.

    The kernel has shape ``(kh, kw, filters, input_channels)``.

    Example:
        >>> layer = plugnet.layers.Conv2DTranspose(8, 3, strides=2, padding="same")
        >>> layer(np.zeros((2, 7, 7, 16))).shape
        (2, 14, 14, 8)
        >>> layer.kernel.shape
        (3, 3, 8, 16)
    """

    rank = 2


@registry.register_serializable()
class Conv3DTranspose(ConvTranspose):
    """3-d transposed convolution over volumes; takes :class:`ConvTranspose`'s arguments.

    Example:
        >>> plugnet.layers.Conv3DTranspose(2, 2, strides=2)(np.zeros((1, 3, 3, 3, 4))).shape
        (1, 6, 6, 6, 2)
    """

    rank = 3
