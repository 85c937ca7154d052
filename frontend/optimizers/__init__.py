"""Optimizers (``plugnet.optimizers``): Keras 3's, written once over ``plugnet.ops``.

    optimizer = plugnet.optimizers.get("adam")            # or Adam(learning_rate=1e-3)
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))

Learning-rate schedules live in :mod:`plugnet.optimizers.schedules`.
"""

from __future__ import annotations

from plugnet import registry
from plugnet.optimizers import schedules
from plugnet.optimizers.adagrad import Adagrad
from plugnet.optimizers.adam import Adam
from plugnet.optimizers.adamw import AdamW
from plugnet.optimizers.base import Optimizer
from plugnet.optimizers.rmsprop import RMSprop
from plugnet.optimizers.sgd import SGD

__all__ = ["Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop", "SGD", "deserialize", "get", "schedules", "serialize"]

# The names get() accepts (case-insensitively), as Keras spells them.
_NAMES = {"adagrad": Adagrad, "adam": Adam, "adamw": AdamW, "rmsprop": RMSprop, "sgd": SGD}


def serialize(optimizer: Optimizer) -> dict:
    """``{"class_name": ..., "config": ...}`` for an optimizer (its configuration, not its state)."""
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"serialize() expects an Optimizer, got {optimizer!r}.")
    return registry.serialize(optimizer)


def deserialize(config: dict, custom_objects: dict | None = None) -> Optimizer:
    """The optimizer :func:`serialize` described; ``class_name`` may be any case of a built-in name."""
    if isinstance(config, dict) and isinstance(config.get("class_name"), str):
        name = config["class_name"]
        if not (custom_objects and name in custom_objects) and name.lower() in _NAMES:
            config = {**config, "class_name": _NAMES[name.lower()].__name__}
    optimizer = registry.deserialize(config, custom_objects)
    if not isinstance(optimizer, Optimizer):
        raise ValueError(f"{config!r} does not describe an optimizer (it made {optimizer!r}).")
    return optimizer


def get(identifier) -> Optimizer | None:
    """An optimizer from a name (``"adam"``, any case), a class, a config dict or an instance.

    An instance is returned as is; a name or class makes one with default
    arguments. An unknown name raises ValueError listing the valid names.
    """
    if identifier is None or isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    optimizer = registry.resolve(identifier, "optimizer", _NAMES)
    if not isinstance(optimizer, Optimizer):
        raise ValueError(f"Could not interpret optimizer identifier {identifier!r}: it did not make an Optimizer.")
    return optimizer
