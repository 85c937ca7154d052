"""Saving and loading models (``plugnet.saving``).

    >>> model.save("model.plugnet")                     # architecture + weights + optimizer state
    >>> model = plugnet.models.load_model("model.plugnet")
    >>> model.save_weights("model.weights.safetensors")
    >>> model.load_weights("model.weights.safetensors")

A ``.plugnet`` file is a zip of JSON and safetensors: data, never code. It
loads on any backend, whichever one saved it. See docs/saving.md.
"""

from plugnet.registry import custom_object_scope
from plugnet.saving.atomic import atomic_write
from plugnet.saving.model_io import load_model, load_weights, save_model, save_weights
from plugnet.saving.safe_mode import in_safe_mode, safe_mode_scope

__all__ = [
    "atomic_write", "custom_object_scope", "in_safe_mode", "load_model", "load_weights", "safe_mode_scope",
    "save_model", "save_weights",
]
