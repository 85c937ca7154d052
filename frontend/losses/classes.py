"""The Loss classes: each wraps its per-sample function and reduces over the batch."""

from __future__ import annotations

from plugnet import ops
from plugnet import registry

from .functions import (
    binary_crossentropy,
    categorical_crossentropy,
    categorical_hinge,
    cosine_similarity,
    hinge,
    huber,
    kl_divergence,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
    poisson,
    sparse_categorical_crossentropy,
    squared_hinge,
)
from .loss import LossFunctionWrapper

_DEFAULT_REDUCTION = "sum_over_batch_size"


@registry.register_serializable()
class MeanSquaredError(LossFunctionWrapper):
    """Mean of squared errors over the last axis, reduced over the batch.

    Example:
        >>> plugnet.losses.MeanSquaredError()([[0., 1.]], [[1., 1.]])   # 0.5
    """

    def __init__(self, reduction=_DEFAULT_REDUCTION, name="mean_squared_error", dtype=None):
        super().__init__(mean_squared_error, reduction=reduction, name=name, dtype=dtype)


@registry.register_serializable()
class MeanAbsoluteError(LossFunctionWrapper):
    """Mean of absolute errors over the last axis, reduced over the batch.

    Example:
        >>> plugnet.losses.MeanAbsoluteError()([[0., 1.]], [[1., 1.]])   # 0.5
    """

    def __init__(self, reduction=_DEFAULT_REDUCTION, name="mean_absolute_error", dtype=None):
        super().__init__(mean_absolute_error, reduction=reduction, name=name, dtype=dtype)


@registry.register_serializable()
class MeanAbsolutePercentageError(LossFunctionWrapper):
    """``100 * mean(|(y_true - y_pred) / y_true|)``.

    Example:
        >>> plugnet.losses.MeanAbsolutePercentageError()([[2., 4.]], [[1., 4.]])   # 25.0
    """

    def __init__(self, reduction=_DEFAULT_REDUCTION, name="mean_absolute_percentage_error", dtype=None):
        super().__init__(mean_absolute_percentage_error, reduction=reduction, name=name, dtype=dtype)


@registry.register_serializable()
class MeanSquaredLogarithmicError(LossFunctionWrapper):
    """Mean of squared differences of ``log(1 + y)``.

    Example:
        >>> plugnet.losses.MeanSquaredLogarithmicError()([[0., 1.]], [[1., 1.]])
    """

    def __init__(self, reduction=_DEFAULT_REDUCTION, name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(mean_squared_logarithmic_error, reduction=reduction, name=name, dtype=dtype)


@registry.register_serializable()
class Huber(LossFunctionWrapper):
    """Huber loss: squared error for errors up to ``delta``, absolute error beyond.

    Args:
        delta: where the loss turns from quadratic to linear (default 1.0).

    Example:
        >>> plugnet.losses.Huber(delta=1.0)([[0., 3.]], [[0.5, 0.]])   # (0.125 + 2.5) / 2
    """

    def __init__(self, delta=1.0, reduction=_DEFAULT_REDUCTION, name="huber_loss", dtype=None):
        super().__init__(huber, reduction=reduction, name=name, dtype=dtype, delta=delta)
        self.delta = delta


@registry.register_serializable()
class LogCosh(LossFunctionWrapper):
    """Mean of ``log(cosh(y_pred - y_true))``: like MSE for small errors, MAE for large ones.

    Example:
        >>> plugnet.losses.LogCosh()([[0., 1.]], [[1., 1.]])
    """

    def __init__(self, reduction=_DEFAULT_REDUCTION, name="log_cosh", dtype=None):
        super().__init__(log_cosh, reduction=reduction, name=name, dtype=dtype)


@registry.register_serializable()
class BinaryCrossentropy(LossFunctionWrapper):
    """Crossentropy for 0/1 labels (one sigmoid output per label).

    Args:
        from_logits: whether ``y_pred`` holds logits rather than probabilities.
        label_smoothing: moves the labels towards 0.5 by this fraction.
        axis: the axis the mean runs over (default -1).

    Example:
        >>> bce = plugnet.losses.BinaryCrossentropy(from_logits=True)
        >>> bce([[1.], [0.]], [[2.3], [-1.2]])
    """

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1, reduction=_DEFAULT_REDUCTION,
                 name="binary_crossentropy", dtype=None):
        super().__init__(binary_crossentropy, reduction=reduction, name=name, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.from_logits, self.label_smoothing, self.axis = from_logits, label_smoothing, axis


@registry.register_serializable()
class CategoricalCrossentropy(LossFunctionWrapper):
    """Crossentropy for one-hot labels; see :class:`SparseCategoricalCrossentropy` for integers.

    Args:
        from_logits: whether ``y_pred`` holds logits (softmax is applied inside, stably).
        label_smoothing: mixes the labels with the uniform distribution by this fraction.
        axis: the class axis (default -1).

    Example:
        >>> cce = plugnet.losses.CategoricalCrossentropy()
        >>> cce([[0., 1., 0.]], [[0.05, 0.9, 0.05]])   # -log(0.9)
    """

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1, reduction=_DEFAULT_REDUCTION,
                 name="categorical_crossentropy", dtype=None):
        super().__init__(categorical_crossentropy, reduction=reduction, name=name, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.from_logits, self.label_smoothing, self.axis = from_logits, label_smoothing, axis


@registry.register_serializable()
class KLDivergence(LossFunctionWrapper):
    """Kullback-Leibler divergence ``sum(y_true * log(y_true / y_pred))``.

    Example:
        >>> plugnet.losses.KLDivergence()([[0.5, 0.5]], [[0.9, 0.1]])
    """

    def __init__(self, reduction=_DEFAULT_REDUCTION, name="kl_divergence", dtype=None):
        super().__init__(kl_divergence, reduction=reduction, name=name, dtype=dtype)


@registry.register_serializable()
class Poisson(LossFunctionWrapper):
    """Poisson loss ``mean(y_pred - y_true * log(y_pred))`` for count data.

    Example:
        >>> plugnet.losses.Poisson()([[1., 3.]], [[1.5, 2.5]])
    """

    def __init__(self, reduction=_DEFAULT_REDUCTION, name="poisson", dtype=None):
        super().__init__(poisson, reduction=reduction, name=name, dtype=dtype)


@registry.register_serializable()
class Hinge(LossFunctionWrapper):
    """Hinge loss for -1/1 labels (0/1 labels are converted).

    Example:
        >>> plugnet.losses.Hinge()([[1., -1.]], [[0.3, -2.0]])
    """

    def __init__(self, reduction=_DEFAULT_REDUCTION, name="hinge", dtype=None):
        super().__init__(hinge, reduction=reduction, name=name, dtype=dtype)


@registry.register_serializable()
class SquaredHinge(LossFunctionWrapper):
    """Squared hinge loss for -1/1 labels (0/1 labels are converted).

    Example:
        >>> plugnet.losses.SquaredHinge()([[1., -1.]], [[0.3, -2.0]])
    """

    def __init__(self, reduction=_DEFAULT_REDUCTION, name="squared_hinge", dtype=None):
        super().__init__(squared_hinge, reduction=reduction, name=name, dtype=dtype)


@registry.register_serializable()
class CategoricalHinge(LossFunctionWrapper):
    """Hinge loss for one-hot labels.

    Example:
        >>> plugnet.losses.CategoricalHinge()([[0., 1.]], [[0.3, 0.6]])
    """

    def __init__(self, reduction=_DEFAULT_REDUCTION, name="categorical_hinge", dtype=None):
        super().__init__(categorical_hinge, reduction=reduction, name=name, dtype=dtype)


@registry.register_serializable()
class CosineSimilarity(LossFunctionWrapper):
    """Negative cosine similarity along ``axis``: -1 for aligned vectors.

    Example:
        >>> plugnet.losses.CosineSimilarity()([[0., 1.]], [[1., 1.]])   # -0.7071
    """

    def __init__(self, axis=-1, reduction=_DEFAULT_REDUCTION, name="cosine_similarity", dtype=None):
        super().__init__(cosine_similarity, reduction=reduction, name=name, dtype=dtype, axis=axis)
        self.axis = axis


@registry.register_serializable()
class SparseCategoricalCrossentropy(LossFunctionWrapper):
    """Crossentropy for integer labels against per-class probabilities or logits.

    Args:
        from_logits: whether ``y_pred`` holds logits (log-softmax is applied inside).
        ignore_class: a label value to leave out (its samples count neither in the
            sum nor in the number averaged over), e.g. a "void" class.
        reduction, name, dtype: as for :class:`Loss`.
        axis: the class axis of ``y_pred`` (default -1).

    Example:
        >>> scce = plugnet.losses.SparseCategoricalCrossentropy(from_logits=True)
        >>> scce([1, 0], [[0.1, 2.0, -1.0], [1.5, 0.2, 0.3]])
    """

    def __init__(self, from_logits=False, ignore_class=None, reduction=_DEFAULT_REDUCTION, axis=-1,
                 name="sparse_categorical_crossentropy", dtype=None):
        super().__init__(sparse_categorical_crossentropy, reduction=reduction, name=name, dtype=dtype,
                         from_logits=from_logits, ignore_class=ignore_class, axis=axis)
        self.from_logits = from_logits
        self.ignore_class = ignore_class
        self.axis = axis

    def _mask(self, y_true):
        if self.ignore_class is None:
            return None
        mask = ops.not_equal(y_true, self.ignore_class)
        shape = tuple(ops.shape(mask))
        return ops.squeeze(mask, -1) if len(shape) > 1 and shape[-1] == 1 else mask
