"""Models (``plugnet.models``): functional, Sequential and subclassed.

    >>> inputs = plugnet.Input(shape=(3,))
    >>> model = plugnet.Model(inputs, plugnet.layers.Dense(1)(inputs))
    >>> model = plugnet.Sequential([plugnet.Input(shape=(3,)), plugnet.layers.Dense(1)])
    >>> model = plugnet.models.load_model("model.plugnet")
"""

from plugnet.models.functional import Functional
from plugnet.models.model import Model
from plugnet.models.sequential import Sequential
from plugnet.saving import load_model

__all__ = ["Functional", "Model", "Sequential", "load_model"]
