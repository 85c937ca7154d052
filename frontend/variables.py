"""``plugnet.Variable``: a named, assignable, possibly trainable value.

Its storage is the active backend's own (an ndarray, a torch tensor with
``requires_grad``, a ``tf.Variable``), so ``variable.value`` can be handed to
framework code. A Variable is usable wherever a tensor is: in ``plugnet.ops``,
with Python operators, and with NumPy (``np.asarray(v)``).
"""

from __future__ import annotations

import itertools

import numpy as np

from plugnet import backend as _backend
from plugnet import ops
from plugnet.dtypes import standardize_dtype
from plugnet.operators import TensorOperators

_uid = itertools.count()


class Variable(TensorOperators):
    """A value that layers and optimizers update in place.

    Args:
        initializer: an array-like initial value, or a callable
            ``initializer(shape, dtype)`` (then ``shape`` is required).
        shape: the shape, when ``initializer`` is a callable.
        dtype: a dtype name; defaults to the initial value's floating dtype,
            else ``"float32"``.
        trainable: whether ``GradientTape`` watches it and optimizers train it.
        name: a readable name, unique names are not required.

    Example:
        >>> v = plugnet.Variable(np.zeros(3), name="bias")
        >>> v.assign_add(np.ones(3))
        >>> v.numpy()
        array([1., 1., 1.], dtype=float32)
    """

    # Set by Layer.add_weight; read by optimizers (constraint) and saving (path).
    regularizer = None
    constraint = None
    path = None

    def __init__(self, initializer, shape=None, dtype=None, trainable=True, name=None):
        if callable(initializer):
            if shape is None:
                raise ValueError(f"Variable {name!r}: a callable initializer needs `shape`.")
            value = initializer(tuple(shape), standardize_dtype(dtype) if dtype else "float32")
        else:
            value = initializer
        if dtype is None:
            dtype = _default_dtype(ops.dtype(value) if ops.is_tensor(value) else np.asarray(value).dtype)
        self._dtype = standardize_dtype(dtype)
        self._backend = _backend.active()
        self._value = self._backend.variable(value, self._dtype, bool(trainable))
        self._trainable = bool(trainable)
        self._shape = tuple(ops.shape(self._value))
        self.name = name or f"variable_{next(_uid)}"
        if shape is not None and self._shape != tuple(shape):
            raise ValueError(
                f"Variable {self.name!r}: the initial value has shape {tuple(self.shape)}, expected {tuple(shape)}."
            )

    # -- reading ------------------------------------------------------------

    @property
    def value(self):
        """The backend's native storage."""
        return self._value

    @property
    def shape(self) -> tuple:
        return self._shape

    @property
    def dtype(self) -> str:
        return self._dtype

    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        from plugnet.layers import tracking

        self._trainable = bool(value)
        self._value = self._backend.set_trainable(self._value, self._trainable)
        tracking.bump()  # what a step trains changed: replayed steps record again

    def numpy(self) -> np.ndarray:
        """A copy of the value as a NumPy array (changing it leaves the variable alone)."""
        return np.array(ops.convert_to_numpy(self._value))

    def __array__(self, dtype=None, copy=None):
        value = self._value
        # NumPy functions meet Variables on every op of the NumPy backend: hand them the storage.
        array = value if type(value) is np.ndarray else np.asarray(ops.convert_to_numpy(value))
        if copy:
            array = array.copy()
        return array if dtype is None else array.astype(dtype, copy=False)

    def __repr__(self) -> str:
        return f"<Variable {self.name!r} shape={self.shape} dtype={self.dtype} trainable={self.trainable}>"

    # -- writing ------------------------------------------------------------

    def assign(self, value):
        """Replace the value (same shape; cast to the variable's dtype); returns the variable."""
        self._value = self._backend.assign(self._value, self._checked(value, "assign"))
        return self

    def assign_add(self, delta):
        """Add ``delta`` in place (where the backend allows); returns the variable."""
        self._value = self._backend.assign_add(self._value, self._checked(delta, "assign_add"))
        return self

    def assign_sub(self, delta):
        """Subtract ``delta`` in place (where the backend allows); returns the variable."""
        self._value = self._backend.assign_sub(self._value, self._checked(delta, "assign_sub"))
        return self

    def _checked(self, value, what):
        if not self._shape and type(value) in (int, float):
            return value  # a step counter's 1: backends take Python numbers as they are
        shape = getattr(value, "shape", None)
        if shape is None:
            value = ops.convert_to_tensor(value, self._dtype)
            shape = ops.shape(value)
        if tuple(shape) != self._shape:
            raise ValueError(
                f"Variable {self.name!r}: cannot {what} a value of shape {tuple(shape)} "
                f"to a variable of shape {self._shape}."
            )
        return value

    __hash__ = object.__hash__


def _default_dtype(dtype) -> str:
    """Keras's rule: floating values make float32 variables; others keep their dtype."""
    name = standardize_dtype(dtype)
    return "float32" if name.startswith(("float", "bfloat")) else name
