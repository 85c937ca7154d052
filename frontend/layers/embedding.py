"""``Embedding``: integer ids to learned dense vectors."""

from __future__ import annotations

from plugnet import initializers, ops, registry, regularizers
from plugnet.layers.core import serialize_constraint
from plugnet.layers.layer import Layer, get_constraint
from plugnet.layers.layer_utils import check_positive_int

_INDEX_DTYPES = ("int32", "int64")


@registry.register_serializable()
class Embedding(Layer):
    """Maps each integer id in ``[0, input_dim)`` to a row of a trainable
    ``(input_dim, output_dim)`` matrix: ``(batch, ...)`` ids give
    ``(batch, ..., output_dim)`` vectors.

    Only the rows that were looked up receive gradient.

    Args:
        input_dim: the vocabulary size (largest id + 1).
        output_dim: the size of each vector.
        embeddings_initializer: default ``"uniform"`` (U[-0.05, 0.05]).
        embeddings_regularizer / activity_regularizer / embeddings_constraint:
            as for ``Dense``'s kernel.
        mask_zero: whether id 0 is padding; :meth:`compute_mask` then gives
            the mask (True for real ids) to hand to masked layers such as
            ``GlobalAveragePooling1D``, and ``input_dim`` must count id 0.
        weights: optional initial value, ``[matrix]``.

    Example:
        >>> layer = plugnet.layers.Embedding(1000, 64)
        >>> layer(np.array([[4, 20, 7]])).shape
        (1, 3, 64)
    """

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform", embeddings_regularizer=None,
                 embeddings_constraint=None, mask_zero=False, weights=None, **kwargs):
        super().__init__(**kwargs)
        self.input_dim = check_positive_int(self, "input_dim", input_dim)
        self.output_dim = check_positive_int(self, "output_dim", output_dim)
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = get_constraint(embeddings_constraint)
        self.mask_zero = bool(mask_zero)
        self.embeddings = None
        if weights is not None:
            self.build()
            self.set_weights(weights if isinstance(weights, (list, tuple)) else [weights])

    def build(self, input_shape=None):
        self.embeddings = self.add_weight(
            (self.input_dim, self.output_dim), initializer=self.embeddings_initializer,
            regularizer=self.embeddings_regularizer, constraint=self.embeddings_constraint, name="embeddings",
        )

    def call(self, inputs):
        if ops.dtype(inputs) not in _INDEX_DTYPES:
            inputs = ops.cast(inputs, "int32")
        try:
            return ops.take(self.embeddings, inputs, axis=0)
        except IndexError as exc:
            raise IndexError(
                f"Embedding layer '{self.name}': every id must lie in [0, {self.input_dim}) (input_dim="
                f"{self.input_dim}), but the input has ids outside it: {exc}"
            ) from exc

    def compute_mask(self, inputs, mask=None):
        """``inputs != 0`` when ``mask_zero``, else None."""
        if not self.mask_zero:
            return None
        return ops.not_equal(inputs, 0)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.output_dim,)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(
            input_dim=self.input_dim,
            output_dim=self.output_dim,
            embeddings_initializer=initializers.serialize(self.embeddings_initializer),
            embeddings_regularizer=regularizers.serialize(self.embeddings_regularizer),
            embeddings_constraint=serialize_constraint(self.embeddings_constraint),
            mask_zero=self.mask_zero,
        )
        return config
