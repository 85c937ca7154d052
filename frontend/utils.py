"""Utilities (``plugnet.utils``)."""

from __future__ import annotations

import random as _py_random

import numpy as np


def set_random_seed(seed: int) -> None:
    """Seed every source of randomness plugnet uses: Python's ``random``, NumPy's
    global generator, plugnet's global seed stream (initializers, dropout and
    shuffling without an explicit seed), and the active framework's own."""
    from plugnet import backend
    from plugnet import random as plugnet_random

    seed = int(seed)
    _py_random.seed(seed)
    np.random.seed(seed % 2**32)
    plugnet_random._reseed_global(seed)
    backend.active().set_seed(seed)


def clear_session() -> None:
    """Reset the layer-name counters (the next Dense is "dense" again), as Keras's does."""
    from plugnet.layers.naming import clear_session as reset_names

    reset_names()
