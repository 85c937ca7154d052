"""Epochs of batches from a data adapter, converted to backend tensors once each.

``steps_per_epoch`` (``steps`` for evaluate/predict) caps an epoch. When it
is set for training, the next epoch resumes where the previous one stopped,
so a long dataset is consumed across epochs (Keras 3's behaviour); when the
data runs out first, the epoch ends early with a warning.
"""

from __future__ import annotations

import warnings

import numpy as np

from plugnet import ops


def to_tensors(batch):
    """Every array in ``batch`` (a leaf, or a tuple/list/dict of them) as a backend tensor.

    NumPy float64 arrays become float32, Keras's default float type.
    """
    kind = type(batch)
    if kind is tuple or kind is list:
        return kind([to_tensors(item) for item in batch])
    if kind is dict:
        return {key: to_tensors(value) for key, value in batch.items()}
    if batch is None:
        return None
    if kind is np.ndarray and batch.dtype == np.float64:
        return ops.convert_to_tensor(batch, "float32")
    return ops.convert_to_tensor(batch)


class EpochIterator:
    """Yields ``(step, batch)`` for one epoch at a time.

    Args:
        adapter: a :class:`~plugnet.training.data_adapter.DataAdapter`.
        steps: batches per epoch; None for one full pass over the data.
        resume: with ``steps`` set, continue the previous epoch's pass instead
            of starting a new one (training); evaluation starts afresh.
    """

    def __init__(self, adapter, steps=None, resume=True):
        if steps is not None and int(steps) < 1:
            raise ValueError(f"steps must be a positive integer or None, got {steps!r}.")
        self.adapter = adapter
        self.steps = None if steps is None else int(steps)
        self._resume = resume or adapter.is_one_shot
        self._iterator = None
        self._learned_batches = None
        #: True once a one-shot source has nothing left for another epoch.
        self.exhausted = False

    @property
    def num_batches(self) -> int | None:
        """Batches per epoch, when known."""
        if self.steps is not None:
            return self.steps
        known = self.adapter.num_batches
        return known if known is not None else self._learned_batches

    def enumerate_epoch(self):
        """Yield ``(step, batch)`` for the batches of one epoch."""
        adapter = self.adapter
        adapter.on_epoch_begin()
        fresh = self._iterator is None or not self._resume or self.steps is None
        if fresh:
            self._iterator = iter(adapter.get_iterator())
        limit = self.steps
        step = 0
        while limit is None or step < limit:
            try:
                batch = next(self._iterator)
            except StopIteration:
                if step == 0 and not fresh and not adapter.is_one_shot:
                    # The previous epoch ended exactly where a pass ends: start the next pass.
                    self._iterator = iter(adapter.get_iterator())
                    fresh = True
                    continue
                self._iterator = None
                if limit is None and step and self._learned_batches is None:
                    self._learned_batches = step
                self._ran_out(step, limit)
                break
            yield step, to_tensors(batch)
            step += 1
        adapter.on_epoch_end()

    def _ran_out(self, produced: int, limit) -> None:
        if self.adapter.is_one_shot and (limit is not None or produced == 0):
            self.exhausted = True
        if limit is not None or (produced == 0 and self.adapter.is_one_shot):
            warnings.warn(
                f"Your input ran out of data after {produced} batch(es) of this epoch"
                + (f" (steps={limit})" if limit is not None else "")
                + ". Make sure your dataset or generator can produce at least steps_per_epoch * epochs batches.",
                stacklevel=4,
            )
