"""``fit``/``evaluate``/``predict`` on a ``torch.utils.data.DataLoader``, on any backend.

    loader = torch.utils.data.DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True)
    model.fit(loader, epochs=5)

torch is imported only when a DataLoader is given (by then the user has
imported it), never when plugnet is.
"""

from __future__ import annotations

import numpy as np

from plugnet.training.data_adapter import register_data_adapter
from plugnet.training.framework_adapter import FrameworkDataAdapter, has_base_class


@register_data_adapter
class TorchDataLoaderAdapter(FrameworkDataAdapter):
    """Batches as a torch ``DataLoader`` yields them: ``x``, ``(x, y)`` or ``(x, y, sample_weight)``.

    Each epoch is a fresh pass over the loader (so its sampler reshuffles);
    its length is ``len(loader)``, or unknown for an ``IterableDataset``
    without one, in which case an epoch runs until the loader is exhausted.
    Tensors are converted to NumPy on the host (from any device) unless the
    active backend is torch, which takes them as they are.

    Example:
        >>> loader = DataLoader(TensorDataset(torch.randn(256, 3), torch.randn(256, 1)), batch_size=32)
        >>> model.fit(loader, epochs=2, verbose=0)
    """

    kind = "torch DataLoader"

    @classmethod
    def can_handle(cls, x, y=None) -> bool:
        return has_base_class(x, "torch.", ("DataLoader",))

    def __init__(self, x, y=None, sample_weight=None, batch_size=None, steps=None, shuffle=False, class_weight=None):
        super().__init__(x, y, sample_weight, batch_size, steps, shuffle, class_weight)
        import torch  # already loaded: the DataLoader came from it

        self._torch = torch
        try:
            self._num_batches = len(x)
        except TypeError:  # an IterableDataset that does not define __len__
            self._num_batches = None

    @property
    def num_batches(self) -> int | None:
        return self._num_batches

    def leaf_to_host(self, leaf) -> np.ndarray:
        torch = self._torch
        if isinstance(leaf, torch.Tensor):
            if leaf.dtype == torch.bfloat16:  # NumPy has no bfloat16
                leaf = leaf.float()
            # force=True: detach from autograd and copy from the GPU when needed.
            return leaf.numpy(force=True)
        return np.asarray(leaf)
