"""The loss and metric containers behind ``compile(loss=..., metrics=...)``.

Both accept Keras 3's forms: one identifier (a name, a function, an object),
a list (one entry per output, or for a single-output model a list of
metrics), or a dict keyed by output name. Identifiers are resolved at
construction, so a misspelled name fails in ``compile``; only ``"accuracy"``
and ``"crossentropy"`` (and their short forms), whose meaning depends on the
shapes of the targets, are resolved on the first batch. The containers build
their per-output plan once, on that first batch; afterwards a step does no
structural work for a single-output model.
"""

from __future__ import annotations

from plugnet import losses, ops
from plugnet import metrics as metrics_module
from plugnet.layers.structure import flatten
from plugnet.metrics import Mean

_SHAPE_DEPENDENT_LOSSES = ("crossentropy", "ce")
_SHAPE_DEPENDENT_METRICS = ("accuracy", "acc", "crossentropy", "ce")


def _is_shape_dependent(identifier, names) -> bool:
    return isinstance(identifier, str) and identifier.lower() in names


def _batch_size(y_pred) -> int:
    return ops.shape(y_pred)[0]


def output_names_for(y_pred, output_names):
    """The names of the model's outputs, in the order of ``flatten(y_pred)``."""
    if isinstance(y_pred, dict):
        return list(y_pred)
    count = len(flatten(y_pred))
    if output_names is not None and len(output_names) == count:
        return list(output_names)
    return [f"output_{i + 1}" for i in range(count)] if count > 1 else list(output_names or ["output"])


def align_to_outputs(value, names, what: str, broadcast: bool):
    """``value`` as a list with one entry per output (None where it has none).

    A dict is keyed by output name; a list or tuple must have one entry per
    output; anything else is used for every output when ``broadcast``.
    """
    count = len(names)
    if isinstance(value, dict):
        unknown = [key for key in value if key not in names]
        if unknown:
            raise ValueError(f"`{what}` has key(s) {unknown} that name no model output; the outputs are {names}.")
        return [value.get(name) for name in names]
    if isinstance(value, (list, tuple)):
        if len(value) != count:
            raise ValueError(
                f"`{what}` has {len(value)} entries but the model has {count} output(s) {names}; "
                "give one entry per output (None for none), or a dict keyed by output name."
            )
        return list(value)
    if broadcast or count == 1:
        return [value] * count
    raise ValueError(f"`{what}` must be a list or dict with one entry per output {names}; got {value!r}.")


def _align_targets(y_true, names, has_loss, what="y"):
    """Targets per output; a list covering only the outputs that have a loss is spread over them."""
    if isinstance(y_true, (list, tuple)) and len(y_true) != len(names) and len(y_true) == sum(has_loss):
        values = iter(y_true)
        return [next(values) if flag else None for flag in has_loss]
    return align_to_outputs(y_true, names, what, broadcast=False)


class LossTracker(Mean):
    """A ``Mean`` of per-batch losses weighted by batch size, cheap to update, read and reset.

    ``update_state(loss, sample_weight=batch_size)`` with a scalar loss and an
    integer batch size adds ``loss * batch_size`` to a running tensor and the
    batch size to a Python int: no Variable is written. The first batch after a
    reset is kept as it is, so ``train_on_batch`` (a reset, one update, one
    read) runs no op at all; ``result()`` is otherwise one division, and
    ``reset_state()`` forgets the running sums. The
    ``total``/``count`` Variables are brought up to date (and lazily zeroed
    after a reset) only when they are read, or when an update takes ``Mean``'s
    general path (any other ``sample_weight``).
    """

    def __init__(self, name="loss", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self._sum = None  # loss * batch size, summed since the Variables were last synced
        self._count = 0
        self._single = False  # _sum is one batch's loss, not yet multiplied by its size (_count)
        self._in_variables = False  # the Variables hold part of the current state
        self._stale = False  # the Variables hold state a reset discarded
        self._weighted = False  # a traced update took Mean's general path (weights other than batch sizes)

    graph = False  # set by the trainer when steps are traced: then every update writes the Variables

    def update_state(self, values, sample_weight=None):
        lean = type(sample_weight) is int and not ops.ndim(values)
        if self.graph:  # traced: Python-side sums would be frozen into the graph
            if not lean:
                self._weighted = True
                return super().update_state(values, sample_weight)
            # Two ops in the traced step, where Mean's general path (broadcast weights, sums) takes six.
            self.total.assign_add(ops.multiply(ops.cast(values, self.dtype), float(sample_weight)))
            self.count.assign_add(float(sample_weight))
            return None
        if not lean:
            self._sync()
            self._in_variables = True
            return super().update_state(values, sample_weight)
        if self._sum is None:
            self._sum, self._count, self._single = values, sample_weight, True
            return None
        weighted = ops.multiply(values, float(sample_weight))
        self._sum = ops.add(self._scaled_sum(), weighted)
        self._count += sample_weight
        self._single = False

    def _scaled_sum(self):
        return ops.multiply(self._sum, float(self._count)) if self._single else self._sum

    def _sync(self) -> None:
        if self._stale:
            super().reset_state()
            self._stale = False
        if self._sum is not None:
            self.total.assign_add(self._scaled_sum())
            self.count.assign_add(float(self._count))
            self._sum, self._count, self._single = None, 0, False
            self._in_variables = True

    def result(self):
        if self.graph:
            if self._weighted:
                return super().result()
            # count sums batch sizes: 0 (then total is 0 too) or at least 1, so a maximum
            # replaces divide_no_nan's four extra ops.
            return ops.divide(self.total.value, ops.maximum(self.count.value, 1.0))
        if not self._in_variables:
            if self._sum is None:
                return ops.zeros((), self.dtype)
            if self._single:
                return self._sum if ops.dtype(self._sum) == self.dtype else ops.cast(self._sum, self.dtype)
            return ops.divide(self._sum, float(self._count))
        self._sync()
        return super().result()

    def reset_state(self) -> None:
        self._sum, self._count, self._single = None, 0, False
        if self.graph:
            self._stale, self._in_variables = False, True
            super().reset_state()
        elif self._in_variables:
            self._stale, self._in_variables = True, False

    @property
    def variables(self) -> list:
        self._sync()
        return super().variables


class CompileLoss:
    """The total loss ``sum(loss_weight_i * loss_i(y_true_i, y_pred_i, sample_weight_i))``.

    For a model with several outputs it also keeps one ``Mean`` metric (a
    :class:`LossTracker`) per output, named ``<output name>_loss``, of the unweighted loss (in
    :attr:`metrics`, so ``fit`` reports them).

    Args:
        loss: an identifier, a list (one per output) or a dict by output name.
        loss_weights: a float (single output), a list, or a dict by output name.
        output_names: the model's output names, when known.
    """

    def __init__(self, loss, loss_weights=None, output_names=None):
        if loss_weights is not None and not isinstance(loss_weights, (int, float, list, tuple, dict)):
            raise ValueError(
                "`loss_weights` must be a float (single output), a list or a dict (several outputs); "
                f"got {loss_weights!r} of type {type(loss_weights).__name__}."
            )
        self._user_loss = loss
        self._loss_weights = loss_weights
        self.output_names = output_names
        self._resolved = _map_leaves(
            lambda ident: ident if _is_shape_dependent(ident, _SHAPE_DEPENDENT_LOSSES) else losses.as_loss(ident),
            loss,
        )
        self.metrics = []
        self.built = False
        self._single = None
        self._terms = []

    def build(self, y_true, y_pred) -> None:
        names = output_names_for(y_pred, self.output_names)
        if len(names) == 1 and not isinstance(y_pred, (list, tuple, dict)):
            resolved = self._resolved
            if isinstance(resolved, (list, tuple, dict)):
                resolved = align_to_outputs(resolved, names, "loss", broadcast=False)[0]
            weight = self._loss_weights
            if isinstance(weight, (list, tuple, dict)):
                weight = align_to_outputs(weight, names, "loss_weights", broadcast=False)[0]
            self._single = (_resolve_loss(resolved, y_true, y_pred), None if weight is None else float(weight))
            self._names = names
            self.built = True
            return
        flat_pred = _flat_outputs(y_pred, names)
        per_output = align_to_outputs(self._resolved, names, "loss", broadcast=True)
        weights = align_to_outputs(self._loss_weights, names, "loss_weights", broadcast=True)
        has_loss = [loss is not None for loss in per_output]
        flat_true = _align_targets(y_true, names, has_loss)
        self._terms = []
        for i, (name, loss, weight) in enumerate(zip(names, per_output, weights)):
            if loss is None:
                continue
            tracker = LossTracker(name=f"{name}_loss") if sum(has_loss) > 1 else None
            if tracker is not None:
                self.metrics.append(tracker)
            loss_fn = _resolve_loss(loss, flat_true[i], flat_pred[i])
            self._terms.append((i, loss_fn, None if weight is None else float(weight), tracker))
        if not self._terms:
            raise ValueError(f"compile(loss=...) gives no loss for any of the outputs {names}.")
        self._names = names
        self._has_loss = has_loss
        self.built = True

    def __call__(self, y_true, y_pred, sample_weight=None):
        if not self.built:
            self.build(y_true, y_pred)
        single = self._single
        if single is not None:
            loss_fn, weight = single
            if isinstance(y_true, (list, tuple)) and len(y_true) == 1:
                y_true = y_true[0]
            value = loss_fn(y_true, y_pred, sample_weight)
            return value if weight is None else ops.multiply(value, weight)
        names = self._names
        flat_pred = _flat_outputs(y_pred, names)
        flat_true = _align_targets(y_true, names, self._has_loss)
        flat_weight = align_to_outputs(sample_weight, names, "sample_weight", broadcast=True)
        total = None
        for i, loss_fn, weight, tracker in self._terms:
            value = loss_fn(flat_true[i], flat_pred[i], flat_weight[i])
            if tracker is not None:
                tracker.update_state(ops.stop_gradient(value), sample_weight=_batch_size(flat_pred[i]))
            if weight is not None:
                value = ops.multiply(value, weight)
            total = value if total is None else ops.add(total, value)
        return total


def _flat_outputs(y_pred, names):
    if isinstance(y_pred, dict):
        return [y_pred[name] for name in names]
    return flatten(y_pred)


def _map_leaves(fn, value):
    if isinstance(value, dict):
        return {key: _map_leaves(fn, item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_map_leaves(fn, item) for item in value]
    return None if value is None else fn(value)


def _crossentropy_kind(y_true, y_pred) -> str:
    """"binary", "sparse" or "categorical", read from the shapes as Keras does."""
    true_shape, pred_shape = tuple(ops.shape(y_true)), tuple(ops.shape(y_pred))
    if pred_shape and pred_shape[-1] == 1:
        return "binary"
    if len(true_shape) < len(pred_shape) or (true_shape and true_shape[-1] == 1 and pred_shape[-1] != 1):
        return "sparse"
    return "categorical"


def _resolve_loss(loss, y_true, y_pred):
    if not _is_shape_dependent(loss, _SHAPE_DEPENDENT_LOSSES):
        return loss
    kind = _crossentropy_kind(y_true, y_pred)
    fn = {"binary": losses.binary_crossentropy, "sparse": losses.sparse_categorical_crossentropy,
          "categorical": losses.categorical_crossentropy}[kind]
    return losses.LossFunctionWrapper(fn, name=loss)


class CompileMetrics:
    """The metrics given to ``compile``, updated together and reported by name.

    Names are as given (``"accuracy"`` when the user wrote ``"accuracy"``), the
    metric's own name for objects and functions, prefixed with the output name
    for a model with several outputs. ``weighted_metrics`` also get the sample
    weights; a weighted metric whose name is taken gets a ``weighted_`` prefix.
    ``loss`` (as given to compile) lets ``"accuracy"`` pick the matching accuracy.
    """

    name = "compile_metrics"

    def __init__(self, metrics=None, weighted_metrics=None, output_names=None, loss=None):
        for what, value in (("metrics", metrics), ("weighted_metrics", weighted_metrics)):
            if value is not None and not isinstance(value, (list, tuple, dict)):
                raise ValueError(
                    f"`{what}` must be a list, tuple or dict, got {value!r} of type {type(value).__name__}. "
                    f"For one metric write {what}=[{value!r}]."
                )
        self.output_names = output_names
        self._loss = loss
        self._user = (_map_leaves(_resolve_now, metrics), _map_leaves(_resolve_now, weighted_metrics))
        self._plan = []  # (output index, metric, weighted)
        self._display_names = []
        self._single = True
        self._names = None
        self.built = False

    @property
    def metrics(self) -> list:
        """The metric objects, in reporting order."""
        return [metric for _, metric, _ in self._plan]

    @property
    def variables(self) -> list:
        return [v for metric in self.metrics for v in getattr(metric, "variables", ())]

    def build(self, y_true, y_pred) -> None:
        names = output_names_for(y_pred, self.output_names)
        single = len(names) == 1 and not isinstance(y_pred, (list, tuple, dict))
        flat_pred = [y_pred] if single else _flat_outputs(y_pred, names)
        if single:
            flat_true = [y_true[0] if isinstance(y_true, (list, tuple)) and len(y_true) == 1 else y_true]
        else:
            flat_true = _align_targets(y_true, names, [True] * len(names))
        try:
            per_output_loss = align_to_outputs(self._loss, names, "loss", broadcast=True)
        except ValueError:
            per_output_loss = [None] * len(names)
        plan, display, taken = [], [], {}
        for weighted, user in zip((False, True), self._user):
            for i, entries in enumerate(self._per_output(user, names, single)):
                for identifier in entries:
                    metric = _make_metric(identifier, per_output_loss[i], flat_true[i], flat_pred[i])
                    base = metric.name if single else f"{names[i]}_{metric.name}"
                    plan.append((i, metric, weighted))
                    display.append(_unique(base, metric.name, names[i], single, weighted, taken))
        self._plan, self._display_names = plan, display
        self._single = single
        self._names = names
        self.built = True

    @staticmethod
    def _per_output(user, names, single):
        """For each output, the list of metric identifiers it gets."""
        if user is None:
            return [[] for _ in names]
        if single:
            entries = flatten(list(user.values())) if isinstance(user, dict) else flatten(user)
            return [[m for m in entries if m is not None]]
        per_output = align_to_outputs(user, names, "metrics", broadcast=False)
        return [[m for m in flatten(entry) if m is not None] if entry is not None else [] for entry in per_output]

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        if not self.built:
            self.build(y_true, y_pred)
        if self._single:
            if isinstance(y_true, (list, tuple)) and len(y_true) == 1:
                y_true = y_true[0]
            for _, metric, weighted in self._plan:
                metric.update_state(y_true, y_pred, sample_weight=sample_weight if weighted else None)
            return
        names = self._names
        flat_pred = _flat_outputs(y_pred, names)
        flat_true = _align_targets(y_true, names, [True] * len(names))
        flat_weight = align_to_outputs(sample_weight, names, "sample_weight", broadcast=True)
        for i, metric, weighted in self._plan:
            metric.update_state(flat_true[i], flat_pred[i], sample_weight=flat_weight[i] if weighted else None)

    def reset_state(self) -> None:
        for _, metric, _ in self._plan:
            metric.reset_state()

    def result(self) -> dict:
        """``{display name: metric result}`` in reporting order."""
        return {name: metric.result() for name, (_, metric, _) in zip(self._display_names, self._plan)}


def _unique(base, metric_name, output_name, single, weighted, taken) -> str:
    """Keras's naming: duplicates get ``_1``, ``_2``...; a weighted duplicate gets ``weighted_`` first."""
    name = base
    if name in taken and weighted:
        name = f"weighted_{metric_name}" if single else f"{output_name}_weighted_{metric_name}"
    if name in taken:
        count = taken[name]
        taken[name] += 1
        name = f"{name}_{count}"
    taken.setdefault(name, 1)
    return name


def _resolve_now(identifier):
    """Resolve a metric identifier now, so unknown names fail in compile; shape-dependent ones wait."""
    if _is_shape_dependent(identifier, _SHAPE_DEPENDENT_METRICS):
        return identifier
    return metrics_module.resolve(identifier)


def _make_metric(identifier, loss, y_true, y_pred):
    """The metric object for one output; ``"accuracy"``/``"crossentropy"`` chosen from the loss and shapes."""
    if not isinstance(identifier, str):
        return identifier
    if identifier.lower() in ("accuracy", "acc"):
        return metrics_module.resolve(identifier, loss=loss, y_true_shape=ops.shape(y_true),
                                      y_pred_shape=ops.shape(y_pred))
    cls = {"binary": metrics_module.BinaryCrossentropy, "sparse": metrics_module.SparseCategoricalCrossentropy,
           "categorical": metrics_module.CategoricalCrossentropy}[_crossentropy_kind(y_true, y_pred)]
    return cls(name=identifier)
