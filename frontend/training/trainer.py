"""``Trainer``: ``compile``, ``fit``, ``evaluate`` and ``predict``, inherited by every Model.

One training step is one frontend method, :meth:`Trainer.train_step`, built on
:class:`plugnet.GradientTape` and the optimizer exactly as a hand-written
custom training loop is::

    with plugnet.GradientTape() as tape:
        y_pred = model(x, training=True)
        loss = model.compute_loss(x, y, y_pred)
    grads = tape.gradient(loss, model.trainable_variables)
    model.optimizer.apply_gradients(zip(grads, model.trainable_variables))

so it runs unchanged on every backend. ``make_train_function`` hands it to
the backend to compile (:mod:`plugnet.training.compiled_steps`): TensorFlow
traces it into a ``tf.function`` by default; NumPy and torch replay it
(:mod:`plugnet.training.replay`: its backend calls recorded once, then run
without its Python), and torch compiles it with ``jit_compile=True``;
``run_eagerly=True`` keeps every backend eager.

Per step, ``fit`` does no more than: take the next slice of the data, convert
it to tensors, run the step, and call the callbacks that act per batch.
Losses, metrics and the callback dispatch are resolved once, and metric
values become Python floats only when something reads them (the progress bar
about ten times a second, the epoch's logs once per epoch).
"""

from __future__ import annotations

import inspect
import warnings

import numpy as np

from plugnet import backend as _backend
from plugnet import ops
from plugnet.layers.structure import flatten, map_structure, pack_like
from plugnet.metrics import Metric
from plugnet.tape import GradientTape
from plugnet.training import array_adapter, generator_adapter, tf_dataset_adapter, torch_adapter  # noqa: F401,E501  (registers the adapters)
from plugnet.training.array_adapter import (
    check_data_cardinality,
    class_weight_to_sample_weights,
    train_validation_split,
)
from plugnet.training.compile_utils import CompileLoss, CompileMetrics, LossTracker
from plugnet.training.compiled_steps import compiled
from plugnet.training.data_adapter import get_data_adapter, pack_x_y_sample_weight, unpack_x_y_sample_weight
from plugnet.training.epoch_iterator import EpochIterator, to_tensors
from plugnet.training.logs import LazyLogs, pythonify


def _set(obj, name, value) -> None:
    # Trainer state is bookkeeping, not model structure: keep it out of Layer's attribute tracking.
    object.__setattr__(obj, name, value)


def _batch_size(x) -> int:
    first = x if not isinstance(x, (list, tuple, dict)) else flatten(x)[0]
    return ops.shape(first)[0]


def _detach(structure):
    if not isinstance(structure, (list, tuple, dict)):
        return ops.stop_gradient(structure)
    return map_structure(ops.stop_gradient, structure)


def _resolve_verbose(verbose) -> int:
    if verbose == "auto":
        return 1
    if verbose not in (0, 1, 2, True, False):
        raise ValueError(f"verbose must be 'auto', 0, 1 or 2, got {verbose!r}.")
    return int(verbose)


class Trainer:
    """The training API of :class:`plugnet.Model` (Keras 3's, names and defaults included).

    Example:
        >>> model = plugnet.Sequential([plugnet.layers.Dense(1)])
        >>> model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
        >>> history = model.fit(x, y, epochs=10, batch_size=32, validation_split=0.2)
        >>> loss, mae = model.evaluate(x_test, y_test)
        >>> predictions = model.predict(x_new)
    """

    # Class-level defaults: every attribute exists before compile().
    compiled = False
    optimizer = None
    loss = None
    stop_training = False
    stop_evaluating = False
    stop_predicting = False
    history = None
    steps_per_execution = 1
    run_eagerly = False
    jit_compile = False
    train_function = None
    test_function = None
    predict_function = None
    _compile_loss = None
    _compile_metrics = None
    _loss_tracker = None
    _compile_config = None

    def __init__(self):
        _set(self, "compiled", False)
        _set(self, "stop_training", False)

    # ------------------------------------------------------------------ compile

    def compile(self, optimizer="rmsprop", loss=None, loss_weights=None, metrics=None, weighted_metrics=None,
                run_eagerly=False, steps_per_execution=1, jit_compile="auto"):
        """Configure the model for training.

        Args:
            optimizer: a name (``"adam"``, ``"sgd"``...) or an optimizer instance.
            loss: a name (``"mse"``, ``"sparse_categorical_crossentropy"``...), a
                function ``fn(y_true, y_pred)``, a ``plugnet.losses.Loss``; for a
                model with several outputs, a list or a dict (by output name)
                of them, or one loss for every output.
            loss_weights: a float, or a list/dict with one weight per output:
                the training loss is the weighted sum of the outputs' losses.
            metrics: a list of metrics (names, functions, Metric objects); for
                several outputs, a list with one entry (a metric or a list) per
                output, or a dict by output name. ``"accuracy"`` picks binary,
                categorical or sparse categorical accuracy from the loss and shapes.
            weighted_metrics: metrics that also take ``sample_weight``/``class_weight``.
            run_eagerly: run the step's Python on every call: never trace, replay or compile it.
            steps_per_execution: run this many batches per call of the step
                function; batch-level callbacks are called once per group.
            jit_compile: ``"auto"``, True or False: whether a compiling backend
                may JIT-compile the step (no effect on the NumPy backend).

        Unknown names raise a ValueError listing the valid ones.

        Example:
            >>> model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        """
        from plugnet import optimizers

        if not isinstance(steps_per_execution, int) or steps_per_execution < 1:
            raise ValueError(f"steps_per_execution must be a positive integer, got {steps_per_execution!r}.")
        resolved_optimizer = optimizers.get(optimizer)
        output_names = self._known_output_names()
        compile_loss = CompileLoss(loss, loss_weights, output_names) if loss is not None else None
        compile_metrics = None
        if metrics or weighted_metrics:
            compile_metrics = CompileMetrics(metrics, weighted_metrics, output_names, loss=loss)
        if jit_compile == "auto":
            jit_compile = False if run_eagerly else self._resolve_auto_jit_compile()
        elif jit_compile and run_eagerly:
            warnings.warn("run_eagerly=True disables jit_compile.", stacklevel=2)
            jit_compile = False
        state = dict(
            optimizer=resolved_optimizer, loss=loss, _compile_loss=compile_loss, _compile_metrics=compile_metrics,
            _loss_tracker=LossTracker(name="loss"), run_eagerly=bool(run_eagerly),
            jit_compile=bool(jit_compile), steps_per_execution=steps_per_execution, stop_training=False,
            train_function=None, test_function=None, predict_function=None, compiled=True,
            _compile_config=dict(optimizer=resolved_optimizer, loss=loss, loss_weights=loss_weights,
                                 metrics=metrics, weighted_metrics=weighted_metrics, run_eagerly=run_eagerly,
                                 steps_per_execution=steps_per_execution, jit_compile=jit_compile),
        )
        for name, value in state.items():
            _set(self, name, value)

    def _resolve_auto_jit_compile(self) -> bool:
        """What ``jit_compile="auto"`` means on the active backend: False, as NumPy cannot compile."""
        return False

    def _known_output_names(self):
        try:
            names = getattr(self, "output_names", None)
        except (AttributeError, ValueError):
            return None
        return list(names) if names else None

    def _assert_compiled(self, method: str) -> None:
        if not self.compiled:
            raise ValueError(
                f"You must call compile() before {method}() on model {getattr(self, 'name', type(self).__name__)!r}, "
                "e.g. model.compile(optimizer='adam', loss='mse')."
            )

    # ------------------------------------------------------------------ metrics

    @property
    def metrics(self) -> list:
        """The model's metrics: the loss tracker, the compiled metrics (one container),
        the per-output loss trackers, then metrics held as model attributes."""
        found = []
        if self.compiled:
            if self._loss_tracker is not None:
                found.append(self._loss_tracker)
            if self._compile_metrics is not None:
                found.append(self._compile_metrics)
            if self._compile_loss is not None:
                found.extend(self._compile_loss.metrics)
        names = self.__dict__.get("_metric_attributes")
        if names:
            attributes = self.__dict__
            found.extend(attributes[name] for name in names if attributes[name] is not self._loss_tracker)
        return found

    def __setattr__(self, name, value):
        # Metrics held as attributes (``self.tracker = metrics.Mean()``) are noted when
        # assigned, so that reading ``metrics`` every step never scans the attributes.
        names = self.__dict__.get("_metric_attributes")
        if isinstance(value, Metric):
            if names is None:
                names = {}
                object.__setattr__(self, "_metric_attributes", names)
            names[name] = None
        elif names and name in names:
            del names[name]
        super().__setattr__(name, value)

    def __delattr__(self, name):
        names = self.__dict__.get("_metric_attributes")
        if names and name in names:
            del names[name]
        super().__delattr__(name)

    @property
    def metrics_names(self) -> list:
        return [metric.name for metric in self.metrics]

    @property
    def metrics_variables(self) -> list:
        return [v for metric in self.metrics for v in metric.variables]

    def reset_metrics(self) -> None:
        """Reset the state of every metric in :attr:`metrics`."""
        for metric in self.metrics:
            metric.reset_state()

    def get_metrics_result(self) -> dict:
        """The current value of every metric as Python numbers, e.g. ``{"loss": 0.2, "accuracy": 0.7}``."""
        return pythonify(self._metric_tensors())

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        """Update the compiled metrics with a batch; return the metrics' logs.

        Override it to add your own metrics; the returned mapping is computed
        when first read (``compute_metrics`` runs every step, reading values is
        left to whoever needs them).

        Example:
            >>> def compute_metrics(self, x, y, y_pred, sample_weight=None):
            ...     logs = super().compute_metrics(x, y, y_pred, sample_weight)
            ...     self.my_metric.update_state(y, y_pred)
            ...     logs["my_metric"] = self.my_metric.result()
            ...     return logs
        """
        if self._compile_metrics is not None:
            self._compile_metrics.update_state(y, y_pred, sample_weight)
        return LazyLogs(self.get_metrics_result)

    # ------------------------------------------------------------------ the steps

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The total loss of a batch: the compiled loss(es) plus ``self.losses``
        (weight regularization and ``add_loss`` terms). Override it for a custom loss."""
        total = None
        if self._compile_loss is not None:
            total = self._compile_loss(y, y_pred, sample_weight)
        for extra in getattr(self, "losses", None) or ():
            if ops.ndim(extra):
                extra = ops.sum(extra)
            total = extra if total is None else ops.add(total, extra)
        if total is None:
            raise ValueError("No loss to compute. Provide a `loss` argument in compile().")
        return total

    def _compute_loss(self, x, y, y_pred, sample_weight, training):
        # Overrides written before `training` existed (Keras < 3.3) do not take it.
        if _takes_training(type(self)):
            return self.compute_loss(x, y, y_pred, sample_weight, training=training)
        return self.compute_loss(x, y, y_pred, sample_weight)

    def train_step(self, data):
        """One gradient step on a batch ``data`` (``(x, y)``, ``(x, y, sample_weight)`` or ``x``).

        Returns the metrics' logs. Override it for a custom training step (a
        GAN); ``fit`` then runs yours.
        """
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        optimizer = self.optimizer
        if optimizer is None:
            raise ValueError("This model was compiled without an optimizer; training needs one, "
                             "e.g. model.compile(optimizer='sgd', loss=...).")
        with GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self._compute_loss(x, y, y_pred, sample_weight, True)
            scaled = optimizer.scale_loss(loss) if getattr(optimizer, "loss_scale_factor", None) else loss
        variables = self.trainable_variables
        if variables:
            optimizer.apply_gradients(zip(tape.gradient(scaled, variables), variables))
        self._loss_tracker.update_state(ops.stop_gradient(loss), sample_weight=_batch_size(x))
        return self.compute_metrics(x, y, _detach(y_pred), sample_weight)

    def test_step(self, data):
        """Loss and metrics of a batch, without training. Returns the metrics' logs."""
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        with _backend.active().no_recording():
            y_pred = self(x, training=False)
            loss = self._compute_loss(x, y, y_pred, sample_weight, False)
            self._loss_tracker.update_state(loss, sample_weight=_batch_size(x))
            return self.compute_metrics(x, y, y_pred, sample_weight)

    def predict_step(self, data):
        """The model's output for a batch (its ``x``; targets, if any, are ignored)."""
        x, _, _ = unpack_x_y_sample_weight(data)
        with _backend.active().no_recording():
            return self(x, training=False)

    def make_train_function(self, force=False):
        """The function ``fit`` calls per batch: :meth:`train_step`, compiled when the backend compiles."""
        if self.train_function is None or force:
            _set(self, "train_function", self._compiled(self.train_step, "metrics"))
        return self.train_function

    def make_test_function(self, force=False):
        if self.test_function is None or force:
            _set(self, "test_function", self._compiled(self.test_step, "metrics"))
        return self.test_function

    def make_predict_function(self, force=False):
        if self.predict_function is None or force:
            _set(self, "predict_function", self._compiled(self.predict_step, "outputs"))
        return self.predict_function

    def _compiled(self, step, returns: str):
        """``step`` as the backend runs it (see :func:`plugnet.training.compiled_steps.compiled`)."""
        return compiled(self, step, returns)

    def _metric_tensors(self) -> dict:
        """Every metric's current result as tensors (what a traced step returns)."""
        results = {}
        for metric in self.metrics:
            if isinstance(metric, CompileMetrics) and not metric.built:
                continue
            value = metric.result()
            if isinstance(value, dict):
                results.update(value)
            else:
                results[metric.name] = value
        return results

    # ------------------------------------------------------------------ fit

    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None, validation_split=0.0,
            validation_data=None, shuffle=True, class_weight=None, sample_weight=None, initial_epoch=0,
            steps_per_epoch=None, validation_steps=None, validation_batch_size=None, validation_freq=1):
        """Train the model for ``epochs`` epochs; returns the :class:`~plugnet.callbacks.History`.

        Args:
            x: inputs: a NumPy array or tensor, a list/dict of them for several
                inputs, or a generator/iterable yielding ``(x, y)`` or
                ``(x, y, sample_weight)`` batches.
            y: targets, like ``x`` (omit when ``x`` yields batches).
            batch_size: samples per step for array data (default 32). The last
                batch may be smaller.
            epochs: train until epoch index ``epochs`` (counting from ``initial_epoch``).
            verbose: ``"auto"``/1 (a progress bar), 2 (one line per epoch) or 0 (silent).
            callbacks: a list of :class:`~plugnet.callbacks.Callback`.
            validation_split: the fraction of the array data, taken from its
                end before any shuffling, held out for validation.
            validation_data: ``(x_val, y_val)``, ``(x_val, y_val, sample_weight)``
                or a generator/iterable of batches; overrides ``validation_split``.
            shuffle: shuffle array data before each epoch (True, False or ``"batch"``).
            class_weight: ``{class index: weight}``, applied as sample weights.
            sample_weight: per-sample weights of the training samples.
            initial_epoch: the epoch to start from (to resume a run).
            steps_per_epoch: batches per epoch (required to bound an endless generator).
            validation_steps: batches per validation run.
            validation_batch_size: batch size for validation (default: ``batch_size``).
            validation_freq: validate every this many epochs (or at the epochs in a list, 1-based).

        Example:
            >>> history = model.fit(x, y, epochs=5, batch_size=64, validation_split=0.1, verbose=0)
            >>> history.history["val_loss"]
        """
        from plugnet.callbacks import CallbackList

        self._assert_compiled("fit")
        if validation_split and validation_data is None:
            (x, y, sample_weight), validation_data = train_validation_split((x, y, sample_weight), validation_split)
        train_batches = EpochIterator(
            get_data_adapter(x, y, sample_weight, batch_size, steps_per_epoch, shuffle, class_weight), steps_per_epoch
        )
        val_batches = None
        if validation_data is not None:
            val_x, val_y, val_sample_weight = unpack_x_y_sample_weight(validation_data)
            val_batches = EpochIterator(
                get_data_adapter(val_x, val_y, val_sample_weight, validation_batch_size or batch_size,
                                 validation_steps),
                validation_steps, resume=False,
            )
        verbose = _resolve_verbose(verbose)
        if not isinstance(callbacks, CallbackList):
            callbacks = CallbackList(callbacks, add_history=True, add_progbar=verbose != 0, model=self,
                                     verbose=verbose, epochs=epochs, steps=train_batches.num_batches)
        history = callbacks.history
        _set(self, "stop_training", False)
        train_function = self.make_train_function()
        # For the length of fit, callbacks may move the start (`_initial_epoch`, set by BackupAndRestore as in
        # Keras) and read or restore the training data's shuffle state (`_fit_batches`).
        _set(self, "_initial_epoch", None)
        _set(self, "_fit_batches", train_batches)
        try:
            callbacks.on_train_begin()
            if self._initial_epoch is not None:
                initial_epoch = self._initial_epoch
            training_logs = self._fit_epochs(train_batches, val_batches, train_function, callbacks,
                                             initial_epoch, epochs, validation_freq)
            callbacks.on_train_end(training_logs)
        finally:
            _set(self, "_fit_batches", None)
        if history is not None:
            _set(self, "history", history)
        return history if history is not None else self.history

    def _fit_epochs(self, train_batches, val_batches, train_function, callbacks, initial_epoch, epochs,
                    validation_freq):
        """The epochs of ``fit``; returns the last epoch's logs."""
        training_logs = None
        for epoch in range(initial_epoch, epochs):
            self.reset_metrics()
            callbacks.on_epoch_begin(epoch)
            steps, logs = self._run_batches(train_batches, train_function, callbacks.on_train_batch_begin,
                                            callbacks.on_train_batch_end, "stop_training")
            if steps == 0:
                if train_batches.exhausted:
                    break
                raise ValueError("fit() got no data: the training data yielded no batches.")
            epoch_logs = self._python_logs(logs, "train_step")
            if val_batches is not None and _should_validate(epoch, validation_freq):
                val_logs = self._test_loop(val_batches, callbacks)
                if val_logs is not None:
                    epoch_logs.update({f"val_{name}": value for name, value in val_logs.items()})
            callbacks.on_epoch_end(epoch, epoch_logs)
            training_logs = epoch_logs
            if self.stop_training or train_batches.exhausted:
                break
        return training_logs

    def _run_batches(self, batches, step_function, on_begin, on_end, stop_flag, collect=None):
        """Run ``step_function`` on each batch of one epoch, with the batch hooks.

        With ``steps_per_execution = n``, the hooks see every n-th batch.
        Returns the number of batches run and the last step's logs.
        """
        per_execution = self.steps_per_execution
        logs = None
        step = -1
        for step, data in batches.enumerate_epoch():
            if step % per_execution == 0:
                on_begin(step)
            logs = step_function(data)
            if collect is not None:
                logs = collect(logs)
            if (step + 1) % per_execution == 0:
                on_end(step, logs)
            if getattr(self, stop_flag):
                break
        if step >= 0 and (step + 1) % per_execution:
            on_end(step, logs)
        return step + 1, logs

    def _python_logs(self, logs, step_name: str) -> dict:
        if not hasattr(logs, "items"):
            raise TypeError(f"{step_name}() must return a dict of metric values, got {logs!r}.")
        return pythonify(logs)

    # ------------------------------------------------------------------ evaluate

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None, steps=None,
                 callbacks=None, return_dict=False):
        """The loss and metrics of the model on data, in test mode.

        Returns the loss (a float) when there are no metrics, else a list in
        Keras's order (loss first, then the metrics); with ``return_dict=True``
        a dict ``{name: value}``. Arguments as for :meth:`fit`; ``steps`` caps
        the number of batches.

        Example:
            >>> model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
            >>> loss, mae = model.evaluate(x, y, verbose=0)
        """
        from plugnet.callbacks import CallbackList

        self._assert_compiled("evaluate")
        batches = EpochIterator(get_data_adapter(x, y, sample_weight, batch_size, steps), steps, resume=False)
        verbose = _resolve_verbose(verbose)
        if not isinstance(callbacks, CallbackList):
            callbacks = CallbackList(callbacks, add_progbar=verbose != 0, model=self, verbose=verbose, epochs=1,
                                     steps=batches.num_batches)
        logs = self._test_loop(batches, callbacks)
        if logs is None:
            raise ValueError("evaluate() got no data: x yielded no batches.")
        return logs if return_dict else self._flatten_metrics_in_order(logs)

    def _test_loop(self, batches, callbacks):
        """One pass of ``test_step`` with the test hooks; the final logs as Python numbers (None if no batch)."""
        test_function = self.make_test_function()
        _set(self, "stop_evaluating", False)
        self.reset_metrics()
        callbacks.on_test_begin()
        steps, logs = self._run_batches(batches, test_function, callbacks.on_test_batch_begin,
                                        callbacks.on_test_batch_end, "stop_evaluating")
        logs = self._python_logs(logs, "test_step") if steps else None
        callbacks.on_test_end(logs)
        return logs

    def _flatten_metrics_in_order(self, logs: dict):
        """Keras's order: the metrics as :attr:`metrics` lists them, then other keys sorted; one value alone."""
        if len(logs) == 1:
            return next(iter(logs.values()))
        names = []
        for metric in self.metrics:
            if isinstance(metric, CompileMetrics):
                names.extend(sub.name for sub in metric.metrics)
            else:
                names.append(metric.name)
        results = [logs[name] for name in names if name in logs]
        results += [logs[key] for key in sorted(logs) if key not in names]
        return results[0] if len(results) == 1 else results

    # ------------------------------------------------------------------ predict

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """The model's outputs on ``x`` as NumPy arrays, batch by batch, concatenated.

        A model with several outputs gives a list (or dict) of arrays. ``x``
        may be arrays or a generator/iterable of batches (targets in them are
        ignored).

        Example:
            >>> probabilities = model.predict(x_test, batch_size=256, verbose=0)
        """
        from plugnet.callbacks import CallbackList

        batches = EpochIterator(get_data_adapter(x, None, None, batch_size, steps), steps, resume=False)
        verbose = _resolve_verbose(verbose)
        if not isinstance(callbacks, CallbackList):
            callbacks = CallbackList(callbacks, add_progbar=verbose != 0, model=self, verbose=verbose, epochs=1,
                                     steps=batches.num_batches)
        predict_function = self.make_predict_function()
        _set(self, "stop_predicting", False)
        outputs = []

        def collect(batch_outputs):
            outputs.append([ops.convert_to_numpy(t) for t in flatten(batch_outputs)])
            return {"outputs": batch_outputs}

        callbacks.on_predict_begin()
        steps_run, last = self._run_batches(batches, predict_function, callbacks.on_predict_batch_begin,
                                            callbacks.on_predict_batch_end, "stop_predicting", collect)
        callbacks.on_predict_end()
        if not steps_run:
            raise ValueError("predict() got no data: x yielded no batches.")
        columns = [np.concatenate(parts, axis=0) for parts in zip(*outputs)]
        return _repack(last["outputs"], columns)

    # ------------------------------------------------------------------ single batches

    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        """One gradient step on one batch; returns its loss (and metrics) like :meth:`evaluate`.

        Example:
            >>> loss = model.train_on_batch(x_batch, y_batch)
        """
        self._assert_compiled("train_on_batch")
        if class_weight is not None:
            if sample_weight is not None:
                raise ValueError("Pass either sample_weight or class_weight to train_on_batch(), not both.")
            sample_weight = class_weight_to_sample_weights(y, class_weight)
        return self._on_batch(self.make_train_function(), "train_step", x, y, sample_weight, return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        """The loss (and metrics) of one batch in test mode, as :meth:`evaluate` returns them."""
        self._assert_compiled("test_on_batch")
        return self._on_batch(self.make_test_function(), "test_step", x, y, sample_weight, return_dict)

    def predict_on_batch(self, x):
        """The model's outputs on one batch, as NumPy arrays."""
        check_data_cardinality(x)
        outputs = self.make_predict_function()(to_tensors(pack_x_y_sample_weight(x)))
        return _repack(outputs, [ops.convert_to_numpy(t) for t in flatten(outputs)])

    def _on_batch(self, step_function, step_name, x, y, sample_weight, return_dict):
        check_data_cardinality(x, y, sample_weight)
        data = to_tensors(pack_x_y_sample_weight(x, y, sample_weight))
        # Each call reports its own batch.
        if getattr(step_function, "resets_metrics", False):
            logs = step_function(data, reset_metrics=True)
        else:
            self.reset_metrics()
            logs = step_function(data)
        logs = self._python_logs(logs, step_name)
        return logs if return_dict else self._flatten_metrics_in_order(logs)

    # ------------------------------------------------------------------ saving support

    def get_compile_config(self) -> dict:
        """The arguments of the last ``compile`` as JSON-ready data ({} when not compiled)."""
        if not self.compiled or self._compile_config is None:
            return {}
        from plugnet import registry

        def serialize(value):
            if value is None or isinstance(value, (str, bool, int, float)):
                return value
            if isinstance(value, dict):
                return {key: serialize(item) for key, item in value.items()}
            if isinstance(value, (list, tuple)):
                return [serialize(item) for item in value]
            return registry.serialize(value)

        return {key: serialize(value) for key, value in self._compile_config.items()}

    def compile_from_config(self, config: dict) -> None:
        """``compile`` again from what :meth:`get_compile_config` returned."""
        from plugnet import losses, metrics, optimizers

        def deserialize(value, module):
            if isinstance(value, dict):
                if "class_name" in value and "config" in value:
                    return module.deserialize(value)
                return {key: deserialize(item, module) for key, item in value.items()}
            if isinstance(value, list):
                return [deserialize(item, module) for item in value]
            return value

        config = dict(config)
        if isinstance(config.get("optimizer"), dict):
            config["optimizer"] = optimizers.deserialize(config["optimizer"])
        config["loss"] = deserialize(config.get("loss"), losses)
        for key in ("metrics", "weighted_metrics"):
            config[key] = deserialize(config.get(key), metrics)
        self.compile(**config)


_TAKES_TRAINING: dict[type, bool] = {}


def _takes_training(cls) -> bool:
    known = _TAKES_TRAINING.get(cls)
    if known is None:
        parameters = inspect.signature(cls.compute_loss).parameters
        known = _TAKES_TRAINING[cls] = "training" in parameters or any(
            p.kind is p.VAR_KEYWORD for p in parameters.values())
    return known


def _should_validate(epoch: int, validation_freq) -> bool:
    if isinstance(validation_freq, int) and not isinstance(validation_freq, bool) and validation_freq >= 1:
        return (epoch + 1) % validation_freq == 0
    if isinstance(validation_freq, (list, tuple, set)):
        return epoch + 1 in validation_freq
    raise ValueError(f"validation_freq must be a positive int or a list of epochs, got {validation_freq!r}.")


def _repack(structure, leaves):
    """``leaves`` (NumPy arrays) in the structure of a model's output."""
    if not isinstance(structure, (list, tuple, dict)):
        return leaves[0]
    return pack_like(structure, leaves)
