"""Conversion, dtypes, creation, variables and devices for the TensorFlow backend.

Every op starts with :func:`tensor` (one argument) or :func:`pair` (the two
operands of an elementwise op): ``tf.Tensor`` inputs pass straight through,
a plugnet Variable passes its ``tf.Variable`` (which TensorFlow's ops read and
record on tapes), and everything else (NumPy arrays, Python data) is converted
with plugnet's dtype rules: Python floats become float32 and Python ints
int32, NumPy arrays keep their dtype. Mixed dtypes promote as Keras 3 does
(an int with a float gives the float; wider wins), and a Python scalar next to
a tensor takes the tensor's dtype ("weak" scalars, so ``x * 2.0`` stays
float32).

Ops never call ``.numpy()`` (except :func:`convert_to_numpy`), so each one also
works inside ``tf.function``, where shapes may have unknown (None) dims.
"""

from __future__ import annotations

import contextlib
import functools
import os

import numpy as np
import tensorflow as tf
from tensorflow.python.eager.context import executing_eagerly as _executing_eagerly
from tensorflow.python.framework.ops import EagerTensor
from tensorflow.python.ops import gen_array_ops

from plugnet.dtypes import standardize_dtype
from plugnet.plugins.host_data import natural_array
from plugnet.variables import Variable

try:  # the graph-mode tensor type (TF >= 2.14); older versions use tf.Tensor itself
    from tensorflow.python.framework.ops import SymbolicTensor
except ImportError:  # pragma: no cover
    SymbolicTensor = tf.Tensor

NATIVE = frozenset({EagerTensor, SymbolicTensor})
"""The exact types of TensorFlow's tensors, for identity checks on the hot path."""

FLOATS = frozenset({tf.float16, tf.bfloat16, tf.float32, tf.float64})
INTEGERS = frozenset({tf.int8, tf.int16, tf.int32, tf.int64, tf.uint8, tf.uint16, tf.uint32, tf.uint64})
float32, int32, int64, bool_ = tf.float32, tf.int32, tf.int64, tf.bool

_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1


@functools.lru_cache(maxsize=None)
def _tf_dtype(name: str) -> tf.DType:
    return tf.as_dtype(name)


def tf_dtype(dtype, default: tf.DType = float32) -> tf.DType:
    """The ``tf.DType`` for any dtype spelling (a name, NumPy or TF dtype); ``default`` for None."""
    if dtype is None:
        return default
    if isinstance(dtype, tf.DType):
        return dtype
    return _tf_dtype(standardize_dtype(dtype))


# -- conversion -------------------------------------------------------------------

_FOREIGN = {"torch": "torch", "jax": "jax", "jaxlib": "jax", "mlx": "mlx", "cupy": "cupy"}


def _foreign_error(x) -> TypeError:
    framework = _FOREIGN[type(x).__module__.split(".")[0]]
    source = ("the PLUGNET_BACKEND environment variable" if os.environ.get("PLUGNET_BACKEND") == "tensorflow"
              else "plugnet.set_backend()")
    return TypeError(
        f"The 'tensorflow' backend got a {framework} {type(x).__name__}: plugnet is using the 'tensorflow' "
        f"backend (set by {source}); convert it with .numpy() or switch backends with "
        f"plugnet.set_backend({framework!r})."
    )


def _python_scalar_dtype(x) -> tf.DType | None:
    if isinstance(x, bool):
        return bool_
    if isinstance(x, int):
        return int32 if _INT32_MIN <= x <= _INT32_MAX else int64
    if isinstance(x, float):
        return float32
    return None


def _host_array(x) -> np.ndarray:
    """Python data as an ndarray with plugnet's natural dtype (float32 for floats, int32 for ints)."""
    array = natural_array(x)
    if array.dtype.kind in "OUS":
        raise TypeError(f"The 'tensorflow' backend cannot convert {type(x).__name__} data of dtype {array.dtype} "
                        f"to a tensor.")
    return array


def _holds_tensors(items) -> bool:
    return any(type(i) in NATIVE or isinstance(i, (tf.Tensor, tf.Variable, Variable))
               or (isinstance(i, (list, tuple)) and _holds_tensors(i)) for i in items)


def _convert(x):
    """The slow path of :func:`tensor`: anything but a tf.Tensor or a plugnet Variable."""
    if isinstance(x, (tf.Tensor, tf.Variable)):
        return x
    if isinstance(x, Variable):
        return x._value
    if isinstance(x, (np.ndarray, np.generic)):
        if x.dtype.kind in "OUS":
            raise TypeError(f"The 'tensorflow' backend cannot convert an array of dtype {x.dtype} to a tensor.")
        return tf.constant(x)
    dtype = _python_scalar_dtype(x)
    if dtype is not None:
        return tf.constant(x, dtype)
    if isinstance(x, (list, tuple)):
        if _holds_tensors(x):
            return stack_promoted([tensor(i) for i in x])
        return tf.constant(_host_array(x))
    if type(x).__module__.split(".")[0] in _FOREIGN:
        raise _foreign_error(x)
    if hasattr(x, "__array__"):  # array-likes (another backend's plugnet tensor, pandas) are host data
        return tf.constant(_host_array(x))
    try:
        return tf.convert_to_tensor(x)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"The 'tensorflow' backend cannot convert a {type(x).__name__} to a tensor: {exc}") from None


def tensor(x):
    """``x`` as an operand of TensorFlow ops: a tf.Tensor, or a tf.Variable (a plugnet Variable's
    storage), which TensorFlow's op functions read in C++ (and record on tapes) for far less than
    ``variable.value()`` costs. Results that may be an input itself go through :func:`read`."""
    kind = type(x)
    if kind in NATIVE:
        return x
    if kind is Variable:
        return x._value
    return _convert(x)


def read(x) -> tf.Tensor:
    """``x`` as a tf.Tensor, never a Variable (for ops whose result may be their input)."""
    x = tensor(x)
    return x if type(x) in NATIVE or not isinstance(x, tf.Variable) else gen_array_ops.identity(x)


def _read_variable(value, dtype=None, name=None, as_ref=False):
    current = value._value.value()
    if dtype is not None and not dtype.is_compatible_with(current.dtype):
        return NotImplemented
    return current


# TensorFlow's own operators and functions (`tensor * variable`, `tf.matmul(x, variable)`) read a
# plugnet Variable as they read a tf.Variable, so the tape sees the read; without this they would
# convert it through NumPy (__array__) into a constant and its gradient would be silently lost.
tf.register_tensor_conversion_function(Variable, _read_variable)


def cast(x, dtype):
    x = tensor(x)
    dtype = tf_dtype(dtype)
    return read(x) if x.dtype is dtype else tf.cast(x, dtype)


# -- promotion ----------------------------------------------------------------------


@functools.lru_cache(maxsize=None)
def result_dtype(a: tf.DType, b: tf.DType) -> tf.DType:
    """Keras 3's promotion of two tensor dtypes: bool < ints < floats, the wider type winning,
    and an integer next to a float taking the float's type."""
    if a is b:
        return a
    if a is bool_:
        return b
    if b is bool_:
        return a
    a_float, b_float = a in FLOATS, b in FLOATS
    if a_float != b_float:
        return a if a_float else b
    if {a, b} == {tf.float16, tf.bfloat16}:
        return float32
    return tf.as_dtype(np.result_type(a.as_numpy_dtype, b.as_numpy_dtype))


def _weak_scalar(value, dtype: tf.DType) -> tf.DType:
    """The dtype an op must compute in when a tensor of ``dtype`` meets the Python scalar ``value``."""
    if isinstance(value, bool):
        return dtype
    if isinstance(value, float) and dtype not in FLOATS:
        return float32
    if isinstance(value, int) and dtype is bool_:
        return int32
    return dtype


def _scalar_value(value, dtype: tf.DType):
    """A Python scalar in the Python type matching ``dtype`` (TF refuses True for a float, 2.0 for an int)."""
    if dtype is bool_:
        return bool(value)
    return float(value) if dtype in FLOATS else int(value)


def _is_scalar(x) -> bool:
    kind = type(x)
    return kind is float or kind is int or kind is bool


def pair(x1, x2):
    """The operands of a binary elementwise op as two tensors of one dtype (or a tensor and a Python scalar)."""
    k1, k2 = type(x1), type(x2)
    if k1 in NATIVE and k2 in NATIVE:
        if x1.dtype is x2.dtype:
            return x1, x2
        return promote(x1, x2)
    if _is_scalar(x2):
        x1 = tensor(x1)
        dtype = _weak_scalar(x2, x1.dtype)
        return (x1 if dtype is x1.dtype else tf.cast(x1, dtype)), _scalar_value(x2, dtype)
    if _is_scalar(x1):
        x2 = tensor(x2)
        dtype = _weak_scalar(x1, x2.dtype)
        x2 = x2 if dtype is x2.dtype else tf.cast(x2, dtype)
        x1 = _scalar_value(x1, dtype)
        # Eager ops match a leading Python scalar to the tensor after it; a graph op takes its
        # dtype from its first input, so there the scalar must become a tensor of the right dtype.
        return (x1 if _executing_eagerly() else tf.constant(x1, dtype)), x2
    return promote(tensor(x1), tensor(x2))


def promote(*xs):
    """Tensors cast to their common dtype (a list)."""
    dtype = xs[0].dtype
    for x in xs[1:]:
        dtype = result_dtype(dtype, x.dtype)
    return [x if x.dtype is dtype else tf.cast(x, dtype) for x in xs]


def promoted(xs) -> list:
    """A sequence of tensor-likes as tensors of their common dtype (Python scalars taking it)."""
    tensors = [None if _is_scalar(x) else tensor(x) for x in xs]
    known = [t for t in tensors if t is not None]
    if not known:
        return promote(*[tensor(x) for x in xs])
    dtype = known[0].dtype
    for t in known[1:]:
        dtype = result_dtype(dtype, t.dtype)
    for x, t in zip(xs, tensors):
        if t is None:
            dtype = _weak_scalar(x, dtype)
    return [tf.constant(_scalar_value(x, dtype), dtype) if t is None else (t if t.dtype is dtype else tf.cast(t, dtype))
            for x, t in zip(xs, tensors)]


def stack_promoted(xs, axis=0):
    return tf.stack(promoted(xs), axis=axis)


def floating(x):
    """``x`` as a floating tensor (integers and bools become float32, as in Keras)."""
    x = tensor(x)
    return x if x.dtype in FLOATS else tf.cast(x, float32)


def static_or_dynamic_shape(x) -> list:
    """``x``'s shape, each dim an int where known, else a scalar tensor (inside tf.function)."""
    static = x.shape.as_list()
    if None not in static:
        return static
    dynamic = tf.shape(x)
    return [dynamic[i] if n is None else n for i, n in enumerate(static)]


# -- the conversion ops ----------------------------------------------------------------


def convert_to_tensor(x, dtype=None):
    if dtype is None:
        return read(x)
    target = tf_dtype(dtype)
    is_host = isinstance(x, (np.ndarray, np.generic, float, int, bool)) or (
        isinstance(x, (list, tuple)) and not _holds_tensors(x))
    if is_host and target.is_numpy_compatible:
        return tf.constant(np.asarray(x, dtype=target.as_numpy_dtype))
    return cast(x, target)


def convert_to_numpy(x):
    if isinstance(x, Variable):
        x = x._value
    if isinstance(x, (tf.Tensor, tf.Variable)):
        if isinstance(x, tf.Tensor) and not isinstance(x, EagerTensor):
            raise RuntimeError(
                f"convert_to_numpy cannot read the symbolic tensor {x!r}: inside a compiled step "
                f"(tf.function) values exist only when the step runs. Return it from the step instead."
            )
        return x.numpy()
    if type(x).__module__.split(".")[0] in _FOREIGN:
        raise _foreign_error(x)
    return np.asarray(x)


def is_tensor(x):
    return type(x) in NATIVE or isinstance(x, (tf.Tensor, tf.Variable))


def shape(x):
    if type(x) in NATIVE or isinstance(x, (tf.Tensor, tf.Variable)):
        return tuple(x.shape)
    if isinstance(x, Variable):
        return x.shape
    return tuple(np.shape(x))


def ndim(x):
    return len(shape(x))


def size(x):
    dims = shape(x)
    if None in dims:
        return tf.size(tensor(x))
    count = 1
    for n in dims:
        count *= n
    return count


def dtype(x):
    if type(x) in NATIVE or isinstance(x, (tf.Tensor, tf.Variable)):
        return standardize_dtype(x.dtype)
    if isinstance(x, Variable):
        return x.dtype
    return standardize_dtype(tensor(x).dtype)


def stop_gradient(x):
    return tf.stop_gradient(tensor(x))


# -- creation -------------------------------------------------------------------------


def zeros(shape, dtype=None):
    return tf.zeros(shape, tf_dtype(dtype))


def ones(shape, dtype=None):
    return tf.ones(shape, tf_dtype(dtype))


def full(shape, fill_value, dtype=None):
    return tf.broadcast_to(cast(fill_value, tf_dtype(dtype)), shape)


def zeros_like(x, dtype=None):
    return tf.zeros_like(tensor(x), None if dtype is None else tf_dtype(dtype))


def ones_like(x, dtype=None):
    return tf.ones_like(tensor(x), None if dtype is None else tf_dtype(dtype))


def full_like(x, fill_value, dtype=None):
    x = tensor(x)
    return tf.broadcast_to(cast(fill_value, x.dtype if dtype is None else tf_dtype(dtype)), tf.shape(x))


def _is_python_number(v) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating))


def arange(start, stop=None, step=1, dtype=None):
    values = (start, stop, step)
    if dtype is None:
        is_int = all(isinstance(v, (int, np.integer)) or (is_tensor(v) and v.dtype.is_integer)
                     for v in values if v is not None)
        dtype = "int32" if is_int else "float32"
    target = tf_dtype(dtype)
    if all(v is None or _is_python_number(v) for v in values):
        # NumPy's count and values (computed in float64), made here once: tf.range in float32 can differ by one.
        return tf.constant(np.arange(start, stop, step, dtype=target.as_numpy_dtype))
    if stop is None:
        start, stop = 0, start
    return tf.range(cast(start, target), cast(stop, target), cast(step, target), dtype=target)


def linspace(start, stop, num=50, dtype=None):
    target = tf_dtype(dtype)
    if _is_python_number(start) and _is_python_number(stop) and _is_python_number(num):
        return tf.constant(np.linspace(start, stop, int(num), dtype=target.as_numpy_dtype))
    return tf.cast(tf.linspace(cast(start, tf.float64), cast(stop, tf.float64), num), target)


def eye(N, M=None, k=0, dtype=None):
    M = N if M is None else M
    diagonal = tf.equal(tf.range(M)[None, :] - tf.range(N)[:, None], k)
    return tf.cast(diagonal, tf_dtype(dtype))


# -- variables -----------------------------------------------------------------------


def variable(value, dtype, trainable):
    """A Variable's storage: a ``tf.Variable`` on the current device."""
    return tf.Variable(cast(value, dtype), trainable=trainable)


def _assignable(storage, value):
    kind = type(value)
    if (kind is int and not storage.dtype.is_bool) or (kind is float and storage.dtype.is_floating):
        return tf.constant(value, storage.dtype)  # a counter's 1, a reset's 0: no cast op
    value = tensor(value)
    return value if value.dtype is storage.dtype else tf.cast(value, storage.dtype)


# The resource ops behind tf.Variable.assign*: the method wraps each in several Python layers
# (shape validation, a read of the new value) that cost a few times the op itself in eager mode,
# where train_on_batch resets the metrics. Shapes are checked by plugnet.Variable beforehand.
_ASSIGN, _ASSIGN_ADD, _ASSIGN_SUB = (tf.raw_ops.AssignVariableOp, tf.raw_ops.AssignAddVariableOp,
                                     tf.raw_ops.AssignSubVariableOp)


def assign(storage, value):
    _ASSIGN(resource=storage.handle, value=_assignable(storage, value))
    return storage


def assign_add(storage, delta):
    _ASSIGN_ADD(resource=storage.handle, value=_assignable(storage, delta))
    return storage


def assign_sub(storage, delta):
    _ASSIGN_SUB(resource=storage.handle, value=_assignable(storage, delta))
    return storage


def set_trainable(storage, trainable):
    """Whether tf.GradientTape watches the variable when read: TensorFlow reads the flag that
    ``tf.Variable(trainable=...)`` sets on every access, so a frozen or unfrozen layer's
    variables keep their identity (compiled steps and optimizer slots still refer to them)."""
    if storage.trainable != trainable:
        storage._trainable = bool(trainable)
    return storage


# -- devices and seeds --------------------------------------------------------------------


def devices():
    names = ["cpu"]
    for device in tf.config.list_logical_devices("GPU"):
        names.append("gpu:" + device.name.rsplit(":", 1)[-1])
    return names


@contextlib.contextmanager
def device_scope(name):
    """Place new tensors and variables on ``name`` ("cpu" or "gpu:N")."""
    if name == "cpu":
        tf_name = "/CPU:0"
    else:
        available = devices()
        if name not in available:
            raise ValueError(f"The 'tensorflow' backend has no device {name!r}: TensorFlow sees {available}.")
        tf_name = "/GPU:" + name.split(":", 1)[1]
    with tf.device(tf_name):
        yield


def set_seed(seed):
    tf.random.set_seed(int(seed))
