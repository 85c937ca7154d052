"""plugnet.GradientTape semantics (TensorFlow's), on the active backend."""

import numpy as np
import pytest

import plugnet
from plugnet import GradientTape, Variable, ops


def numpy_of(x):
    return np.asarray(ops.convert_to_numpy(x))


def test_gradient_of_a_small_network_matches_the_hand_derivation(rng):
    x = rng.standard_normal((5, 3)).astype("float32")
    w = Variable(rng.standard_normal((3, 2)))
    b = Variable(np.zeros(2))
    with GradientTape() as tape:
        loss = ops.mean(ops.square(ops.tanh(ops.matmul(x, w) + b)))
    gw, gb = tape.gradient(loss, [w, b])
    h = np.tanh(x @ w.numpy() + b.numpy())
    dz = 2 * h / h.size * (1 - h**2)
    np.testing.assert_allclose(numpy_of(gw), x.T @ dz, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(numpy_of(gb), dz.sum(0), rtol=1e-5, atol=1e-6)
    assert ops.dtype(gw) == "float32"


def test_python_operators_and_indexing_are_recorded(rng):
    x = rng.standard_normal((4, 3)).astype("float32")
    y = rng.standard_normal((4,)).astype("float32")
    w = Variable(rng.standard_normal((3, 3)))
    with GradientTape() as tape:
        h = x @ w
        y_pred = -(h[:, 0] ** 2) + 1.0
        # A raw array on the left of an operator; torch tensors refuse to meet ndarrays in
        # operators (torch's rule, not plugnet's), so on torch the array is a tensor.
        left = ops.convert_to_tensor(y) if plugnet.backend.name() == "torch" else y
        loss = ops.sum(left - y_pred)
    (gw,) = tape.gradient(loss, [w])
    h_np = x @ w.numpy()
    expected = np.zeros((3, 3), "float32")
    expected[:, 0] = x.T @ (2 * h_np[:, 0])
    np.testing.assert_allclose(numpy_of(gw), expected, rtol=1e-5, atol=1e-5)


def test_dict_and_tuple_sources_keep_their_structure():
    a, b = Variable(np.ones(2)), Variable(np.ones(2))
    with GradientTape() as tape:
        loss = ops.sum(a * 3.0 + b * 2.0)
    grads = tape.gradient(loss, {"a": a, "b": b})
    np.testing.assert_allclose(numpy_of(grads["a"]), [3.0, 3.0])
    np.testing.assert_allclose(numpy_of(grads["b"]), [2.0, 2.0])
    single = GradientTape()
    with single:
        loss = ops.sum(a * a)
    np.testing.assert_allclose(numpy_of(single.gradient(loss, a)), [2.0, 2.0])


def test_unconnected_and_non_trainable_sources_get_none():
    used, unused = Variable(np.ones(2)), Variable(np.ones(2))
    frozen = Variable(np.ones(2), trainable=False)
    with GradientTape() as tape:
        loss = ops.sum(used * frozen)
    assert tape.gradient(loss, [used, unused, frozen])[1:] == [None, None]


def test_watch_constants_and_watch_accessed_variables_false():
    x = ops.convert_to_tensor(np.array([1.0, 2.0], "float32"))
    v = Variable(np.array([3.0, 4.0]))
    with GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(x)
        loss = ops.sum(ops.multiply(x, x) * v)
    gx, gv = tape.gradient(loss, [x, v])
    np.testing.assert_allclose(numpy_of(gx), [6.0, 16.0])
    assert gv is None


def test_a_non_persistent_tape_answers_once_and_a_persistent_one_often():
    v = Variable(np.array([2.0]))
    with GradientTape() as once:
        loss = ops.sum(v * v)
    once.gradient(loss, [v])
    with pytest.raises(RuntimeError, match="persistent"):
        once.gradient(loss, [v])
    with GradientTape(persistent=True) as tape:
        a = ops.sum(v * v)
        b = ops.sum(v * 3.0)
    np.testing.assert_allclose(numpy_of(tape.gradient(a, [v])[0]), [4.0])
    np.testing.assert_allclose(numpy_of(tape.gradient(b, [v])[0]), [3.0])


def test_two_tapes_record_at_once_as_in_a_gan():
    gen_w, disc_w = Variable(np.array([2.0])), Variable(np.array([5.0]))
    with GradientTape() as gen_tape, GradientTape() as disc_tape:
        fake = gen_w * 3.0
        score = fake * disc_w
        gen_loss = ops.sum(-score)
        disc_loss = ops.sum(score * score)
    (g_gen,) = gen_tape.gradient(gen_loss, [gen_w])
    (g_disc,) = disc_tape.gradient(disc_loss, [disc_w])
    np.testing.assert_allclose(numpy_of(g_gen), [-15.0])  # d(-3 w_g w_d)/dw_g
    np.testing.assert_allclose(numpy_of(g_disc), [2 * 30.0 * 6.0])  # d((6 w_d)^2)/dw_d at w_d=5


def test_list_targets_add_and_output_gradients_weight():
    v = Variable(np.array([1.0, 2.0]))
    with GradientTape(persistent=True) as tape:
        a = v * 2.0
        b = v * v
    np.testing.assert_allclose(numpy_of(tape.gradient([a, b], v)), [4.0, 6.0])
    np.testing.assert_allclose(numpy_of(tape.gradient(a, v, output_gradients=np.array([1.0, 10.0], "float32"))),
                               [2.0, 20.0])


def test_stop_recording_and_stop_gradient():
    v = Variable(np.array([3.0]))
    with GradientTape() as tape:
        a = v * v
        with tape.stop_recording():
            hidden = v * 100.0
        loss = ops.sum(a + ops.stop_gradient(v * 7.0) + hidden)
    np.testing.assert_allclose(numpy_of(tape.gradient(loss, [v])[0]), [6.0])


def test_split_outputs_flow_gradients_to_each_part():
    v = Variable(np.arange(4.0))
    with GradientTape() as tape:
        first, second = ops.split(v, 2)
        loss = ops.sum(first * 2.0) + ops.sum(second * second)
    np.testing.assert_allclose(numpy_of(tape.gradient(loss, [v])[0]), [2.0, 2.0, 4.0, 6.0])


def test_gradient_outside_with_requires_an_entered_tape():
    with pytest.raises(RuntimeError, match="entered"):
        GradientTape().gradient(1.0, [])


def test_custom_training_loop_reduces_the_loss(rng):
    x = rng.standard_normal((32, 4)).astype("float32")
    y = ops.convert_to_tensor(x @ np.array([1.0, -2.0, 0.5, 3.0], "float32"))
    w = Variable(np.zeros(4))
    losses = []
    for _ in range(50):
        with GradientTape() as tape:
            loss = ops.mean(ops.square(ops.matmul(x, w) - y))
        (g,) = tape.gradient(loss, [w])
        w.assign_sub(g * 0.1)
        losses.append(float(numpy_of(loss)))
    assert losses[-1] < losses[0] * 1e-3
    np.testing.assert_allclose(w.numpy(), [1.0, -2.0, 0.5, 3.0], atol=1e-2)
    assert plugnet.backend.name()
