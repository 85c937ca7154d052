"""The package's tests run on the 'jax' backend, whatever PLUGNET_BACKEND says."""

import numpy as np
import pytest

import plugnet

plugnet.set_backend("jax")


@pytest.fixture(autouse=True)
def _seeded():
    plugnet.utils.set_random_seed(1234)
    yield


@pytest.fixture
def rng():
    return np.random.default_rng(0)
