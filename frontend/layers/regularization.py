"""Regularization layers: ``Dropout``."""

from __future__ import annotations

from plugnet import random as _random
from plugnet import ops, registry
from plugnet.layers.layer import Layer


@registry.register_serializable()
class Dropout(Layer):
    """Randomly zeroes a fraction ``rate`` of the inputs while training, scaling the
    rest by ``1 / (1 - rate)`` so the expected sum is unchanged. At inference it
    passes its input through.

    Args:
        rate: the fraction of inputs to drop, in ``[0, 1)``.
        noise_shape: the shape of the keep/drop mask, broadcast to the input;
            None entries take the input's size (``(None, 1, None)`` drops whole
            time steps' features together).
        seed: an int for reproducible masks.

    Example:
        >>> layer = plugnet.layers.Dropout(0.5, seed=1)
        >>> layer(np.ones((2, 4)), training=True)     # about half zeros, the rest 2.0
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate < 1:
            raise ValueError(f"Dropout layer '{self.name}': `rate` must be a number in [0, 1), got {rate!r}.")
        self.rate = float(rate)
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self.seed = seed
        self.seed_generator = _random.SeedGenerator(seed) if self.rate > 0 else None

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        return _random.dropout(inputs, self.rate, self._concrete_noise_shape(inputs), seed=self.seed_generator)

    def _concrete_noise_shape(self, inputs):
        if self.noise_shape is None:
            return None
        shape = ops.shape(inputs)
        if len(self.noise_shape) != len(shape):
            raise ValueError(
                f"Dropout layer '{self.name}': noise_shape {self.noise_shape} must have the input's rank "
                f"{len(shape)} (input shape {tuple(shape)})."
            )
        return tuple(int(shape[i]) if size is None else size for i, size in enumerate(self.noise_shape))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(rate=self.rate, noise_shape=None if self.noise_shape is None else list(self.noise_shape),
                      seed=self.seed)
        return config
