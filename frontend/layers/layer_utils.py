"""Small helpers layers share for checking their arguments and naming themselves in errors."""

from __future__ import annotations

import operator


def layer_label(layer) -> str:
    """``"Conv2D layer 'conv2d'"``: how error messages name a layer."""
    return f"{type(layer).__name__} layer '{layer.name}'"


def as_int(value):
    """``value`` as a Python int if it is an integer (int, NumPy integer; not bool), else None."""
    if isinstance(value, bool):
        return None
    try:
        return operator.index(value)
    except TypeError:
        return None


def check_positive_int(layer, name: str, value) -> int:
    """``value`` as an int, or a ValueError naming the layer and the argument."""
    number = as_int(value)
    if number is None or number <= 0:
        raise ValueError(f"{layer_label(layer)}: `{name}` must be a positive integer, got {value!r}.")
    return number
