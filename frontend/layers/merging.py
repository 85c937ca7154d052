"""Merging layers: combine a list of tensors into one.

``Add``, ``Subtract``, ``Multiply``, ``Average``, ``Maximum`` and ``Minimum``
work elementwise, broadcasting size-1 axes; an input of lower rank gets new
axes after the batch axis first, as in Keras (``(batch, 4)`` meets
``(batch, 3, 4)`` as ``(batch, 1, 4)``). ``Concatenate`` joins along an axis.
Each has a function form: ``plugnet.layers.add([a, b])``.
"""

from __future__ import annotations

import functools

from plugnet import ops, registry
from plugnet.layers.input_spec import format_shape
from plugnet.layers.layer import Layer
from plugnet.layers.layer_utils import layer_label


def _shapes_text(shapes) -> str:
    return ", ".join(format_shape(s) for s in shapes)


class _MergeBase(Layer):
    """Checks that the input is a list of tensors whose shapes the layer can combine."""

    _min_inputs = 1
    _max_inputs = None

    def _check_count(self, shapes) -> list:
        if not isinstance(shapes, (list, tuple)) or (shapes and isinstance(shapes[0], int)) or not all(
            isinstance(s, (list, tuple)) for s in shapes
        ):
            raise ValueError(
                f"{layer_label(self)} must be called on a list of tensors, got a single input of shape "
                f"{format_shape(shapes) if isinstance(shapes, (list, tuple)) else shapes!r}."
            )
        count = len(shapes)
        if count < self._min_inputs or (self._max_inputs is not None and count > self._max_inputs):
            wanted = (f"exactly {self._min_inputs}" if self._min_inputs == self._max_inputs
                      else f"at least {self._min_inputs}")
            raise ValueError(f"{layer_label(self)} must be called on {wanted} input(s), got {count}: "
                             f"{_shapes_text(shapes)}.")
        return [tuple(s) for s in shapes]

    def build(self, input_shape):
        self.compute_output_shape(input_shape)

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)):
            self._check_count(ops.shape(inputs))
        shapes = tuple(tuple(ops.shape(x)) for x in inputs)
        # The shapes accepted last time need no second look.
        if self.__dict__.get("_accepted") != shapes:
            self.compute_output_shape(shapes)
            self.__dict__["_accepted"] = shapes
        return self._merge(list(inputs))

    def _merge(self, inputs):
        raise NotImplementedError


class _ElementwiseMerge(_MergeBase):
    """An elementwise merge; subclasses implement ``_merge`` on rank-aligned inputs."""

    def compute_output_shape(self, input_shape):
        shapes = self._check_count(input_shape)
        rank = max(len(s) for s in shapes)
        output = list(_aligned(shapes[0], rank))
        for shape in shapes[1:]:
            for axis, size in enumerate(_aligned(shape, rank)):
                current = output[axis]
                if current is None or size is None:
                    output[axis] = None
                elif current == 1:
                    output[axis] = size
                elif size != 1 and size != current:
                    raise ValueError(
                        f"{layer_label(self)}: inputs have incompatible shapes {_shapes_text(shapes)}: axis {axis} "
                        f"has sizes {current} and {size}, which neither are equal nor broadcast (size 1)."
                    )
        return tuple(output)

    def _aligned_inputs(self, inputs):
        rank = max(ops.ndim(x) for x in inputs)
        aligned = []
        for x in inputs:
            for _ in range(rank - ops.ndim(x)):
                x = ops.expand_dims(x, 1)
            aligned.append(x)
        return aligned

    def _merge(self, inputs):
        return self._combine(self._aligned_inputs(inputs))


def _aligned(shape, rank) -> tuple:
    """``shape`` with size-1 axes inserted after the batch axis up to ``rank``."""
    return shape[:1] + (1,) * (rank - len(shape)) + shape[1:]


def _fold(op):
    def combine(self, inputs):
        return functools.reduce(op, inputs)

    return combine


@registry.register_serializable()
class Add(_ElementwiseMerge):
    """The elementwise sum of a list of inputs.

    Example:
        >>> a, b = plugnet.Input((4,)), plugnet.Input((4,))
        >>> plugnet.layers.Add()([a, b]).shape
        (None, 4)
    """

    _combine = _fold(ops.add)


@registry.register_serializable()
class Subtract(_ElementwiseMerge):
    """``inputs[0] - inputs[1]``: exactly two inputs.

    Example:
        >>> plugnet.layers.Subtract()([np.ones((2, 3)), np.ones((2, 3))]).shape
        (2, 3)
    """

    _min_inputs = _max_inputs = 2
    _combine = _fold(ops.subtract)


@registry.register_serializable()
class Multiply(_ElementwiseMerge):
    """The elementwise product of a list of inputs.

    Example:
        >>> plugnet.layers.Multiply()([np.ones((2, 3)), np.full((2, 1), 2.0)])   # broadcasts: all 2.0
    """

    _combine = _fold(ops.multiply)


@registry.register_serializable()
class Average(_ElementwiseMerge):
    """The elementwise mean of a list of inputs.

    Example:
        >>> plugnet.layers.Average()([np.zeros((1, 2)), np.ones((1, 2))])   # all 0.5
    """

    def _combine(self, inputs):
        return ops.divide(functools.reduce(ops.add, inputs), float(len(inputs)))


@registry.register_serializable()
class Maximum(_ElementwiseMerge):
    """The elementwise maximum of a list of inputs.

    Example:
        >>> plugnet.layers.Maximum()([np.array([[1.0, 5.0]]), np.array([[3.0, 2.0]])])   # [[3, 5]]
    """

    _combine = _fold(ops.maximum)


@registry.register_serializable()
class Minimum(_ElementwiseMerge):
    """The elementwise minimum of a list of inputs.

    Example:
        >>> plugnet.layers.Minimum()([np.array([[1.0, 5.0]]), np.array([[3.0, 2.0]])])   # [[1, 2]]
    """

    _combine = _fold(ops.minimum)


@registry.register_serializable()
class Concatenate(_MergeBase):
    """Joins a list of inputs along ``axis``; every other axis must match.

    Args:
        axis: the axis to join along (default -1).

    Example:
        >>> a, b = plugnet.Input((5, 3)), plugnet.Input((5, 4))
        >>> plugnet.layers.Concatenate()([a, b]).shape
        (None, 5, 7)
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise ValueError(f"{layer_label(self)}: `axis` must be an int, got {axis!r}.")
        self.axis = axis

    def compute_output_shape(self, input_shape):
        shapes = self._check_count(input_shape)
        rank = len(shapes[0])
        if any(len(s) != rank for s in shapes) or not -rank <= self.axis < rank:
            raise ValueError(
                f"{layer_label(self)}: inputs must have the same rank, with axis {self.axis} in range; got shapes "
                f"{_shapes_text(shapes)}."
            )
        axis = self.axis % rank
        output = list(shapes[0])
        for shape in shapes[1:]:
            for index, size in enumerate(shape):
                if index == axis:
                    output[index] = None if output[index] is None or size is None else output[index] + size
                elif output[index] is None:
                    output[index] = size
                elif size is not None and size != output[index]:
                    raise ValueError(
                        f"{layer_label(self)}: inputs must match on every axis except the concatenation axis "
                        f"{self.axis}, but axis {index} has sizes {output[index]} and {size} "
                        f"(shapes {_shapes_text(shapes)})."
                    )
        return tuple(output)

    def _merge(self, inputs):
        return ops.concatenate(inputs, axis=self.axis)

    def get_config(self) -> dict:
        config = super().get_config()
        config["axis"] = self.axis
        return config


def _functional(cls):
    def merge(inputs, **kwargs):
        return cls(**kwargs)(inputs)

    merge.__name__ = cls.__name__.lower()
    merge.__doc__ = f"``{cls.__name__}(**kwargs)(inputs)``: the function form of :class:`{cls.__name__}`."
    return merge


add = _functional(Add)
subtract = _functional(Subtract)
multiply = _functional(Multiply)
average = _functional(Average)
maximum = _functional(Maximum)
minimum = _functional(Minimum)
concatenate = _functional(Concatenate)
