"""Steps under jax.jit: the same numbers as eager steps, Variables threaded through the trace."""

import numpy as np
import pytest
from plugnet_jax.jit import CompiledStep, compile_step

import plugnet
from plugnet import GradientTape, Variable, layers, ops


def data(seed=0, n=48):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 5)).astype("float32")
    y = (x[:, :1] * x[:, 1:2] > 0).astype("float32")
    return x, y


def train(jit_compile):
    plugnet.utils.set_random_seed(7)
    model = plugnet.Sequential([
        layers.Input(shape=(5,)),
        layers.Dense(16, activation="relu"),
        layers.BatchNormalization(),
        layers.Dropout(0.25, seed=3),
        layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"], jit_compile=jit_compile)
    x, y = data()
    history = model.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0, validation_data=(x, y))
    return model, history.history, model.predict(x, verbose=0), model.evaluate(x, y, verbose=0)


def test_a_jit_compiled_fit_gives_the_numbers_of_an_eager_one():
    jitted, eager = train(True), train(False)
    assert isinstance(jitted[0].train_function.__closure__, tuple)
    for key in eager[1]:
        np.testing.assert_allclose(jitted[1][key], eager[1][key], rtol=1e-5, atol=1e-6, err_msg=key)
    np.testing.assert_allclose(jitted[2], eager[2], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(jitted[3], eager[3], rtol=1e-5, atol=1e-6)
    for a, b in zip(jitted[0].get_weights(), eager[0].get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_python_runs_only_while_tracing_and_variables_are_written_back():
    w = Variable(np.array([1.0, 2.0]))
    count = Variable(np.zeros((), "int32"), trainable=False)
    traced = []

    def step(x):
        traced.append(1)
        with GradientTape() as tape:
            loss = ops.sum(ops.square(w * x))
        (g,) = tape.gradient(loss, [w])
        w.assign_sub(g * 0.1)
        count.assign_add(1)
        return {"loss": loss}

    compiled = compile_step(step, jit_compile=True)
    assert isinstance(compiled, CompiledStep) and compile_step(step, jit_compile=False) is step
    x = ops.convert_to_tensor(np.array([1.0, 1.0], np.float32))
    losses = [float(compiled(x)["loss"]) for _ in range(4)]
    # The first call traces twice: once to find the Variables the step touches, once with them as inputs.
    assert len(traced) == 2
    assert losses == sorted(losses, reverse=True) and int(count.numpy()) == 4
    np.testing.assert_allclose(w.numpy(), np.array([1.0, 2.0]) * 0.8**4, rtol=1e-6)
    compiled(ops.convert_to_tensor(np.ones((2,), np.float32) * 2.0))  # same shape: no new trace
    assert len(traced) == 2


def test_dropout_draws_a_fresh_mask_on_every_compiled_call():
    generator = plugnet.random.SeedGenerator(11)
    compiled = compile_step(lambda x: plugnet.random.dropout(x, 0.5, seed=generator), jit_compile=True)
    x = ops.ones((64,))
    first, second = ops.convert_to_numpy(compiled(x)), ops.convert_to_numpy(compiled(x))
    assert not np.array_equal(first, second)
    assert set(np.unique(first)) <= {0.0, 2.0}


def test_a_variable_created_inside_a_compiled_step_is_a_clear_error():
    compiled = compile_step(lambda x: Variable(x * 2.0).value.value, jit_compile=True)
    with pytest.raises(RuntimeError, match="created 1 Variable"):
        compiled(ops.ones((2,)))


def test_reading_a_value_on_the_host_inside_a_compiled_step_is_a_clear_error():
    compiled = compile_step(lambda x: float(ops.convert_to_numpy(ops.sum(x))), jit_compile=True)
    with pytest.raises(TypeError, match="inside a jit-compiled step"):
        compiled(ops.ones((2,)))
