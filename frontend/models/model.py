"""``Model``: a layer that can be trained (compile / fit / evaluate / predict).

There are three ways to make one, as in Keras:

* functional: ``Model(inputs, outputs)`` from :func:`plugnet.Input` tensors
  (this returns a :class:`~plugnet.models.functional.Functional`);
* ``Sequential([...])``, a plain stack of layers;
* subclassing: define the layers in ``__init__`` and the computation in
  ``call(self, inputs, training=None)``.

The training loop lives in :class:`~plugnet.training.trainer.Trainer`; this
class adds what every kind of model shares: ``layers``, ``get_layer``,
``summary``, and building a subclassed model from an input shape.
"""

from __future__ import annotations

from plugnet import ops, registry
from plugnet.layers.call_context import probing
from plugnet.layers.layer import Layer
from plugnet.layers.structure import map_shapes
from plugnet.training.trainer import Trainer


def _functional_arguments(args, kwargs) -> bool:
    return len(args) >= 2 or (len(args) == 1 and "outputs" in kwargs) or ("inputs" in kwargs and "outputs" in kwargs)


@registry.register_serializable()
class Model(Trainer, Layer):
    """A trainable group of layers.

    Functional::

        inputs = plugnet.Input(shape=(784,))
        x = plugnet.layers.Dense(64, activation="relu")(inputs)
        model = plugnet.Model(inputs, plugnet.layers.Dense(10)(x))

    Subclassed::

        class MLP(plugnet.Model):
            def __init__(self):
                super().__init__()
                self.hidden = plugnet.layers.Dense(64, activation="relu")
                self.dropout = plugnet.layers.Dropout(0.5)
                self.out = plugnet.layers.Dense(10)

            def call(self, inputs, training=None):
                return self.out(self.dropout(self.hidden(inputs)))   # dropout sees `training`

    Args (subclassed): ``name``, ``trainable``, ``dtype`` as for any layer.
    Args (functional): ``inputs``, ``outputs`` (a KerasTensor, or a list or
    dict of them) and ``name``.
    """

    def __new__(cls, *args, **kwargs):
        if cls is Model and _functional_arguments(args, kwargs):
            from plugnet.models.functional import Functional

            return Functional.__new__(Functional, *args, **kwargs)
        return Layer.__new__(cls, *args, **kwargs)

    def __init__(self, *args, **kwargs):
        if args or "inputs" in kwargs or "outputs" in kwargs:
            raise TypeError(
                f"{type(self).__name__}: a subclassed Model takes no inputs/outputs. To build a model from "
                f"plugnet.Input tensors, call plugnet.Model(inputs, outputs) itself."
            )
        Trainer.__init__(self)
        Layer.__init__(self, **kwargs)

    # ------------------------------------------------------------------ building

    def build(self, input_shape) -> None:
        """Create every weight by running the model once on zeros of ``input_shape``
        (unknown sizes, such as the batch, become 1). Calling the model on data builds it too."""
        if self.built:
            return
        zeros = map_shapes(lambda s: ops.zeros(tuple(1 if d is None else d for d in s), self.compute_dtype),
                           input_shape)
        with probing():
            self(zeros)
        self.__dict__["_build_shapes"] = input_shape

    # A first call on data builds the layers inside it as they run, so __call__
    # need not run this build first.
    build._is_default_build = True

    def call(self, inputs, training=None):
        raise NotImplementedError(
            f"Model {type(self).__name__} does not implement call(self, inputs, training=None). "
            f"Subclasses of Model define their computation there."
        )

    # ------------------------------------------------------------------ layers

    @property
    def layers(self) -> list:
        """The model's layers: for a subclassed model, the layers it holds as attributes."""
        return self._flatten_layers(include_self=False, recursive=False)

    def get_layer(self, name=None, index=None):
        """The layer called ``name``, or the one at position ``index`` of :attr:`layers`."""
        layers = self.layers
        if index is not None and name is not None:
            raise ValueError(f"Model '{self.name}': get_layer() takes a name or an index, not both.")
        if index is not None:
            if not -len(layers) <= index < len(layers):
                raise ValueError(
                    f"Model '{self.name}' has {len(layers)} layers; there is no layer at index {index}."
                )
            return layers[index]
        if name is None:
            raise ValueError(f"Model '{self.name}': get_layer() needs a layer name or index.")
        for layer in layers:
            if layer.name == name:
                return layer
        names = ", ".join(repr(layer.name) for layer in layers) or "none"
        raise ValueError(f"Model '{self.name}' has no layer named {name!r}. Its layers are: {names}.")

    @property
    def output_names(self):
        """The names of the model's outputs (the output layers' names); None when unknown."""
        return self.__dict__.get("_output_names")

    @output_names.setter
    def output_names(self, value):
        self.__dict__["_output_names"] = None if value is None else list(value)

    def summary(self, line_length=None, positions=None, print_fn=None, show_trainable=False) -> None:
        """Print a table of the layers (name and type, output shape, parameter count)
        and the total, trainable and non-trainable parameter counts.

        Args:
            line_length: the table's width in characters.
            positions: the right edge of each column, as fractions of the width
                (or as character positions).
            print_fn: called with each line instead of ``print``.
            show_trainable: add a column saying whether each layer is trainable.
        """
        from plugnet.models.summary import print_summary

        print_summary(self, line_length=line_length, positions=positions, print_fn=print_fn,
                      show_trainable=show_trainable)

    # ------------------------------------------------------------------ saving

    def save(self, filepath, overwrite=True) -> None:
        """Save the model (architecture, weights, optimizer state) to one ``.plugnet`` file.

        See :func:`plugnet.saving.save_model`; load it with :func:`plugnet.models.load_model`.
        """
        from plugnet.saving import save_model

        save_model(self, filepath, overwrite=overwrite)

    def save_weights(self, filepath, overwrite=True) -> None:
        """Save the weights (and optimizer state) to a ``.weights.safetensors`` file
        (see :func:`plugnet.saving.save_weights`)."""
        from plugnet.saving import save_weights

        save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath, skip_mismatch=False) -> None:
        """Load weights from a ``.weights.safetensors`` or ``.plugnet`` file into this built model
        (see :func:`plugnet.saving.load_weights`)."""
        from plugnet.saving import load_weights

        load_weights(self, filepath, skip_mismatch=skip_mismatch)

    # ------------------------------------------------------------------ configuration

    @classmethod
    def from_config(cls, config: dict, custom_objects=None):
        """A model from :meth:`get_config`: a functional config gives a functional model."""
        if "input_layers" in config and "output_layers" in config:
            from plugnet.models.functional import Functional

            return Functional.from_config(config, custom_objects=custom_objects)
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"
