"""Models (``plugnet.models``): functional, Sequential and subclassed.

    >>> inputs = plugnet.Input(shape=(3,))
    >>> model = plugnet.Model(inputs, plugnet.layers.Dense(1)(inputs))
    >>> model = plugnet.Sequential([plugnet.Input(shape=(3,)), plugnet.layers.Dense(1)])
"""

from plugnet.models.functional import Functional
from plugnet.models.model import Model
from plugnet.models.sequential import Sequential

__all__ = ["Functional", "Model", "Sequential"]
