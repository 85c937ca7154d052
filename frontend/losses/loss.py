"""The Loss base class, the function wrapper, and Keras 3's reduction rules.

Shared with :mod:`plugnet.metrics`: :func:`as_tensor` and
:func:`squeeze_or_expand_to_same_rank`.
"""

from __future__ import annotations

import math
import re

import numpy as np

from plugnet import ops, registry
from plugnet.dtypes import floatx, standardize_dtype

EPSILON = 1e-7
REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)
_MEAN_REDUCTIONS = ("sum_over_batch_size", "mean")  # the sum of the values over their number


# -- shared shape and dtype handling -------------------------------------------------


def as_tensor(x, dtype=None):
    """``x`` as a tensor, cast to ``dtype`` when one is given (a no-op when it already has it)."""
    if not ops.is_tensor(x):
        return ops.convert_to_tensor(x, dtype)
    # A cast to its own dtype is the identity, but not free (a recorded op on a tape).
    return x if dtype is None or ops.dtype(x) == dtype else ops.cast(x, dtype)


def squeeze_or_expand_to_same_rank(x1, x2, expand_rank_1=True):
    """Make the ranks equal when they differ by one and the longer ends in 1.

    The trailing 1 is squeezed, except that a rank-1 partner is expanded
    instead (``expand_rank_1``), so ``(batch,)`` meets ``(batch, 1)`` as
    ``(batch, 1)``.
    """
    shape1, shape2 = ops.shape(x1), ops.shape(x2)
    rank1, rank2 = len(shape1), len(shape2)
    if rank1 == rank2 + 1 and shape1[-1] == 1:
        if rank2 == 1 and expand_rank_1:
            x2 = ops.expand_dims(x2, -1)
        else:
            x1 = ops.squeeze(x1, -1)
    elif rank2 == rank1 + 1 and shape2[-1] == 1:
        if rank1 == 1 and expand_rank_1:
            x1 = ops.expand_dims(x1, -1)
        else:
            x2 = ops.squeeze(x2, -1)
    return x1, x2


def check_broadcastable(owner: str, shape_true, shape_pred) -> None:
    if shape_true == shape_pred:
        return
    try:
        np.broadcast_shapes(shape_true, shape_pred)
    except ValueError:
        raise ValueError(
            f"{owner}: y_true of shape {shape_true} and y_pred of shape {shape_pred} are incompatible "
            f"(they cannot be broadcast together)."
        ) from None


def align_y(owner: str, y_true, y_pred):
    """y_pred as a float tensor, y_true cast to its dtype, ranks aligned, shapes checked."""
    y_pred = as_tensor(y_pred)
    dtype = ops.dtype(y_pred)
    if not dtype.startswith(("float", "bfloat")):
        dtype = floatx()
        y_pred = ops.cast(y_pred, dtype)
    y_true = as_tensor(y_true, dtype)
    if ops.shape(y_true) == ops.shape(y_pred):
        return y_true, y_pred
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    check_broadcastable(owner, tuple(ops.shape(y_true)), tuple(ops.shape(y_pred)))
    return y_true, y_pred


def divide_no_nan(x, y):
    """``x / y``, and 0 where ``y`` is 0."""
    zero = ops.equal(y, 0)
    return ops.where(zero, ops.zeros_like(x), ops.divide(x, ops.where(zero, ops.ones_like(y), y)))


# -- reduction --------------------------------------------------------------------------


def standardize_reduction(reduction):
    if reduction not in REDUCTIONS:
        valid = ", ".join(repr(r) for r in REDUCTIONS)
        raise ValueError(f"Invalid loss reduction {reduction!r}. Expected one of: {valid}.")
    return reduction


def _apply_mask(sample_weight, mask, reduction, dtype):
    """Fold a validity mask into the weights; for the mean reductions, rescale so
    the mean runs over the valid entries only."""
    mask = ops.cast(mask, dtype)
    if reduction in ("sum_over_batch_size", "mean"):
        total = float(math.prod(ops.shape(mask)))
        mask = ops.multiply(mask, divide_no_nan(ops.convert_to_tensor(total, dtype), ops.sum(mask)))
    if sample_weight is None:
        return mask
    mask, sample_weight = squeeze_or_expand_to_same_rank(mask, sample_weight)
    return ops.multiply(sample_weight, mask)


def reduce_weighted_values(values, sample_weight=None, reduction="sum_over_batch_size", mask=None, owner="loss"):
    """Weight per-sample ``values`` and reduce them as Keras 3 does.

    ``sample_weight`` is aligned with ``values`` (trailing 1s squeezed, or
    per-sample weights broadcast over the remaining axes) and multiplied in.
    Then ``"sum"`` sums; ``"sum_over_batch_size"`` and ``"mean"`` divide that
    sum by the number of values (not by the sum of the weights);
    ``"mean_with_sample_weight"`` divides by the sum of the weights;
    ``None``/``"none"`` return the weighted values.
    """
    dtype = ops.dtype(values)
    if mask is not None:
        if sample_weight is not None:
            sample_weight = as_tensor(sample_weight, dtype)
        sample_weight = _apply_mask(sample_weight, mask, reduction, dtype)
    if sample_weight is not None:
        sample_weight = as_tensor(sample_weight, dtype)
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        value_shape, weight_shape = tuple(ops.shape(values)), tuple(ops.shape(sample_weight))
        if len(weight_shape) < len(value_shape):
            # Per-sample weights apply to every value of their sample.
            sample_weight = ops.reshape(sample_weight, weight_shape + (1,) * (len(value_shape) - len(weight_shape)))
            weight_shape = tuple(ops.shape(sample_weight))
        try:
            np.broadcast_shapes(value_shape, weight_shape)
        except ValueError:
            raise ValueError(
                f"{owner}: sample_weight of shape {weight_shape} does not match the per-sample losses of "
                f"shape {value_shape}."
            ) from None
        values = ops.multiply(values, sample_weight)
    return reduce_values(values, sample_weight, reduction)


def reduce_values(values, sample_weight=None, reduction="sum_over_batch_size"):
    """Reduce already weighted ``values``; see :func:`reduce_weighted_values`."""
    shape = tuple(ops.shape(values))
    if reduction is None or reduction == "none" or shape == () or shape == (0,):
        return values
    if reduction == "sum":
        return ops.sum(values)
    if reduction == "mean_with_sample_weight" and sample_weight is not None:
        return divide_no_nan(ops.sum(values), ops.sum(sample_weight))
    if None not in shape and not math.prod(shape):  # (dims are None while a graph is traced)
        return ops.zeros_like(ops.sum(values))
    return ops.mean(values)  # the sum over the number of values, in one op


# -- loss classes -------------------------------------------------------------------------


def snake_case(name: str) -> str:
    """Keras's default object names: "TopKCategoricalAccuracy" -> "top_k_categorical_accuracy"."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()


class Loss:
    """Base class of losses: ``call`` gives per-sample values, ``__call__`` reduces them.

    Args:
        name: the loss's name (default: the class name in snake_case).
        reduction: "sum_over_batch_size" (default), "sum", "mean",
            "mean_with_sample_weight", or "none"/None.
        dtype: the computation dtype (default float32); y_pred is cast to it.

    Example:
        >>> class MeanCubedError(Loss):
        ...     def call(self, y_true, y_pred):
        ...         return ops.mean(ops.abs(y_pred - y_true) ** 3, axis=-1)
        >>> MeanCubedError()(y_true, y_pred, sample_weight=w)
    """

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        self.name = name or snake_case(type(self).__name__)
        self.reduction = standardize_reduction(reduction)
        self.dtype = standardize_dtype(dtype or floatx())

    def __call__(self, y_true, y_pred, sample_weight=None):
        y_pred = as_tensor(y_pred, self.dtype)
        y_true = as_tensor(y_true)
        values = self.call(y_true, y_pred)
        mask = self._mask(y_true)
        if sample_weight is None and mask is None:
            return reduce_values(values, None, self.reduction)
        return reduce_weighted_values(values, sample_weight, self.reduction, mask, owner=self.name)

    def call(self, y_true, y_pred):
        raise NotImplementedError(f"{type(self).__name__} must implement call(y_true, y_pred).")

    def _mask(self, y_true):
        """Entries to leave out of the reduction (a boolean tensor), or None."""
        return None

    def get_config(self) -> dict:
        return {"name": self.name, "reduction": self.reduction, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r} reduction={self.reduction!r}>"


@registry.register_serializable()
class LossFunctionWrapper(Loss):
    """A :class:`Loss` from a per-sample function ``fn(y_true, y_pred, **kwargs)``.

    Example:
        >>> loss = LossFunctionWrapper(my_loss_fn, name="my_loss")
    """

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        super().__init__(name=name or getattr(fn, "__name__", None), reduction=reduction, dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def __call__(self, y_true, y_pred, sample_weight=None):
        # fn = mean(elementwise, axis=-1), reduced to the mean of its values: one mean of all of them.
        elementwise = getattr(self.fn, "elementwise", None)
        if (elementwise is None or sample_weight is not None or self.reduction not in _MEAN_REDUCTIONS
                or type(self).call is not LossFunctionWrapper.call or type(self)._mask is not Loss._mask):
            return super().__call__(y_true, y_pred, sample_weight)
        values = elementwise(as_tensor(y_true), as_tensor(y_pred, self.dtype), **self._fn_kwargs)
        shape = ops.shape(values)
        if None not in shape and not math.prod(shape):
            return reduce_values(ops.mean(values, axis=-1), None, self.reduction)  # no values: as two steps
        return ops.mean(values)

    def call(self, y_true, y_pred):
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self) -> dict:
        config = {**super().get_config(), **self._fn_kwargs}
        if type(self) is LossFunctionWrapper:
            config["fn"] = registry.serialize(self.fn)
        return config

    @classmethod
    def from_config(cls, config: dict, custom_objects=None):
        if cls is LossFunctionWrapper:
            config = dict(config)
            from plugnet.losses import get  # the name table lives with the package

            config["fn"] = get(config["fn"], custom_objects)
        return cls(**config)
