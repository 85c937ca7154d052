"""The torch backend's own promises: native tensors and Variables, autograd, devices, errors.

Runs when torch is installed and the torch backend is active (PLUGNET_BACKEND=torch).
"""

import subprocess
import sys

import numpy as np
import pytest

import plugnet
from plugnet import GradientTape, Variable, ops

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.skipif(plugnet.backend.name() != "torch",
                                reason="tests the torch backend; run with PLUGNET_BACKEND=torch")

HAS_CUDA = torch.cuda.is_available()


def test_ops_return_torch_tensors_with_keras_default_dtypes():
    assert type(ops.convert_to_tensor([1.0, 2.0])) is torch.Tensor
    assert ops.convert_to_tensor([1.0, 2.0]).dtype == torch.float32
    assert ops.convert_to_tensor([1, 2]).dtype == torch.int32
    assert ops.convert_to_tensor(np.zeros(2)).dtype == torch.float64  # NumPy arrays keep their dtype
    assert ops.convert_to_tensor([0.1], "float64").item() == 0.1  # read in float64, not via float32
    x = ops.ones((3,))
    assert ops.multiply(x, 2.0).dtype == torch.float32  # Python numbers do not promote
    assert ops.add(2.0, x).dtype == torch.float32
    assert ops.divide(ops.arange(3), 2).dtype == torch.float32
    assert ops.dtype(ops.zeros((2,), "int64")) == "int64"
    assert ops.shape(ops.zeros((2, 3))) == (2, 3) and type(ops.shape(x)) is tuple


def test_convert_to_numpy_detaches_and_accepts_every_input():
    v = Variable(np.array([1.0, 2.0]))
    y = v * 3.0
    assert y.requires_grad  # torch records ops on trainable Variables
    np.testing.assert_array_equal(ops.convert_to_numpy(y), [3.0, 6.0])
    np.testing.assert_array_equal(ops.convert_to_numpy(v), [1.0, 2.0])
    np.testing.assert_array_equal(ops.convert_to_numpy([1, 2]), [1, 2])
    assert ops.convert_to_numpy(ops.ones((2,), "bfloat16")).dtype == np.float32


def test_variables_are_leaf_tensors_torch_code_can_train():
    v = Variable(np.ones((3, 2)), name="kernel")
    storage = v.value
    assert type(storage) is torch.Tensor and storage.is_leaf and storage.requires_grad
    assert storage.dtype == torch.float32
    (torch.ones(4, 3) @ storage).sum().backward()
    np.testing.assert_allclose(storage.grad.numpy(), np.full((3, 2), 4.0))
    torch.optim.SGD([storage], lr=0.5).step()  # a torch optimizer updates the plugnet Variable
    np.testing.assert_allclose(v.numpy(), np.full((3, 2), -1.0))
    assert v.value is storage


def test_trainable_flag_is_requires_grad():
    frozen = Variable(np.ones(2), trainable=False)
    assert not frozen.value.requires_grad
    frozen.trainable = True
    assert frozen.value.requires_grad
    frozen.trainable = False
    assert not frozen.value.requires_grad
    assert not Variable(np.arange(3)).value.requires_grad  # integers never carry gradients


def test_assign_is_in_place_and_unrecorded_and_autograd_sees_overwrites():
    v = Variable(np.array([1.0, 2.0]))
    storage = v.value
    with GradientTape() as tape:
        v.assign_sub(np.array([0.5, 0.5]))
        assert v.value is storage and storage.grad_fn is None and storage.is_leaf
        loss = ops.sum(v * v)
        v.assign([10.0, 20.0])  # overwrites a value the backward pass needs
    with pytest.raises(RuntimeError, match="inplace"):
        tape.gradient(loss, [v])
    v.assign_add(np.ones(2))
    np.testing.assert_array_equal(v.numpy(), [11.0, 21.0])


def test_gradients_are_native_tensors_in_the_source_dtype():
    v = Variable(np.array([1.0, 2.0]), dtype="float64")
    with GradientTape() as tape:
        loss = ops.sum(ops.square(v))
    (g,) = tape.gradient(loss, [v])
    assert type(g) is torch.Tensor and g.dtype == torch.float64
    np.testing.assert_array_equal(g.numpy(), [2.0, 4.0])


def test_a_watched_constant_is_a_constant_again_once_its_tapes_are_done():
    x = ops.convert_to_tensor(np.array([1.0, 3.0], np.float32))
    with GradientTape() as tape:
        tape.watch(x)
        y = x * x
    np.testing.assert_array_equal(ops.convert_to_numpy(tape.gradient(y, x)), [2.0, 6.0])
    assert not x.requires_grad
    np.asarray(x)  # NumPy accepts it again
    with GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * 4.0
    tape.gradient(y, x)
    assert x.requires_grad  # a persistent tape may still be asked
    np.testing.assert_array_equal(ops.convert_to_numpy(tape.gradient(y, x)), [4.0, 4.0])
    del tape
    assert not x.requires_grad


def test_a_constant_watched_by_two_tapes_stays_watched_until_both_are_done():
    x = ops.convert_to_tensor(np.array([2.0], np.float32))
    with GradientTape() as first, GradientTape() as second:
        first.watch(x)
        second.watch(x)
        second.watch(x)
        y = x * x
    np.testing.assert_array_equal(ops.convert_to_numpy(first.gradient(y, x)), [4.0])
    assert x.requires_grad
    np.testing.assert_array_equal(ops.convert_to_numpy(second.gradient(y, x)), [4.0])
    assert not x.requires_grad


def test_watch_refuses_host_data_with_a_hint():
    with GradientTape() as tape:
        with pytest.raises(TypeError, match="convert_to_tensor"):
            tape.watch(np.ones(2))


def test_no_recording_builds_no_graph_and_a_tape_inside_it_still_records():
    v = Variable(np.array([2.0]))
    backend = plugnet.backend.active()
    with backend.no_recording():
        assert not (v * 3.0).requires_grad
        with GradientTape() as tape:
            loss = ops.sum(v * 3.0)
        assert not (v * 3.0).requires_grad  # the tape restored the mode it found
    np.testing.assert_array_equal(ops.convert_to_numpy(tape.gradient(loss, [v])[0]), [3.0])


def test_maximum_tie_rule_matches_the_numpy_backend():
    a = Variable(np.array([1.0, 2.0, 3.0]))
    b = Variable(np.array([1.0, 5.0, 0.0]))
    with GradientTape(persistent=True) as tape:
        hi = ops.sum(ops.maximum(a, b))
        lo = ops.sum(ops.minimum(a, b))
    np.testing.assert_array_equal(ops.convert_to_numpy(tape.gradient(hi, [a, b])[0]), [1.0, 0.0, 1.0])
    np.testing.assert_array_equal(ops.convert_to_numpy(tape.gradient(lo, [a, b])[0]), [1.0, 1.0, 0.0])
    # Without a tape the plain torch kernel runs, with the same values (NaN included).
    out = ops.convert_to_numpy(ops.maximum(np.array([np.nan, 1.0]), np.array([0.0, np.nan])))
    assert np.isnan(out).all()


def test_another_frameworks_tensor_is_refused_with_a_clear_error():
    fake = type("EagerTensor", (), {"__module__": "tensorflow.python.framework.ops"})()
    with pytest.raises(TypeError, match=r"The 'torch' backend got a tensorflow Tensor.*"
                                        r"plugnet.set_backend\('tensorflow'\)"):
        ops.add(ops.ones((2,)), fake)


def test_devices_and_cpu_placement():
    names = plugnet.backend.devices()
    assert names[0] == "cpu" and names[1:] == [f"gpu:{i}" for i in range(torch.cuda.device_count())]
    with plugnet.device("cpu"):
        assert ops.ones((2,)).device.type == "cpu"
        assert Variable(np.ones(2)).value.device.type == "cpu"
        assert ops.random_normal((2,), seed=1).device.type == "cpu"


@pytest.mark.skipif(HAS_CUDA, reason="this machine has a CUDA device")
def test_asking_for_a_missing_gpu_names_it_and_says_why():
    with pytest.raises(ValueError, match=r"no device 'gpu:0' \(torch sees no CUDA device\)"):
        with plugnet.device("gpu:0"):
            pass
    assert ops.ones((1,)).device.type == "cpu"  # the failed scope left the placement alone


@pytest.mark.skipif(not HAS_CUDA, reason="needs a CUDA device")
def test_gpu_placement_of_new_tensors_variables_and_host_data():
    with plugnet.device("gpu:0"):
        x = ops.convert_to_tensor(np.ones((2, 3), np.float32))
        v = Variable(np.ones((3, 1)))
        noise = ops.random_uniform((2, 1), seed=3)
        assert x.device.type == v.value.device.type == noise.device.type == "cuda"
    y = ops.add(ops.matmul(x, v), np.ones((2, 1), np.float32))  # host data follows the tensor it meets
    assert y.device.type == "cuda"
    assert ops.multiply(np.ones((3, 1), np.float32), v).device.type == "cuda"  # ... or Variable
    np.testing.assert_allclose(ops.convert_to_numpy(y), np.full((2, 1), 4.0))
    with GradientTape() as tape:
        loss = ops.sum(ops.matmul(x, v))
    np.testing.assert_allclose(ops.convert_to_numpy(tape.gradient(loss, [v])[0]), np.full((3, 1), 2.0))


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # torch.compile's own imports warn about torch.jit
def test_compile_step_is_opt_in():
    backend = plugnet.backend.active()

    def step(x):
        return ops.relu(x) * 2.0

    assert backend.compile_step(step, False) is step
    assert backend.compile_step(step, "auto") is step
    compiled = backend.compile_step(step, True)
    assert compiled is not step
    assert getattr(compiled, "_torchdynamo_orig_callable", None) is step  # torch.compile wrapped it


def test_set_random_seed_seeds_torch():
    plugnet.utils.set_random_seed(11)
    first = torch.rand(3)
    plugnet.utils.set_random_seed(11)
    assert torch.equal(torch.rand(3), first)


def test_negative_step_slices_follow_numpy():
    x = np.arange(24.0).reshape(2, 3, 4)
    for key in [(slice(None, None, -1),), (Ellipsis, slice(3, 0, -2)), (0, slice(None), slice(None, None, -3)),
                (None, slice(None), slice(2, None, -1), 1)]:
        np.testing.assert_array_equal(ops.convert_to_numpy(ops.get_item(ops.convert_to_tensor(x), key)), x[key])


def test_the_plugin_module_does_not_import_torch():
    code = ("import sys, plugnet.backends.torch.plugin, plugnet.backend as b; b.available(); "
            "assert 'torch' not in sys.modules, 'torch imported'")
    subprocess.run([sys.executable, "-c", code], check=True)
