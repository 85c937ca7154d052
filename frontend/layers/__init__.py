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
from plugnet.layers.lambda_layer import Lambda
from plugnet.layers.layer import Layer
from plugnet.layers.regularization import Dropout
from plugnet.layers.reshaping import Flatten, Reshape
from plugnet.layers.symbolic import KerasTensor

__all__ = [
    "Activation", "Dense", "Dropout", "Flatten", "Input", "InputLayer", "InputSpec", "KerasTensor", "Lambda", "Layer",
    "Reshape",
]

# Convolution, pooling, normalization, activation, spatial, embedding and merging layers.
from plugnet.layers.activation_layers import ELU, LeakyReLU, ReLU, Softmax
from plugnet.layers.conv_transpose import Conv1DTranspose, Conv2DTranspose, Conv3DTranspose
from plugnet.layers.convolutional import Conv1D, Conv2D, Conv3D
from plugnet.layers.depthwise_conv import DepthwiseConv1D, DepthwiseConv2D, SeparableConv1D, SeparableConv2D
from plugnet.layers.embedding import Embedding
from plugnet.layers.global_pooling import (
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalAveragePooling3D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    GlobalMaxPooling3D,
)
from plugnet.layers.merging import (
    Add,
    Average,
    Concatenate,
    Maximum,
    Minimum,
    Multiply,
    Subtract,
    add,
    average,
    concatenate,
    maximum,
    minimum,
    multiply,
    subtract,
)
from plugnet.layers.normalization import BatchNormalization, LayerNormalization
from plugnet.layers.pooling import (
    AveragePooling1D,
    AveragePooling2D,
    AveragePooling3D,
    MaxPooling1D,
    MaxPooling2D,
    MaxPooling3D,
)
from plugnet.layers.spatial import (
    Cropping1D,
    Cropping2D,
    Cropping3D,
    UpSampling1D,
    UpSampling2D,
    UpSampling3D,
    ZeroPadding1D,
    ZeroPadding2D,
    ZeroPadding3D,
)

# Keras's short aliases.
Convolution1D, Convolution2D, Convolution3D = Conv1D, Conv2D, Conv3D
Convolution2DTranspose = Conv2DTranspose
MaxPool1D, MaxPool2D, MaxPool3D = MaxPooling1D, MaxPooling2D, MaxPooling3D
AvgPool1D, AvgPool2D, AvgPool3D = AveragePooling1D, AveragePooling2D, AveragePooling3D
GlobalAvgPool1D, GlobalAvgPool2D, GlobalAvgPool3D = (
    GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalAveragePooling3D,
)
GlobalMaxPool1D, GlobalMaxPool2D, GlobalMaxPool3D = GlobalMaxPooling1D, GlobalMaxPooling2D, GlobalMaxPooling3D

__all__ += [
    "Add", "Average", "AveragePooling1D", "AveragePooling2D", "AveragePooling3D", "AvgPool1D", "AvgPool2D",
    "AvgPool3D", "BatchNormalization", "Concatenate", "Conv1D", "Conv1DTranspose", "Conv2D", "Conv2DTranspose",
    "Conv3D", "Conv3DTranspose", "Convolution1D", "Convolution2D", "Convolution2DTranspose", "Convolution3D",
    "Cropping1D", "Cropping2D", "Cropping3D", "DepthwiseConv1D", "DepthwiseConv2D", "ELU", "Embedding",
    "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D", "GlobalAvgPool1D",
    "GlobalAvgPool2D", "GlobalAvgPool3D", "GlobalMaxPool1D", "GlobalMaxPool2D", "GlobalMaxPool3D",
    "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D", "LayerNormalization", "LeakyReLU",
    "MaxPool1D", "MaxPool2D", "MaxPool3D", "MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "Maximum", "Minimum",
    "Multiply", "ReLU", "SeparableConv1D", "SeparableConv2D", "Softmax", "Subtract", "UpSampling1D",
    "UpSampling2D", "UpSampling3D", "ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D", "add", "average",
    "concatenate", "maximum", "minimum", "multiply", "subtract",
]
