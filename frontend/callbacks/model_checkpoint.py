"""``ModelCheckpoint``: save the model (or its weights) during training, every epoch or the best one."""

from __future__ import annotations

import os
import sys
import warnings

import numpy as np

from plugnet.callbacks.callback import Callback
from plugnet.callbacks.monitor import check_mode, higher_is_better
from plugnet.callbacks.save_frequency import BatchCounter, check_save_freq
from plugnet.saving.model_io import MODEL_SUFFIX, WEIGHTS_SUFFIX


class ModelCheckpoint(Callback):
    """Saves the model, or only its weights, at the end of each epoch (or every ``save_freq`` batches).

    ``filepath`` may name values to fill in: ``{epoch}`` (1-based, as Keras
    prints epochs), ``{batch}`` (1-based, when saving every ``save_freq``
    batches) and any key of the logs (``{loss}``, ``{val_loss}``, metrics), with
    Python format specs: ``"ckpt-{epoch:02d}-{val_loss:.3f}.plugnet"``. A name
    the logs lack raises a KeyError naming it and the available keys.

    A ``.plugnet`` file holds the architecture, the weights and the optimizer
    state (load it with :func:`plugnet.models.load_model` and go on training
    with ``fit(..., initial_epoch=...)``); a ``.weights.safetensors`` file holds
    the weights (load it with ``model.load_weights``). Every file is written
    atomically: an interrupted save leaves the previous file as it was.

    Args:
        filepath: where to save: must end in ``.plugnet``, or in
            ``.weights.safetensors`` with ``save_weights_only=True``.
        monitor: the logs key that ``save_best_only`` compares, e.g. ``"val_loss"``.
        verbose: 1 prints a line each time the callback saves or skips.
        save_best_only: save only when ``monitor`` improves on the best value
            so far (a fixed ``filepath`` then always holds the best model). When
            ``monitor`` is missing from the logs, a warning is given and the
            model is saved anyway.
        save_weights_only: save ``model.save_weights(filepath)`` instead of ``model.save(filepath)``.
        mode: ``"auto"``, ``"min"`` or ``"max"``: whether a lower or higher
            ``monitor`` is better (``"auto"``: losses and errors lower,
            accuracies higher, as :class:`EarlyStopping` decides).
        save_freq: ``"epoch"``, or an integer: save every this many training
            batches (with ``steps_per_execution=n``, checked every n batches).
            Metrics then cover the epoch so far.
        initial_value_threshold: with ``save_best_only``, the value
            ``monitor`` must beat before the first save.

    Example:
        >>> best = plugnet.callbacks.ModelCheckpoint("best.plugnet", monitor="val_loss", save_best_only=True)
        >>> every = plugnet.callbacks.ModelCheckpoint("ckpt/epoch-{epoch:02d}-{val_loss:.3f}.weights.safetensors",
        ...                                           save_weights_only=True)
        >>> model.fit(x, y, epochs=10, validation_split=0.2, callbacks=[best, every], verbose=0)
        >>> model = plugnet.models.load_model("best.plugnet")   # the epoch with the lowest val_loss
    """

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False, save_weights_only=False,
                 mode="auto", save_freq="epoch", initial_value_threshold=None):
        super().__init__()
        self.filepath = os.fspath(filepath)
        self.monitor = monitor
        self.verbose = verbose
        self.save_best_only = bool(save_best_only)
        self.save_weights_only = bool(save_weights_only)
        self.mode = check_mode(mode, "ModelCheckpoint")
        self.save_freq = check_save_freq(save_freq, "ModelCheckpoint")
        self.best = None if initial_value_threshold is None else float(initial_value_threshold)
        self._higher_is_better = None
        self._batches = BatchCounter(self.save_freq)
        self._current_epoch = 0
        _check_suffix(self.filepath, self.save_weights_only)

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch
        self._batches.new_epoch()

    def on_train_batch_end(self, batch, logs=None):
        if self._batches.should_save(batch):
            self._save(self._current_epoch, batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._save(epoch, None, logs)

    def _save(self, epoch: int, batch, logs) -> None:
        logs = logs or {}
        filepath = self._format_filepath(epoch, batch, logs)
        if self.save_best_only and not self._improved(epoch, logs, filepath):
            return
        if self.verbose > 0 and not self.save_best_only:
            print(f"\nEpoch {epoch + 1}: saving model to {filepath}", file=sys.stdout)
        if os.path.isdir(filepath):
            raise IsADirectoryError(
                f"ModelCheckpoint: the filepath {filepath!r} is an existing directory; give a file path "
                f"ending in {WEIGHTS_SUFFIX if self.save_weights_only else MODEL_SUFFIX}."
            )
        folder = os.path.dirname(filepath)
        if folder:
            os.makedirs(folder, exist_ok=True)
        if self.save_weights_only:
            self.model.save_weights(filepath, overwrite=True)
        else:
            self.model.save(filepath, overwrite=True)

    def _improved(self, epoch: int, logs, filepath: str) -> bool:
        """Whether ``monitor`` beats the best value so far (recording it); True when it cannot be judged."""
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(
                f"ModelCheckpoint: can save the best model only with {self.monitor!r} available, but the logs "
                f"have only {', '.join(map(repr, logs)) or 'nothing'}; saving the model anyway.",
                stacklevel=3,
            )
            return True
        if np.ndim(current) > 0:
            warnings.warn(
                f"ModelCheckpoint: can save the best model only when {self.monitor!r} is a scalar, but it has "
                f"shape {np.shape(current)}; saving the model anyway.",
                stacklevel=3,
            )
            return True
        current = float(np.asarray(current))
        if self._higher_is_better is None:
            self._higher_is_better = higher_is_better(self.monitor, self.mode, self.model, "ModelCheckpoint")
        best_text = "None" if self.best is None else f"{self.best:.5f}"
        if self.best is None or (current > self.best if self._higher_is_better else current < self.best):
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: {self.monitor} improved from {best_text} to {current:.5f}, "
                      f"saving model to {filepath}", file=sys.stdout)
            self.best = current
            return True
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {best_text}", file=sys.stdout)
        return False

    def _format_filepath(self, epoch: int, batch, logs) -> str:
        values = dict(logs)
        values["epoch"] = epoch + 1
        if batch is not None and "batch" not in values:
            values["batch"] = batch + 1
        try:
            return self.filepath.format(**values)
        except KeyError as error:
            raise KeyError(
                f"ModelCheckpoint cannot format the filepath {self.filepath!r}: it names {error.args[0]!r}, "
                f"which is not in the logs of epoch {epoch + 1}. Available keys: {', '.join(values)}."
            ) from None
        except (IndexError, ValueError) as error:
            raise ValueError(
                f"ModelCheckpoint cannot format the filepath {self.filepath!r} with {values}: {error}. "
                "Name the values, e.g. '{epoch:02d}' or '{val_loss:.3f}'."
            ) from None


def _check_suffix(filepath: str, weights_only: bool) -> None:
    if weights_only and not filepath.endswith(WEIGHTS_SUFFIX):
        raise ValueError(
            f"When using `save_weights_only=True` in `ModelCheckpoint`, the filepath provided must end in "
            f"`{WEIGHTS_SUFFIX}` (plugnet weights format). Received: filepath={filepath}"
        )
    if not weights_only and not filepath.endswith(MODEL_SUFFIX):
        hint = f" (or pass save_weights_only=True for a {WEIGHTS_SUFFIX} file)" if filepath.endswith(
            WEIGHTS_SUFFIX) else ""
        raise ValueError(
            f"The filepath provided to `ModelCheckpoint` must end in `{MODEL_SUFFIX}` (plugnet model "
            f"format){hint}. Received: filepath={filepath}"
        )
