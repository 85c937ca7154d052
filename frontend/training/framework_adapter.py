"""What the adapters for other frameworks' data pipelines share (torch ``DataLoader``, ``tf.data.Dataset``).

Such a pipeline yields batches of its own framework's tensors. Each array in
a batch reaches the step once converted: a tensor the active backend already
owns (a torch tensor under the torch backend) goes through untouched, any
other becomes a host NumPy array, which the epoch iterator then turns into
the active backend's tensor. So a DataLoader feeds a model on the NumPy or
TensorFlow backend as well as on the torch one.

Nothing here imports a framework: a pipeline is recognised by the names of
its type's classes, and its adapter imports the framework (already loaded,
since the user built the pipeline with it) only when it is given one.
"""

from __future__ import annotations

import numpy as np

from plugnet import ops
from plugnet.layers.structure import map_structure
from plugnet.training.generator_adapter import GeneratorDataAdapter


def has_base_class(obj, module_prefix: str, class_names: tuple[str, ...]) -> bool:
    """True when ``type(obj)`` or a base class is named one of ``class_names`` in a module under ``module_prefix``.

    Tells a framework's type apart without importing the framework.
    """
    for klass in type(obj).__mro__:
        if klass.__name__ in class_names and klass.__module__.startswith(module_prefix):
            return True
    return False


class FrameworkDataAdapter(GeneratorDataAdapter):
    """Batches from a re-iterable pipeline of another framework, one fresh pass per epoch.

    Subclasses define :meth:`can_handle`, :meth:`leaf_to_host` and
    :attr:`num_batches`. ``y`` and ``sample_weight`` come from the batches;
    ``batch_size`` and ``shuffle`` belong to the pipeline and are ignored;
    ``class_weight`` becomes per-batch sample weights.
    """

    #: How error messages name the pipeline (its own class is often private, like ``_BatchDataset``).
    kind = "data pipeline"

    def __init__(self, x, y=None, sample_weight=None, batch_size=None, steps=None, shuffle=False, class_weight=None):
        for given, what, where in ((y, "y", "the targets as the second element"),
                                   (sample_weight, "sample_weight", "the sample weights as the third element")):
            if given is not None:
                raise ValueError(f"A {self.kind} yields {where} of each batch: do not pass {what} separately.")
        super().__init__(x, class_weight=class_weight)

    def leaf_to_host(self, leaf) -> np.ndarray:
        """One array of a batch (a framework tensor or anything array-like) as a NumPy array."""
        raise NotImplementedError

    @property
    def is_one_shot(self) -> bool:
        return False

    def get_iterator(self):
        batches = map(self.convert_batch, self._source)
        if self._class_weight is None:
            return batches
        return map(self._weighted, batches)

    def convert_batch(self, batch):
        """``batch`` with every array the active backend cannot take as it is brought to the host."""
        # torch's default collate gives a list [x, y]; as a tuple it cannot be mistaken for a multi-input x.
        if type(batch) is list:
            batch = tuple(batch)
        return map_structure(self._convert_leaf, batch)

    def _convert_leaf(self, leaf):
        if leaf is None or isinstance(leaf, np.ndarray):
            return leaf
        if ops.is_tensor(leaf):
            # The active backend's own tensor: no copy; float64 is narrowed as for NumPy data.
            return ops.cast(leaf, "float32") if ops.dtype(leaf) == "float64" else leaf
        return self.leaf_to_host(leaf)
