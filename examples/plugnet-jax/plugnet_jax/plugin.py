"""Declares the JAX backend to plugnet. Imported during discovery, so it imports nothing heavy."""

from plugnet.plugins import hookimpl
from plugnet.plugins.manager import BackendSpec


@hookimpl
def plugnet_register_backends(register):
    register(
        BackendSpec(
            name="jax",
            module="plugnet_jax.backend",
            requires=("jax",),
            summary="JAX arrays on CPU or GPU; gradients through jax.vjp, train steps under jax.jit when asked",
            install="pip install plugnet-jax",
        )
    )
