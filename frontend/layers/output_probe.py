"""Output shapes found by running a layer: the fallback of ``compute_output_spec`` for layers
that do not describe their output shape themselves."""

from __future__ import annotations

from plugnet import ops
from plugnet.layers.call_context import _local as _call_local
from plugnet.layers.call_context import probing
from plugnet.layers.input_spec import format_shape
from plugnet.layers.structure import flatten, map_structure, pack_like
from plugnet.layers.symbolic import KerasTensor

# Sizes substituted for unknown dimensions when a layer is run on placeholder
# data: small, different, and divisible by small factors (reshapes, pooling).
_PROBE_SIZES = (4, 8)


def probe_output_spec(layer, args, kwargs):
    """Output KerasTensors of ``layer`` on symbolic ``args``, found by running ``call`` on zeros.

    Unknown dimensions are given two different sizes in two runs; output
    dimensions that differ between the runs are unknown (None) too.
    """
    symbolic = [t for t in flatten([list(args), kwargs]) if type(t) is KerasTensor]
    dynamic = any(d is None for t in symbolic for d in t.shape)
    runs = []
    for size in _PROBE_SIZES if dynamic else _PROBE_SIZES[:1]:
        def concrete(t, size=size):
            if type(t) is not KerasTensor:
                return t
            return ops.zeros(tuple(size if d is None else d for d in t.shape), t.dtype)

        call_args = map_structure(concrete, list(args))
        call_kwargs = map_structure(concrete, kwargs)
        if type(layer)._call_takes_training and "training" not in call_kwargs and (
            type(layer)._training_position is None or len(call_args) <= type(layer)._training_position
        ):
            call_kwargs["training"] = False
        with probing():
            state = _call_local.state
            depth = state.depth
            state.depth = depth + 1
            try:
                outputs = layer.call(*call_args, **call_kwargs)
            except Exception as exc:
                shapes = ", ".join(format_shape(ops.shape(t)) for t in flatten([call_args, call_kwargs])
                                   if ops.is_tensor(t))
                raise ValueError(
                    f"Could not infer the output shape of layer '{layer.name}' by running it on zeros of shape "
                    f"{shapes}: {type(exc).__name__}: {exc}. Implement compute_output_shape(input_shape) in "
                    f"{type(layer).__name__} to describe its output."
                ) from exc
            finally:
                state.depth = depth
        runs.append(outputs)
    first = flatten(runs[0])
    others = [flatten(run) for run in runs[1:]]
    specs = []
    for index, output in enumerate(first):
        shape = list(ops.shape(output))
        for other in others:
            for axis, size in enumerate(ops.shape(other[index])):
                if shape[axis] != size:
                    shape[axis] = None
        specs.append(KerasTensor(shape, ops.dtype(output)))
    return pack_like(runs[0], specs)
