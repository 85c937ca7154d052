"""Convolution layers: ``Conv1D``, ``Conv2D``, ``Conv3D``.

Kernels have Keras's layout, ``(*kernel_size, input_channels // groups,
filters)``, whatever the data format, so saved weights are canonical.
:class:`ConvBase` holds what every convolution shares (the arguments of the
sliding window, the bias, the activation, shapes and config); the transposed,
depthwise and separable convolutions build on it in their own modules.
"""

from __future__ import annotations

from plugnet import activations, initializers, ops, registry, regularizers
from plugnet.layers import conv_utils
from plugnet.layers.core import serialize_constraint
from plugnet.layers.data_format import standardize_data_format
from plugnet.layers.input_spec import InputSpec, format_shape
from plugnet.layers.layer import Layer, get_constraint
from plugnet.layers.layer_utils import check_positive_int, layer_label


class ConvBase(Layer):
    """The part every convolution layer shares; subclasses set ``rank`` and
    implement ``_create_kernels``, ``_output_channels`` and ``_convolve``.

    Args:
        rank: the number of spatial dimensions (1, 2 or 3).
        kernel_size, strides, dilation_rate: an int or ``rank`` ints.
        padding: ``"valid"`` (no padding) or ``"same"`` (output size
            ``ceil(input / strides)``).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        activation: applied to the output; None means linear.
        use_bias: whether to add a bias vector (one value per output channel).
        bias_initializer / bias_regularizer / bias_constraint: for the bias.
    """

    _paddings = ("valid", "same")
    # Keras rejects strides > 1 together with dilation_rate > 1 where
    # TensorFlow's kernels do (plain and transposed convolutions).
    _strided_dilation_allowed = False

    def __init__(self, rank, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 activation=None, use_bias=True, bias_initializer="zeros", bias_regularizer=None,
                 bias_constraint=None, **kwargs):
        super().__init__(**kwargs)
        label = layer_label(self)
        self.rank = rank
        self.kernel_size = conv_utils.normalize_tuple(kernel_size, rank, "kernel_size", label)
        self.strides = conv_utils.normalize_tuple(strides, rank, "strides", label)
        self.dilation_rate = conv_utils.normalize_tuple(dilation_rate, rank, "dilation_rate", label)
        self.padding = conv_utils.normalize_padding(padding, label, self._paddings)
        self.data_format = standardize_data_format(data_format, label)
        if not self._strided_dilation_allowed and max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(
                f"{label}: strides > 1 cannot be combined with dilation_rate > 1; got strides={self.strides} "
                f"and dilation_rate={self.dilation_rate}."
            )
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.bias_initializer = initializers.get(bias_initializer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.bias_constraint = get_constraint(bias_constraint)
        self.bias = None
        self._channel_axis = conv_utils.channel_axis(self.data_format)
        self._bias_shape = None
        self.input_spec = InputSpec(ndim=rank + 2)

    # -- what a subclass provides ----------------------------------------------

    def _create_kernels(self, channels: int) -> None:
        raise NotImplementedError

    def _output_channels(self, channels):
        raise NotImplementedError

    def _convolve(self, inputs):
        raise NotImplementedError

    def _output_spatial(self, input_shape, spatial) -> tuple:
        return conv_utils.windowed_spatial(
            layer_label(self), input_shape, spatial, self.kernel_size, self.strides, self.dilation_rate, self.padding
        )

    # -- shared ---------------------------------------------------------------

    def build(self, input_shape):
        channels = conv_utils.split_shape(input_shape, self.data_format)[2]
        if channels is None:
            raise ValueError(
                f"{layer_label(self)}: the channels dimension of its input must be known "
                f"(data_format='{self.data_format}'), but the input shape is {format_shape(input_shape)}."
            )
        # Checks the spatial sizes before any weight exists.
        self.compute_output_shape(input_shape)
        self._create_kernels(channels)
        if self.use_bias:
            out_channels = self._output_channels(channels)
            self.bias = self.add_weight(
                (out_channels,), initializer=self.bias_initializer, regularizer=self.bias_regularizer,
                constraint=self.bias_constraint, name="bias",
            )
            if self.data_format == "channels_first":
                self._bias_shape = (out_channels,) + (1,) * self.rank
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={self._channel_axis: channels})

    def call(self, inputs):
        outputs = self._convolve(inputs)
        if self.bias is not None:
            bias = self.bias if self._bias_shape is None else ops.reshape(self.bias, self._bias_shape)
            outputs = ops.add(outputs, bias)
        if self.activation is not activations.linear:
            outputs = self.activation(outputs)
        return outputs

    def compute_output_shape(self, input_shape):
        batch, spatial, channels = conv_utils.split_shape(input_shape, self.data_format)
        return conv_utils.join_shape(
            batch, self._output_spatial(input_shape, spatial), self._output_channels(channels), self.data_format
        )

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(
            kernel_size=self.kernel_size,
            strides=self.strides,
            padding=self.padding,
            data_format=self.data_format,
            dilation_rate=self.dilation_rate,
            activation=activations.serialize(self.activation),
            use_bias=self.use_bias,
            bias_initializer=initializers.serialize(self.bias_initializer),
            bias_regularizer=regularizers.serialize(self.bias_regularizer),
            bias_constraint=serialize_constraint(self.bias_constraint),
        )
        return config


class Conv(ConvBase):
    """An N-d convolution ``activation(conv(inputs, kernel) + bias)``; use
    :class:`Conv1D`, :class:`Conv2D` or :class:`Conv3D`.

    Args:
        filters: the number of output channels.
        kernel_size: the window size, an int or ``rank`` ints.
        strides: the step between windows (default 1).
        padding: ``"valid"`` or ``"same"`` (Conv1D also ``"causal"``).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        dilation_rate: the spacing between kernel taps (default 1).
        groups: split the input channels into this many groups, each
            convolved with ``filters // groups`` filters.
        activation, use_bias: as in ``Dense``.
        kernel_initializer / bias_initializer: default ``"glorot_uniform"`` / ``"zeros"``.
        kernel_regularizer / bias_regularizer / activity_regularizer: penalties
            added to ``losses``.
        kernel_constraint / bias_constraint: applied after each optimizer update.
    """

    rank = None

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 groups=1, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(
            type(self).rank, kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
            bias_initializer, bias_regularizer, bias_constraint, activity_regularizer=activity_regularizer,
            **kwargs,
        )
        self.filters = check_positive_int(self, "filters", filters)
        self.groups = check_positive_int(self, "groups", groups)
        if filters % groups:
            raise ValueError(
                f"{layer_label(self)}: `filters` ({filters}) must be divisible by `groups` ({groups})."
            )
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.kernel_constraint = get_constraint(kernel_constraint)
        self.kernel = None

    def _create_kernels(self, channels):
        if channels % self.groups:
            raise ValueError(
                f"{layer_label(self)}: the number of input channels ({channels}) must be divisible by "
                f"`groups` ({self.groups})."
            )
        self.kernel = self.add_weight(
            self.kernel_size + (channels // self.groups, self.filters), initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer, constraint=self.kernel_constraint, name="kernel",
        )

    def _output_channels(self, channels):
        return self.filters

    def _convolve(self, inputs):
        return ops.conv(inputs, self.kernel, self.strides, self.padding, self.data_format, self.dilation_rate)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(
            filters=self.filters,
            groups=self.groups,
            kernel_initializer=initializers.serialize(self.kernel_initializer),
            kernel_regularizer=regularizers.serialize(self.kernel_regularizer),
            kernel_constraint=serialize_constraint(self.kernel_constraint),
        )
        return config


@registry.register_serializable()
class Conv1D(Conv):
    """1-d convolution over ``(batch, steps, channels)`` (channels_last).

    Takes :class:`Conv`'s arguments; ``padding`` may also be ``"causal"``: the
    input is padded on the left only, so output ``t`` sees inputs up to ``t``.

    Example:
        >>> layer = plugnet.layers.Conv1D(8, 3, padding="causal")
        >>> layer(np.zeros((2, 10, 4))).shape
        (2, 10, 8)
        >>> layer.kernel.shape
        (3, 4, 8)
    """

    rank = 1
    _paddings = ("valid", "same", "causal")

    def _convolve(self, inputs):
        if self.padding != "causal":
            return super()._convolve(inputs)
        left = self.dilation_rate[0] * (self.kernel_size[0] - 1)
        widths = [(0, 0), (left, 0), (0, 0)] if self.data_format == "channels_last" else [(0, 0), (0, 0), (left, 0)]
        return ops.conv(ops.pad(inputs, widths), self.kernel, self.strides, "valid", self.data_format,
                        self.dilation_rate)


@registry.register_serializable()
class Conv2D(Conv):
    """2-d convolution over images ``(batch, height, width, channels)`` (channels_last).

    Takes :class:`Conv`'s arguments. The kernel has shape
    ``(kh, kw, channels // groups, filters)``.

    Example:
        >>> layer = plugnet.layers.Conv2D(16, 3, strides=2, padding="same", activation="relu")
        >>> layer(np.zeros((4, 28, 28, 1))).shape
        (4, 14, 14, 16)
        >>> layer.count_params()    # 3 * 3 * 1 * 16 + 16
        160
    """

    rank = 2


@registry.register_serializable()
class Conv3D(Conv):
    """3-d convolution over volumes ``(batch, depth, height, width, channels)`` (channels_last).

    Takes :class:`Conv`'s arguments.

    Example:
        >>> plugnet.layers.Conv3D(4, 3)(np.zeros((1, 5, 6, 7, 2))).shape
        (1, 3, 4, 5, 4)
    """

    rank = 3
