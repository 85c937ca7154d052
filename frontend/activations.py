"""Activation functions (``plugnet.activations``), built on ``plugnet.ops``.

Layers take an ``activation=`` argument that :func:`get` resolves: a name
("relu"), a function, or None (the identity, ``linear``).

    >>> act = plugnet.activations.get("gelu")
    >>> y = act(x)
"""

from __future__ import annotations

from plugnet import ops
from plugnet import registry


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """Rectified linear unit, with Keras's options.

    Returns ``x`` where ``threshold < x``, capped at ``max_value`` when given,
    and ``negative_slope * (x - threshold)`` elsewhere. With the defaults this
    is ``max(x, 0)``.

    Example:
        >>> relu([-2.0, 1.0, 8.0], max_value=6.0)   # [0, 1, 6]
    """
    if negative_slope == 0 and threshold == 0:
        if max_value is None:
            return ops.relu(x)
        if max_value == 6:
            return ops.relu6(x)
        return ops.clip(ops.relu(x), 0.0, max_value)
    if threshold == 0 and max_value is None:
        return ops.leaky_relu(x, negative_slope)
    x = ops.convert_to_tensor(x)
    y = ops.where(ops.greater(x, threshold), x, ops.multiply(ops.subtract(x, threshold), negative_slope))
    return y if max_value is None else ops.minimum(y, max_value)


def leaky_relu(x, negative_slope=0.2):
    """``x`` for ``x >= 0``, else ``negative_slope * x``."""
    return ops.leaky_relu(x, negative_slope)


def relu6(x):
    """``min(max(x, 0), 6)``."""
    return ops.relu6(x)


def elu(x, alpha=1.0):
    """``x`` for ``x > 0``, else ``alpha * (exp(x) - 1)``."""
    return ops.elu(x, alpha)


def selu(x):
    """Scaled ELU: ``1.0507 * elu(x, 1.6733)``; pair it with ``lecun_normal`` kernels."""
    return ops.selu(x)


def gelu(x, approximate=False):
    """Gaussian error linear unit ``x * Phi(x)``; ``approximate=True`` uses the tanh form.

    The default is the exact form (Keras 3's ``activations.gelu``; note that
    ``ops.gelu`` defaults to the approximation).
    """
    return ops.gelu(x, approximate)


def sigmoid(x):
    """``1 / (1 + exp(-x))``."""
    return ops.sigmoid(x)


def hard_sigmoid(x):
    """Piecewise-linear sigmoid: ``relu6(x + 3) / 6`` (0 below -3, 1 above 3)."""
    return ops.multiply(ops.relu6(ops.add(x, 3.0)), 1.0 / 6.0)


def hard_silu(x):
    """``x * hard_sigmoid(x)`` (also called hard swish)."""
    return ops.multiply(x, hard_sigmoid(x))


def log_sigmoid(x):
    """``log(sigmoid(x)) = -softplus(-x)``, computed stably."""
    return ops.negative(ops.softplus(ops.negative(x)))


def tanh(x):
    """Hyperbolic tangent."""
    return ops.tanh(x)


def softplus(x):
    """``log(1 + exp(x))``, computed stably."""
    return ops.softplus(x)


def softsign(x):
    """``x / (1 + |x|)``."""
    return ops.softsign(x)


def silu(x):
    """``x * sigmoid(x)`` (swish)."""
    return ops.silu(x)


def mish(x):
    """``x * tanh(softplus(x))``."""
    return ops.multiply(x, ops.tanh(ops.softplus(x)))


def exponential(x):
    """``exp(x)``."""
    return ops.exp(x)


def softmax(x, axis=-1):
    """``exp(x) / sum(exp(x), axis)``, computed stably; each slice along ``axis`` sums to 1."""
    return ops.softmax(x, axis)


def log_softmax(x, axis=-1):
    """``x - logsumexp(x, axis)``: the log of :func:`softmax`, computed stably."""
    return ops.log_softmax(x, axis)


def linear(x):
    """The identity: ``activation=None`` means this."""
    return x


swish = silu
hard_swish = hard_silu

_FUNCTIONS = (
    relu, leaky_relu, relu6, elu, selu, gelu, sigmoid, hard_sigmoid, hard_silu, log_sigmoid, tanh,
    softplus, softsign, silu, mish, exponential, softmax, log_softmax, linear,
)
NAMES: dict[str, object] = {fn.__name__: fn for fn in _FUNCTIONS}
NAMES.update(swish=silu, hard_swish=hard_silu)
# An activation's name when serialized: aliases serialize as the function they name.
_NAME_OF = {fn: fn.__name__ for fn in _FUNCTIONS}
# registry.resolve calls the entry for a string: give it factories returning the function.
_FACTORIES = {name: (lambda fn=fn: fn) for name, fn in NAMES.items()}


def get(identifier, custom_objects: dict | None = None):
    """An activation function from a name, a function or None (``linear``).

    Also accepts an activation layer or any callable, returned as is, and names
    registered with :func:`plugnet.registry.register_serializable`.

    >>> plugnet.activations.get("relu")(x)
    >>> plugnet.activations.get(None) is plugnet.activations.linear
    True
    """
    if identifier is None:
        return linear
    if isinstance(identifier, str):
        if custom_objects and identifier in custom_objects:
            return custom_objects[identifier]
        if identifier not in NAMES:
            try:
                found = registry.get_registered(identifier, custom_objects)
            except ValueError:
                found = None
            if found is not None and not isinstance(found, type):
                return found
    if isinstance(identifier, dict) and identifier.get("class_name") == "function":
        return get(identifier.get("config"), custom_objects)
    return registry.resolve(identifier, "activation", _FACTORIES, custom_objects)


def serialize(activation) -> str | dict:
    """A built-in activation's name ("relu"); a registered name or config otherwise."""
    name = _NAME_OF.get(activation)
    if name is not None:
        return name
    return registry.serialize(activation)


def deserialize(config, custom_objects: dict | None = None):
    """The activation that :func:`serialize` described."""
    return get(config, custom_objects)


__all__ = sorted(NAMES) + ["get", "serialize", "deserialize"]
