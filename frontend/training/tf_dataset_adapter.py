"""``fit``/``evaluate``/``predict`` on a batched ``tf.data.Dataset``, on any backend.

    dataset = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(1000).batch(64)
    model.fit(dataset, epochs=5)

TensorFlow is imported only when a Dataset is given (by then the user has
imported it), never when plugnet is.
"""

from __future__ import annotations

import numpy as np

from plugnet.training.data_adapter import register_data_adapter
from plugnet.training.framework_adapter import FrameworkDataAdapter, has_base_class

# tf.data's cardinality codes.
INFINITE_CARDINALITY = -1
UNKNOWN_CARDINALITY = -2


@register_data_adapter
class TFDatasetAdapter(FrameworkDataAdapter):
    """Batches as a batched ``tf.data.Dataset`` yields them: ``x``, ``(x, y)`` or ``(x, y, sample_weight)``.

    Each epoch is a fresh pass over the dataset (so ``shuffle`` in it
    reshuffles). An epoch has ``dataset.cardinality()`` batches when that is
    known; when it is unknown (after ``filter``) an epoch runs until the
    dataset is exhausted; an infinite dataset (after ``repeat()``) needs
    ``steps_per_epoch`` (``steps`` for evaluate/predict). Tensors are
    converted to NumPy unless the active backend is TensorFlow, which takes
    them as they are. The dataset must be batched: each element is one batch.

    Example:
        >>> dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(32)
        >>> model.fit(dataset, epochs=2, verbose=0)
    """

    kind = "tf.data.Dataset"

    @classmethod
    def can_handle(cls, x, y=None) -> bool:
        # tf.data.Dataset is DatasetV2 (dataset_ops); every dataset subclasses it.
        return has_base_class(x, "tensorflow.", ("DatasetV2",))

    def __init__(self, x, y=None, sample_weight=None, batch_size=None, steps=None, shuffle=False, class_weight=None):
        super().__init__(x, y, sample_weight, batch_size, steps, shuffle, class_weight)
        import tensorflow as tf  # already loaded: the Dataset came from it

        self._tf = tf
        cardinality = int(x.cardinality())
        if cardinality == INFINITE_CARDINALITY and steps is None:
            raise ValueError(
                "The tf.data.Dataset is infinite (it repeats forever), so an epoch would never end. "
                "Pass steps_per_epoch to fit() (validation_steps for its validation data), or steps to "
                "evaluate()/predict()."
            )
        self._num_batches = cardinality if cardinality >= 0 else None

    @property
    def num_batches(self) -> int | None:
        return self._num_batches

    def leaf_to_host(self, leaf) -> np.ndarray:
        tf = self._tf
        if isinstance(leaf, (tf.RaggedTensor, tf.SparseTensor)):
            raise ValueError(
                f"The tf.data.Dataset yields a {type(leaf).__name__} of shape {leaf.shape}; models take dense "
                "batches. Make them dense in the pipeline, e.g. dataset.map(lambda x, y: (x.to_tensor(), y)) "
                "or tf.sparse.to_dense."
            )
        if isinstance(leaf, tf.Tensor):
            return leaf.numpy()
        return np.asarray(leaf)
