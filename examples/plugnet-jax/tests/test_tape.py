"""GradientTape on JAX: ops recorded with their jax.vjp, back-propagated in reverse."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from plugnet_jax import autograd, templates

import plugnet
from plugnet import GradientTape, Variable, ops


def test_tape_gradients_equal_jax_grad_of_the_same_function(rng):
    x = rng.standard_normal((5, 3)).astype("float32")
    w0, b0 = rng.standard_normal((3, 4)).astype("float32"), rng.standard_normal(4).astype("float32")
    w, b = Variable(w0), Variable(b0)
    with GradientTape() as tape:
        h = ops.tanh(x @ w + b)
        loss = ops.mean(ops.square(h[:, 1:] - 0.5)) + ops.sum(ops.softmax(h) * 2.0)
    gw, gb = tape.gradient(loss, [w, b])

    def pure(w, b):
        h = jnp.tanh(x @ w + b)
        return jnp.mean(jnp.square(h[:, 1:] - 0.5)) + jnp.sum(jax.nn.softmax(h) * 2.0)

    want_w, want_b = jax.grad(pure, argnums=(0, 1))(w0, b0)
    np.testing.assert_allclose(gw, want_w, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(gb, want_b, rtol=1e-5, atol=1e-6)


def test_results_inside_a_tape_are_recorded_tensors_and_bare_arrays_outside():
    v = Variable(np.ones(3))
    with GradientTape():
        inside = v * 2.0
        constant = ops.ones((3,)) * 2.0  # no tracked input: nothing to record
    outside = v * 2.0
    assert isinstance(inside, autograd.Tensor)
    assert isinstance(constant, jax.Array) and isinstance(outside, jax.Array)
    assert isinstance(ops.add(inside, 1.0), jax.Array)  # a recorded tensor is a tensor to every op


def test_python_operators_on_recorded_values_are_recorded():
    v = Variable(np.array([1.0, 2.0, 3.0]))
    left = np.array([1.0, 1.0, 1.0], np.float32)
    with GradientTape() as tape:
        y = v * v
        z = left - y  # NumPy on the left defers to the tensor
        loss = ops.sum(-z[1:] ** 2)
    (g,) = tape.gradient(loss, [v])
    # loss = -sum((1 - v^2)^2) over v[1:]; d/dv = 4 v (1 - v^2)
    np.testing.assert_allclose(g, [0.0, 4 * 2 * (1 - 4), 4 * 3 * (1 - 9)], rtol=1e-6)


def test_intermediate_tensors_as_sources_and_unconnected_ones_get_none():
    v = Variable(np.array([2.0]))
    other = Variable(np.array([1.0]))
    with GradientTape(persistent=True) as tape:
        h = v * 3.0
        loss = ops.sum(h * h)
    gh, gv, go = tape.gradient(loss, [h, v, other])
    np.testing.assert_allclose(gh, [12.0])
    np.testing.assert_allclose(gv, [36.0])
    assert go is None
    assert tape.gradient(ops.sum(ops.ones((2,))), [v]) == [None]


def test_persistent_watch_two_tapes_and_stop_recording():
    x = ops.convert_to_tensor(np.array([1.0, 2.0], np.float32))
    v = Variable(np.array([3.0, 4.0]))
    with GradientTape(persistent=True) as outer, GradientTape(watch_accessed_variables=False) as inner:
        outer.watch(x)
        inner.watch(x)
        y = x * v
        with outer.stop_recording():
            skipped = x * 100.0
        loss = ops.sum(y * y) + ops.sum(skipped)
    np.testing.assert_allclose(outer.gradient(loss, [x])[0], 2 * np.array([1.0, 2.0]) * np.array([9.0, 16.0]))
    np.testing.assert_allclose(outer.gradient(loss, [v])[0], 2 * np.array([3.0, 4.0]) * np.array([1.0, 4.0]))
    gx, gv = inner.gradient(loss, [x, v])
    np.testing.assert_allclose(gx, [18.0, 64.0])
    assert gv is None  # not watched, and the tape watches nothing by itself
    with pytest.raises(RuntimeError, match="released"):
        inner._tape.gradient([loss], [x])


def test_a_tie_sends_the_gradient_to_the_first_argument_of_maximum():
    a, b = Variable(np.array([1.0, 2.0, 3.0])), Variable(np.array([1.0, 1.0, 5.0]))
    with GradientTape() as tape:
        loss = ops.sum(ops.maximum(a, b))
    ga, gb = tape.gradient(loss, [a, b])
    np.testing.assert_allclose(ga, [1.0, 1.0, 0.0])
    np.testing.assert_allclose(gb, [0.0, 0.0, 1.0])


def test_split_outputs_and_integer_results():
    v = Variable(np.arange(6.0))
    with GradientTape() as tape:
        first, second = ops.split(v, 2)
        index = ops.argmax(second)  # integers: a plain array, no gradient
        loss = ops.sum(first * 2.0) + ops.sum(second * second)
    assert isinstance(index, jax.Array) and not isinstance(index, autograd.Tensor)
    np.testing.assert_allclose(tape.gradient(loss, [v])[0], [2.0, 2.0, 2.0, 6.0, 8.0, 10.0])


def test_each_op_template_compiles_once():
    v = Variable(np.ones((4, 3), np.float32))
    mask = np.array([True, False, True, True])  # read on the host: integer indices, compiled as data

    def step(scale):
        with GradientTape() as tape:
            loss = ops.sum(ops.multiply(v, scale)) + ops.sum(v[mask])
        return tape.gradient(loss, [v])[0]

    np.testing.assert_allclose(step(2.25), np.broadcast_to(np.where(mask[:, None], 3.25, 2.25), (4, 3)))
    compiled = len(templates.compiled)
    step(2.25)
    assert len(templates.compiled) == compiled  # the same templates: nothing new compiled
    step(3.125)  # a new Python constant is a new template (array shapes are jax.jit's business)
    assert len(templates.compiled) == compiled + 1


def test_an_op_needing_host_values_runs_its_vjp_eagerly():
    v = Variable(np.arange(6.0))
    with GradientTape() as tape:
        loss = ops.sum(ops.reshape(v, np.array([2, 3]))[1] * 2.0)  # a shape given as an array
    np.testing.assert_allclose(tape.gradient(loss, [v])[0], [0, 0, 0, 2, 2, 2])
    assert any(key[0].__name__ == "reshape" for key in templates.eager_only)


def test_dropout_draws_fresh_masks_when_recorded_without_a_seed():
    x = ops.convert_to_tensor(np.ones((64,), np.float32))
    masks = []
    for _ in range(2):
        with GradientTape() as tape:
            tape.watch(x)
            y = ops.dropout(x, 0.5, None, None)
        masks.append(np.asarray(tape.gradient(y, [x])[0]))
        np.testing.assert_allclose(masks[-1], ops.convert_to_numpy(y))
    assert not np.array_equal(masks[0], masks[1])


def test_watch_refuses_host_data_with_advice():
    with GradientTape() as tape, pytest.raises(TypeError, match="convert_to_tensor"):
        tape.watch(np.ones(2))


def test_a_custom_training_loop_learns():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((64, 3)).astype("float32")
    y = ops.convert_to_tensor(x @ np.array([1.5, -2.0, 0.5], "float32") + 1.0)
    w, b = Variable(np.zeros(3)), Variable(np.zeros(()))
    for _ in range(150):
        with GradientTape() as tape:
            loss = ops.mean(ops.square(ops.matmul(x, w) + b - y))
        gw, gb = tape.gradient(loss, [w, b])
        w.assign_sub(gw * 0.1)
        b.assign_sub(gb * 0.1)
    np.testing.assert_allclose(w.numpy(), [1.5, -2.0, 0.5], atol=1e-3)
    assert abs(float(b.numpy()) - 1.0) < 1e-3
    assert plugnet.backend.name() == "jax"
