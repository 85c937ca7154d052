"""``History``: the record of every epoch's logs that ``fit`` returns."""

from __future__ import annotations

from plugnet.callbacks.callback import Callback


class History(Callback):
    """Records the logs of each epoch; ``fit`` adds one and returns it.

    Attributes:
        history: ``{name: [value per epoch]}``, e.g. ``{"loss": [...], "val_loss": [...]}``.
        epoch: the epoch indices recorded (they start at ``initial_epoch``).

    Example:
        >>> history = model.fit(x, y, epochs=3, validation_split=0.2, verbose=0)
        >>> history.epoch
        [0, 1, 2]
        >>> sorted(history.history)
        ['loss', 'val_loss']
    """

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
        self.model.history = self

    def __repr__(self) -> str:
        return f"<History epochs={self.epoch} keys={list(self.history)}>"
