"""``Input`` and ``InputLayer``: where a functional graph starts."""

from __future__ import annotations

from plugnet import registry
from plugnet.dtypes import standardize_dtype
from plugnet.layers.layer import Layer
from plugnet.layers.symbolic import KerasTensor, Node


@registry.register_serializable()
class InputLayer(Layer):
    """The layer behind :func:`Input`: it holds the model input's shape and dtype.

    Args:
        shape: the shape of one sample, without the batch dimension.
        batch_size: a fixed batch size, usually left None.
        dtype: the input's dtype (default ``"float32"``; ``"int32"`` for indices).
        sparse: must be False or None (sparse tensors are not supported).
        batch_shape: the full shape, batch dimension included, instead of
            ``shape`` and ``batch_size``.
        input_tensor: not supported; must be None.
        name: the layer's (and the input's) name.

    Example:
        >>> layer = InputLayer(shape=(3,))
        >>> layer.output.shape
        (None, 3)
    """

    def __init__(self, shape=None, batch_size=None, dtype=None, sparse=None, batch_shape=None,
                 input_tensor=None, name=None, **kwargs):
        if sparse:
            raise ValueError("InputLayer: sparse inputs are not supported; pass sparse=False.")
        if input_tensor is not None:
            raise ValueError("InputLayer: `input_tensor` is not supported; pass `shape` (or `batch_shape`).")
        if shape is not None and batch_shape is not None:
            raise ValueError("InputLayer: pass either `shape` or `batch_shape`, not both.")
        if shape is None and batch_shape is None:
            raise ValueError("InputLayer: `shape` is required, e.g. Input(shape=(784,)); use None for unknown sizes.")
        if batch_shape is None:
            shape = (shape,) if isinstance(shape, int) else tuple(shape)
            batch_shape = (batch_size,) + shape
        batch_shape = tuple(None if d is None else int(d) for d in batch_shape)
        super().__init__(name=name, **kwargs)
        self.__dict__["_batch_shape"] = batch_shape
        self.__dict__["_input_dtype"] = standardize_dtype(dtype)
        output = KerasTensor(batch_shape, self._input_dtype, self.name)
        Node(self, (), {}, output)
        self.built = True

    @property
    def batch_shape(self) -> tuple:
        return self._batch_shape

    @property
    def dtype(self) -> str:
        return self._input_dtype

    def call(self, inputs):
        return inputs

    def get_config(self) -> dict:
        return {"batch_shape": list(self._batch_shape), "dtype": self._input_dtype, "sparse": False, "name": self.name}


def Input(shape=None, batch_size=None, dtype=None, sparse=None, batch_shape=None, name=None, tensor=None):
    """A symbolic model input: a :class:`~plugnet.KerasTensor` of ``(batch_size, *shape)``.

    Args:
        shape: the shape of one sample, e.g. ``(28, 28, 1)``; None for unknown sizes.
        batch_size: a fixed batch size, usually left None.
        dtype: ``"float32"`` by default; ``"int32"`` for token or class indices.
        sparse: must be False or None.
        batch_shape: the full shape including the batch, instead of shape/batch_size.
        name: a name for the input (a model called with a dict uses it as the key).
        tensor: not supported; must be None.

    Example:
        >>> inputs = plugnet.Input(shape=(784,))
        >>> outputs = plugnet.layers.Dense(10)(inputs)
        >>> model = plugnet.Model(inputs, outputs)
    """
    layer = InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, sparse=sparse,
                       batch_shape=batch_shape, input_tensor=tensor, name=name)
    return layer.output
