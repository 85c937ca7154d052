"""Layers (``plugnet.layers``): the building blocks of models.

Every layer is a :class:`Layer`: ``build()`` creates its weights from the
first input's shape, ``call()`` computes, ``get_config()`` describes it.

    >>> from plugnet import layers
    >>> x = plugnet.Input(shape=(784,))
    >>> y = layers.Dense(10, activation="softmax")(layers.Dropout(0.2)(x))
"""

from plugnet.layers.core import Activation, Dense
from plugnet.layers.input_layer import Input, InputLayer
from plugnet.layers.input_spec import InputSpec
from plugnet.layers.layer import Layer
from plugnet.layers.regularization import Dropout
from plugnet.layers.reshaping import Flatten, Reshape
from plugnet.layers.symbolic import KerasTensor

__all__ = [
    "Activation", "Dense", "Dropout", "Flatten", "Input", "InputLayer", "InputSpec", "KerasTensor", "Layer", "Reshape",
]
