"""The Metric base class and the reducing metrics every other one builds on."""

from __future__ import annotations

import functools

import numpy as np

from plugnet import initializers, ops, registry
from plugnet.dtypes import floatx, is_float, standardize_dtype
from plugnet.losses.loss import as_tensor, divide_no_nan, snake_case, squeeze_or_expand_to_same_rank
from plugnet.variables import Variable


@functools.lru_cache(maxsize=256)
def _host_zeros(shape: tuple, dtype: str) -> np.ndarray:
    """Read-only NumPy zeros to reset metric state with: train_on_batch resets every call, and
    making a zeros tensor eagerly costs TensorFlow more than the assignment."""
    zeros = np.zeros(shape, dtype)
    zeros.flags.writeable = False
    return zeros


def register(cls):
    """Register a metric class, under ``metrics.<Name>`` when a loss already uses ``<Name>``.

    Metrics such as MeanSquaredError share their class name with a loss; saved
    configs must name each unambiguously.
    """
    from plugnet import losses

    name = cls.__name__
    return registry.register_serializable(f"metrics.{name}" if name in losses.NAMES else name)(cls)


class Metric:
    """Base class: a running statistic held in non-trainable Variables.

    Subclasses create their state with :meth:`add_variable` in ``__init__``,
    and implement ``update_state(...)`` (a few ops per call: it runs on every
    training step) and ``result()``. ``reset_state()`` zeroes every variable.

    Args:
        dtype: the dtype of the state and result (default float32).
        name: the metric's name (default: the class name in snake_case).

    Example:
        >>> class CountPositives(Metric):
        ...     def __init__(self, name="count_positives", dtype=None):
        ...         super().__init__(name=name, dtype=dtype)
        ...         self.count = self.add_variable((), "zeros", name="count")
        ...     def update_state(self, values, sample_weight=None):
        ...         self.count.assign_add(ops.sum(ops.cast(ops.greater(values, 0), self.dtype)))
        ...     def result(self):
        ...         return ops.add(self.count.value, 0.0)
    """

    def __init__(self, dtype=None, name=None):
        self.name = name or snake_case(type(self).__name__)
        self._dtype = standardize_dtype(dtype or floatx())
        self._variables: list[Variable] = []

    @property
    def dtype(self) -> str:
        return self._dtype

    @property
    def variables(self) -> list[Variable]:
        return list(self._variables)

    def add_variable(self, shape, initializer, dtype=None, aggregation="sum", name=None) -> Variable:
        """A non-trainable state Variable, reset to zeros by :meth:`reset_state`."""
        del aggregation  # Keras uses it for distributed training; plugnet keeps one replica.
        variable = Variable(
            initializers.get(initializer), shape=tuple(shape), dtype=dtype or self.dtype, trainable=False,
            name=f"{self.name}/{name}" if name else None,
        )
        self._variables.append(variable)
        return variable

    def add_weight(self, shape=(), initializer=None, dtype=None, name=None) -> Variable:
        return self.add_variable(shape, initializer or "zeros", dtype=dtype, name=name)

    def reset_state(self) -> None:
        for variable in self._variables:
            if variable.shape:
                variable.assign(_host_zeros(variable.shape, variable.dtype))
            else:  # a Python number: no conversion for backends to make
                variable.assign(0.0 if is_float(variable.dtype) else 0)

    def update_state(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must implement update_state().")

    def result(self):
        raise NotImplementedError(f"{type(self).__name__} must implement result().")

    def __call__(self, *args, **kwargs):
        """Update with one batch and return the running result."""
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r}>"


def reduce_to_samplewise_values(values, sample_weight, reduce_fn, dtype):
    """One value per sample, weighted, and the per-sample weights (Keras 3's rule).

    ``sample_weight`` is aligned with ``values``; values with more axes than the
    weights are reduced (with ``reduce_fn``) down to the weights' rank, multiplied
    by them, and then, like weights of rank > 1, reduced to one per sample.
    """
    values = as_tensor(values, dtype)
    if sample_weight is not None:
        sample_weight = as_tensor(sample_weight, dtype)
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        weight_rank, value_rank = len(ops.shape(sample_weight)), len(ops.shape(values))
        if value_rank > weight_rank:
            values = reduce_fn(values, axis=tuple(range(weight_rank, value_rank)))
        sample_weight = ops.broadcast_to(sample_weight, ops.shape(values))
        values = ops.multiply(values, sample_weight)
        if weight_rank > 1:
            sample_weight = reduce_fn(sample_weight, axis=tuple(range(1, weight_rank)))
    value_rank = len(ops.shape(values))
    if value_rank > 1:
        values = reduce_fn(values, axis=tuple(range(1, value_rank)))
    return values, sample_weight


@register
class Sum(Metric):
    """The weighted sum of every value seen.

    Example:
        >>> m = plugnet.metrics.Sum()
        >>> m.update_state([1.0, 3.0, 5.0])
        >>> m.result()   # 9.0
    """

    def __init__(self, name="sum", dtype=None):
        super().__init__(dtype=dtype, name=name)
        self.total = self.add_variable((), "zeros", name="total")

    def update_state(self, values, sample_weight=None):
        values, _ = reduce_to_samplewise_values(values, sample_weight, ops.sum, self.dtype)
        self.total.assign_add(ops.sum(values))

    def result(self):
        # A new tensor: the variable's storage is updated in place by later batches.
        return ops.add(self.total.value, 0.0)


@register
class Mean(Metric):
    """The weighted mean of every value seen: ``sum(w * v) / sum(w)``.

    Values of rank > 1 are first averaged per sample.

    Example:
        >>> m = plugnet.metrics.Mean()
        >>> m.update_state([1.0, 3.0, 5.0], sample_weight=[1.0, 0.0, 1.0])
        >>> m.result()   # 3.0
    """

    def __init__(self, name="mean", dtype=None):
        super().__init__(dtype=dtype, name=name)
        self.total = self.add_variable((), "zeros", name="total")
        self.count = self.add_variable((), "zeros", name="count")

    def update_state(self, values, sample_weight=None):
        values, sample_weight = reduce_to_samplewise_values(values, sample_weight, ops.mean, self.dtype)
        self.total.assign_add(ops.sum(values))
        if sample_weight is not None:
            self.count.assign_add(ops.sum(sample_weight))
        else:
            shape = ops.shape(values)
            self.count.assign_add(float(shape[0]) if shape else 1.0)

    def result(self):
        return divide_no_nan(self.total.value, self.count.value)


@register
class MeanMetricWrapper(Mean):
    """The running mean of a per-sample function ``fn(y_true, y_pred, **kwargs)``.

    Args:
        fn: the function (a loss function, an accuracy function, your own).
        name, dtype: as for :class:`Metric`. kwargs: passed to ``fn``.

    Example:
        >>> m = MeanMetricWrapper(plugnet.losses.mean_absolute_error, name="mae")
        >>> m.update_state(y_true, y_pred)
    """

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        super().__init__(name=name or getattr(fn, "__name__", None) or "mean_metric_wrapper", dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs

    def update_state(self, y_true, y_pred, sample_weight=None):
        super().update_state(self._fn(y_true, y_pred, **self._fn_kwargs), sample_weight=sample_weight)

    def get_config(self) -> dict:
        config = {**super().get_config(), **self._fn_kwargs}
        if type(self) is MeanMetricWrapper:
            config["fn"] = registry.serialize(self._fn)
        return config

    @classmethod
    def from_config(cls, config: dict, custom_objects=None):
        if cls is MeanMetricWrapper:
            from plugnet.metrics import FUNCTIONS  # the name table lives with the package

            config = dict(config)
            fn = config["fn"]
            config["fn"] = FUNCTIONS.get(fn) if isinstance(fn, str) and fn in FUNCTIONS else (
                registry.deserialize(fn, custom_objects)
            )
        return cls(**config)
