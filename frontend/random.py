"""Random numbers with seeds, on the active backend (``plugnet.random``).

Every function takes ``seed``: an int (the same numbers every call), a
:class:`SeedGenerator` (fresh numbers each call, reproducible from its seed),
or None (drawn from the global generator that
:func:`plugnet.utils.set_random_seed` seeds).
"""

from __future__ import annotations

import numpy as np

from plugnet import ops

_global = np.random.default_rng()


def _reseed_global(seed: int) -> None:
    global _global
    _global = np.random.default_rng(seed)


class SeedGenerator:
    """A reproducible stream of seeds: layers such as Dropout keep one.

    >>> gen = SeedGenerator(42)
    >>> a = plugnet.random.normal((2,), seed=gen)   # differs from ...
    >>> b = plugnet.random.normal((2,), seed=gen)   # ... this, but the pair is the same every run
    """

    def __init__(self, seed: int | None = None):
        self.initial_seed = int(_global.integers(0, 2**31 - 1)) if seed is None else int(seed)
        self._count = 0

    def next(self) -> int:
        """The next seed of the stream."""
        self._count += 1
        mixed = np.random.SeedSequence([self.initial_seed, self._count]).generate_state(1)[0]
        return int(mixed & 0x7FFFFFFF)

    @property
    def state(self) -> tuple[int, int]:
        return self.initial_seed, self._count

    @state.setter
    def state(self, value) -> None:
        self.initial_seed, self._count = int(value[0]), int(value[1])

    def get_config(self) -> dict:
        return {"seed": self.initial_seed}


def draw_seed(seed) -> int:
    """An int seed from an int, a SeedGenerator or None."""
    if isinstance(seed, SeedGenerator):
        return seed.next()
    if seed is None:
        return int(_global.integers(0, 2**31 - 1))
    return int(seed)


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Samples from N(mean, stddev**2)."""
    return ops.random_normal(tuple(shape), mean, stddev, dtype, draw_seed(seed))


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    """Samples from U[minval, maxval)."""
    return ops.random_uniform(tuple(shape), minval, maxval, dtype, draw_seed(seed))


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Normal samples within two standard deviations of the mean."""
    return ops.truncated_normal(tuple(shape), mean, stddev, dtype, draw_seed(seed))


def randint(shape, minval, maxval, dtype="int32", seed=None):
    """Integer samples in [minval, maxval)."""
    return ops.randint(tuple(shape), minval, maxval, dtype, draw_seed(seed))


def dropout(inputs, rate, noise_shape=None, seed=None):
    """Zero each element with probability ``rate``, scale the rest by 1 / (1 - rate)."""
    if not 0 <= rate < 1:
        raise ValueError(f"dropout rate must be in [0, 1), got {rate}.")
    return ops.dropout(inputs, rate, noise_shape, draw_seed(seed))


def shuffle(n: int, seed=None) -> np.ndarray:
    """A permutation of range(n) as a NumPy array (data order lives on the host)."""
    return np.random.default_rng(draw_seed(seed)).permutation(n)
