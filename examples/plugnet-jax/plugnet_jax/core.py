"""Conversion, creation, dtypes, variables and devices for the JAX backend.

Ops take JAX arrays, recorded :class:`~plugnet_jax.autograd.Tensor` wrappers,
NumPy arrays, Python data or plugnet Variables, and return JAX arrays.
:func:`tensor` is the one conversion, fast-pathed for JAX arrays. Host data
follows Keras's choices: Python floats become float32, Python ints int32;
NumPy arrays keep their dtype (float64 and int64 included, see
:mod:`plugnet_jax.backend` for how JAX is told to honour them).

New tensors (creation ops, random ops, host data) and Variables go to the
device of the innermost :func:`device_scope`.
"""

from __future__ import annotations

import contextlib

import jax
import jax.numpy as jnp
import numpy as np

from plugnet.dtypes import standardize_dtype
from plugnet.plugins.host_data import host_array
from plugnet.variables import Variable

from .autograd import Tensor
from .storage import Storage

Array = type(jnp.zeros(()))
"""The concrete class of JAX's arrays, for the fast path (tracers are ``jax.Array`` too)."""
NUMBERS = (int, float, bool)
"""Python scalars: JAX keeps them "weak" (a float32 array times 2.0 stays float32)."""


# -- dtypes --------------------------------------------------------------------

_BY_KEY: dict = {}


def jax_dtype(dtype, default: str = "float32"):
    """The JAX (NumPy) dtype for a dtype name or any dtype-like; ``default`` for None. Cached."""
    if dtype is None:
        dtype = default
    try:
        return _BY_KEY[dtype]
    except (KeyError, TypeError):
        pass
    result = jnp.dtype(standardize_dtype(dtype))
    try:
        _BY_KEY[dtype] = result
    except TypeError:
        pass
    return result


def floating(x):
    """``x`` itself if of a float type, else as float32 (activations and means of integers)."""
    return x if jnp.issubdtype(x.dtype, jnp.inexact) else x.astype(jnp.float32)


# -- conversion ------------------------------------------------------------------

_FOREIGN = {"torch": "torch", "tensorflow": "tensorflow", "keras": "tensorflow", "mlx": "mlx"}


def _refuse_foreign(x) -> None:
    """A clear error for another framework's tensor (told apart by module name, never imported)."""
    framework = _FOREIGN.get(type(x).__module__.partition(".")[0])
    if framework is not None:
        raise TypeError(
            f"The 'jax' backend got a {framework} {type(x).__name__}: plugnet is using the 'jax' backend; "
            f"convert it with .numpy() first, or switch backends with plugnet.set_backend({framework!r})."
        )


def _holds_tensors(items) -> bool:
    return any(isinstance(i, (jax.Array, Tensor, Variable, Storage))
               or (isinstance(i, (list, tuple)) and _holds_tensors(i)) for i in items)


def _host(x, dtype=None) -> np.ndarray:
    """Host data (not a tensor) as a NumPy array, in ``dtype`` when given, else in its natural dtype."""
    _refuse_foreign(x)
    return host_array("jax", x, dtype)


def _convert(x, dtype=None):
    """Anything tensor-like as a JAX array, in ``dtype`` (a JAX dtype) when given."""
    kind = type(x)
    if kind is Tensor:
        t = x._value
    elif isinstance(x, jax.Array):
        t = x
    elif kind is Variable or isinstance(x, Variable):
        t = x._value.value
    elif kind is Storage:
        t = x.value
    elif kind in (list, tuple) and _holds_tensors(x):
        t = jnp.stack([_convert(i) for i in x])
    else:
        array = _host(x, dtype)
        if array is x:
            # On the CPU, JAX may alias a NumPy buffer rather than copy it, and the caller can still
            # change theirs under an array that JAX takes to be immutable: hand JAX a private copy.
            array = array.copy()
        # The dtype is given explicitly: JAX would otherwise turn float64 host data into float32.
        return jnp.asarray(array, dtype=array.dtype)
    if dtype is not None and t.dtype != dtype:
        t = t.astype(dtype)
    return t


def tensor(x):
    """``x`` as a JAX array: itself, a Tensor's or Variable's array, or host data converted."""
    if type(x) is Array:
        return x
    return _convert(x)


def operand(x):
    """``x`` for a binary op: a Python number stays one (JAX keeps it weak), anything else a JAX array."""
    if type(x) is Array or type(x) in NUMBERS:
        return x
    return _convert(x)


_WIDE = (jnp.dtype("float64"), jnp.dtype("complex128"))


def exact(value, like):
    """A Python float meeting the array ``like``: itself, or, when ``like`` is 64-bit, an array of
    its dtype. With x64 off JAX rounds Python floats to 32 bits before they meet a float64 array."""
    if type(value) is float and getattr(like, "dtype", None) in _WIDE:
        return jnp.asarray(np.asarray(value, like.dtype), dtype=like.dtype)
    return value


def operands(x1, x2):
    """Both arguments of a binary op, as :func:`operand`, with a Python float kept exact next to float64."""
    x1, x2 = operand(x1), operand(x2)
    if type(x2) is float:
        return x1, exact(x2, x1)
    if type(x1) is float:
        return exact(x1, x2), x2
    return x1, x2


def number(x):
    """A Python number from a number, a 0-d array or a 0-d tensor."""
    if isinstance(x, (jax.Array, np.ndarray, np.generic, Tensor)):
        return np.asarray(x).item()
    return x


def host_ints(value) -> tuple | int:
    """A shape, repeats or indices argument (ints, sequences, arrays or tensors) as an int or a tuple of ints."""
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (jax.Array, np.ndarray, Tensor)):
        value = np.asarray(value).tolist()
        if isinstance(value, int):
            return value
    return tuple(int(number(v)) for v in value)


def as_shape(shape) -> tuple:
    """A shape argument as a tuple of ints."""
    shape = host_ints(shape)
    return (shape,) if isinstance(shape, int) else shape


def pad_constant(x, widths, value):
    """``x`` with ``widths[axis] = (before, after)`` elements of ``value`` added along each axis.

    Built from concatenations rather than ``lax.pad``: JAX transposes ``lax.pad``
    with a 32-bit zero, which breaks gradients of float64 arrays while x64 is off.
    """
    for axis, (before, after) in enumerate(widths):
        if before or after:
            parts = [x]
            if before:
                parts.insert(0, jnp.full(x.shape[:axis] + (before,) + x.shape[axis + 1:], value, x.dtype))
            if after:
                parts.append(jnp.full(x.shape[:axis] + (after,) + x.shape[axis + 1:], value, x.dtype))
            x = jnp.concatenate(parts, axis=axis)
    return x


def convert_to_tensor(x, dtype=None):
    if dtype is None:
        return tensor(x)
    return _convert(x, jax_dtype(dtype))


def convert_to_numpy(x):
    x = tensor(x)
    try:
        array = np.asarray(x)
    except jax.errors.TracerArrayConversionError:
        raise TypeError(
            "The 'jax' backend cannot read a value on the host inside a jit-compiled step "
            "(compile(jit_compile=True)): its value is known only when the step runs. Compute it with "
            "plugnet.ops inside the step, or compile with run_eagerly=True."
        ) from None
    # JAX hands out read-only views of its buffers; NumPy users expect an array of their own.
    return array if array.flags.writeable else array.copy()


def is_tensor(x):
    return isinstance(x, (jax.Array, Tensor, Storage))


def shape(x):
    if isinstance(x, (jax.Array, Tensor, Storage)):
        return tuple(x.shape)
    if isinstance(x, Variable):
        return tuple(x.value.shape)
    return tuple(np.shape(x))


def ndim(x):
    return len(shape(x))


def size(x):
    return int(np.prod(shape(x), dtype=np.int64))


def dtype(x):
    return standardize_dtype(tensor(x).dtype)


def cast(x, dtype):
    x = tensor(x)
    dt = jax_dtype(dtype)
    return x if x.dtype == dt else x.astype(dt)


def stop_gradient(x):
    return jax.lax.stop_gradient(tensor(x))


# -- creation ------------------------------------------------------------------


def zeros(shape, dtype=None):
    return jnp.zeros(as_shape(shape), jax_dtype(dtype))


def ones(shape, dtype=None):
    return jnp.ones(as_shape(shape), jax_dtype(dtype))


def _fill(fill_value):
    return fill_value if type(fill_value) in NUMBERS else tensor(fill_value)


def full(shape, fill_value, dtype=None):
    return jnp.full(as_shape(shape), _fill(fill_value), jax_dtype(dtype))


def zeros_like(x, dtype=None):
    return jnp.zeros_like(tensor(x), None if dtype is None else jax_dtype(dtype))


def ones_like(x, dtype=None):
    return jnp.ones_like(tensor(x), None if dtype is None else jax_dtype(dtype))


def full_like(x, fill_value, dtype=None):
    return jnp.full_like(tensor(x), _fill(fill_value), None if dtype is None else jax_dtype(dtype))


def arange(start, stop=None, step=1, dtype=None):
    start, stop, step = number(start), number(stop), number(step)
    if dtype is None:
        is_int = all(isinstance(v, (int, np.integer)) for v in (start, stop, step) if v is not None)
        dtype = "int32" if is_int else "float32"
    if stop is None:
        start, stop = 0, start
    return jnp.arange(start, stop, step, dtype=jax_dtype(dtype))


def linspace(start, stop, num=50, dtype=None):
    dt = jax_dtype(dtype)
    start, stop = number(start), number(stop)
    if dt in _WIDE:
        # Computed on the host: JAX would round start and stop to 32 bits first.
        return jnp.asarray(np.linspace(start, stop, int(num), dtype=dt), dtype=dt)
    if jnp.issubdtype(dt, jnp.inexact):
        return jnp.linspace(start, stop, int(num), dtype=dt)
    # As NumPy: computed in floating point, then floored into the integer type.
    return jnp.floor(jnp.linspace(start, stop, int(num), dtype=jnp.float32)).astype(dt)


def eye(N, M=None, k=0, dtype=None):
    return jnp.eye(int(N), None if M is None else int(M), int(k), dtype=jax_dtype(dtype))


# -- variables -------------------------------------------------------------------


def variable(value, dtype, trainable):
    """A Variable's storage: a :class:`Storage` holding the value on the current device."""
    array = _convert(value, jax_dtype(dtype))
    device = placement.device
    if device is not None and isinstance(array, Array):
        array = jax.device_put(array, device)
    return Storage(array)


def _cast_like(storage: Storage, value):
    """``value`` as an array of the storage's dtype (as NumPy's unsafe casting into the storage)."""
    current = storage.value
    value = _convert(value, current.dtype)
    if value.shape != current.shape:
        value = jnp.broadcast_to(value, current.shape)
    return current, value


def assign(storage, value):
    """Put a new array in the storage (JAX arrays are immutable); records nothing."""
    _, value = _cast_like(storage, _plain_value(value))
    storage.value = value
    return storage


def assign_add(storage, delta):
    current, delta = _cast_like(storage, _plain_value(delta))
    storage.value = (current + delta).astype(current.dtype)
    return storage


def assign_sub(storage, delta):
    current, delta = _cast_like(storage, _plain_value(delta))
    storage.value = (current - delta).astype(current.dtype)
    return storage


def _plain_value(x):
    """A Tensor's or Variable's array, other values unchanged (assignments record nothing)."""
    if type(x) is Tensor:
        return x._value
    if isinstance(x, Variable):
        return x._value.value
    return x


# -- devices and seeds -----------------------------------------------------------------


class _Placement:
    """Where new arrays go: the device of the innermost :func:`device_scope` (None: JAX's default)."""

    __slots__ = ("device",)

    def __init__(self):
        self.device = None


placement = _Placement()


def _gpus() -> list:
    try:
        return jax.devices("gpu")
    except RuntimeError:  # JAX raises when no GPU platform is installed
        return []


def devices():
    return ["cpu"] + [f"gpu:{i}" for i in range(len(_gpus()))]


def _jax_device(name: str):
    if name == "cpu":
        return jax.devices("cpu")[0]
    kind, _, index = name.partition(":")
    gpus = _gpus()
    if kind == "gpu" and index.isdigit() and int(index) < len(gpus):
        return gpus[int(index)]
    seen = "JAX sees no GPU" if not gpus else f"JAX sees {len(gpus)} GPU(s)"
    raise ValueError(f"The 'jax' backend has no device {name!r} ({seen}).")


@contextlib.contextmanager
def device_scope(name):
    """Place new arrays and Variables on ``name`` ('cpu' or 'gpu:N') inside the block."""
    device = _jax_device(name)
    previous = placement.device
    placement.device = device
    try:
        with jax.default_device(device):
            yield
    finally:
        placement.device = previous
