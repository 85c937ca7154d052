"""The op contract: every tensor op a backend provides, declared once.

Each :class:`Op` names a function, its Python signature, its reference meaning
in NumPy terms and whether gradients flow through it. This one list drives:

* ``plugnet.ops``: one public function per op, with this signature and meaning
  as its docstring;
* :func:`assemble`: the completeness check when a backend is loaded (a missing
  op becomes a function that raises a clear error naming backend and op);
* the conformance tests, which compare every backend with the NumPy reference
  and check every differentiable op's gradient against finite differences;
* ``docs/ops.md``, generated from it.

Conventions shared by every op (as in NumPy and Keras 3):

* ``dtype=None`` means the default float type, ``"float32"``, for floating
  results, and the natural integer type for integer results; dtypes are given
  and reported as strings (``"float32"``, ``"int64"``, ``"bool"``).
* Images are ``channels_last`` unless ``data_format="channels_first"``.
  Kernels always have Keras's layout: ``conv`` ``(*spatial, in, out)``,
  ``depthwise_conv`` ``(*spatial, in, multiplier)``, ``conv_transpose``
  ``(*spatial, out, in)``.
* ``seed`` is an integer (same seed, same numbers) or ``None``.
"""

from __future__ import annotations

import contextlib
import types
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Op:
    """One op of the contract."""

    name: str
    signature: str
    meaning: str
    differentiable: bool
    category: str


OPS: tuple[Op, ...] = ()
_CATEGORY = ""


def _section(category: str) -> None:
    global _CATEGORY
    _CATEGORY = category


def _op(name: str, signature: str, meaning: str, grad: bool) -> None:
    global OPS
    OPS += (Op(name, signature, meaning, grad, _CATEGORY),)


_section("conversion")
_op("convert_to_tensor", "(x, dtype=None)", "np.asarray(x, dtype); Python floats become float32", True)
_op("convert_to_numpy", "(x)", "np.asarray(x): a plain ndarray on the host", False)
_op("is_tensor", "(x)", "True for the backend's own tensor types", False)
_op("shape", "(x)", "tuple(x.shape), ints (None for unknown dims)", False)
_op("ndim", "(x)", "x.ndim", False)
_op("size", "(x)", "x.size", False)
_op("dtype", "(x)", "x.dtype as a standard name string, e.g. 'float32'", False)
_op("cast", "(x, dtype)", "x.astype(dtype)", True)
_op("stop_gradient", "(x)", "x, with no gradient flowing back through it", False)

_section("creation")
_op("zeros", "(shape, dtype=None)", "np.zeros(shape, dtype)", False)
_op("ones", "(shape, dtype=None)", "np.ones(shape, dtype)", False)
_op("full", "(shape, fill_value, dtype=None)", "np.full(shape, fill_value, dtype)", False)
_op("zeros_like", "(x, dtype=None)", "np.zeros_like(x, dtype)", False)
_op("ones_like", "(x, dtype=None)", "np.ones_like(x, dtype)", False)
_op("full_like", "(x, fill_value, dtype=None)", "np.full_like(x, fill_value, dtype)", False)
_op("arange", "(start, stop=None, step=1, dtype=None)", "np.arange(start, stop, step); int32 for ints, float32 for floats", False)
_op("linspace", "(start, stop, num=50, dtype=None)", "np.linspace(start, stop, num)", False)
_op("eye", "(N, M=None, k=0, dtype=None)", "np.eye(N, M, k)", False)

_section("elementwise")
_op("add", "(x1, x2)", "np.add(x1, x2)", True)
_op("subtract", "(x1, x2)", "np.subtract(x1, x2)", True)
_op("multiply", "(x1, x2)", "np.multiply(x1, x2)", True)
_op("divide", "(x1, x2)", "np.true_divide(x1, x2)", True)
_op("floor_divide", "(x1, x2)", "np.floor_divide(x1, x2)", False)
_op("mod", "(x1, x2)", "np.mod(x1, x2)", False)
_op("power", "(x1, x2)", "np.power(x1, x2)", True)
_op("maximum", "(x1, x2)", "np.maximum(x1, x2); ties send the gradient to x1", True)
_op("minimum", "(x1, x2)", "np.minimum(x1, x2); ties send the gradient to x1", True)
_op("negative", "(x)", "np.negative(x)", True)
_op("abs", "(x)", "np.abs(x)", True)
_op("sign", "(x)", "np.sign(x)", False)
_op("square", "(x)", "np.square(x)", True)
_op("sqrt", "(x)", "np.sqrt(x)", True)
_op("rsqrt", "(x)", "1 / np.sqrt(x)", True)
_op("reciprocal", "(x)", "1 / x", True)
_op("exp", "(x)", "np.exp(x)", True)
_op("expm1", "(x)", "np.expm1(x)", True)
_op("log", "(x)", "np.log(x)", True)
_op("log1p", "(x)", "np.log1p(x)", True)
_op("sin", "(x)", "np.sin(x)", True)
_op("cos", "(x)", "np.cos(x)", True)
_op("tanh", "(x)", "np.tanh(x)", True)
_op("floor", "(x)", "np.floor(x)", False)
_op("ceil", "(x)", "np.ceil(x)", False)
_op("round", "(x, decimals=0)", "np.round(x, decimals)", False)
_op("clip", "(x, x_min, x_max)", "np.clip(x, x_min, x_max); gradient 1 inside [x_min, x_max], else 0", True)
_op("where", "(condition, x1, x2)", "np.where(condition, x1, x2)", True)

_section("comparison")
_op("equal", "(x1, x2)", "np.equal(x1, x2)", False)
_op("not_equal", "(x1, x2)", "np.not_equal(x1, x2)", False)
_op("less", "(x1, x2)", "np.less(x1, x2)", False)
_op("less_equal", "(x1, x2)", "np.less_equal(x1, x2)", False)
_op("greater", "(x1, x2)", "np.greater(x1, x2)", False)
_op("greater_equal", "(x1, x2)", "np.greater_equal(x1, x2)", False)
_op("logical_and", "(x1, x2)", "np.logical_and(x1, x2)", False)
_op("logical_or", "(x1, x2)", "np.logical_or(x1, x2)", False)
_op("logical_not", "(x)", "np.logical_not(x)", False)
_op("isnan", "(x)", "np.isnan(x)", False)
_op("isinf", "(x)", "np.isinf(x)", False)
_op("isfinite", "(x)", "np.isfinite(x)", False)

_section("activation")
_op("relu", "(x)", "np.maximum(x, 0)", True)
_op("relu6", "(x)", "np.clip(x, 0, 6)", True)
_op("sigmoid", "(x)", "1 / (1 + np.exp(-x))", True)
_op("softplus", "(x)", "np.log1p(np.exp(x)), computed stably", True)
_op("softsign", "(x)", "x / (1 + np.abs(x))", True)
_op("silu", "(x)", "x * sigmoid(x) (swish)", True)
_op("leaky_relu", "(x, negative_slope=0.2)", "np.where(x >= 0, x, negative_slope * x)", True)
_op("elu", "(x, alpha=1.0)", "np.where(x > 0, x, alpha * np.expm1(x))", True)
_op("selu", "(x)", "1.0507009873554805 * elu(x, 1.6732632423543772)", True)
_op("gelu", "(x, approximate=True)", "x * Phi(x); approximate=True uses the tanh form", True)
_op("softmax", "(x, axis=-1)", "np.exp(x - logsumexp(x, axis, keepdims=True))", True)
_op("log_softmax", "(x, axis=-1)", "x - logsumexp(x, axis, keepdims=True)", True)

_section("reduction")
_op("sum", "(x, axis=None, keepdims=False)", "np.sum(x, axis, keepdims=keepdims)", True)
_op("mean", "(x, axis=None, keepdims=False)", "np.mean(x, axis, keepdims=keepdims)", True)
_op("max", "(x, axis=None, keepdims=False)", "np.max(x, axis, keepdims=keepdims); ties share the gradient equally", True)
_op("min", "(x, axis=None, keepdims=False)", "np.min(x, axis, keepdims=keepdims); ties share the gradient equally", True)
_op("prod", "(x, axis=None, keepdims=False)", "np.prod(x, axis, keepdims=keepdims)", True)
_op("var", "(x, axis=None, keepdims=False)", "np.var(x, axis, keepdims=keepdims) (population variance)", True)
_op("std", "(x, axis=None, keepdims=False)", "np.std(x, axis, keepdims=keepdims) (population deviation)", True)
_op("logsumexp", "(x, axis=None, keepdims=False)", "np.log(np.sum(np.exp(x), axis, keepdims=keepdims)), computed stably", True)
_op("cumsum", "(x, axis=None)", "np.cumsum(x, axis)", True)
_op("argmax", "(x, axis=None, keepdims=False)", "np.argmax(x, axis, keepdims=keepdims)", False)
_op("argmin", "(x, axis=None, keepdims=False)", "np.argmin(x, axis, keepdims=keepdims)", False)
_op("all", "(x, axis=None, keepdims=False)", "np.all(x, axis, keepdims=keepdims)", False)
_op("any", "(x, axis=None, keepdims=False)", "np.any(x, axis, keepdims=keepdims)", False)

_section("linalg")
_op("matmul", "(x1, x2)", "np.matmul(x1, x2)", True)
_op("dense", "(x, kernel, bias=None)", "np.matmul(x, kernel) + bias (no bias when None): the Dense layer's map, "
    "kernel (in, out); optional: composed of the backend's matmul and add", True)
_op("dot", "(x1, x2)", "np.dot(x1, x2)", True)
_op("tensordot", "(x1, x2, axes=2)", "np.tensordot(x1, x2, axes)", True)
_op("einsum", "(subscripts, *operands)", "np.einsum(subscripts, *operands)", True)

_section("manipulation")
_op("reshape", "(x, newshape)", "np.reshape(x, newshape)", True)
_op("transpose", "(x, axes=None)", "np.transpose(x, axes)", True)
_op("expand_dims", "(x, axis)", "np.expand_dims(x, axis)", True)
_op("squeeze", "(x, axis=None)", "np.squeeze(x, axis)", True)
_op("swapaxes", "(x, axis1, axis2)", "np.swapaxes(x, axis1, axis2)", True)
_op("moveaxis", "(x, source, destination)", "np.moveaxis(x, source, destination)", True)
_op("concatenate", "(xs, axis=0)", "np.concatenate(xs, axis)", True)
_op("stack", "(xs, axis=0)", "np.stack(xs, axis)", True)
_op("split", "(x, indices_or_sections, axis=0)", "np.split(x, indices_or_sections, axis): a list", True)
_op("tile", "(x, repeats)", "np.tile(x, repeats)", True)
_op("repeat", "(x, repeats, axis=None)", "np.repeat(x, repeats, axis)", True)
_op("pad", "(x, pad_width, mode='constant', constant_values=0)", "np.pad(x, pad_width, mode); modes 'constant', 'reflect', 'symmetric'", True)
_op("broadcast_to", "(x, shape)", "np.broadcast_to(x, shape)", True)
_op("flip", "(x, axis=None)", "np.flip(x, axis)", True)

_section("indexing")
_op("get_item", "(x, key)", "x[key]: ints, slices, None, Ellipsis and integer or boolean arrays", True)
_op("slice", "(x, start_indices, shape)", "x[tuple(slice(s, s + n) for s, n in zip(start_indices, shape))]", True)
_op("take", "(x, indices, axis=None)", "np.take(x, indices, axis)", True)
_op("take_along_axis", "(x, indices, axis=None)", "np.take_along_axis(x, indices, axis)", True)
_op("one_hot", "(x, num_classes, axis=-1, dtype=None)", "np.eye(num_classes)[x], the new axis at `axis`", False)

_section("nn")
_op("conv", "(inputs, kernel, strides=1, padding='valid', data_format='channels_last', dilation_rate=1)",
    "N-d cross-correlation (1, 2 or 3 spatial dims) as keras.ops.conv; padding 'valid' or 'same'", True)
_op("depthwise_conv", "(inputs, kernel, strides=1, padding='valid', data_format='channels_last', dilation_rate=1)",
    "each input channel convolved with its own `multiplier` filters, as keras.ops.depthwise_conv", True)
_op("conv_transpose", "(inputs, kernel, strides=1, padding='valid', output_padding=None, data_format='channels_last', dilation_rate=1)",
    "the gradient of conv with respect to its input, as keras.ops.conv_transpose", True)
_op("max_pool", "(inputs, pool_size, strides=None, padding='valid', data_format='channels_last')",
    "max over each window (strides default to pool_size), as keras.ops.max_pool", True)
_op("average_pool", "(inputs, pool_size, strides=None, padding='valid', data_format='channels_last')",
    "mean over each window, 'same' padding averaging only real elements, as keras.ops.average_pool", True)
_op("moments", "(x, axes, keepdims=False)", "(np.mean(x, axes), np.var(x, axes))", True)

_section("random")
_op("random_normal", "(shape, mean=0.0, stddev=1.0, dtype=None, seed=None)", "normal samples", False)
_op("random_uniform", "(shape, minval=0.0, maxval=1.0, dtype=None, seed=None)", "uniform samples in [minval, maxval)", False)
_op("truncated_normal", "(shape, mean=0.0, stddev=1.0, dtype=None, seed=None)",
    "normal samples redrawn until within two standard deviations of the mean", False)
_op("randint", "(shape, minval, maxval, dtype='int32', seed=None)", "integer samples in [minval, maxval)", False)
_op("dropout", "(inputs, rate, noise_shape=None, seed=None)",
    "inputs * mask / (1 - rate), mask ~ Bernoulli(1 - rate) broadcast from noise_shape", True)

OP_NAMES: frozenset[str] = frozenset(op.name for op in OPS)
BY_NAME: dict[str, Op] = {op.name: op for op in OPS}


# ---------------------------------------------------------------------------
# What a backend provides besides ops.

BACKEND_API: dict[str, str] = {
    "variable": "(value, dtype, trainable) -> native storage for a plugnet.Variable, on the current device",
    "assign": "(storage, value) -> storage holding `value` (a tensor, an array, or a Python number for a "
    "scalar storage) cast to its dtype, recording nothing (in place where the framework allows)",
    "assign_add": "(storage, delta) -> storage + delta, as assign (optional: assign of add)",
    "assign_sub": "(storage, delta) -> storage - delta, as assign (optional: assign of subtract)",
    "set_trainable": "(storage, trainable) -> storage whose gradients are tracked or not (optional: unchanged)",
    "Tape": "class (persistent, watch_accessed_variables): __enter__/__exit__, watch(x), "
    "gradient(targets, sources, output_gradients) -> list (None for unconnected sources), "
    "stop_recording() context manager, reset()",
    "no_recording": "() -> context manager in which ops build no gradient record "
    "(optional: nothing to do; torch: torch.no_grad)",
    "compile_step": "(fn, jit_compile) -> callable running fn compiled (optional: fn itself; "
    "TensorFlow: tf.function)",
    "graph_steps": "bool: compile_step traces steps into a graph where Python side effects run once "
    "(TensorFlow); the trainer then keeps all step state in Variables (optional: False)",
    "replay_steps": "bool: steps may be recorded once and replayed (plugnet.training.replay), which needs "
    "assign, assign_add and assign_sub to write Variables in place; for eager backends (NumPy, torch), "
    "optional: False",
    "devices": "() -> list of device names the backend sees, e.g. ['cpu', 'gpu:0']",
    "device_scope": "(name) -> context manager placing new tensors and variables on device `name` "
    "('cpu', 'gpu:0', ...); optional: only 'cpu' is accepted",
    "set_seed": "(seed) -> None: seed the framework's own generators (optional)",
    "sgd_update": "(variables, grads, velocities, learning_rate, momentum, nesterov) -> None: Keras's SGD step "
    "on lists of storages, in place, recording nothing: without momentum (velocities None) "
    "variable -= lr * grad; else velocity = momentum * velocity - lr * grad, then variable += velocity "
    "(nesterov: variable += momentum * velocity - lr * grad). learning_rate is a number or a scalar tensor "
    "(optional: the frontend's per-variable ops; called inside no_recording())",
    "adam_update": "(variables, grads, ms, vs, alpha, beta_1, beta_2, epsilon) -> None: Keras's Adam step on "
    "lists of storages, in place, recording nothing: m += (1 - beta_1) * (grad - m); "
    "v += (1 - beta_2) * (grad ** 2 - v); variable -= alpha * m / (sqrt(v) + epsilon), where alpha, the "
    "bias-corrected rate, is a number or a scalar tensor (optional: the frontend's per-variable ops; "
    "called inside no_recording())",
}


@dataclass
class Backend:
    """A loaded backend: what ``plugnet.ops`` dispatches to, and what Variables,
    GradientTape, devices and the trainer use.

    ``ops`` holds one function per op of the contract. ``recording_ops``, when
    not None, is used instead of ``ops`` while a GradientTape records (the
    NumPy backend's tape records only there, so no op pays for taping outside
    a tape). ``missing`` lists the contract ops the backend does not provide.
    The other fields are the :data:`BACKEND_API`.
    """

    name: str
    ops: types.SimpleNamespace
    recording_ops: types.SimpleNamespace | None
    variable: object
    assign: object
    assign_add: object
    assign_sub: object
    set_trainable: object
    Tape: type
    no_recording: object
    compile_step: object
    graph_steps: bool
    devices: object
    device_scope: object
    set_seed: object
    sgd_update: object = None
    adam_update: object = None
    replay_steps: bool = False
    missing: tuple[str, ...] = ()
    extras: dict = field(default_factory=dict)

    def __deepcopy__(self, memo):
        return self  # one loaded backend per process: copies of models share it

    def __copy__(self):
        return self


def _missing_op(backend_name: str, op_name: str):
    def missing(*args, **kwargs):
        raise NotImplementedError(
            f"The {backend_name!r} backend does not implement the op {op_name!r} "
            f"(plugnet.ops.{op_name}). Use another backend for this model, or ask "
            f"the backend's authors to add it (see docs/writing-a-backend.md)."
        )

    missing.__name__ = op_name
    return missing


def _composed_dense(table: dict):
    matmul, add = table["matmul"], table["add"]

    def dense(x, kernel, bias=None):
        out = matmul(x, kernel)
        return out if bias is None else add(out, bias)

    return dense


COMPOSED = {"dense": _composed_dense}
"""Ops a backend may leave out: ``assemble`` composes them from the backend's other ops (a
backend with a fused kernel provides its own). Each maker takes an op table and returns the op."""


def find_ops(modules) -> dict:
    """Collect, from ``modules`` in order, the public function for every contract op."""
    found = {}
    for module in modules:
        for name in OP_NAMES:
            fn = getattr(module, name, None)
            if fn is not None and name not in found:
                found[name] = fn
    return found


def _cpu_only(backend_name: str):
    @contextlib.contextmanager
    def device_scope(name):
        if name != "cpu":
            raise ValueError(f"The {backend_name!r} backend runs on the CPU only; it has no device {name!r}.")
        yield

    return device_scope


def assemble(name: str, ops: dict, *, variable, assign, Tape, devices, assign_add=None, assign_sub=None,
             set_trainable=None, no_recording=None, compile_step=None, graph_steps=False, device_scope=None,
             set_seed=None, recording_ops=None, sgd_update=None, adam_update=None, replay_steps=False,
             **extras) -> Backend:
    """Build a :class:`Backend` from a mapping ``op name -> function`` and the :data:`BACKEND_API`.

    Every contract op that ``ops`` lacks is filled with a function raising a
    clear ``NotImplementedError`` and listed in ``Backend.missing``, except the
    :data:`COMPOSED` ops, which are built from the others. Optional parts of the
    API get the defaults :data:`BACKEND_API` states.
    """
    table = dict(ops)
    composed = [op_name for op_name in COMPOSED if op_name not in table]
    missing = tuple(sorted(OP_NAMES - table.keys() - set(composed)))
    for op_name in missing:
        table[op_name] = _missing_op(name, op_name)
    for op_name in composed:
        table[op_name] = COMPOSED[op_name](table)
    recording = None
    if recording_ops is not None:
        recording = dict(table)
        recording.update(recording_ops)
        for op_name in composed:
            if op_name not in recording_ops:  # composed of the recording ops, so that it records
                recording[op_name] = COMPOSED[op_name](recording)
        recording = types.SimpleNamespace(**recording)
    return Backend(
        name=name,
        ops=types.SimpleNamespace(**table),
        recording_ops=recording,
        variable=variable,
        assign=assign,
        assign_add=assign_add or (lambda storage, delta: assign(storage, table["add"](storage, delta))),
        assign_sub=assign_sub or (lambda storage, delta: assign(storage, table["subtract"](storage, delta))),
        set_trainable=set_trainable or (lambda storage, trainable: storage),
        Tape=Tape,
        no_recording=no_recording or contextlib.nullcontext,
        compile_step=compile_step or (lambda fn, jit_compile=None: fn),
        graph_steps=bool(graph_steps),
        devices=devices,
        device_scope=device_scope or _cpu_only(name),
        set_seed=set_seed or (lambda seed: None),
        sgd_update=sgd_update,
        adam_update=adam_update,
        replay_steps=bool(replay_steps) and not graph_steps,
        missing=missing,
        extras=extras,
    )


def markdown() -> str:
    """The contract as a Markdown table (``docs/ops.md`` is this text)."""
    lines = [
        "# The op contract",
        "",
        "Generated from `plugins/contract.py` by `python -m plugnet.plugins ops-markdown`; do not edit by hand.",
        "Every backend provides these functions; `plugnet.ops` exposes them with these signatures.",
        "",
    ]
    category = None
    for op in OPS:
        if op.category != category:
            category = op.category
            lines += ["", f"## {category}", "", "| op | signature | meaning (NumPy terms) | gradient |", "|---|---|---|---|"]
        meaning = op.meaning.replace("|", "\\|")
        lines.append(f"| `{op.name}` | `{op.signature}` | {meaning} | {'yes' if op.differentiable else 'no'} |")
    lines += ["", "## Besides the ops", "", "| name | what |", "|---|---|"]
    lines += [f"| `{name}` | {text} |" for name, text in BACKEND_API.items()]
    return "\n".join(lines) + "\n"

