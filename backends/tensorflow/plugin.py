"""Declares the TensorFlow backend. Imported during discovery: it must not import tensorflow."""

from plugnet.plugins import hookimpl
from plugnet.plugins.manager import BackendSpec


@hookimpl
def plugnet_register_backends(register):
    register(
        BackendSpec(
            name="tensorflow",
            module="plugnet.backends.tensorflow.backend",
            requires=("tensorflow",),
            summary="TensorFlow tensors and tf.GradientTape, on CPU or GPU",
            install="pip install 'plugnet[tensorflow]'",
        )
    )
