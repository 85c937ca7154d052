"""Per-sample loss functions: each returns one value per sample (the last axis reduced)."""

from __future__ import annotations

import math

from plugnet import ops
from plugnet.dtypes import floatx

from .loss import EPSILON, align_y, as_tensor


def _of_mean(elementwise):
    """Mark ``fn``, a per-sample loss ``mean(elementwise(y_true, y_pred), axis=-1)``, with its elementwise part.

    ``Loss`` then reduces a batch with no weights to ``mean(elementwise(...))``, one mean over all
    values, where the per-sample mean followed by the batch mean takes two (the same number: every
    sample has as many values).
    """

    def mark(fn):
        fn.elementwise = elementwise
        return fn

    return mark


def _squared_error(y_true, y_pred):
    y_true, y_pred = align_y("mean_squared_error", y_true, y_pred)
    return ops.square(ops.subtract(y_true, y_pred))


@_of_mean(_squared_error)
def mean_squared_error(y_true, y_pred):
    """``mean(square(y_true - y_pred), axis=-1)``."""
    return ops.mean(_squared_error(y_true, y_pred), axis=-1)


def _absolute_error(y_true, y_pred):
    y_true, y_pred = align_y("mean_absolute_error", y_true, y_pred)
    return ops.abs(ops.subtract(y_true, y_pred))


@_of_mean(_absolute_error)
def mean_absolute_error(y_true, y_pred):
    """``mean(abs(y_true - y_pred), axis=-1)``."""
    return ops.mean(_absolute_error(y_true, y_pred), axis=-1)


def mean_absolute_percentage_error(y_true, y_pred):
    """``100 * mean(abs((y_true - y_pred) / max(abs(y_true), 1e-7)), axis=-1)``."""
    y_true, y_pred = align_y("mean_absolute_percentage_error", y_true, y_pred)
    ratio = ops.divide(ops.subtract(y_true, y_pred), ops.maximum(ops.abs(y_true), EPSILON))
    return ops.multiply(ops.mean(ops.abs(ratio), axis=-1), 100.0)


def _squared_log_error(y_true, y_pred):
    y_true, y_pred = align_y("mean_squared_logarithmic_error", y_true, y_pred)
    diff = ops.subtract(ops.log1p(ops.maximum(y_pred, EPSILON)), ops.log1p(ops.maximum(y_true, EPSILON)))
    return ops.square(diff)


@_of_mean(_squared_log_error)
def mean_squared_logarithmic_error(y_true, y_pred):
    """``mean(square(log(1 + max(y_pred, eps)) - log(1 + max(y_true, eps))), axis=-1)``."""
    return ops.mean(_squared_log_error(y_true, y_pred), axis=-1)


def _huber_error(y_true, y_pred, delta=1.0):
    y_true, y_pred = align_y("huber", y_true, y_pred)
    error = ops.subtract(y_pred, y_true)
    abs_error = ops.abs(error)
    quadratic = ops.multiply(ops.square(error), 0.5)
    linear = ops.subtract(ops.multiply(abs_error, delta), 0.5 * delta * delta)
    return ops.where(ops.less_equal(abs_error, delta), quadratic, linear)


@_of_mean(_huber_error)
def huber(y_true, y_pred, delta=1.0):
    """Quadratic for errors up to ``delta``, linear beyond: ``mean(h(y_pred - y_true), -1)`` with
    ``h(e) = e**2 / 2`` if ``|e| <= delta`` else ``delta * |e| - delta**2 / 2``."""
    return ops.mean(_huber_error(y_true, y_pred, delta), axis=-1)


def log_cosh(y_true, y_pred):
    """``mean(log(cosh(y_pred - y_true)), axis=-1)``, computed stably as
    ``x + softplus(-2x) - log(2)``."""
    y_true, y_pred = align_y("log_cosh", y_true, y_pred)
    x = ops.subtract(y_pred, y_true)
    value = ops.add(x, ops.softplus(ops.multiply(x, -2.0)))
    return ops.subtract(ops.mean(value, axis=-1), math.log(2.0))


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Mean over ``axis`` of ``-(y log p + (1 - y) log(1 - p))``.

    Probabilities are clipped to ``[1e-7, 1 - 1e-7]``; with ``from_logits``
    the stable ``max(x, 0) - x*y + log(1 + exp(-|x|))`` is used.
    ``label_smoothing`` moves the labels towards 0.5.
    """
    y_true, y_pred = align_y("binary_crossentropy", y_true, y_pred)
    if label_smoothing:
        y_true = ops.add(ops.multiply(y_true, 1.0 - label_smoothing), 0.5 * label_smoothing)
    if from_logits:
        per_entry = ops.add(
            ops.subtract(ops.relu(y_pred), ops.multiply(y_pred, y_true)),
            ops.softplus(ops.negative(ops.abs(y_pred))),
        )
    else:
        p = ops.clip(y_pred, EPSILON, 1.0 - EPSILON)
        log_likelihood = ops.add(
            ops.multiply(y_true, ops.log(p)), ops.multiply(ops.subtract(1.0, y_true), ops.log(ops.subtract(1.0, p)))
        )
        per_entry = ops.negative(log_likelihood)
    return ops.mean(per_entry, axis=axis)


def _log_probabilities(y_pred, from_logits, axis):
    if from_logits:
        return ops.log_softmax(y_pred, axis)
    # Probabilities are renormalized before clipping, as Keras does.
    p = ops.divide(y_pred, ops.sum(y_pred, axis=axis, keepdims=True))
    return ops.log(ops.clip(p, EPSILON, 1.0 - EPSILON))


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """``-sum(y_true * log(p), axis)`` for one-hot (or soft) labels.

    ``label_smoothing`` mixes the labels with the uniform distribution:
    ``y * (1 - s) + s / num_classes``.
    """
    y_true, y_pred = align_y("categorical_crossentropy", y_true, y_pred)
    shape_true, shape_pred = tuple(ops.shape(y_true)), tuple(ops.shape(y_pred))
    if shape_true != shape_pred:
        raise ValueError(
            f"categorical_crossentropy: y_true and y_pred must have the same shape (one-hot labels); got "
            f"y_true of shape {shape_true} and y_pred of shape {shape_pred}. For integer labels use "
            f"sparse_categorical_crossentropy."
        )
    if label_smoothing:
        num_classes = shape_pred[axis]
        y_true = ops.add(ops.multiply(y_true, 1.0 - label_smoothing), label_smoothing / num_classes)
    log_p = _log_probabilities(y_pred, from_logits, axis)
    return ops.negative(ops.sum(ops.multiply(y_true, log_p), axis=axis))


def _sparse_labels(owner: str, y_true, y_pred, axis):
    """Integer labels shaped like ``y_pred`` without its class axis."""
    y_true = as_tensor(y_true)
    shape_pred = tuple(ops.shape(y_pred))
    shape_true = tuple(ops.shape(y_true))
    if len(shape_pred) < 1:
        raise ValueError(f"{owner}: y_pred must have a class axis; got a scalar.")
    expected = shape_pred[:axis % len(shape_pred)] + shape_pred[axis % len(shape_pred) + 1:]
    if shape_true != expected and len(shape_true) == len(shape_pred) and shape_true[-1] == 1:
        y_true = ops.squeeze(y_true, -1)
        shape_true = shape_true[:-1]
    if shape_true != expected:
        raise ValueError(
            f"{owner}: integer labels y_true must have shape {expected} (y_pred's shape {shape_pred} without "
            f"its class axis), got {shape_true}. For one-hot labels use categorical_crossentropy."
        )
    if not ops.dtype(y_true).startswith(("int", "uint")):
        y_true = ops.cast(y_true, "int32")
    return y_true


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None, axis=-1):
    """``-log(p[label])`` for integer labels (shape ``(batch,)`` or ``(batch, 1)``).

    ``ignore_class``: labels equal to it contribute a loss of 0 (the
    :class:`SparseCategoricalCrossentropy` class also leaves them out of the mean).
    """
    y_pred = as_tensor(y_pred)
    if not ops.dtype(y_pred).startswith(("float", "bfloat")):
        y_pred = ops.cast(y_pred, floatx())
    labels = _sparse_labels("sparse_categorical_crossentropy", y_true, y_pred, axis)
    valid = None
    if ignore_class is not None:
        valid = ops.not_equal(labels, ignore_class)
        labels = ops.where(valid, labels, ops.zeros_like(labels))
    log_p = _log_probabilities(y_pred, from_logits, axis)
    picked = ops.take_along_axis(log_p, ops.expand_dims(labels, axis), axis)
    losses = ops.negative(ops.squeeze(picked, axis))
    if valid is not None:
        losses = ops.where(valid, losses, ops.zeros_like(losses))
    return losses


def kl_divergence(y_true, y_pred):
    """``sum(y_true * log(y_true / y_pred), axis=-1)``, both clipped to ``[1e-7, 1]``."""
    y_true, y_pred = align_y("kl_divergence", y_true, y_pred)
    y_true = ops.clip(y_true, EPSILON, 1.0)
    y_pred = ops.clip(y_pred, EPSILON, 1.0)
    return ops.sum(ops.multiply(y_true, ops.log(ops.divide(y_true, y_pred))), axis=-1)


def poisson(y_true, y_pred):
    """``mean(y_pred - y_true * log(y_pred + 1e-7), axis=-1)``."""
    y_true, y_pred = align_y("poisson", y_true, y_pred)
    return ops.mean(ops.subtract(y_pred, ops.multiply(y_true, ops.log(ops.add(y_pred, EPSILON)))), axis=-1)


def _hinge_labels(y_true):
    """Labels in {0, 1} become {-1, 1}; labels already in {-1, 1} are kept."""
    is_binary = ops.all(ops.logical_or(ops.equal(y_true, 0), ops.equal(y_true, 1)))
    return ops.where(is_binary, ops.subtract(ops.multiply(y_true, 2.0), 1.0), y_true)


def _hinge_margins(owner, y_true, y_pred):
    y_true, y_pred = align_y(owner, y_true, y_pred)
    return ops.relu(ops.subtract(1.0, ops.multiply(_hinge_labels(y_true), y_pred)))


def hinge(y_true, y_pred):
    """``mean(max(1 - y_true * y_pred, 0), axis=-1)``; labels -1/1 (0/1 are converted)."""
    return ops.mean(_hinge_margins("hinge", y_true, y_pred), axis=-1)


def squared_hinge(y_true, y_pred):
    """``mean(square(max(1 - y_true * y_pred, 0)), axis=-1)``; labels -1/1 (0/1 are converted)."""
    return ops.mean(ops.square(_hinge_margins("squared_hinge", y_true, y_pred)), axis=-1)


def categorical_hinge(y_true, y_pred):
    """``max(neg - pos + 1, 0)`` with ``pos = sum(y_true * y_pred)``, ``neg = max((1 - y_true) * y_pred)``."""
    y_true, y_pred = align_y("categorical_hinge", y_true, y_pred)
    pos = ops.sum(ops.multiply(y_true, y_pred), axis=-1)
    neg = ops.max(ops.multiply(ops.subtract(1.0, y_true), y_pred), axis=-1)
    return ops.relu(ops.add(ops.subtract(neg, pos), 1.0))


def _l2_normalize(x, axis):
    return ops.multiply(x, ops.rsqrt(ops.maximum(ops.sum(ops.square(x), axis=axis, keepdims=True), 1e-12)))


def cosine_similarity(y_true, y_pred, axis=-1):
    """``-sum(l2_normalize(y_true) * l2_normalize(y_pred), axis)``: -1 when aligned."""
    y_true, y_pred = align_y("cosine_similarity", y_true, y_pred)
    return ops.negative(ops.sum(ops.multiply(_l2_normalize(y_true, axis), _l2_normalize(y_pred, axis)), axis=axis))
