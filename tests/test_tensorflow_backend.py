"""The TensorFlow backend: native tensors and variables, dtype rules, devices, tf.function,
tensor seeds, and the tape's TensorFlow-specific cases."""

import numpy as np
import pytest

import plugnet
from plugnet import GradientTape, Variable, ops
from plugnet.plugins.conformance import CASES, reference
from plugnet.plugins.conformance.harness import _as, _assert_close, _map_arrays, _to_numpy

if plugnet.backend.name() != "tensorflow":  # checked first: importing TensorFlow takes seconds
    pytest.skip("TensorFlow backend only (PLUGNET_BACKEND=tensorflow)", allow_module_level=True)
tf = pytest.importorskip("tensorflow")


def _np(x):
    return np.asarray(ops.convert_to_numpy(x))


def _backend():
    return plugnet.backend.active()


# -- native tensors and dtypes ------------------------------------------------------------


def test_results_are_native_tensors_with_pluggable_dtype_rules():
    assert type(ops.add(np.ones(2, np.float32), 1.0)) is type(tf.constant(1.0))
    assert ops.dtype(ops.convert_to_tensor([1.0, 2.0])) == "float32"
    assert ops.dtype(ops.convert_to_tensor([1, 2])) == "int32"
    assert ops.dtype(ops.convert_to_tensor(np.ones(2))) == "float64"  # NumPy arrays keep their dtype
    x32 = ops.ones((2,))
    assert ops.dtype(x32 * 2.0) == "float32" and ops.dtype(ops.multiply(2, x32)) == "float32"
    assert ops.dtype(ops.add(ops.ones((2,), "int32"), 0.5)) == "float32"  # Keras: a float scalar makes it float
    assert ops.dtype(ops.add(ops.ones((2,), "int32"), x32)) == "float32"
    assert ops.dtype(ops.add(ops.ones((2,), "int32"), ops.ones((2,), "int64"))) == "int64"
    assert ops.dtype(ops.add(x32, ops.ones((2,), "float64"))) == "float64"
    assert ops.dtype(ops.divide(ops.ones((2,), "int32"), 2)) == "float32"
    np.testing.assert_allclose(_np(ops.subtract(1.0, ops.convert_to_tensor(np.array([1.0, 3.0])))), [0.0, -2.0])


def test_is_tensor_shape_and_convert_to_numpy():
    x = ops.zeros((2, 3))
    assert ops.is_tensor(x) and ops.is_tensor(Variable(np.ones(2)).value)
    assert not ops.is_tensor(np.ones(2))
    assert ops.shape(x) == (2, 3) and ops.ndim(x) == 2 and ops.size(x) == 6
    array = ops.convert_to_numpy(x)
    assert type(array) is np.ndarray
    array[0, 0] = 5.0  # a copy: the tensor is unchanged
    assert _np(x)[0, 0] == 0.0


_X = np.arange(24.0, dtype=np.float32).reshape(2, 3, 4)


@pytest.mark.parametrize("key", [
    (0, np.array([2, 1]), slice(None)),
    (slice(None), np.array([0, 2]), np.array([1, 3])),
    (np.array([1, 0]), slice(None), np.array([3, 0])),  # separated index arrays: their dims go first
    (Ellipsis, np.array([0, -1])),
    (None, 1, np.array([0, 2])),
    (_X > 10,),
    (slice(None), np.array([[True, False, True, False]] * 3)),
], ids=repr)
def test_advanced_indexing_with_tensor_keys_follows_numpy(key):
    tensor_key = tuple(ops.convert_to_tensor(k) if isinstance(k, np.ndarray) else k for k in key)
    for source in (ops.convert_to_tensor(_X), Variable(_X)):
        got = ops.get_item(source, tensor_key if len(key) > 1 else tensor_key[0])
        np.testing.assert_array_equal(_np(got), _X[key if len(key) > 1 else key[0]])


def test_ops_never_hand_back_a_variables_storage():
    v = Variable(np.ones(3))
    for result in (ops.cast(v, "float32"), ops.convert_to_tensor(v), ops.clip(v, None, None), ops.expand_dims(v, ())):
        assert not isinstance(result, tf.Variable)
    result = ops.convert_to_tensor(v)
    v.assign(np.zeros(3))
    np.testing.assert_array_equal(_np(result), [1.0, 1.0, 1.0])  # a snapshot, not a view of the variable


def test_a_tensor_of_another_framework_gets_a_clear_error():
    fake = type("Tensor", (), {"__module__": "torch"})()
    with pytest.raises(TypeError, match=r"got a torch Tensor.*'tensorflow' backend.*set_backend\('torch'\)"):
        ops.add(fake, 1.0)


# -- variables ------------------------------------------------------------------------------


def test_variables_are_tf_variables_usable_by_tensorflow_code():
    v = Variable(np.array([[1.0, 2.0], [3.0, 4.0]]), name="w")
    assert isinstance(v.value, tf.Variable) and v.value.trainable and v.value.dtype == tf.float32
    x = tf.constant([[1.0, 1.0]])
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(tf.matmul(x, v))  # TensorFlow code reads a plugnet Variable directly
    np.testing.assert_allclose(tape.gradient(y, v.value).numpy(), [[1.0, 1.0], [1.0, 1.0]])
    storage = v.value
    v.assign_sub(np.ones((2, 2)))  # float64 data, cast to the variable's float32, in place
    assert v.value is storage
    np.testing.assert_allclose(storage.numpy(), [[0.0, 1.0], [2.0, 3.0]])


def test_trainable_can_change_after_creation():
    frozen_later, unfrozen_later = Variable(np.ones(2)), Variable(np.ones(2), trainable=False)
    assert not unfrozen_later.value.trainable
    frozen_later.trainable = False
    unfrozen_later.trainable = True
    with GradientTape() as tape:
        loss = ops.sum(frozen_later * unfrozen_later * 3.0)
    g_frozen, g_unfrozen = tape.gradient(loss, [frozen_later, unfrozen_later])
    assert g_frozen is None
    np.testing.assert_allclose(_np(g_unfrozen), [3.0, 3.0])


# -- the tape -----------------------------------------------------------------------------


def test_sparse_gradients_come_back_dense_and_shaped_like_the_source():
    table = Variable(np.arange(12.0).reshape(4, 3))
    with GradientTape() as tape:
        loss = ops.sum(ops.take(table, np.array([0, 2, 2]), axis=0))
    (grad,) = tape.gradient(loss, [table])
    assert not isinstance(grad, tf.IndexedSlices) and ops.shape(grad) == (4, 3)
    np.testing.assert_allclose(_np(grad), [[1, 1, 1], [0, 0, 0], [2, 2, 2], [0, 0, 0]])


def test_stop_recording_pauses_every_active_tape():
    a, b = Variable(np.array([2.0])), Variable(np.array([3.0]))
    with GradientTape() as outer, GradientTape() as inner:
        with inner.stop_recording():  # the outer tape skips the block too, as on every backend
            hidden = a * 100.0
        with _backend().no_recording():
            also_hidden = b * 100.0
        loss = ops.sum(a * b + hidden + also_hidden)
    np.testing.assert_allclose(_np(outer.gradient(loss, [a])[0]), [3.0])
    np.testing.assert_allclose(_np(inner.gradient(loss, [b])[0]), [2.0])


def test_reset_forgets_what_was_recorded():
    v = Variable(np.array([2.0]))
    with GradientTape() as tape:
        forgotten = ops.sum(v * v)
        tape.reset()
        loss = forgotten + ops.sum(v * 5.0)  # forgotten is a constant now
    np.testing.assert_allclose(_np(tape.gradient(loss, [v])[0]), [5.0])


def test_watching_host_data_is_an_error_that_says_what_to_do():
    with GradientTape() as tape:
        with pytest.raises(TypeError, match="convert_to_tensor"):
            tape.watch(np.ones(2))


def test_output_gradients_weight_each_target():
    x = ops.convert_to_tensor(np.array([1.0, 2.0], np.float32))
    with GradientTape() as tape:
        tape.watch(x)
        y = x * x
    np.testing.assert_allclose(_np(tape.gradient(y, x, output_gradients=np.array([1.0, 10.0]))), [2.0, 40.0])


# -- devices --------------------------------------------------------------------------------


def test_devices_and_cpu_placement():
    names = plugnet.backend.devices()
    assert names[0] == "cpu" and all(n.startswith("gpu:") for n in names[1:])
    with plugnet.device("cpu"):
        x = ops.ones((2,))
        v = Variable(np.zeros(2))
        y = ops.random_normal((2,), seed=1)
    for placed in (x, v.value, y):
        assert placed.device.endswith("CPU:0")


def test_a_missing_gpu_is_a_clear_error():
    missing = f"gpu:{len(plugnet.backend.devices())}"
    with pytest.raises(ValueError, match=rf"no device '{missing}'.*\['cpu'"):
        with _backend().device_scope(missing):
            pass


# -- tf.function: every op in graph mode, with an unknown batch size ---------------------------

# Ops whose results are host values (convert_to_numpy, shape, the dtype string) are tested below.
_NOT_IN_GRAPHS = {"convert_to_numpy", "dtype", "shape"}


def _reflects(name, case):
    """A reflecting pad: reflecting wider than an axis (NumPy's repeated reflection) needs its size."""
    return name == "pad" and (case.kwargs.get("mode") or (case.args[2:3] or ("constant",))[0]) != "constant"


GRAPH_CASES = [(name, case) for name, cases in CASES.items() if name not in _NOT_IN_GRAPHS
               for case in cases if not _reflects(name, case)]


@pytest.mark.parametrize("item", GRAPH_CASES, ids=lambda item: f"{item[0]}{item[1]!r}")
def test_every_op_runs_inside_tf_function_with_an_unknown_batch_size(item):
    name, case = item
    args = _map_arrays(case.args, _as("float32"))
    positions = [i for i, a in enumerate(args) if isinstance(a, np.ndarray)]
    tensors = [tf.constant(args[i]) for i in positions]
    # The first array argument (the batch, for nn ops) has an unknown leading dim.
    signature = [tf.TensorSpec([None, *t.shape[1:]] if k == 0 and t.shape.rank else t.shape, t.dtype)
                 for k, t in enumerate(tensors)]

    def fn(*given):
        call = list(args)
        for i, t in zip(positions, given):
            call[i] = t
        return getattr(ops, name)(*call, **case.kwargs)

    got = _to_numpy(tf.function(fn, input_signature=signature, autograph=False)(*tensors))
    _assert_close(name, case, got, reference(name)(*case.args, **case.kwargs), case.rtol, case.atol, check_dtype=True)


def test_shape_has_none_for_unknown_dims_and_convert_to_numpy_explains_graphs():
    seen = {}

    @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32)], autograph=False)
    def fn(x):
        seen["shape"] = ops.shape(x)
        with pytest.raises(RuntimeError, match="tf.function"):
            ops.convert_to_numpy(x)
        return ops.size(x)

    assert _np(fn(tf.ones((4, 3)))) == 12
    assert seen["shape"] == (None, 3)


# -- random: integer tensor seeds -------------------------------------------------------------------


def test_tensor_seeds_match_int_seeds_and_vary_inside_tf_function():
    @tf.function(autograph=False)
    def draw(seed):
        return ops.random_normal((5,), seed=seed), ops.dropout(tf.ones((50,)), 0.5, None, seed)

    normal_7, mask_7 = draw(tf.constant(7))
    np.testing.assert_array_equal(_np(normal_7), _np(ops.random_normal((5,), seed=7)))
    np.testing.assert_array_equal(_np(mask_7), _np(ops.dropout(np.ones(50, np.float32), 0.5, None, 7)))
    normal_8, _ = draw(tf.constant(8, tf.int64))
    assert not np.array_equal(_np(normal_7), _np(normal_8))


def test_seed_generator_draws_fresh_numbers_in_each_compiled_call():
    generator = plugnet.random.SeedGenerator(3)
    step = _backend().compile_step(lambda: plugnet.random.uniform((4,), seed=generator), False)
    first, second = _np(step()), _np(step())
    assert not np.array_equal(first, second)
    replay = plugnet.random.SeedGenerator(3)
    np.testing.assert_array_equal(_np(plugnet.random.uniform((4,), seed=replay)), first)


def test_unseeded_draws_repeat_after_set_seed():
    plugnet.utils.set_random_seed(5)
    a = _np(ops.random_uniform((3,), seed=None))
    plugnet.utils.set_random_seed(5)
    np.testing.assert_array_equal(_np(ops.random_uniform((3,), seed=None)), a)


# -- compile_step ----------------------------------------------------------------------------------


def _train_step(w, b):
    def step(x, y):
        with GradientTape() as tape:
            loss = ops.mean(ops.square(ops.matmul(x, w) + b - y))
        gw, gb = tape.gradient(loss, [w, b])
        w.assign_sub(gw * 0.1)
        b.assign_sub(gb * 0.1)
        return loss

    return step


@pytest.mark.parametrize("jit_compile", [False, True])
def test_a_compiled_tape_step_matches_the_eager_one(jit_compile, rng):
    x = rng.standard_normal((8, 3)).astype("float32")
    y = rng.standard_normal((8, 1)).astype("float32")
    eager_w, eager_b = Variable(np.ones((3, 1))), Variable(np.zeros(1))
    graph_w, graph_b = Variable(np.ones((3, 1))), Variable(np.zeros(1))
    eager = _train_step(eager_w, eager_b)
    compiled = _backend().compile_step(_train_step(graph_w, graph_b), jit_compile)
    for _ in range(3):
        np.testing.assert_allclose(_np(compiled(tf.constant(x), tf.constant(y))), _np(eager(x, y)), rtol=1e-5)
    np.testing.assert_allclose(graph_w.numpy(), eager_w.numpy(), rtol=1e-5)
    np.testing.assert_allclose(graph_b.numpy(), eager_b.numpy(), rtol=1e-5, atol=1e-7)


def test_compile_step_traces_once_per_batch_shape_and_shapes_stay_concrete():
    traces = []

    def step(x):
        traces.append(ops.shape(x))
        return ops.sum(x)

    compiled = _backend().compile_step(step, False)
    for n in (4, 3, 4, 3, 4):
        assert float(_np(compiled(tf.ones((n, 2))))) == 2.0 * n
    assert traces == [(4, 2), (3, 2)]  # a full batch and the smaller last one: two graphs


# -- nn: what TensorFlow's own ops refuse -------------------------------------------------------------


def test_strided_dilated_conv_matches_the_reference():
    from plugnet.plugins.conformance.cases_nn import conv_reference

    x = np.random.default_rng(0).uniform(-1, 1, (2, 11, 10, 3))
    k = np.random.default_rng(1).uniform(-1, 1, (3, 2, 3, 4))
    for padding in ("valid", "same"):
        got = ops.conv(x.astype("float32"), k.astype("float32"), strides=(2, 3), padding=padding, dilation_rate=2)
        want = conv_reference(x, k, strides=(2, 3), padding=padding, dilation_rate=2)
        np.testing.assert_allclose(_np(got), want, rtol=1e-5, atol=1e-5)
