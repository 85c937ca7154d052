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


def get_global_state() -> dict:
    """The position of the global seed stream, as JSON-ready data.

    Restoring it with :func:`set_global_state` makes every later draw without
    an explicit seed (initializers, shuffling) repeat; ``BackupAndRestore``
    saves it so that a resumed ``fit`` continues exactly.
    """
    return generator_state(_global)


def set_global_state(state) -> None:
    """Move the global seed stream back to a position :func:`get_global_state` returned."""
    set_generator_state(_global, state, "the global seed stream")


def generator_state(generator: np.random.Generator) -> dict:
    """The state of a NumPy ``Generator`` as JSON-ready data (its bit generator's state dict)."""
    return generator.bit_generator.state


def set_generator_state(generator: np.random.Generator, state, owner: str) -> None:
    """Restore a NumPy ``Generator`` to ``state``; a ValueError naming ``owner`` when it does not fit."""
    expected = type(generator.bit_generator).__name__
    if not isinstance(state, dict) or state.get("bit_generator") != expected:
        found = state.get("bit_generator") if isinstance(state, dict) else type(state).__name__
        raise ValueError(f"Cannot restore {owner}: expected a {expected} generator state, got {found!r}.")
    try:
        generator.bit_generator.state = state
    except (TypeError, ValueError, KeyError) as error:
        raise ValueError(f"Cannot restore {owner}: the saved {expected} state is malformed ({error}).") from None


class SeedGenerator:
    """A reproducible stream of seeds: layers such as Dropout keep one.

    >>> gen = SeedGenerator(42)
    >>> a = plugnet.random.normal((2,), seed=gen)   # differs from ...
    >>> b = plugnet.random.normal((2,), seed=gen)   # ... this, but the pair is the same every run

    Its position in the stream is a non-trainable integer Variable, not a
    Python number, so a compiled training step (``tf.function``) draws fresh
    seeds on every call instead of the one seen while tracing.
    """

    _MULTIPLIER = 1_000_003
    _MODULUS = 2**31 - 1

    def __init__(self, seed: int | None = None):
        from plugnet.variables import Variable

        self.initial_seed = int(_global.integers(0, 2**31 - 1)) if seed is None else int(seed)
        self._counter = Variable(np.zeros((), "int64"), dtype="int64", trainable=False, name="seed_generator_state")

    def next(self):
        """The next seed of the stream: an integer scalar tensor (backends accept it as a seed)."""
        self._counter.assign_add(1)
        mixed = ops.add(ops.multiply(self._counter.value, self._MULTIPLIER), self.initial_seed % self._MODULUS)
        return ops.mod(mixed, self._MODULUS)

    @property
    def state(self) -> tuple[int, int]:
        """(initial seed, draws so far): restoring it replays the stream."""
        return self.initial_seed, int(ops.convert_to_numpy(self._counter.value))

    @state.setter
    def state(self, value) -> None:
        self.initial_seed = int(value[0])
        self._counter.assign(np.asarray(int(value[1]), "int64"))

    def get_config(self) -> dict:
        return {"seed": self.initial_seed}


def draw_seed(seed):
    """A seed for a backend random op: an int for an int or None, an integer
    scalar tensor for a SeedGenerator."""
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
