"""``CSVLogger``: one CSV row of metrics per epoch, written as training goes."""

from __future__ import annotations

import csv
import os
import warnings

import numpy as np

from plugnet.callbacks.callback import Callback


class CSVLogger(Callback):
    """Streams each epoch's logs to a CSV file: a header, then one row per epoch.

    The columns are ``epoch`` (0-based, as in :attr:`History.epoch`) and the
    keys of the first epoch's logs, sorted (``loss``, the metrics, ``val_``
    ones). A value missing from an epoch's logs is written ``NA``; a
    non-scalar value as ``[a, b, ...]``; keys that appear only in later epochs
    are left out, with a warning. Each row is flushed as soon as it is
    written, so the file is complete up to the last finished epoch even when
    training is interrupted.

    Args:
        filename: the CSV file (a string or path), e.g. ``"run/log.csv"``.
        separator: the string between values.
        append: add rows to an existing file instead of overwriting it
            (to continue a resumed run's log). The existing header is kept and
            its columns are used, so no second header is written.

    Example:
        >>> logger = plugnet.callbacks.CSVLogger("training.csv")
        >>> model.fit(x, y, epochs=3, validation_split=0.2, callbacks=[logger], verbose=0)
        >>> print(open("training.csv").read())
        epoch,loss,val_loss
        0,0.71,0.69
        ...
    """

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        self.filename = os.fspath(filename)
        if not isinstance(separator, str) or len(separator) != 1:
            raise ValueError(f"CSVLogger: separator must be a one-character string, got {separator!r}.")
        self.sep = separator
        self.append = bool(append)
        self.keys = None
        self.writer = None
        self.csv_file = None
        self._write_header = True
        self._warned = False

    def on_train_begin(self, logs=None):
        self._close()
        self.keys = None
        self._write_header = True
        self._warned = False
        if self.append and os.path.exists(self.filename):
            header = self._existing_header()
            if header:
                self._write_header = False
                self.keys = [key for key in header if key != "epoch"]
        mode = "a" if self.append else "w"
        # newline="" lets the csv module write its own line endings (as its documentation asks).
        self.csv_file = open(self.filename, mode, newline="", encoding="utf-8")  # noqa: SIM115  (open across epochs)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
        if self.writer is None:
            self.writer = csv.writer(self.csv_file, delimiter=self.sep)
            if self._write_header:
                self.writer.writerow(["epoch", *self.keys])
        unknown = [key for key in logs if key not in self.keys]
        if unknown and not self._warned:
            self._warned = True
            warnings.warn(
                f"CSVLogger: the logs of epoch {epoch} have {', '.join(map(repr, unknown))}, which are not columns "
                f"of {self.filename!r} (epoch, {', '.join(self.keys)}: set by the file's header or the first "
                "epoch written); those values are not written.",
                stacklevel=2,
            )
        self.writer.writerow([epoch, *(_cell(logs.get(key, "NA")) for key in self.keys)])
        self.csv_file.flush()

    def on_train_end(self, logs=None):
        self._close()

    def _existing_header(self) -> list:
        with open(self.filename, newline="", encoding="utf-8") as existing:
            first = existing.readline()
        if not first.strip():
            return []
        return next(csv.reader([first], delimiter=self.sep))

    def _close(self) -> None:
        # A run that raised never reached on_train_end: its file is closed when the next run begins.
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.csv_file = None
        self.writer = None


def _cell(value):
    """A log value as a CSV cell: scalars as they are, arrays as ``[a, b, ...]``."""
    if isinstance(value, str):
        return value
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return value.item()
    if isinstance(value, (list, tuple, np.ndarray)):
        return "[" + ", ".join(str(item) for item in np.asarray(value).ravel().tolist()) + "]"
    return value
