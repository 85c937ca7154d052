"""Assembles the NumPy backend from its op modules."""

from plugnet.plugins.contract import BY_NAME, assemble, find_ops

from . import autograd, core, math, nn, random, shape, updates

MODULES = (core, math, shape, nn, random)


def recording_table(ops: dict) -> dict:
    """The ops used while a tape records: differentiable ones record, the others unwrap."""
    table = {}
    for name, fn in ops.items():
        if BY_NAME[name].differentiable:
            rule = autograd.RULES.get(name)
            if rule is None:
                raise RuntimeError(f"numpy backend: differentiable op {name!r} has no backward rule")
            table[name] = autograd.recorded(fn, rule)
        else:
            table[name] = autograd.unwrapping(fn)
    table["stop_gradient"] = autograd.unwrapping(core.stop_gradient)
    return table


def create_backend():
    ops = find_ops(MODULES)
    return assemble(
        "numpy",
        ops,
        recording_ops=recording_table(ops),
        variable=core.variable,
        assign=core.assign,
        assign_add=core.assign_add,
        assign_sub=core.assign_sub,
        Tape=autograd.Tape,
        no_recording=autograd.no_recording,
        devices=core.devices,
        sgd_update=updates.sgd_update,
        adam_update=updates.adam_update,
    )
