"""Declares the PyTorch backend. Imported during discovery: it must not import torch."""

from plugnet.plugins import hookimpl
from plugnet.plugins.manager import BackendSpec


@hookimpl
def plugnet_register_backends(register):
    register(
        BackendSpec(
            name="torch",
            module="plugnet.backends.torch.backend",
            requires=("torch",),
            summary="PyTorch tensors and autograd, on CPU or CUDA",
            install="pip install 'plugnet[torch]'",
        )
    )
