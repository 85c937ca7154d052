"""Metrics tracking the running mean of a loss function (regression, probabilistic, hinge), and RMSE."""

from __future__ import annotations

from plugnet import losses, ops
from plugnet.losses.loss import align_y

from .base import Mean, MeanMetricWrapper, register


@register
class MeanSquaredError(MeanMetricWrapper):
    """Running mean of ``mean(square(y_true - y_pred), axis=-1)``.

    Example:
        >>> m = plugnet.metrics.MeanSquaredError()
        >>> m.update_state([[0., 1.]], [[1., 1.]])
        >>> m.result()   # 0.5
    """

    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(losses.mean_squared_error, name=name, dtype=dtype)


@register
class MeanAbsoluteError(MeanMetricWrapper):
    """Running mean of ``mean(abs(y_true - y_pred), axis=-1)``.

    Example:
        >>> m = plugnet.metrics.MeanAbsoluteError()
        >>> m.update_state([[0., 1.]], [[1., 1.]])
        >>> m.result()   # 0.5
    """

    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(losses.mean_absolute_error, name=name, dtype=dtype)


@register
class MeanAbsolutePercentageError(MeanMetricWrapper):
    """Running mean of the mean absolute percentage error.

    Example:
        >>> plugnet.metrics.MeanAbsolutePercentageError()([[2., 4.]], [[1., 4.]])   # 25.0
    """

    def __init__(self, name="mean_absolute_percentage_error", dtype=None):
        super().__init__(losses.mean_absolute_percentage_error, name=name, dtype=dtype)


@register
class MeanSquaredLogarithmicError(MeanMetricWrapper):
    """Running mean of the mean squared logarithmic error.

    Example:
        >>> plugnet.metrics.MeanSquaredLogarithmicError()([[0., 1.]], [[1., 1.]])
    """

    def __init__(self, name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(losses.mean_squared_logarithmic_error, name=name, dtype=dtype)


@register
class LogCoshError(MeanMetricWrapper):
    """Running mean of ``log(cosh(y_pred - y_true))``.

    Example:
        >>> plugnet.metrics.LogCoshError()([[0., 1.]], [[1., 1.]])
    """

    def __init__(self, name="logcosh", dtype=None):
        super().__init__(losses.log_cosh, name=name, dtype=dtype)


@register
class RootMeanSquaredError(Mean):
    """``sqrt`` of the weighted mean of squared errors over everything seen.

    Example:
        >>> m = plugnet.metrics.RootMeanSquaredError()
        >>> m.update_state([[0., 1.], [1., 1.]], [[1., 1.], [1., 3.]])
        >>> m.result()   # sqrt(5 / 4)
    """

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = align_y(self.name, y_true, y_pred)
        super().update_state(ops.square(ops.subtract(y_pred, y_true)), sample_weight=sample_weight)

    def result(self):
        return ops.sqrt(super().result())


def cosine_similarity(y_true, y_pred, axis=-1):
    """``sum(l2_normalize(y_true) * l2_normalize(y_pred), axis)``: 1 when aligned (the loss negates it)."""
    return ops.negative(losses.cosine_similarity(y_true, y_pred, axis=axis))


@register
class CosineSimilarity(MeanMetricWrapper):
    """Running mean of the cosine similarity between labels and predictions.

    Example:
        >>> plugnet.metrics.CosineSimilarity()([[0., 1.]], [[1., 1.]])   # 0.7071
    """

    def __init__(self, name="cosine_similarity", dtype=None, axis=-1):
        super().__init__(cosine_similarity, name=name, dtype=dtype, axis=axis)
        self.axis = axis


@register
class KLDivergence(MeanMetricWrapper):
    """Running mean of the Kullback-Leibler divergence.

    Example:
        >>> plugnet.metrics.KLDivergence()([[0.5, 0.5]], [[0.9, 0.1]])
    """

    def __init__(self, name="kl_divergence", dtype=None):
        super().__init__(losses.kl_divergence, name=name, dtype=dtype)


@register
class Poisson(MeanMetricWrapper):
    """Running mean of the Poisson loss.

    Example:
        >>> plugnet.metrics.Poisson()([[1., 3.]], [[1.5, 2.5]])
    """

    def __init__(self, name="poisson", dtype=None):
        super().__init__(losses.poisson, name=name, dtype=dtype)


@register
class BinaryCrossentropy(MeanMetricWrapper):
    """Running mean of the binary crossentropy.

    Args:
        from_logits, label_smoothing: as for :class:`plugnet.losses.BinaryCrossentropy`.

    Example:
        >>> plugnet.metrics.BinaryCrossentropy()([[1.], [0.]], [[0.9], [0.2]])
    """

    def __init__(self, name="binary_crossentropy", dtype=None, from_logits=False, label_smoothing=0.0):
        super().__init__(losses.binary_crossentropy, name=name, dtype=dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing)
        self.from_logits, self.label_smoothing = from_logits, label_smoothing


@register
class CategoricalCrossentropy(MeanMetricWrapper):
    """Running mean of the categorical crossentropy (one-hot labels).

    Example:
        >>> plugnet.metrics.CategoricalCrossentropy()([[0., 1.]], [[0.2, 0.8]])
    """

    def __init__(self, name="categorical_crossentropy", dtype=None, from_logits=False, label_smoothing=0.0,
                 axis=-1):
        super().__init__(losses.categorical_crossentropy, name=name, dtype=dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)
        self.from_logits, self.label_smoothing, self.axis = from_logits, label_smoothing, axis


@register
class SparseCategoricalCrossentropy(MeanMetricWrapper):
    """Running mean of the sparse categorical crossentropy (integer labels).

    Example:
        >>> plugnet.metrics.SparseCategoricalCrossentropy()([1], [[0.2, 0.8]])
    """

    def __init__(self, name="sparse_categorical_crossentropy", dtype=None, from_logits=False, axis=-1):
        super().__init__(losses.sparse_categorical_crossentropy, name=name, dtype=dtype, from_logits=from_logits,
                         axis=axis)
        self.from_logits, self.axis = from_logits, axis


@register
class Hinge(MeanMetricWrapper):
    """Running mean of the hinge loss.

    Example:
        >>> plugnet.metrics.Hinge()([[1., -1.]], [[0.3, -2.0]])
    """

    def __init__(self, name="hinge", dtype=None):
        super().__init__(losses.hinge, name=name, dtype=dtype)


@register
class SquaredHinge(MeanMetricWrapper):
    """Running mean of the squared hinge loss.

    Example:
        >>> plugnet.metrics.SquaredHinge()([[1., -1.]], [[0.3, -2.0]])
    """

    def __init__(self, name="squared_hinge", dtype=None):
        super().__init__(losses.squared_hinge, name=name, dtype=dtype)


@register
class CategoricalHinge(MeanMetricWrapper):
    """Running mean of the categorical hinge loss.

    Example:
        >>> plugnet.metrics.CategoricalHinge()([[0., 1.]], [[0.3, 0.6]])
    """

    def __init__(self, name="categorical_hinge", dtype=None):
        super().__init__(losses.categorical_hinge, name=name, dtype=dtype)
