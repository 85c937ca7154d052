"""Assembles the NumPy backend from its op modules."""

import ctypes
import ctypes.util
import os
import sys

from plugnet.plugins.contract import BY_NAME, assemble, find_ops

from . import activations, autograd, core, linalg, math, nn, random, reductions, shape, updates

MODULES = (core, math, activations, reductions, linalg, shape, nn, random)


# Ops that read taped Tensors themselves: they need no unwrapping layer, and run on every
# layer call and loss (shape and dtype checks).
_TAPE_AWARE = ("shape", "ndim", "size", "dtype", "is_tensor", "convert_to_numpy", "stop_gradient")


def recording_table(ops: dict) -> dict:
    """The ops used while a tape records: differentiable ones record, the others unwrap."""
    table = {}
    for name, fn in ops.items():
        if name in _TAPE_AWARE:
            table[name] = fn
        elif BY_NAME[name].differentiable:
            rule = autograd.RULES.get(name)
            if rule is None:
                raise RuntimeError(f"numpy backend: differentiable op {name!r} has no backward rule")
            table[name] = autograd.recorded(fn, rule)
        else:
            table[name] = autograd.unwrapping(fn)
    return table


# glibc's mallopt parameters.
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
_KEEP_BELOW = 256 << 20


def keep_freed_memory() -> bool:
    """Let glibc's malloc reuse freed activation buffers instead of returning them to the OS.

    A training step allocates its activations and gradients (megabytes each)
    and frees them all when the tape is done. By default glibc hands such
    blocks back to the OS and the next step page-faults them in again, zeroed:
    on a small CNN that is a third of the step. Keeping blocks under 256 MB in
    the heap makes a step reuse the previous step's memory. Set
    ``PLUGNET_NUMPY_KEEP_MEMORY=0`` to keep glibc's defaults. Returns whether
    the setting was applied (only on Linux with glibc).
    """
    if os.environ.get("PLUGNET_NUMPY_KEEP_MEMORY", "1") == "0" or not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl and other C libraries have no mallopt
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, _KEEP_BELOW)) and bool(mallopt(_M_TRIM_THRESHOLD, 2 * _KEEP_BELOW))


def create_backend():
    keep_freed_memory()
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
        replay_steps=True,
    )
