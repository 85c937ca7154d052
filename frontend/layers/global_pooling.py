"""Global pooling layers: the mean or maximum over all spatial positions, per channel.

``GlobalAveragePooling1D/2D/3D`` and ``GlobalMaxPooling1D/2D/3D`` turn
``(batch, *spatial, channels)`` into ``(batch, channels)``, or with
``keepdims=True`` into ``(batch, 1, ..., 1, channels)``.
"""

from __future__ import annotations

from plugnet import ops, registry
from plugnet.layers import conv_utils
from plugnet.layers.data_format import standardize_data_format
from plugnet.layers.input_spec import InputSpec
from plugnet.layers.layer import Layer
from plugnet.layers.layer_utils import layer_label


class GlobalPooling(Layer):
    """The shared part of the global pooling layers (use the concrete classes).

    Args:
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        keepdims: keep the spatial axes, with size 1.
    """

    rank = None
    _reduce = None  # ops.mean or ops.max, set by subclasses

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format, layer_label(self))
        self.keepdims = bool(keepdims)
        self._axes = conv_utils.spatial_axes(self.rank, self.data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def call(self, inputs):
        return self._reduce(inputs, axis=self._axes, keepdims=self.keepdims)

    def compute_output_shape(self, input_shape):
        batch, spatial, channels = conv_utils.split_shape(input_shape, self.data_format)
        if self.keepdims:
            return conv_utils.join_shape(batch, (1,) * len(spatial), channels, self.data_format)
        return (batch, channels)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(data_format=self.data_format, keepdims=self.keepdims)
        return config


@registry.register_serializable()
class GlobalAveragePooling1D(GlobalPooling):
    """The mean over the steps of ``(batch, steps, channels)``.

    ``call(inputs, mask=None)``: with a ``(batch, steps)`` mask, only the steps
    where it is True are averaged (padding steps are ignored).

    Example:
        >>> plugnet.layers.GlobalAveragePooling1D()(np.zeros((4, 10, 3))).shape
        (4, 3)
    """

    rank = 1
    _reduce = staticmethod(ops.mean)

    def call(self, inputs, mask=None):
        if mask is None:
            return super().call(inputs)
        steps_axis = self._axes[0]
        weights = ops.expand_dims(ops.cast(mask, ops.dtype(inputs)), 2 if steps_axis == 1 else 1)
        total = ops.sum(ops.multiply(inputs, weights), axis=steps_axis, keepdims=self.keepdims)
        count = ops.sum(weights, axis=steps_axis, keepdims=self.keepdims)
        return ops.divide(total, count)


@registry.register_serializable()
class GlobalAveragePooling2D(GlobalPooling):
    """The mean over the height and width of images, per channel.

    Example:
        >>> plugnet.layers.GlobalAveragePooling2D()(np.zeros((4, 7, 7, 32))).shape
        (4, 32)
        >>> plugnet.layers.GlobalAveragePooling2D(keepdims=True)(np.zeros((4, 7, 7, 32))).shape
        (4, 1, 1, 32)
    """

    rank = 2
    _reduce = staticmethod(ops.mean)


@registry.register_serializable()
class GlobalAveragePooling3D(GlobalPooling):
    """The mean over the three spatial axes of volumes, per channel.

    Example:
        >>> plugnet.layers.GlobalAveragePooling3D()(np.zeros((2, 3, 4, 5, 6))).shape
        (2, 6)
    """

    rank = 3
    _reduce = staticmethod(ops.mean)


@registry.register_serializable()
class GlobalMaxPooling1D(GlobalPooling):
    """The maximum over the steps of ``(batch, steps, channels)``.

    Example:
        >>> plugnet.layers.GlobalMaxPooling1D()(np.zeros((4, 10, 3))).shape
        (4, 3)
    """

    rank = 1
    _reduce = staticmethod(ops.max)


@registry.register_serializable()
class GlobalMaxPooling2D(GlobalPooling):
    """The maximum over the height and width of images, per channel.

    Example:
        >>> plugnet.layers.GlobalMaxPooling2D()(np.zeros((4, 7, 7, 32))).shape
        (4, 32)
    """

    rank = 2
    _reduce = staticmethod(ops.max)


@registry.register_serializable()
class GlobalMaxPooling3D(GlobalPooling):
    """The maximum over the three spatial axes of volumes, per channel.

    Example:
        >>> plugnet.layers.GlobalMaxPooling3D()(np.zeros((2, 3, 4, 5, 6))).shape
        (2, 6)
    """

    rank = 3
    _reduce = staticmethod(ops.max)
