"""Shared fixtures. The backend under test is PLUGNET_BACKEND (numpy by default)."""

import numpy as np
import pytest

import plugnet


@pytest.fixture(autouse=True)
def _seeded():
    """Every test starts from the same random state."""
    plugnet.utils.set_random_seed(1337)
    yield


@pytest.fixture
def rng():
    return np.random.default_rng(0)
