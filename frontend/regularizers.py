"""Weight regularizers (``plugnet.regularizers``): penalties added to the loss.

A regularizer is called on a weight and returns a scalar tensor; a layer with
``kernel_regularizer=`` adds it to its ``losses`` and ``fit`` adds those to the
training loss.

    >>> layer = plugnet.layers.Dense(64, kernel_regularizer="l2")   # 0.01 * sum(w**2)
"""

from __future__ import annotations

import math

from plugnet import ops
from plugnet import registry


def _validate_factor(owner: str, name: str, value) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{owner}: `{name}` must be a non-negative float; got {name}={value!r}.") from None
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{owner}: `{name}` must be a non-negative float; got {name}={value!r}.")
    return value


class Regularizer:
    """Base class: subclasses implement ``__call__(x)`` returning a scalar penalty.

    Example:
        >>> class SumOfSquares(Regularizer):
        ...     def __init__(self, factor=0.1):
        ...         self.factor = factor
        ...     def __call__(self, x):
        ...         return self.factor * ops.sum(ops.square(x))
        ...     def get_config(self):
        ...         return {"factor": self.factor}
    """

    def __call__(self, x):
        return ops.convert_to_tensor(0.0)

    def get_config(self) -> dict:
        raise NotImplementedError(f"{type(self).__name__} must implement get_config() to be saved.")

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


@registry.register_serializable()
class L1L2(Regularizer):
    """``l1 * sum(|x|) + l2 * sum(x**2)``.

    Args:
        l1: the L1 factor (non-negative). l2: the L2 factor (non-negative).

    Example:
        >>> L1L2(l1=0.01, l2=0.01)(w)
    """

    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = _validate_factor(type(self).__name__, "l1", l1)
        self.l2 = _validate_factor(type(self).__name__, "l2", l2)

    def __call__(self, x):
        penalty = None
        if self.l1:
            penalty = ops.multiply(ops.sum(ops.abs(x)), self.l1)
        if self.l2:
            term = ops.multiply(ops.sum(ops.square(x)), self.l2)
            penalty = term if penalty is None else ops.add(penalty, term)
        return ops.zeros((), ops.dtype(x)) if penalty is None else penalty

    def get_config(self) -> dict:
        return {"l1": self.l1, "l2": self.l2}


@registry.register_serializable()
class L1(L1L2):
    """``l1 * sum(|x|)``.

    Example:
        >>> L1(0.01)(w)
    """

    def __init__(self, l1=0.01):
        super().__init__(l1=l1)

    def get_config(self) -> dict:
        return {"l1": self.l1}


@registry.register_serializable()
class L2(L1L2):
    """``l2 * sum(x**2)`` (Keras 3: no factor 1/2).

    Example:
        >>> L2(0.01)(w)
    """

    def __init__(self, l2=0.01):
        super().__init__(l2=l2)

    def get_config(self) -> dict:
        return {"l2": self.l2}


@registry.register_serializable()
class OrthogonalRegularizer(Regularizer):
    """Pushes the rows (or columns) of a 2-D weight towards orthonormality.

    The penalty is ``factor`` times the mean absolute cosine similarity between
    distinct rows (``mode="rows"``) or columns (``mode="columns"``).

    Example:
        >>> OrthogonalRegularizer(factor=0.01, mode="columns")(kernel)
    """

    def __init__(self, factor=0.01, mode="rows"):
        self.factor = _validate_factor("OrthogonalRegularizer", "factor", factor)
        if mode not in ("rows", "columns"):
            raise ValueError(f"OrthogonalRegularizer: `mode` must be 'rows' or 'columns'; got mode={mode!r}.")
        self.mode = mode

    def __call__(self, x):
        shape = tuple(ops.shape(x))
        if len(shape) != 2:
            raise ValueError(f"OrthogonalRegularizer applies to 2-D weights; got shape {shape}.")
        if self.mode == "columns":
            x = ops.transpose(x)
        size = int(ops.shape(x)[0])
        if size < 2:
            return ops.zeros((), ops.dtype(x))
        norms = ops.sqrt(ops.maximum(ops.sum(ops.square(x), axis=1, keepdims=True), 1e-12))
        unit = ops.divide(x, norms)
        cosines = ops.matmul(unit, ops.transpose(unit))
        off_diagonal = ops.multiply(cosines, ops.subtract(1.0, ops.eye(size, dtype=ops.dtype(x))))
        pairs = size * (size - 1) / 2.0
        # Each distinct pair appears twice in the symmetric matrix, hence the 0.5.
        return ops.multiply(ops.sum(ops.abs(off_diagonal)), self.factor * 0.5 / pairs)

    def get_config(self) -> dict:
        return {"factor": self.factor, "mode": self.mode}


# Keras 3's lower-case aliases are the classes themselves.
l1, l2, l1_l2, orthogonal_regularizer = L1, L2, L1L2, OrthogonalRegularizer

NAMES: dict[str, type] = {cls.__name__: cls for cls in (L1, L2, L1L2, OrthogonalRegularizer)}
NAMES.update(l1=L1, l2=L2, l1_l2=L1L2, orthogonal_regularizer=OrthogonalRegularizer)


def get(identifier, custom_objects: dict | None = None):
    """A regularizer from a name ("l2", "L1L2"), a class, an instance, a
    callable ``f(weight) -> scalar``, a serialized dict, or None.

    >>> plugnet.regularizers.get("l2")
    L2(l2=0.01)
    """
    return registry.resolve(identifier, "regularizer", NAMES, custom_objects)


def serialize(regularizer):
    return registry.serialize(regularizer)


def deserialize(config, custom_objects: dict | None = None):
    if isinstance(config, str):
        return get(config, custom_objects)
    return registry.deserialize(config, custom_objects)
