"""The NumPy backend's own tape: zero cost outside it, memory freed after it."""

import gc
import platform
import sys
import weakref

import numpy as np
import pytest

import plugnet
from plugnet import GradientTape, Variable, ops

pytestmark = pytest.mark.skipif(plugnet.backend.name() != "numpy", reason="NumPy backend internals")


def test_ops_outside_a_tape_return_bare_ndarrays():
    x = np.ones((2, 2), "float32")
    assert type(ops.matmul(x, x)) is np.ndarray
    assert type(ops.relu(x) + 1.0) is np.ndarray
    assert plugnet.backend.active().ops is not plugnet.backend.active().recording_ops
    assert plugnet.ops._impl is plugnet.backend.active().ops


def test_inside_a_tape_results_are_recorded_tensors_that_convert_for_free():
    from plugnet.backends.numpy.autograd import Tensor

    v = Variable(np.ones((2, 2)))
    with GradientTape():
        t = ops.matmul(v, v)
        assert plugnet.ops._impl is plugnet.backend.active().recording_ops
    assert type(t) is Tensor
    assert np.asarray(t) is t._value  # no copy
    assert type(ops.convert_to_numpy(t)) is np.ndarray
    assert plugnet.ops._impl is plugnet.backend.active().ops


def test_the_recording_is_freed_once_the_gradient_is_taken():
    v = Variable(np.ones((50, 50)))
    with GradientTape() as tape:
        hidden = ops.relu(ops.matmul(v, v))
        ref = weakref.ref(hidden._value)
        loss = ops.sum(hidden * 2.0)
        del hidden
    tape.gradient(loss, [v])
    gc.collect()
    assert ref() is None  # `loss` is still alive, but the graph behind it is not


def test_a_persistent_tape_releases_when_dropped():
    v = Variable(np.ones((10,)))
    tape = GradientTape(persistent=True)
    with tape:
        hidden = ops.exp(v)
        ref = weakref.ref(hidden._value)
        loss = ops.sum(hidden)
        del hidden
    tape.gradient(loss, [v])
    assert ref() is not None
    del tape
    gc.collect()
    assert ref() is None


@pytest.mark.skipif(not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc", reason="glibc only")
def test_the_backend_keeps_freed_step_memory_for_reuse_unless_told_not_to(monkeypatch):
    from plugnet.backends.numpy.backend import keep_freed_memory

    assert keep_freed_memory() is True
    monkeypatch.setenv("PLUGNET_NUMPY_KEEP_MEMORY", "0")
    assert keep_freed_memory() is False
