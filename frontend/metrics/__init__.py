"""Metrics (``plugnet.metrics``): running statistics reported during training.

A metric keeps its state in non-trainable Variables: ``update_state`` folds in
a batch, ``result()`` reads the running value, ``reset_state()`` starts over::

    m = plugnet.metrics.SparseCategoricalAccuracy()
    m.update_state(labels, probabilities)
    m.result()

``compile(metrics=[...])`` accepts names, functions, classes and instances;
:func:`resolve` turns each into a Metric, choosing the right accuracy for
``"accuracy"``/``"acc"`` from the loss and the shapes, as Keras does.
"""

from __future__ import annotations

from plugnet import losses, registry

# Keras 3 exposes the loss functions as metric functions too.
from plugnet.losses import (
    binary_crossentropy,
    categorical_crossentropy,
    categorical_hinge,
    hinge,
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

from .accuracy import (
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    TopKCategoricalAccuracy,
    accuracy,
    binary_accuracy,
    categorical_accuracy,
    sparse_categorical_accuracy,
    sparse_top_k_categorical_accuracy,
    top_k_categorical_accuracy,
)
from .base import Mean, MeanMetricWrapper, Metric, Sum, reduce_to_samplewise_values, snake_case
from .loss_metrics import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    CategoricalHinge,
    CosineSimilarity,
    Hinge,
    KLDivergence,
    LogCoshError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    Poisson,
    RootMeanSquaredError,
    SparseCategoricalCrossentropy,
    SquaredHinge,
    cosine_similarity,
)

mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error

_CLASSES = (
    Sum, Mean, Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy, TopKCategoricalAccuracy,
    SparseTopKCategoricalAccuracy, MeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError, RootMeanSquaredError, LogCoshError, CosineSimilarity, KLDivergence, Poisson,
    BinaryCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy, Hinge, SquaredHinge,
    CategoricalHinge,
)
_ACCURACY_NAMES = ("accuracy", "acc")


#: Every name :func:`get` accepts; as in Keras 3, each names a Metric class.
NAMES: dict[str, type] = {cls.__name__: cls for cls in _CLASSES}
NAMES.update({snake_case(cls.__name__): cls for cls in _CLASSES})
NAMES.update(
    bce=BinaryCrossentropy, BCE=BinaryCrossentropy, mse=MeanSquaredError, MSE=MeanSquaredError,
    mae=MeanAbsoluteError, MAE=MeanAbsoluteError, mape=MeanAbsolutePercentageError,
    MAPE=MeanAbsolutePercentageError, msle=MeanSquaredLogarithmicError, MSLE=MeanSquaredLogarithmicError,
    logcosh=LogCoshError, log_cosh=LogCoshError, kld=KLDivergence, KLD=KLDivergence,
)

#: Per-sample metric functions by name (what a MeanMetricWrapper config may name);
#: the metric cosine_similarity is the loss's negation.
FUNCTIONS: dict[str, object] = {name: fn for name, fn in losses.NAMES.items() if not isinstance(fn, type)}
FUNCTIONS.update(
    (fn.__name__, fn)
    for fn in (
        accuracy, binary_accuracy, categorical_accuracy, sparse_categorical_accuracy, top_k_categorical_accuracy,
        sparse_top_k_categorical_accuracy, cosine_similarity,
    )
)


def get(identifier, custom_objects: dict | None = None):
    """A metric from a name ("mse", "binary_accuracy", "AUC"-style class names),
    a class, an instance, a function (returned as is) or a serialized dict.

    Every name gives a Metric instance, as in Keras 3. ``"accuracy"`` gives the
    exact-match :class:`Accuracy`; ``compile`` resolves it with :func:`resolve`
    instead, which picks the accuracy that fits the loss.

    >>> plugnet.metrics.get("mae")
    <MeanAbsoluteError name='mean_absolute_error'>
    """
    return registry.resolve(identifier, "metric", NAMES, custom_objects)


def _loss_kind(loss) -> str | None:
    """"binary", "sparse" or "categorical" for a crossentropy loss, else None."""
    if loss is None:
        return None
    if isinstance(loss, (str, dict, type)):
        try:
            loss = losses.get(loss)
        except (ValueError, TypeError):
            return None
    fn = getattr(loss, "fn", loss)
    return {
        losses.binary_crossentropy: "binary",
        losses.sparse_categorical_crossentropy: "sparse",
        losses.categorical_crossentropy: "categorical",
    }.get(fn)


def resolve_accuracy(loss=None, y_true_shape=None, y_pred_shape=None, name="accuracy") -> Metric:
    """The accuracy metric that fits a model's loss and output, named ``name``.

    A crossentropy loss decides: binary -> :class:`BinaryAccuracy`, sparse
    categorical -> :class:`SparseCategoricalAccuracy`, categorical ->
    :class:`CategoricalAccuracy`. For other losses the shapes decide, as in
    Keras 3's compile: a last output dimension of 1 means binary; labels with
    one axis fewer than the output, or a last label dimension of 1 against a
    wider output, mean sparse categorical; anything else is categorical.

    >>> resolve_accuracy("sparse_categorical_crossentropy").name
    'accuracy'
    """
    kind = _loss_kind(loss)
    if kind is None:
        if y_pred_shape is None:
            raise ValueError(
                f"Cannot choose the metric {name!r}: the loss {loss!r} is not a crossentropy and the shape of "
                f"the model's output is unknown. Pass a specific metric such as 'binary_accuracy', "
                f"'categorical_accuracy' or 'sparse_categorical_accuracy'."
            )
        y_pred_shape = tuple(y_pred_shape)
        y_true_shape = tuple(y_true_shape) if y_true_shape is not None else y_pred_shape
        pred_last = y_pred_shape[-1] if y_pred_shape else 1
        true_last = y_true_shape[-1] if y_true_shape else 1
        if pred_last == 1:
            kind = "binary"
        elif len(y_true_shape) < len(y_pred_shape) or (true_last == 1 and pred_last > 1):
            kind = "sparse"
        else:
            kind = "categorical"
    cls = {"binary": BinaryAccuracy, "sparse": SparseCategoricalAccuracy, "categorical": CategoricalAccuracy}[kind]
    return cls(name=name)


def resolve(identifier, loss=None, y_true_shape=None, y_pred_shape=None) -> Metric | None:
    """The Metric that ``compile(metrics=[identifier])`` tracks.

    ``"accuracy"``/``"acc"`` become the accuracy fitting ``loss`` and the shapes
    (see :func:`resolve_accuracy`); other names, classes and dicts go through
    :func:`get`; a plain function is wrapped in a :class:`MeanMetricWrapper`.
    A metric given by name is named as written (``"mse"`` reports as ``mse``).

    >>> plugnet.metrics.resolve("acc", loss="binary_crossentropy").name
    'acc'
    """
    if identifier is None:
        return None
    if isinstance(identifier, str) and identifier.lower() in _ACCURACY_NAMES:
        return resolve_accuracy(loss, y_true_shape, y_pred_shape, name=identifier)
    metric = get(identifier)
    if not isinstance(metric, Metric):
        if not callable(metric):
            raise TypeError(f"Could not interpret metric identifier {identifier!r}: it is not callable.")
        metric = MeanMetricWrapper(metric)
    if isinstance(identifier, str):
        metric.name = identifier
    return metric


def serialize(metric):
    return registry.serialize(metric)


def deserialize(config, custom_objects: dict | None = None):
    if isinstance(config, str):
        return get(config, custom_objects)
    return registry.deserialize(config, custom_objects)
