"""``LearningRateScheduler``: set the optimizer's learning rate at the start of each epoch."""

from __future__ import annotations

import inspect
import sys

import numpy as np

from plugnet import ops
from plugnet.callbacks.callback import Callback


def current_learning_rate(optimizer) -> float:
    """The optimizer's learning rate now, as a Python float."""
    value = optimizer.learning_rate
    if ops.is_tensor(value) or hasattr(value, "numpy"):
        value = ops.convert_to_numpy(value)
    return float(np.asarray(value))


class LearningRateScheduler(Callback):
    """Sets ``model.optimizer.learning_rate = schedule(epoch, lr)`` before each epoch.

    ``epoch`` is 0-based and ``lr`` the current rate (a Python float); the
    schedule returns the new rate. The rate used in each epoch is added to the
    epoch's logs as ``learning_rate`` (and so to the History).

    Args:
        schedule: ``(epoch, lr) -> new lr`` (a one-argument ``(epoch) -> lr`` works too).
        verbose: 1 prints the rate set at each epoch.

    Example:
        >>> def halve_after_two(epoch, lr):
        ...     return lr if epoch < 2 else lr * 0.5
        >>> model.fit(x, y, epochs=5, callbacks=[LearningRateScheduler(halve_after_two)])
    """

    def __init__(self, schedule, verbose=0):
        super().__init__()
        self.schedule = schedule
        self.verbose = verbose
        self._passes_rate = _takes_two_arguments(schedule)

    def on_epoch_begin(self, epoch, logs=None):
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is None or not hasattr(optimizer, "learning_rate"):
            raise ValueError("LearningRateScheduler needs a compiled model whose optimizer has a `learning_rate`.")
        if self._passes_rate:
            learning_rate = self.schedule(epoch, current_learning_rate(optimizer))
        else:  # a schedule of the epoch alone (Keras's older form)
            learning_rate = self.schedule(epoch)
        if not isinstance(learning_rate, (float, int, np.floating, np.integer)) or isinstance(learning_rate, bool):
            raise ValueError(f"The schedule must return a float learning rate; it returned {learning_rate!r}.")
        optimizer.learning_rate = float(learning_rate)
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to {float(learning_rate)}.",
                  file=sys.stdout)

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = current_learning_rate(self.model.optimizer)


def _takes_two_arguments(fn) -> bool:
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):  # a builtin without a signature: assume the two-argument form
        return True
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 2 or any(p.kind is p.VAR_POSITIONAL for p in parameters)
