"""Batches from a Python generator, iterator or other iterable.

Each item the source yields is one batch: ``x``, ``(x, y)`` or
``(x, y, sample_weight)``. A generator can be traversed once, so with
``steps_per_epoch`` training continues from where the previous epoch
stopped; a re-iterable source (an object with ``__iter__``) starts a fresh
pass each epoch.
"""

from __future__ import annotations

import collections.abc

from plugnet.training.array_adapter import class_weight_to_sample_weights
from plugnet.training.data_adapter import (
    DataAdapter,
    pack_x_y_sample_weight,
    register_data_adapter,
    unpack_x_y_sample_weight,
)


@register_data_adapter
class GeneratorDataAdapter(DataAdapter):
    """Batches as a Python generator or iterable yields them.

    ``y`` and ``sample_weight`` come from the yielded batches, so passing them
    separately is an error; ``batch_size`` and ``shuffle`` do not apply.
    ``class_weight`` is turned into sample weights batch by batch.
    """

    @classmethod
    def can_handle(cls, x, y=None) -> bool:
        if isinstance(x, (str, bytes, list, tuple, dict)) or hasattr(x, "__array__"):
            return False
        return isinstance(x, (collections.abc.Iterator, collections.abc.Iterable))

    def __init__(self, x, y=None, sample_weight=None, batch_size=None, steps=None, shuffle=False, class_weight=None):
        kind = type(x).__name__
        if y is not None:
            raise ValueError(f"When x is a {kind}, it yields the targets: do not pass y separately.")
        if sample_weight is not None:
            raise ValueError(
                f"When x is a {kind}, it yields the sample weights as the third element of each batch: "
                "do not pass sample_weight separately."
            )
        self._source = x
        self._one_shot = isinstance(x, collections.abc.Iterator)
        self._class_weight = class_weight

    @property
    def num_batches(self) -> int | None:
        if not self._one_shot and isinstance(self._source, collections.abc.Sized):
            return len(self._source)
        return None

    @property
    def is_one_shot(self) -> bool:
        return self._one_shot

    def get_iterator(self):
        batches = self._source if self._one_shot else iter(self._source)
        if self._class_weight is None:
            return batches
        return (self._weighted(batch) for batch in batches)

    def _weighted(self, batch):
        x, y, sample_weight = unpack_x_y_sample_weight(batch)
        if sample_weight is not None:
            raise ValueError("A batch carries sample weights and class_weight was given too; use one of them.")
        return pack_x_y_sample_weight(x, y, class_weight_to_sample_weights(y, self._class_weight))
