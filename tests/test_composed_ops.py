"""Contract ops a backend may leave out (``contract.COMPOSED``): ``assemble`` builds them from its other ops."""

import numpy as np

from plugnet.backends.numpy.backend import create_backend
from plugnet.plugins.contract import COMPOSED, assemble


def without_dense():
    """The NumPy backend as a backend that has no ``dense`` of its own would be assembled."""
    base = create_backend()
    ops, recording = dict(vars(base.ops)), dict(vars(base.recording_ops))
    del ops["dense"], recording["dense"]
    return base, assemble("composed", ops, recording_ops=recording, variable=base.variable, assign=base.assign,
                          Tape=base.Tape, no_recording=base.no_recording, devices=base.devices)


def test_dense_is_composed_of_matmul_and_add_and_not_missing():
    _, backend = without_dense()
    assert "dense" in COMPOSED and "dense" not in backend.missing
    rng = np.random.default_rng(0)
    x, kernel, bias = rng.random((4, 3)), rng.random((3, 2)), rng.random(2)
    np.testing.assert_allclose(backend.ops.dense(x, kernel, bias), x @ kernel + bias, rtol=1e-12)
    np.testing.assert_allclose(backend.ops.dense(x, kernel), x @ kernel, rtol=1e-12)


def test_the_composed_dense_records_on_a_tape():
    base, backend = without_dense()
    rng = np.random.default_rng(1)
    x, kernel, bias = rng.random((4, 3)), rng.random((3, 2)), rng.random(2)
    tape = base.Tape()
    with tape:
        tape.watch(kernel)
        tape.watch(bias)
        total = backend.recording_ops.sum(backend.recording_ops.dense(x, kernel, bias))
    grad_kernel, grad_bias = tape.gradient([total], [kernel, bias])
    np.testing.assert_allclose(grad_kernel, x.T @ np.ones((4, 2)), rtol=1e-12)
    np.testing.assert_allclose(grad_bias, [4.0, 4.0], rtol=1e-12)


def test_a_backend_with_its_own_dense_keeps_it():
    base = create_backend()
    assert base.ops.dense.__module__ == "plugnet.backends.numpy.linalg"
