"""Declares the NumPy backend. Imported during discovery, so it imports nothing heavy."""

from plugnet.plugins import hookimpl
from plugnet.plugins.manager import BackendSpec


@hookimpl
def plugnet_register_backends(register):
    register(
        BackendSpec(
            name="numpy",
            module="plugnet.backends.numpy.backend",
            requires=("numpy",),
            summary="NumPy on the CPU, with plugnet's own reverse-mode autograd (the reference backend)",
            install="pip install plugnet",
        )
    )
