"""plugnet-jax: the ``jax`` backend for plugnet, published as its own distribution.

plugnet finds it through the ``plugnet`` entry-point group (``plugin.py``) and
imports ``backend.py`` (and JAX) only when a user selects it::

    PLUGNET_BACKEND=jax python train.py
    # or: plugnet.set_backend("jax")

Tensors are JAX arrays; a Variable's storage is a :class:`~plugnet_jax.core.Storage`
holding one; gradients come from ``jax.vjp`` of every op a GradientTape records
(:mod:`plugnet_jax.autograd`); ``compile(jit_compile=True)`` runs train, test and
predict steps under ``jax.jit`` (:mod:`plugnet_jax.jit`).
"""

__version__ = "0.1.0"
