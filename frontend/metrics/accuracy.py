"""Accuracy metrics: per-sample match functions and their running means."""

from __future__ import annotations

from plugnet import ops
from plugnet.dtypes import floatx
from plugnet.losses.loss import align_y, as_tensor, check_broadcastable

from .base import MeanMetricWrapper, register


def _matches(hits):
    return ops.cast(hits, floatx())


def accuracy(y_true, y_pred):
    """1.0 where ``y_pred`` equals ``y_true`` exactly, else 0.0 (element-wise)."""
    y_true, y_pred = align_y("accuracy", y_true, y_pred)
    return _matches(ops.equal(y_true, y_pred))


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """1.0 where ``y_pred > threshold`` agrees with the 0/1 label ``y_true`` (element-wise)."""
    y_true, y_pred = align_y("binary_accuracy", y_true, y_pred)
    return _matches(ops.equal(y_true, ops.cast(ops.greater(y_pred, threshold), ops.dtype(y_true))))


def categorical_accuracy(y_true, y_pred):
    """1.0 per sample where the arg-max of ``y_pred`` is the arg-max of the one-hot ``y_true``."""
    y_true, y_pred = as_tensor(y_true), as_tensor(y_pred)
    check_broadcastable("categorical_accuracy", tuple(ops.shape(y_true)), tuple(ops.shape(y_pred)))
    return _matches(ops.equal(ops.argmax(y_true, axis=-1), ops.argmax(y_pred, axis=-1)))


def _sparse_labels(owner, y_true, y_pred):
    """Integer labels of shape ``y_pred.shape[:-1]`` (a trailing 1 is squeezed)."""
    y_true = as_tensor(y_true)
    shape_true, shape_pred = tuple(ops.shape(y_true)), tuple(ops.shape(y_pred))
    if len(shape_true) == len(shape_pred) and shape_true and shape_true[-1] == 1:
        y_true = ops.squeeze(y_true, -1)
        shape_true = shape_true[:-1]
    if shape_true != shape_pred[:-1]:
        raise ValueError(
            f"{owner}: integer labels y_true must have shape {shape_pred[:-1]} (y_pred's shape {shape_pred} "
            f"without its class axis), got {shape_true}."
        )
    return ops.cast(y_true, "int32")


def sparse_categorical_accuracy(y_true, y_pred):
    """1.0 per sample where the arg-max of ``y_pred`` is the integer label ``y_true``.

    ``y_pred`` may also hold class ids already (the same rank as ``y_true``).
    """
    y_pred = as_tensor(y_pred)
    shape_true, shape_pred = tuple(ops.shape(y_true)), tuple(ops.shape(y_pred))
    if len(shape_pred) == len(shape_true) and not (shape_pred and shape_pred[-1] > 1 and shape_true[-1] == 1):
        ids = ops.cast(y_pred, "int32")
        check_broadcastable("sparse_categorical_accuracy", shape_true, shape_pred)
        return _matches(ops.equal(ops.cast(y_true, "int32"), ids))
    labels = _sparse_labels("sparse_categorical_accuracy", y_true, y_pred)
    return _matches(ops.equal(labels, ops.cast(ops.argmax(y_pred, axis=-1), "int32")))


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5, from_sorted_ids=False):
    """1.0 per sample where the integer label is among the ``k`` highest scores.

    Ties count in the label's favour (a label tied with the k-th score is a hit).
    With ``from_sorted_ids``, ``y_pred`` holds class ids sorted by score.
    """
    y_pred = as_tensor(y_pred)
    labels = _sparse_labels("sparse_top_k_categorical_accuracy", y_true, y_pred)
    if from_sorted_ids:
        top = ops.cast(ops.get_item(y_pred, (Ellipsis, slice(0, k))), "int32")
        return _matches(ops.any(ops.equal(top, ops.expand_dims(labels, -1)), axis=-1))
    target = ops.take_along_axis(y_pred, ops.expand_dims(labels, -1), axis=-1)
    higher = ops.sum(ops.cast(ops.greater(y_pred, target), "int32"), axis=-1)
    return _matches(ops.less(higher, k))


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1.0 per sample where the one-hot label's class is among the ``k`` highest scores."""
    return sparse_top_k_categorical_accuracy(ops.argmax(as_tensor(y_true), axis=-1), y_pred, k=k)


@register
class Accuracy(MeanMetricWrapper):
    """How often predictions equal labels exactly.

    Example:
        >>> m = plugnet.metrics.Accuracy()
        >>> m.update_state([[1], [2], [3]], [[1], [2], [4]])
        >>> m.result()   # 0.6667
    """

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(accuracy, name=name, dtype=dtype)


@register
class BinaryAccuracy(MeanMetricWrapper):
    """How often ``y_pred > threshold`` matches the 0/1 labels.

    Args:
        threshold: the probability above which a prediction counts as 1 (default 0.5).

    Example:
        >>> m = plugnet.metrics.BinaryAccuracy()
        >>> m.update_state([[1], [0]], [[0.8], [0.7]])
        >>> m.result()   # 0.5
    """

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        super().__init__(binary_accuracy, name=name, dtype=dtype, threshold=threshold)
        self.threshold = threshold


@register
class CategoricalAccuracy(MeanMetricWrapper):
    """How often the arg-max of the predictions matches the one-hot labels.

    Example:
        >>> m = plugnet.metrics.CategoricalAccuracy()
        >>> m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.1, 0.8], [0.05, 0.9, 0.05]])
        >>> m.result()   # 1.0
    """

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(categorical_accuracy, name=name, dtype=dtype)


@register
class SparseCategoricalAccuracy(MeanMetricWrapper):
    """How often the arg-max of the predictions matches the integer labels.

    Example:
        >>> m = plugnet.metrics.SparseCategoricalAccuracy()
        >>> m.update_state([2, 1], [[0.1, 0.6, 0.3], [0.05, 0.95, 0.0]])
        >>> m.result()   # 0.5
    """

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(sparse_categorical_accuracy, name=name, dtype=dtype)


@register
class TopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the one-hot label's class is among the ``k`` highest predictions.

    Example:
        >>> m = plugnet.metrics.TopKCategoricalAccuracy(k=2)
        >>> m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.3, 0.6], [0.5, 0.1, 0.4]])
        >>> m.result()   # 0.5
    """

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        super().__init__(top_k_categorical_accuracy, name=name, dtype=dtype, k=k)
        self.k = k


@register
class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the integer label is among the ``k`` highest predictions.

    Args:
        k: how many top predictions count. from_sorted_ids: whether ``y_pred``
            already holds class ids sorted by score.

    Example:
        >>> m = plugnet.metrics.SparseTopKCategoricalAccuracy(k=2)
        >>> m.update_state([2, 1], [[0.1, 0.3, 0.6], [0.5, 0.1, 0.4]])
        >>> m.result()   # 0.5
    """

    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None, from_sorted_ids=False):
        super().__init__(sparse_top_k_categorical_accuracy, name=name, dtype=dtype, k=k,
                         from_sorted_ids=from_sorted_ids)
        self.k = k
        self.from_sorted_ids = from_sorted_ids
