"""Replayed steps (NumPy, torch): a step is recorded as it runs, then replayed without its Python.

A replay must compute exactly what the eager step computes, see Variables as they are at each
call, and never be used for a step whose recordings would freeze Python state.
"""

import numpy as np
import pytest

import plugnet
from plugnet import layers, ops
from plugnet.training.replay import ReplayedStep, replayed

pytestmark = pytest.mark.skipif(
    not plugnet.backend.active().replay_steps,
    reason="this backend compiles steps into graphs of its own (tf.function, jax.jit), not replays",
)


def data(n=48, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 6)).astype("float32")
    y = (x[:, :2] > 0).astype("float32")
    return x, y


def net(optimizer, run_eagerly, dropout=0.0, extra=()):
    plugnet.utils.set_random_seed(7)
    model = plugnet.Sequential([layers.Input(shape=(6,)), layers.Dense(8, activation="relu"),
                                layers.BatchNormalization(), layers.Dropout(dropout, seed=3), *extra,
                                layers.Dense(2)])
    model.compile(optimizer=optimizer, loss="mse", metrics=["mae"], run_eagerly=run_eagerly)
    return model


def programs(model) -> list:
    """The replay functions the model's train step has compiled (None: left eager)."""
    found = []
    for function in getattr(model.train_function, "functions", {}).values():
        if isinstance(function, ReplayedStep):
            found += list(function.programs.values())
    return found


def train(model, steps=12, batch=16):
    x, y = data()
    losses = []
    for i in range(steps):
        start = (i * batch) % len(x)
        losses.append(model.train_on_batch(x[start:start + batch], y[start:start + batch]))
    return np.array(losses), model.get_weights()


@pytest.mark.parametrize("optimizer", [lambda: plugnet.optimizers.SGD(0.05, momentum=0.9),
                                       lambda: plugnet.optimizers.Adam(0.01)])
def test_replayed_training_is_the_eager_training(optimizer):
    replayed_losses, replayed_weights = train(model := net(optimizer(), False, dropout=0.3))
    eager_losses, eager_weights = train(net(optimizer(), True, dropout=0.3))
    assert programs(model) and all(programs(model)), "the step was never replayed"
    np.testing.assert_allclose(replayed_losses, eager_losses, rtol=1e-6, atol=1e-7)
    for mine, theirs in zip(replayed_weights, eager_weights):  # BatchNorm's moving statistics too
        np.testing.assert_allclose(mine, theirs, rtol=1e-6, atol=1e-7)


def test_fit_evaluate_and_predict_replay_and_agree_with_eager():
    x, y = data(60)
    results = []
    for run_eagerly in (False, True):
        model = net("adam", run_eagerly)
        history = model.fit(x, y, batch_size=16, epochs=4, shuffle=False, verbose=0)
        results.append((history.history["loss"], model.evaluate(x, y, batch_size=16, verbose=0),
                        model.predict(x, batch_size=16, verbose=0)))
        if not run_eagerly:
            # Full batches of 16 and the last batch of 12 are two signatures, each replayed.
            assert len(programs(model)) == 2 and all(programs(model))
    for mine, theirs in zip(*results):
        np.testing.assert_allclose(mine, theirs, rtol=1e-5, atol=1e-6)


class Counting(layers.Layer):
    calls = 0

    def call(self, x):
        Counting.calls += 1
        return x


def test_a_replay_runs_none_of_the_steps_python():
    """The tf.function contract: Python inside the step runs while it is recorded, not when replayed."""
    model = net("sgd", False, extra=[Counting()])
    train(model, steps=3)  # the eager first step and two recordings
    assert all(programs(model))
    calls, before = Counting.calls, model.get_weights()[0].copy()
    train(model, steps=5)
    assert Counting.calls == calls
    assert not np.allclose(model.get_weights()[0], before)


def test_a_learning_rate_changed_between_steps_is_used_by_the_replay():
    model = net(plugnet.optimizers.SGD(0.1), False)
    train(model, steps=6)
    assert all(programs(model))
    model.optimizer.learning_rate = 0.0
    frozen = model.get_weights()
    train(model, steps=3)
    for before, after in zip(frozen[:2], model.get_weights()[:2]):
        np.testing.assert_array_equal(before, after)
    model.optimizer.learning_rate = 0.1
    train(model, steps=1)
    assert not np.allclose(frozen[0], model.get_weights()[0])


class ReadsItsLoss(plugnet.Sequential):
    """A step that looks at a value in Python: replaying it would freeze that value."""

    big_losses = 0

    def train_step(self, data):
        logs = super().train_step(data)
        if float(self._loss_tracker.result()) > 0.0:
            ReadsItsLoss.big_losses += 1
        return logs


def test_a_step_that_reads_a_value_in_python_stays_eager():
    ReadsItsLoss.big_losses = 0
    model = ReadsItsLoss([layers.Input(shape=(6,)), layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    train(model, steps=8)
    assert ReadsItsLoss.big_losses == 8
    assert programs(model) == [None]
    function = model.train_function.functions[True]  # train_on_batch's step, which resets the metrics
    assert "reads a tensor's values in Python" in next(iter(function.reasons.values()))


class CountsInPython(plugnet.Sequential):
    """A step whose ops depend on a Python number that changes every step."""

    def train_step(self, data):
        self.step_number = getattr(self, "step_number", 0) + 1
        x, y = data
        with plugnet.GradientTape() as tape:
            loss = ops.multiply(ops.mean(ops.square(ops.subtract(self(x, training=True), y))),
                                float(self.step_number))
        self.optimizer.apply(tape.gradient(loss, self.trainable_variables), self.trainable_variables)
        return {"loss": loss}


def test_a_step_with_python_state_stays_eager_and_correct():
    model = CountsInPython([layers.Input(shape=(6,)), layers.Dense(2)])
    model.compile(optimizer=plugnet.optimizers.SGD(0.01), loss="mse")
    eager = CountsInPython([layers.Input(shape=(6,)), layers.Dense(2)])
    eager.compile(optimizer=plugnet.optimizers.SGD(0.01), loss="mse", run_eagerly=True)
    eager.set_weights(model.get_weights())
    mine, theirs = train(model, steps=8), train(eager, steps=8)
    assert model.step_number == 8
    assert programs(model) == [None]
    np.testing.assert_allclose(mine[0], theirs[0], rtol=1e-6)


def test_run_eagerly_never_replays():
    model = net("sgd", True)
    train(model, steps=6)
    assert programs(model) == []


# -- replayed() on plain functions ---------------------------------------------------------------


def test_a_replayed_function_updates_variables_and_returns_fresh_results():
    total = plugnet.Variable(np.zeros(3, "float32"), trainable=False)

    def step(x):
        total.assign_add(ops.multiply(x, 2.0))
        return ops.sum(total)

    function = replayed(step)
    x = ops.convert_to_tensor(np.ones(3, "float32"))
    results = [float(ops.convert_to_numpy(function(x))) for _ in range(5)]
    assert results == [6.0, 12.0, 18.0, 24.0, 30.0]
    (program,) = function.programs.values()
    assert "assign_add" in program.source
    np.testing.assert_allclose(ops.convert_to_numpy(total.value), [10.0, 10.0, 10.0])


def test_ops_whose_results_are_unused_are_not_replayed():
    def step(x):
        ops.exp(x)  # computed, never used
        return ops.add(x, 1.0)

    function = replayed(step)
    x = ops.convert_to_tensor(np.zeros(2, "float32"))
    for _ in range(3):
        function(x)
    (program,) = function.programs.values()
    assert "exp" not in program.source and "add" in program.source
    assert program.source.count("\n") == 3  # def, the add, return


def test_a_function_making_a_variable_is_not_replayed():
    made = []

    def step(x):
        made.append(plugnet.Variable(np.zeros(2, "float32")))
        return ops.add(x, made[-1])

    function = replayed(step)
    x = ops.convert_to_tensor(np.ones(2, "float32"))
    for _ in range(3):
        function(x)
    assert len(made) == 3 and list(function.programs.values()) == [None]
    assert "creates or reconfigures Variables" in next(iter(function.reasons.values()))


def test_a_tensor_kept_from_an_earlier_call_stops_the_replay():
    kept = []

    def step(x):
        y = ops.add(x, 1.0) if not kept else ops.add(kept[-1], x)
        kept.append(y)
        return y

    function = replayed(step)
    x = ops.convert_to_tensor(np.ones(2, "float32"))
    values = [ops.convert_to_numpy(function(x)).tolist() for _ in range(4)]
    assert values == [[2.0, 2.0], [3.0, 3.0], [4.0, 4.0], [5.0, 5.0]]
    assert list(function.programs.values()) == [None]
    assert "earlier step" in next(iter(function.reasons.values()))


def test_an_error_while_recording_leaves_the_backend_as_it_was():
    backend = plugnet.backend.active()
    ops_before = backend.ops

    def step(x):
        ops.add(x, 1.0)
        raise ValueError("bad batch")

    with pytest.raises(ValueError, match="bad batch"):
        replayed(step)(ops.convert_to_tensor(np.ones(2, "float32")))
    assert backend.ops is ops_before
    assert float(ops.convert_to_numpy(ops.add(1.0, 2.0))) == 3.0


def test_a_gan_step_with_two_tapes_replays_like_eager():
    def make():
        plugnet.utils.set_random_seed(11)
        generator = plugnet.Sequential([layers.Input(shape=(3,)), layers.Dense(4)])
        critic = plugnet.Sequential([layers.Input(shape=(4,)), layers.Dense(1)])
        return generator, critic, plugnet.optimizers.Adam(0.01), plugnet.optimizers.Adam(0.01)

    def step_of(generator, critic, g_opt, c_opt):
        def step(data):
            noise, real = data
            with plugnet.GradientTape() as g_tape, plugnet.GradientTape() as c_tape:
                fake = generator(noise, training=True)
                real_score = critic(real, training=True)
                fake_score = critic(fake, training=True)
                c_loss = ops.mean(ops.subtract(fake_score, real_score))
                g_loss = ops.negative(ops.mean(fake_score))
            c_grads = c_tape.gradient(c_loss, critic.trainable_variables)
            g_grads = g_tape.gradient(g_loss, generator.trainable_variables)
            c_opt.apply(c_grads, critic.trainable_variables)
            g_opt.apply(g_grads, generator.trainable_variables)
            return {"c": c_loss, "g": g_loss}

        return step

    rng = np.random.default_rng(1)
    batches = [(ops.convert_to_tensor(rng.standard_normal((8, 3)).astype("float32")),
                ops.convert_to_tensor(rng.standard_normal((8, 4)).astype("float32"))) for _ in range(6)]
    eager_models, replay_models = make(), make()
    eager_step, function = step_of(*eager_models), replayed(step_of(*replay_models))
    for batch in batches:
        want, got = eager_step(batch), function(batch)
        for key in want:
            np.testing.assert_allclose(ops.convert_to_numpy(got[key]), ops.convert_to_numpy(want[key]), rtol=1e-6)
    assert all(function.programs.values())
    for model_e, model_r in zip(eager_models[:2], replay_models[:2]):
        for a, b in zip(model_e.get_weights(), model_r.get_weights()):
            np.testing.assert_allclose(b, a, rtol=1e-6)


class SplitAndJoin(layers.Layer):
    """Ops with several results (split) and list arguments (concatenate) inside the taped region."""

    def call(self, x):
        left, right = ops.split(x, 2, axis=-1)
        return ops.concatenate([ops.multiply(left, 2.0), right, left], axis=-1)


def test_ops_with_several_results_and_list_arguments_replay_like_eager():
    def make(run_eagerly):
        plugnet.utils.set_random_seed(5)
        inputs = layers.Input(shape=(6,))
        hidden = layers.Dense(8, activation="tanh")(inputs)
        joined = layers.Concatenate()([SplitAndJoin()(hidden), layers.LayerNormalization()(hidden)])
        model = plugnet.Model(inputs, layers.Dense(2)(joined))
        model.compile(optimizer=plugnet.optimizers.Adam(0.01), loss="mse", run_eagerly=run_eagerly)
        return model

    model, eager = make(False), make(True)
    mine, theirs = train(model), train(eager)
    np.testing.assert_allclose(mine[0], theirs[0], rtol=1e-6, atol=1e-7)
    for a, b in zip(mine[1], theirs[1]):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    assert all(programs(model))


@pytest.mark.skipif(plugnet.backend.name() != "numpy", reason="the NumPy backend's tape is written out as code")
def test_the_numpy_tape_is_written_out_as_forward_and_backward_code():
    model = net("sgd", False)
    train(model, steps=4)
    (program,) = [p for p in programs(model) if p]
    assert "pullback" in program.source and "gradient(" not in program.source


def test_freezing_a_layer_between_steps_is_seen_by_the_replay():
    model = net(plugnet.optimizers.SGD(0.1), False)
    train(model, steps=5)
    assert all(programs(model))
    first = model.layers[0]
    first.trainable = False
    frozen = [w.copy() for w in first.get_weights()]
    train(model, steps=5)
    for before, after in zip(frozen, first.get_weights()):
        np.testing.assert_array_equal(before, after)
    first.trainable = True
    train(model, steps=1)
    assert not np.allclose(frozen[0], first.get_weights()[0])


@pytest.mark.parametrize("schedule", [
    lambda: plugnet.optimizers.schedules.ExponentialDecay(0.1, decay_steps=2, decay_rate=0.5),
    lambda: plugnet.optimizers.schedules.PiecewiseConstantDecay([3, 6], [0.1, 0.05, 0.01]),
])
def test_a_learning_rate_schedule_advances_in_replayed_steps(schedule):
    """The schedule reads the optimizer's step counter (a Variable) in every replay."""
    replayed_run = train(model := net(plugnet.optimizers.SGD(schedule()), False), steps=10)
    eager_run = train(net(plugnet.optimizers.SGD(schedule()), True), steps=10)
    assert all(programs(model))
    np.testing.assert_allclose(replayed_run[0], eager_run[0], rtol=1e-6, atol=1e-7)
    for mine, theirs in zip(replayed_run[1], eager_run[1]):
        np.testing.assert_allclose(mine, theirs, rtol=1e-6, atol=1e-7)
