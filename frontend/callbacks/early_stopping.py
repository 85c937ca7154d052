"""``EarlyStopping``: stop training when a monitored quantity stops improving."""

from __future__ import annotations

import sys
import warnings

from plugnet.callbacks.callback import Callback
from plugnet.callbacks.monitor import check_mode, higher_is_better


class EarlyStopping(Callback):
    """Stop training when ``monitor`` has not improved for ``patience`` epochs.

    At the end of each epoch the monitored value counts as an improvement when
    it beats the best so far by more than ``min_delta``; after ``patience``
    epochs without one, ``model.stop_training`` is set (never after the first
    epoch). Semantics follow Keras 3.

    Args:
        monitor: the logs key to watch, e.g. ``"val_loss"`` (default) or ``"accuracy"``.
        min_delta: the smallest change that counts as an improvement.
        patience: epochs without improvement before stopping.
        verbose: 1 prints a message when stopping or restoring weights.
        mode: ``"min"``, ``"max"``, or ``"auto"`` (from the metric: losses and
            errors are minimized, accuracies maximized).
        baseline: a value the monitored quantity must beat; until it does, the
            patience counter keeps running even when the value improves.
        restore_best_weights: at the end of training, restore the weights of
            the best epoch (only once monitoring has started).
        start_from_epoch: epochs to wait before monitoring (a warm-up).

    Example:
        >>> stop = plugnet.callbacks.EarlyStopping(monitor="loss", patience=3)
        >>> history = model.fit(x, y, epochs=100, callbacks=[stop], verbose=0)
        >>> len(history.epoch) < 100
        True
    """

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto", baseline=None,
                 restore_best_weights=False, start_from_epoch=0):
        super().__init__()
        mode = check_mode(mode, "EarlyStopping")
        self.monitor = monitor
        self.min_delta = abs(min_delta)
        self.patience = patience
        self.verbose = verbose
        self.mode = mode
        self.baseline = baseline
        self.restore_best_weights = restore_best_weights
        self.start_from_epoch = start_from_epoch
        self._higher_is_better = None
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0

    def on_train_begin(self, logs=None):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0

    def on_epoch_end(self, epoch, logs=None):
        if self._higher_is_better is None:
            self._higher_is_better = self._resolve_direction()
        current = self.get_monitor_value(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = self.model.get_weights()
            self.best_epoch = epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            # The counter restarts only when the value also beats the baseline.
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping", file=sys.stdout)
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print(f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.",
                      file=sys.stdout)
            self.model.set_weights(self.best_weights)

    def get_monitor_value(self, logs):
        """The monitored value from ``logs`` as a float, or None (with a warning) when absent."""
        logs = logs or {}
        value = logs.get(self.monitor)
        if value is None:
            warnings.warn(
                f"Early stopping conditioned on metric `{self.monitor}`, which is not available. "
                f"Available metrics are: {', '.join(logs)}",
                stacklevel=2,
            )
            return None
        return float(value)

    def _is_improvement(self, value: float, reference) -> bool:
        if reference is None:
            return True
        if self._higher_is_better:
            return value - self.min_delta > reference
        return value + self.min_delta < reference

    def _resolve_direction(self) -> bool:
        return higher_is_better(self.monitor, self.mode, self.model, "EarlyStopping")
