"""Assembles the torch backend from its op modules."""

from plugnet.plugins.contract import assemble, find_ops

from . import autograd, core, math, nn, random, shape, updates

MODULES = (core, math, shape, nn, random)


def create_backend():
    return assemble(
        "torch",
        find_ops(MODULES),
        variable=core.variable,
        assign=core.assign,
        assign_add=core.assign_add,
        assign_sub=core.assign_sub,
        set_trainable=core.set_trainable,
        Tape=autograd.Tape,
        no_recording=autograd.no_recording,
        compile_step=core.compile_step,
        devices=core.devices,
        sgd_update=updates.sgd_update,
        adam_update=updates.adam_update,
        replay_steps=True,
        device_scope=core.device_scope,
        set_seed=core.set_seed,
    )
