"""``ProgbarLogger``: the progress output of ``fit``, ``evaluate`` and ``predict``."""

from __future__ import annotations

import sys
import time

from plugnet.callbacks import progress
from plugnet.callbacks.callback import Callback


class ProgbarLogger(Callback):
    """Prints progress to stdout; ``fit``/``evaluate``/``predict`` add one unless ``verbose=0``.

    ``verbose=1`` shows a live bar per epoch (steps done, percentage, ETA and
    the running loss and metrics), redrawn about ten times a second whatever
    the step rate; it needs tqdm (``pip install 'plugnet[progress]'``) and
    otherwise prints one line per epoch. ``verbose=2`` prints one line per
    epoch. Validation results appear on the epoch's final line.

    Example:
        >>> model.fit(x, y, epochs=2, verbose=1)
        Epoch 1/2
        100%|██████████| 32/32 [00:00<00:00, 410.2step/s, loss: 0.5130]
        Epoch 2/2
        ...
    """

    def __init__(self):
        super().__init__()
        self.verbose = 1
        self.epochs = 1
        self._target = None
        self._display = None
        self._in_fit = False
        self._seen = 0
        self._next_draw = 0.0

    def set_params(self, params: dict) -> None:
        super().set_params(params)
        verbose = params.get("verbose", 1)
        self.verbose = 1 if verbose == "auto" else int(verbose)
        self.epochs = params.get("epochs", 1)
        self._target = params.get("steps")

    # -- fit --

    def on_train_begin(self, logs=None):
        self._in_fit = True

    def on_epoch_begin(self, epoch, logs=None):
        if self.verbose and self.epochs > 1:
            print(f"Epoch {epoch + 1}/{self.epochs}", file=sys.stdout, flush=True)
        self._open()

    def on_train_batch_end(self, batch, logs=None):
        self._advance(batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        self._close(logs)

    def on_train_end(self, logs=None):
        self._in_fit = False
        if self._display is not None:  # training stopped inside an epoch
            self._close(None)

    # -- evaluate (validation inside fit shows on the epoch's line instead) --

    def on_test_begin(self, logs=None):
        if not self._in_fit:
            self._open()

    def on_test_batch_end(self, batch, logs=None):
        if not self._in_fit:
            self._advance(batch, logs)

    def on_test_end(self, logs=None):
        if not self._in_fit:
            self._close(logs)

    # -- predict --

    def on_predict_begin(self, logs=None):
        self._open()

    def on_predict_batch_end(self, batch, logs=None):
        self._advance(batch, None)

    def on_predict_end(self, logs=None):
        self._close(None)

    # -- display --

    def _open(self) -> None:
        self._seen = 0
        self._display = None
        if self.verbose:
            self._display = progress.make_display(self._target, self.verbose)
            self._next_draw = time.monotonic() + progress.REFRESH_INTERVAL

    def _advance(self, batch, logs) -> None:
        self._seen = batch + 1
        display = self._display
        if display is not None and display.live:
            now = time.monotonic()
            if now >= self._next_draw:
                self._next_draw = now + progress.REFRESH_INTERVAL
                display.update(self._seen, logs)

    def _close(self, logs) -> None:
        if self._target is None and self._seen:
            self._target = self._seen  # an epoch of unknown length has been measured
        if self._display is not None:
            self._display.finish(self._seen, logs)
            self._display = None
