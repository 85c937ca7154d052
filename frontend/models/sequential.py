"""``Sequential``: a plain stack of layers, each feeding the next."""

from __future__ import annotations

from plugnet import registry
from plugnet.layers import tracking
from plugnet.layers.call_context import _local as _call_local
from plugnet.layers.input_layer import InputLayer
from plugnet.layers.layer import Layer, serialize_layer
from plugnet.layers.structure import is_shape
from plugnet.layers.symbolic import KerasTensor
from plugnet.models.functional import standardize_input
from plugnet.models.model import Model


@registry.register_serializable()
class Sequential(Model):
    """A model whose layers run one after the other, each on the previous one's output.

    When the input shape is known (an ``Input`` first, or ``input_shape=`` on
    the first layer) the model is built at once, so ``summary()`` shows every
    output shape; otherwise it is built by its first call, or by
    ``build(input_shape)``.

    Args:
        layers: the layers, in order; the first may be ``plugnet.Input(shape)``.
        trainable: whether the weights are trained.
        name: the model's name.

    Example:
        >>> model = plugnet.Sequential([
        ...     plugnet.Input(shape=(784,)),
        ...     plugnet.layers.Dense(64, activation="relu"),
        ...     plugnet.layers.Dense(10),
        ... ])
        >>> model.add(plugnet.layers.Activation("softmax"))
        >>> model.output_shape
        (None, 10)
    """

    def __init__(self, layers=None, trainable=True, name=None, **kwargs):
        super().__init__(trainable=trainable, name=name, **kwargs)
        # The stack (an InputLayer first once the input is known) and, once
        # built, each layer's symbolic output, for summary() and get_config().
        self.__dict__.update(_stack=[], _symbolic_outputs=[])
        for layer in layers or ():
            self.add(layer, rebuild=False)
        self._maybe_build_graph()

    # ------------------------------------------------------------------ the stack

    def add(self, layer, rebuild=True) -> None:
        """Append a layer (or ``plugnet.Input(shape)``, as the first element) to the stack."""
        if type(layer) is KerasTensor and isinstance(getattr(layer._keras_history, "layer", None), InputLayer):
            layer = layer._keras_history.layer
        if not isinstance(layer, Layer):
            raise TypeError(
                f"Sequential model '{self.name}': only layers (or plugnet.Input) can be added; "
                f"got {layer!r} of type {type(layer).__name__}."
            )
        if isinstance(layer, InputLayer):
            if self._stack:
                raise ValueError(
                    f"Sequential model '{self.name}': an Input can only be the first element, but the model "
                    f"already has {'an Input' if isinstance(self._stack[0], InputLayer) else 'layers'}."
                )
        elif any(existing.name == layer.name for existing in self._stack):
            raise ValueError(
                f"Sequential model '{self.name}': it already has a layer named '{layer.name}'; "
                f"layer names must be unique within a model."
            )
        self._stack.append(layer)
        tracking.bump()
        if rebuild:
            try:
                self._maybe_build_graph()
            except Exception:
                self._stack.pop()
                tracking.bump()
                raise

    def pop(self):
        """Remove the last layer and return it."""
        if not self.layers:
            raise TypeError(f"Sequential model '{self.name}' has no layers to pop.")
        layer = self._stack.pop()
        del self._symbolic_outputs[len(self._stack) - self._offset:]
        tracking.bump()
        return layer

    @property
    def _offset(self) -> int:
        return 1 if self._stack and isinstance(self._stack[0], InputLayer) else 0

    @property
    def layers(self) -> list:
        """The layers, without the Input layer."""
        return self._stack[self._offset:]

    def _tracked_children(self):
        yield from self._stack
        yield from super()._tracked_children()

    # ------------------------------------------------------------------ building

    def _maybe_build_graph(self) -> None:
        if not self._stack:
            return
        if not isinstance(self._stack[0], InputLayer):
            shape = self._stack[0]._input_shape_arg
            if shape is None:
                return
            self._stack.insert(0, InputLayer(shape=shape))
            tracking.bump()
        outputs = self._symbolic_outputs
        x = outputs[-1] if outputs else self._stack[0].output
        for layer in self._stack[1 + len(outputs):]:
            x = layer(x)
            if type(x) is not KerasTensor:
                raise ValueError(
                    f"Sequential model '{self.name}': layer '{layer.name}' returned {len(x)} outputs; "
                    f"every layer of a Sequential model must return a single tensor. Use a functional Model."
                )
            outputs.append(x)
        self.built = True
        tracking.bump()

    def build(self, input_shape=None) -> None:
        """Build the model for inputs of ``input_shape`` (the batch size is not fixed)."""
        if self._offset:
            self._maybe_build_graph()
            return
        if input_shape is None:
            raise ValueError(
                f"Sequential model '{self.name}' cannot be built without an input shape: start it with "
                f"plugnet.Input(shape=...), call build(input_shape), or call it on data."
            )
        if not is_shape(input_shape):
            raise ValueError(f"Sequential model '{self.name}' takes a single input; got input shapes {input_shape}.")
        if not self._stack:
            raise ValueError(f"Sequential model '{self.name}' has no layers to build; add some with add().")
        self._stack.insert(0, InputLayer(batch_shape=(None,) + tuple(input_shape)[1:]))
        tracking.bump()
        try:
            self._maybe_build_graph()
        except Exception:
            self._stack.pop(0)
            tracking.bump()
            raise
        self.__dict__["_build_shapes"] = (None,) + tuple(input_shape)[1:]

    # ------------------------------------------------------------------ running

    def call(self, inputs, training=None, mask=None):
        stack = self._stack
        offset = self._offset
        if offset:
            inputs = standardize_input(inputs, stack[0].output, self.name)
        state = _call_local.state
        previous = state.training
        if training is not None:
            state.training = training
        try:
            x = inputs
            for layer in stack[offset:] if offset else stack:
                x = layer(x)
        finally:
            state.training = previous
        return x

    def compute_output_spec(self, inputs, training=None, mask=None):
        x = inputs
        for layer in self.layers:
            x = layer.compute_output_spec(x)
        return x

    # ------------------------------------------------------------------ graph views

    def _require_graph(self, what: str):
        if not self._offset:
            raise AttributeError(
                f"Sequential model '{self.name}' has no {what} yet: its input shape is unknown. Start it with "
                f"plugnet.Input(shape=...), or build or call it first."
            )

    @property
    def inputs(self) -> list:
        self._require_graph("inputs")
        return [self._stack[0].output]

    @property
    def outputs(self) -> list:
        self._require_graph("outputs")
        return [self._symbolic_outputs[-1]] if self._symbolic_outputs else [self._stack[0].output]

    @property
    def input(self):
        return self.inputs[0]

    @property
    def output(self):
        return self.outputs[0]

    @property
    def input_shape(self) -> tuple:
        return self.input.shape

    @property
    def output_shape(self) -> tuple:
        return self.output.shape

    @property
    def output_names(self) -> list:
        return [self.layers[-1].name] if self.layers else []

    @output_names.setter
    def output_names(self, value):
        raise AttributeError(f"Sequential model '{self.name}': the output name is the last layer's name.")

    def _layer_output_shape(self, layer):
        """The output shape of ``layer`` within this model, or None when not built."""
        for candidate, output in zip(self.layers, self._symbolic_outputs):
            if candidate is layer:
                return output.shape
        return None

    # ------------------------------------------------------------------ configuration

    def get_config(self) -> dict:
        config = {
            "name": self.name,
            "trainable": self.trainable,
            "layers": [serialize_layer(layer) for layer in self._stack],
        }
        if self._build_shapes is not None and self._offset:
            config["build_input_shape"] = list(self._build_shapes)
        return config

    @classmethod
    def from_config(cls, config: dict, custom_objects=None):
        layers = [registry.deserialize(layer, custom_objects) for layer in config.get("layers", [])]
        return cls(layers, trainable=config.get("trainable", True), name=config.get("name"))
