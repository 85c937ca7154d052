"""Assembles the JAX backend from its op modules, through plugnet's public contract.

Loading the backend sets one JAX option, process-wide:
``jax_explicit_x64_dtypes="allow"``. JAX keeps 32-bit defaults (``x64`` stays
disabled: Python floats, ``jnp.zeros`` and friends are float32), but a 64-bit
dtype asked for by name (``"float64"``, ``"int64"``, a NumPy float64 array
converted with its dtype) is honoured instead of being silently truncated to
32 bits. That is what plugnet's contract asks of every backend: float32 by
default, float64 and int64 when requested.
"""

import jax

from plugnet.plugins.contract import BY_NAME, assemble, find_ops

from . import autograd, core, jit, math, nn, random, shape, templates, updates

MODULES = (core, math, shape, nn, random)

# Ops that are several JAX primitives each: run as one compiled call per template
# (one dispatch, and one compilation per new shape instead of one per primitive).
COMPILED = frozenset({
    "clip", "gelu", "elu", "selu", "leaky_relu", "softsign", "softmax", "log_softmax", "logsumexp",
    "mean", "var", "std", "prod", "einsum", "tensordot", "pad", "repeat", "tile", "split",
    "get_item", "take", "take_along_axis", "one_hot", "conv", "depthwise_conv", "conv_transpose",
    "max_pool", "average_pool", "moments", "dropout",
})


def plain_table(ops: dict) -> dict:
    """The ops used outside tapes: the ops themselves, composite ones compiled per template."""
    return {name: templates.compiled_op(fn) if name in COMPILED else fn for name, fn in ops.items()}


def recording_table(ops: dict, plain: dict) -> dict:
    """The ops used while a tape records: differentiable ones record themselves through jax.vjp."""
    return {name: autograd.recorded(fn, plain[name]) for name, fn in ops.items() if BY_NAME[name].differentiable}


def create_backend():
    jax.config.update("jax_explicit_x64_dtypes", "allow")
    ops = find_ops(MODULES)
    plain = plain_table(ops)
    return assemble(
        "jax",
        plain,
        recording_ops=recording_table(ops, plain),
        variable=core.variable,
        assign=core.assign,
        assign_add=core.assign_add,
        assign_sub=core.assign_sub,
        Tape=autograd.Tape,
        no_recording=autograd.no_recording,
        compile_step=jit.compile_step,
        # Compiled steps trace Python once: the trainer keeps all step state in Variables.
        graph_steps=True,
        devices=core.devices,
        device_scope=core.device_scope,
        set_seed=random.set_seed,
        sgd_update=updates.sgd_update,
        adam_update=updates.adam_update,
    )
