"""Reshaping layers: ``Flatten`` and ``Reshape``."""

from __future__ import annotations

import math

from plugnet import ops, registry
from plugnet.layers.data_format import standardize_data_format
from plugnet.layers.input_spec import InputSpec, format_shape
from plugnet.layers.layer import Layer


@registry.register_serializable()
class Flatten(Layer):
    """Flattens every sample to one axis: ``(batch, d1, d2, ...)`` -> ``(batch, d1 * d2 * ...)``.

    Args:
        data_format: ``"channels_last"`` (default) or ``"channels_first"``; with
            channels_first the channels axis is moved last before flattening, so
            the element order (and the next Dense's weights) match channels_last.

    Example:
        >>> plugnet.layers.Flatten()(np.zeros((2, 3, 4))).shape
        (2, 12)
    """

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format, f"Flatten layer '{self.name}'")
        self.input_spec = InputSpec(min_ndim=1)

    def call(self, inputs):
        shape = ops.shape(inputs)
        rank = len(shape)
        if self.data_format == "channels_first" and rank > 2:
            inputs = ops.transpose(inputs, (0, *range(2, rank), 1))
        # The batch size is spelled out when known, so an empty batch reshapes too;
        # while a graph is traced it is None, and -1 stands for it.
        batch = -1 if shape[0] is None else shape[0]
        return ops.reshape(inputs, (batch, math.prod(shape[1:])))

    def compute_output_shape(self, input_shape):
        sample = input_shape[1:]
        return (input_shape[0], None if None in sample else math.prod(sample))

    def get_config(self) -> dict:
        config = super().get_config()
        config["data_format"] = self.data_format
        return config


@registry.register_serializable()
class Reshape(Layer):
    """Reshapes every sample to ``target_shape`` (the batch axis is kept).

    Args:
        target_shape: the new shape of one sample; one entry may be -1, inferred
            from the sample's size.

    Example:
        >>> plugnet.layers.Reshape((3, -1))(np.zeros((2, 12))).shape
        (2, 3, 4)
    """

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        target_shape = tuple(target_shape)
        unknown = [d for d in target_shape if d == -1 or d is None]
        bad = [d for d in target_shape if not (d == -1 or d is None or (isinstance(d, int) and d > 0))]
        if bad or len(unknown) > 1:
            raise ValueError(
                f"Reshape layer '{self.name}': `target_shape` must hold positive integers and at most one -1, "
                f"got {target_shape}."
            )
        self.target_shape = tuple(-1 if d is None else int(d) for d in target_shape)
        self.__dict__["_resolved_for"] = {}  # a cache, not tracked state

    def _resolve(self, sample_shape) -> tuple:
        """``target_shape`` with -1 replaced for samples of ``sample_shape``; a clear error if impossible."""
        sample_shape = tuple(sample_shape)
        resolved = self._resolved_for.get(sample_shape)
        if resolved is not None:
            return resolved
        if None in sample_shape:
            return tuple(None if d == -1 else d for d in self.target_shape)
        size = math.prod(sample_shape)
        known = math.prod(d for d in self.target_shape if d != -1)
        inferred = -1 in self.target_shape
        if (inferred and size % known) or (not inferred and size != known):
            times = " times the -1 axis" if inferred else ""
            raise ValueError(
                f"Reshape layer '{self.name}': cannot reshape an input of shape "
                f"{format_shape((None,) + sample_shape)} ({size} values per sample) into target shape "
                f"{format_shape(self.target_shape)} ({known} values per sample{times})."
            )
        resolved = tuple(size // known if d == -1 else d for d in self.target_shape)
        self._resolved_for[sample_shape] = resolved
        return resolved

    def call(self, inputs):
        shape = ops.shape(inputs)
        return ops.reshape(inputs, (-1 if shape[0] is None else shape[0],) + self._resolve(shape[1:]))

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + self._resolve(input_shape[1:])

    def get_config(self) -> dict:
        config = super().get_config()
        config["target_shape"] = list(self.target_shape)
        return config
