"""``save_freq`` of the saving callbacks: ``"epoch"``, or a number of training batches."""

from __future__ import annotations


def check_save_freq(save_freq, owner: str):
    """``save_freq`` when it is ``"epoch"`` or a positive int; a ValueError naming ``owner`` otherwise."""
    if save_freq == "epoch":
        return save_freq
    if isinstance(save_freq, int) and not isinstance(save_freq, bool) and save_freq >= 1:
        return save_freq
    raise ValueError(
        f"{owner}: unrecognized save_freq {save_freq!r}. Expected 'epoch' or a positive integer "
        "(a number of training batches)."
    )


class BatchCounter:
    """Counts training batches and says when ``save_freq`` of them have passed since the last save.

    Batch indices restart at 0 each epoch, and with ``steps_per_execution = n``
    the batch hooks see only every n-th index, so the count adds the distance
    from the last index seen (``batch + 1`` in a new epoch), as Keras does.
    """

    def __init__(self, save_freq):
        self.save_freq = save_freq
        self._since_last_save = 0
        self._last_batch = -1

    def should_save(self, batch: int) -> bool:
        """Record that batch ``batch`` ended; True when a save is due (never for ``"epoch"``)."""
        if self.save_freq == "epoch":
            return False
        # An index not above the last one seen belongs to a new epoch.
        added = batch + 1 if batch <= self._last_batch else batch - self._last_batch
        self._since_last_save += added
        self._last_batch = batch
        if self._since_last_save >= self.save_freq:
            self._since_last_save = 0
            return True
        return False

    def new_epoch(self) -> None:
        """Batch indices start again from 0 (the count since the last save carries on)."""
        self._last_batch = -1
