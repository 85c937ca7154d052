"""Activation layers with arguments: ``ReLU``, ``LeakyReLU``, ``ELU``, ``Softmax``.

(``Activation("relu")`` in :mod:`plugnet.layers.core` applies any activation
function; these layers expose the functions' arguments, with Keras's defaults.)
"""

from __future__ import annotations

from plugnet import activations, ops, registry
from plugnet.layers.layer import Layer
from plugnet.layers.layer_utils import layer_label


def _check_non_negative(layer, name, value, allow_none=False) -> float | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ValueError(f"{layer_label(layer)}: `{name}` must be a non-negative number, got {value!r}.")
    return float(value)


class _Elementwise(Layer):
    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


@registry.register_serializable()
class ReLU(_Elementwise):
    """Rectified linear unit: ``x`` above ``threshold`` (capped at ``max_value``),
    ``negative_slope * (x - threshold)`` below it.

    Args:
        max_value: the largest output (None: no cap).
        negative_slope: the slope below the threshold (default 0).
        threshold: where the unit switches (default 0).

    Example:
        >>> plugnet.layers.ReLU(max_value=6.0)(np.array([-1.0, 3.0, 9.0]))
        array([0., 3., 6.], dtype=float32)
    """

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        self.max_value = _check_non_negative(self, "max_value", max_value, allow_none=True)
        self.negative_slope = _check_non_negative(self, "negative_slope", negative_slope)
        self.threshold = _check_non_negative(self, "threshold", threshold)

    def call(self, inputs):
        return activations.relu(inputs, self.negative_slope, self.max_value, self.threshold)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(max_value=self.max_value, negative_slope=self.negative_slope, threshold=self.threshold)
        return config


@registry.register_serializable()
class LeakyReLU(_Elementwise):
    """``x`` for ``x >= 0``, ``negative_slope * x`` otherwise.

    Args:
        negative_slope: the slope for negative inputs (default 0.3, Keras's;
            the ``leaky_relu`` function defaults to 0.2). ``alpha=`` is
            accepted as its former name.

    Example:
        >>> plugnet.layers.LeakyReLU()(np.array([-10.0, 2.0]))
        array([-3.,  2.], dtype=float32)
    """

    def __init__(self, negative_slope=0.3, **kwargs):
        if "alpha" in kwargs:
            negative_slope = kwargs.pop("alpha")
        super().__init__(**kwargs)
        self.negative_slope = _check_non_negative(self, "negative_slope", negative_slope)

    def call(self, inputs):
        return ops.leaky_relu(inputs, self.negative_slope)

    def get_config(self) -> dict:
        config = super().get_config()
        config["negative_slope"] = self.negative_slope
        return config


@registry.register_serializable()
class ELU(_Elementwise):
    """Exponential linear unit: ``x`` for ``x > 0``, ``alpha * (exp(x) - 1)`` otherwise.

    Args:
        alpha: the negative saturation value (default 1.0).

    Example:
        >>> plugnet.layers.ELU()(np.array([-1.0, 2.0]))   # [-0.632, 2.0]
    """

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha = float(alpha)

    def call(self, inputs):
        return ops.elu(inputs, self.alpha)

    def get_config(self) -> dict:
        config = super().get_config()
        config["alpha"] = self.alpha
        return config


@registry.register_serializable()
class Softmax(_Elementwise):
    """Softmax over ``axis``: non-negative outputs summing to 1 along it.

    Args:
        axis: an int or a tuple of ints (default -1).

    ``call(inputs, mask=None)``: positions where ``mask`` is False get
    (practically) zero probability.

    Example:
        >>> plugnet.layers.Softmax()(np.array([[1.0, 1.0, 2.0]]))
        array([[0.2119, 0.2119, 0.5761]], dtype=float32)
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = tuple(axis) if isinstance(axis, (list, tuple)) else axis

    def call(self, inputs, mask=None):
        if mask is not None:
            # A very negative logit rather than -inf: a fully masked row stays finite.
            blocked = ops.subtract(1.0, ops.cast(mask, ops.dtype(inputs)))
            inputs = ops.add(inputs, ops.multiply(blocked, -1e9 if ops.dtype(inputs) != "float16" else -3e4))
        if isinstance(self.axis, tuple):
            return ops.exp(ops.subtract(inputs, ops.logsumexp(inputs, axis=self.axis, keepdims=True)))
        return ops.softmax(inputs, axis=self.axis)

    def get_config(self) -> dict:
        config = super().get_config()
        config["axis"] = self.axis
        return config
