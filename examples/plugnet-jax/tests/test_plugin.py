"""plugnet finds the backend through the `plugnet` entry-point group alone, and loads it complete."""

import importlib.metadata
import subprocess
import sys

import jax
import numpy as np

import plugnet
from plugnet import ops
from plugnet.plugins.contract import OP_NAMES


def test_the_entry_point_declares_the_backend():
    points = {ep.name: ep for ep in importlib.metadata.entry_points(group="plugnet")}
    assert points["jax"].value == "plugnet_jax.plugin"
    assert points["jax"].dist.name == "plugnet-jax"
    row = plugnet.backend.available()["jax"]
    assert row.installed and row.plugin == "jax" and row.error is None
    assert row.install == "pip install plugnet-jax"


def test_listing_backends_imports_no_jax():
    code = "import sys, plugnet; plugnet.backend.available(); print('jax' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.stdout.strip() == "False", out.stderr


def test_the_backend_implements_every_op_of_the_contract():
    backend = plugnet.backend.active()
    assert backend.name == "jax"
    assert backend.missing == ()
    assert OP_NAMES <= set(vars(backend.ops))


def test_ops_return_jax_arrays_float32_by_default():
    x = ops.convert_to_tensor([1.0, 2.0])
    assert isinstance(x, jax.Array) and ops.dtype(x) == "float32"
    assert ops.dtype(ops.convert_to_tensor([1, 2])) == "int32"
    assert ops.dtype(ops.zeros((2,))) == "float32"
    assert ops.dtype(ops.add(x, 2.0)) == "float32"
    assert isinstance(ops.matmul(np.ones((2, 3), np.float32), np.ones((3,), np.float32)), jax.Array)


def test_64_bit_dtypes_are_honoured_when_asked_for():
    """JAX's x64 mode stays off (32-bit defaults), yet float64 and int64 requests keep their precision."""
    assert not jax.config.jax_enable_x64
    x = ops.convert_to_tensor(np.array([0.1, 0.2]))  # NumPy arrays keep their dtype
    assert ops.dtype(x) == "float64"
    assert ops.convert_to_numpy(ops.multiply(x, 3.0))[0] == 0.1 * 3.0
    assert ops.convert_to_numpy(ops.cast(x, "float32")).dtype == np.float32
    big = ops.convert_to_tensor(np.array([2**40], np.int64))
    assert ops.dtype(big) == "int64" and int(ops.convert_to_numpy(big + 1)[0]) == 2**40 + 1
    assert ops.dtype(ops.random_normal((3,), dtype="float64", seed=1)) == "float64"


def test_devices_and_placement():
    assert plugnet.backend.devices()[0] == "cpu"
    assert len(plugnet.backend.devices()) == 1 + len([d for d in jax.devices() if d.platform == "gpu"])
    with plugnet.device("cpu"):
        v = plugnet.Variable(np.ones(3))
        t = ops.ones((2,))
    assert {d.platform for d in v.value.value.devices()} == {"cpu"}
    assert {d.platform for d in t.devices()} == {"cpu"}


def test_numpy_results_are_writable_copies():
    x = ops.ones((3,))
    array = ops.convert_to_numpy(x)
    array[0] = 5.0
    assert ops.convert_to_numpy(x)[0] == 1.0


def test_another_frameworks_tensor_is_refused_by_name():
    class FakeTorchTensor:
        pass

    FakeTorchTensor.__module__ = "torch"
    try:
        ops.add(FakeTorchTensor(), 1.0)
    except TypeError as exc:
        assert "'jax' backend got a torch" in str(exc)
    else:
        raise AssertionError("a torch tensor was accepted")
