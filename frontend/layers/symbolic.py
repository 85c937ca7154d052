"""Symbolic tensors and the graph they record: what functional models are made of.

``plugnet.Input(shape=(784,))`` returns a :class:`KerasTensor`: a shape and a
dtype, no data. Calling a layer on KerasTensors does not compute anything; it
builds the layer, works out the output shape, and records a :class:`Node`
(this layer, called on these tensors, gave those tensors). A functional
``Model(inputs, outputs)`` walks these nodes back from ``outputs``.
"""

from __future__ import annotations

from collections import namedtuple

from plugnet.dtypes import standardize_dtype
from plugnet.layers.input_spec import format_shape
from plugnet.layers.structure import flatten

KerasHistory = namedtuple("KerasHistory", ["layer", "node_index", "tensor_index"])


class KerasTensor:
    """A symbolic tensor: the shape and dtype of a value a model will compute.

    Args:
        shape: a tuple of ints, None for sizes known only at run time (the batch).
        dtype: a dtype name (default ``"float32"``).
        name: a readable name.

    Example:
        >>> x = plugnet.Input(shape=(28, 28))
        >>> x.shape
        (None, 28, 28)
        >>> plugnet.layers.Flatten()(x).shape
        (None, 784)
    """

    __slots__ = ("shape", "dtype", "name", "_keras_history")

    def __init__(self, shape, dtype="float32", name=None):
        self.shape = tuple(None if d is None else int(d) for d in shape)
        self.dtype = standardize_dtype(dtype)
        self.name = name
        self._keras_history = None

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __repr__(self) -> str:
        return f"<KerasTensor shape={format_shape(self.shape)}, dtype={self.dtype}, name={self.name}>"

    def __array__(self, dtype=None, copy=None):
        raise TypeError(_SYMBOLIC_MESSAGE.format(what=f"convert {self!r} to an array"))

    def __bool__(self):
        raise TypeError(_SYMBOLIC_MESSAGE.format(what=f"use {self!r} as a Python bool"))


_SYMBOLIC_MESSAGE = (
    "Cannot {what}: a KerasTensor is a symbolic placeholder (from plugnet.Input) and holds no data. "
    "In a functional model, do computations inside layers (for example a custom Layer whose call() uses "
    "plugnet.ops), or build a subclassed Model whose call() runs on real tensors."
)


def _refuse_operator(name):
    def method(self, *args):
        raise TypeError(_SYMBOLIC_MESSAGE.format(what=f"apply the operator {name} to {self!r}"))

    method.__name__ = name
    return method


for _name in ("__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__", "__truediv__",
              "__rtruediv__", "__matmul__", "__rmatmul__", "__pow__", "__rpow__", "__neg__", "__abs__",
              "__getitem__", "__lt__", "__le__", "__gt__", "__ge__", "__float__", "__int__", "__index__"):
    setattr(KerasTensor, _name, _refuse_operator(_name))


def is_symbolic(x) -> bool:
    """True if ``x`` is a KerasTensor or a (nested) list/tuple/dict holding one."""
    if type(x) is KerasTensor:
        return True
    if isinstance(x, (list, tuple)):
        return any(is_symbolic(item) for item in x)
    if isinstance(x, dict):
        return any(is_symbolic(item) for item in x.values())
    return False


class Node:
    """One call of a layer on symbolic tensors.

    Attributes:
        layer: the layer called.
        call_args / call_kwargs: the call's arguments, KerasTensors included
            (so the call can be replayed on real tensors).
        input_tensors: the KerasTensors among the arguments, flattened.
        outputs: what the call returned (a KerasTensor or a structure of them).
        output_tensors: ``outputs`` flattened.
    """

    __slots__ = ("layer", "call_args", "call_kwargs", "input_tensors", "outputs", "output_tensors")

    def __init__(self, layer, call_args=(), call_kwargs=None, outputs=None):
        self.layer = layer
        self.call_args = tuple(call_args)
        self.call_kwargs = dict(call_kwargs or {})
        self.input_tensors = [t for t in flatten([list(self.call_args), self.call_kwargs]) if type(t) is KerasTensor]
        self.outputs = outputs
        self.output_tensors = [t for t in flatten(outputs) if type(t) is KerasTensor]
        node_index = len(layer._inbound_nodes)
        layer._inbound_nodes.append(self)
        for parent in self.parent_nodes:
            parent.layer._outbound_nodes.append(self)
        for index, tensor in enumerate(self.output_tensors):
            tensor._keras_history = KerasHistory(layer, node_index, index)

    @property
    def parent_nodes(self) -> list:
        """The nodes that produced this node's inputs."""
        parents = []
        for tensor in self.input_tensors:
            history = tensor._keras_history
            if history is not None:
                node = history.layer._inbound_nodes[history.node_index]
                if node not in parents:
                    parents.append(node)
        return parents

    @property
    def is_input(self) -> bool:
        return not self.input_tensors

    def __repr__(self) -> str:
        inputs, outputs = len(self.input_tensors), len(self.output_tensors)
        return f"<Node of {self.layer.name!r}: {inputs} input(s) -> {outputs} output(s)>"
