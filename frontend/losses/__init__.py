"""Losses (``plugnet.losses``): what training minimizes.

Each loss exists as a function returning one value per sample
(``mean_squared_error(y_true, y_pred)`` -> shape ``(batch,)``) and as a
:class:`Loss` class whose call reduces those values to a scalar, weighting
them by ``sample_weight``::

    loss = plugnet.losses.SparseCategoricalCrossentropy(from_logits=True)
    value = loss(labels, logits)                       # a scalar tensor

Shapes follow Keras: when the ranks of ``y_true`` and ``y_pred`` differ by
one and the longer has a last dimension of 1, that dimension is squeezed (or
the shorter one expanded), so labels of shape ``(batch,)`` work with
predictions of shape ``(batch, 1)``. Probabilities are clipped to
``[1e-7, 1 - 1e-7]`` before logs; ``from_logits=True`` uses stable forms.
"""


from __future__ import annotations

from plugnet import registry

from .classes import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    CategoricalHinge,
    CosineSimilarity,
    Hinge,
    Huber,
    KLDivergence,
    LogCosh,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    Poisson,
    SparseCategoricalCrossentropy,
    SquaredHinge,
)
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
from .loss import (
    EPSILON,
    REDUCTIONS,
    Loss,
    LossFunctionWrapper,
    reduce_values,
    reduce_weighted_values,
    squeeze_or_expand_to_same_rank,
    standardize_reduction,
)

_FUNCTIONS = (
    mean_squared_error, mean_absolute_error, mean_absolute_percentage_error, mean_squared_logarithmic_error,
    huber, log_cosh, binary_crossentropy, categorical_crossentropy, sparse_categorical_crossentropy,
    kl_divergence, poisson, hinge, squared_hinge, categorical_hinge, cosine_similarity,
)
_CLASSES = (
    MeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError, MeanSquaredLogarithmicError, Huber,
    LogCosh, BinaryCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy, KLDivergence,
    Poisson, Hinge, SquaredHinge, CategoricalHinge, CosineSimilarity,
)
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kullback_leibler_divergence = kl_divergence
logcosh = log_cosh
bce = BCE = binary_crossentropy

_ALIASES = {
    "mse": mean_squared_error, "MSE": mean_squared_error, "mae": mean_absolute_error,
    "MAE": mean_absolute_error, "mape": mean_absolute_percentage_error, "MAPE": mean_absolute_percentage_error,
    "msle": mean_squared_logarithmic_error, "MSLE": mean_squared_logarithmic_error, "kld": kl_divergence,
    "KLD": kl_divergence, "kullback_leibler_divergence": kl_divergence, "logcosh": log_cosh,
    "bce": binary_crossentropy, "BCE": binary_crossentropy, "huber_loss": huber,
}
#: Every name :func:`get` accepts: functions (and aliases) by snake_case name, classes by class name.
NAMES: dict[str, object] = {fn.__name__: fn for fn in _FUNCTIONS}
NAMES.update(_ALIASES)
NAMES.update({cls.__name__: cls for cls in _CLASSES})
# The Loss class computing each function, for turning a name into a reducing Loss object.
CLASS_OF: dict[object, type] = dict(zip(_FUNCTIONS, _CLASSES))
_FACTORIES = {name: (obj if isinstance(obj, type) else (lambda obj=obj: obj)) for name, obj in NAMES.items()}


def get(identifier, custom_objects: dict | None = None):
    """A loss from a name, a class, an instance, a function or a serialized dict.

    As in Keras, a snake_case name or alias ("mse", "categorical_crossentropy")
    gives the per-sample *function*, a class name ("MeanSquaredError") gives an
    instance. Use :func:`as_loss` to always get a reducing :class:`Loss` object.

    >>> plugnet.losses.get("mse") is plugnet.losses.mean_squared_error
    True
    """
    return registry.resolve(identifier, "loss", _FACTORIES, custom_objects)


def as_loss(identifier, custom_objects: dict | None = None) -> Loss | None:
    """A :class:`Loss` object for anything :func:`get` accepts: built-in functions
    become their class (``"mse"`` -> ``MeanSquaredError(name="mse")``), other
    functions a :class:`LossFunctionWrapper`. What ``compile(loss=...)`` uses.

    >>> plugnet.losses.as_loss("sparse_categorical_crossentropy")(labels, probs)
    """
    loss = get(identifier, custom_objects)
    if loss is None or isinstance(loss, Loss):
        return loss
    name = identifier if isinstance(identifier, str) else None
    if loss in CLASS_OF:
        cls = CLASS_OF[loss]
        return cls(name=name) if name else cls()
    if not callable(loss):
        raise TypeError(f"Could not interpret loss identifier {identifier!r}: it is not callable.")
    return LossFunctionWrapper(loss, name=name)


def serialize(loss):
    """A config dict for a Loss object, the name of a built-in loss function."""
    for name, fn in zip((f.__name__ for f in _FUNCTIONS), _FUNCTIONS):
        if loss is fn:
            return name
    return registry.serialize(loss)


def deserialize(config, custom_objects: dict | None = None):
    if isinstance(config, str):
        return get(config, custom_objects)
    return registry.deserialize(config, custom_objects)
