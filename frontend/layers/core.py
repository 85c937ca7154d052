"""Core layers: ``Dense`` and ``Activation``."""

from __future__ import annotations

from plugnet import activations, initializers, ops, registry, regularizers
from plugnet.layers.input_spec import InputSpec, format_shape
from plugnet.layers.layer import Layer, get_constraint


def serialize_constraint(constraint):
    return None if constraint is None else registry.serialize(constraint)


@registry.register_serializable()
class Dense(Layer):
    """A densely connected layer: ``activation(inputs @ kernel + bias)``.

    Works on inputs of any rank >= 2: the kernel applies to the last axis, so
    ``(batch, steps, features)`` gives ``(batch, steps, units)``.

    Args:
        units: the size of the output's last axis.
        activation: an activation name or function; None means linear.
        use_bias: whether to add a bias vector.
        kernel_initializer / bias_initializer: initializers for the weights
            (default ``"glorot_uniform"`` / ``"zeros"``).
        kernel_regularizer / bias_regularizer: penalties on the weights, added
            to ``losses``.
        activity_regularizer: a penalty on the output, added to ``losses``.
        kernel_constraint / bias_constraint: callables applied to the weights
            after each optimizer update.

    Example:
        >>> layer = plugnet.layers.Dense(4, activation="relu")
        >>> layer(np.ones((2, 3))).shape
        (2, 4)
        >>> [w.shape for w in layer.weights]
        [(3, 4), (4,)]
    """

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        if isinstance(units, bool) or not isinstance(units, int) or units <= 0:
            raise ValueError(f"Dense layer '{self.name}': `units` must be a positive integer, got {units!r}.")
        self.units = units
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = get_constraint(kernel_constraint)
        self.bias_constraint = get_constraint(bias_constraint)
        self.kernel = None
        self.bias = None
        self.input_spec = InputSpec(min_ndim=2)

    def build(self, input_shape):
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(
                f"Dense layer '{self.name}': the last dimension of its input must be known, "
                f"but the input shape is {format_shape(input_shape)}."
            )
        self.kernel = self.add_weight(
            (input_dim, self.units), initializer=self.kernel_initializer, regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint, name="kernel",
        )
        if self.use_bias:
            self.bias = self.add_weight(
                (self.units,), initializer=self.bias_initializer, regularizer=self.bias_regularizer,
                constraint=self.bias_constraint, name="bias",
            )
        self.input_spec = InputSpec(min_ndim=2, axes={-1: input_dim})

    def call(self, inputs):
        outputs = ops.dense(inputs, self.kernel, self.bias)
        if self.activation is not activations.linear:
            outputs = self.activation(outputs)
        return outputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)[:-1] + (self.units,)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(
            units=self.units,
            activation=activations.serialize(self.activation),
            use_bias=self.use_bias,
            kernel_initializer=initializers.serialize(self.kernel_initializer),
            bias_initializer=initializers.serialize(self.bias_initializer),
            kernel_regularizer=regularizers.serialize(self.kernel_regularizer),
            bias_regularizer=regularizers.serialize(self.bias_regularizer),
            kernel_constraint=serialize_constraint(self.kernel_constraint),
            bias_constraint=serialize_constraint(self.bias_constraint),
        )
        return config


@registry.register_serializable()
class Activation(Layer):
    """Applies an activation function to its input.

    Args:
        activation: an activation name (``"relu"``, ``"softmax"``...) or function.

    Example:
        >>> plugnet.layers.Activation("relu")(np.array([[-1.0, 2.0]]))
        array([[0., 2.]], dtype=float32)
    """

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)

    def call(self, inputs):
        return self.activation(inputs)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self) -> dict:
        config = super().get_config()
        config["activation"] = activations.serialize(self.activation)
        return config
