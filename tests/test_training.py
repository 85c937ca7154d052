"""compile / fit / evaluate / predict and the single-batch methods, checked against NumPy."""

import numpy as np
import pytest

import plugnet
from plugnet import GradientTape, layers, ops
from plugnet.models import Model, Sequential
from plugnet.optimizers import SGD
from plugnet.regularizers import L2

LR = 0.1


def linear(w, b, **compile_args):
    """A Dense model with the given kernel and bias, compiled (SGD and MSE unless told)."""
    model = Sequential([layers.Input(shape=(w.shape[0],)), layers.Dense(w.shape[1])])
    model.set_weights([w, b])
    compile_args.setdefault("optimizer", SGD(LR))
    compile_args.setdefault("loss", "mse")
    model.compile(**compile_args)
    return model


@pytest.fixture
def problem(rng):
    """x (10, 3), y (10, 2), and initial weights."""
    x = rng.standard_normal((10, 3)).astype("float32")
    y = rng.standard_normal((10, 2)).astype("float32")
    w = rng.standard_normal((3, 2)).astype("float32")
    b = rng.standard_normal(2).astype("float32")
    return x, y, w, b


def mse(pred, y):
    return float(np.mean((pred - y) ** 2))


def sgd_step(x, y, w, b, lr=LR, sample_weight=None):
    """One SGD step on the mean squared error (Keras's sum-over-batch-size weighting), by hand."""
    err = x @ w + b - y
    per_sample = np.ones(len(x)) if sample_weight is None else sample_weight
    g = 2.0 * err * per_sample[:, None] / err.size
    return w - lr * (x.T @ g), b - lr * g.sum(0)


# -- fit -------------------------------------------------------------------------------------


def test_fit_learns_a_linear_regression(rng):
    x = rng.standard_normal((256, 3)).astype("float32")
    true_w = np.array([[1.5], [-2.0], [0.5]], "float32")
    y = x @ true_w + 0.25
    model = Sequential([layers.Input(shape=(3,)), layers.Dense(1)])
    model.compile(optimizer=SGD(0.1), loss="mse")
    history = model.fit(x, y, epochs=20, batch_size=16, verbose=0)
    w, b = model.get_weights()
    np.testing.assert_allclose(w, true_w, atol=1e-3)
    np.testing.assert_allclose(b, [0.25], atol=1e-3)
    assert history.history["loss"][-1] < 1e-5 < history.history["loss"][0]


def test_one_full_batch_epoch_is_one_hand_computed_sgd_step(problem):
    x, y, w, b = problem
    model = linear(w, b)
    history = model.fit(x, y, batch_size=len(x), epochs=1, verbose=0)
    # The epoch's loss is the loss of its only batch, before the update.
    assert history.history["loss"][0] == pytest.approx(mse(x @ w + b, y), rel=1e-6)
    w1, b1 = sgd_step(x, y, w, b)
    np.testing.assert_allclose(model.get_weights()[0], w1, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.get_weights()[1], b1, rtol=1e-5, atol=1e-6)


def test_the_epoch_loss_is_the_batch_size_weighted_mean_of_the_batch_losses(problem):
    x, y, w, b = problem
    model = linear(w, b, optimizer=SGD(0.0))  # no update: every batch sees the initial weights
    history = model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    batch_losses = [mse(x[s:s + 4] @ w + b, y[s:s + 4]) for s in (0, 4, 8)]
    expected = (4 * batch_losses[0] + 4 * batch_losses[1] + 2 * batch_losses[2]) / 10
    assert history.history["loss"][0] == pytest.approx(expected, rel=1e-6)


def test_fit_and_a_hand_written_tape_loop_share_one_step(problem):
    x, y, w, b = problem
    fitted = linear(w, b)
    fitted.fit(x, y, batch_size=len(x), epochs=1, verbose=0)
    manual = linear(w, b)
    with GradientTape() as tape:
        loss = manual.compute_loss(x, y, manual(x, training=True))
    grads = tape.gradient(loss, manual.trainable_variables)
    manual.optimizer.apply_gradients(zip(grads, manual.trainable_variables))
    for a, c in zip(fitted.get_weights(), manual.get_weights()):
        np.testing.assert_array_equal(a, c)


def test_validation_split_holds_out_the_last_rows(problem):
    x, y, w, b = problem
    model = linear(w, b)
    history = model.fit(x, y, batch_size=8, epochs=1, validation_split=0.2, verbose=0)
    # Training saw the first 8 rows in one batch...
    assert history.history["loss"][0] == pytest.approx(mse(x[:8] @ w + b, y[:8]), rel=1e-6)
    w1, b1 = sgd_step(x[:8], y[:8], w, b)
    np.testing.assert_allclose(model.get_weights()[0], w1, rtol=1e-5, atol=1e-6)
    # ...and validation the last 2, with the weights at the end of the epoch.
    assert history.history["val_loss"][0] == pytest.approx(mse(x[8:] @ w1 + b1, y[8:]), rel=1e-5)


def test_validation_data_and_validation_freq(problem):
    x, y, w, b = problem
    model = linear(w, b, optimizer=SGD(0.0))
    history = model.fit(x, y, epochs=4, validation_data=(x[:3], y[:3]), validation_freq=2, verbose=0)
    assert len(history.history["loss"]) == 4
    assert history.history["val_loss"] == pytest.approx([mse(x[:3] @ w + b, y[:3])] * 2, rel=1e-6)


def test_shuffling_is_reproducible_under_set_random_seed(problem):
    x, y, w, b = problem

    def train(shuffle):
        model = linear(w, b)
        model.fit(x, y, batch_size=3, epochs=3, shuffle=shuffle, verbose=0)
        return model.get_weights()[0]

    plugnet.utils.set_random_seed(3)
    first = train(True)
    plugnet.utils.set_random_seed(3)
    np.testing.assert_array_equal(train(True), first)
    assert not np.allclose(train(False), first)


def test_sample_weight_weights_the_loss_and_the_gradient(problem):
    x, y, w, b = problem
    weights = np.linspace(0.0, 2.0, len(x)).astype("float32")
    model = linear(w, b)
    history = model.fit(x, y, sample_weight=weights, batch_size=len(x), verbose=0)
    per_sample = np.mean((x @ w + b - y) ** 2, axis=1)
    assert history.history["loss"][0] == pytest.approx(float(np.sum(weights * per_sample) / len(x)), rel=1e-5)
    w1, b1 = sgd_step(x, y, w, b, sample_weight=weights)
    np.testing.assert_allclose(model.get_weights()[0], w1, rtol=1e-5, atol=1e-6)


def test_class_weight_weights_each_sample_by_its_class(rng):
    x = rng.standard_normal((8, 3)).astype("float32")
    labels = np.array([0, 1, 1, 0, 1, 0, 0, 1])
    w = rng.standard_normal((3, 1)).astype("float32")
    b = np.zeros(1, "float32")
    model = linear(w, b)
    history = model.fit(x, labels[:, None].astype("float32"), class_weight={0: 1.0, 1: 3.0},
                        batch_size=8, verbose=0)
    per_sample = ((x @ w + b)[:, 0] - labels) ** 2
    expected = np.sum(np.where(labels == 1, 3.0, 1.0) * per_sample) / 8
    assert history.history["loss"][0] == pytest.approx(float(expected), rel=1e-5)


def test_initial_epoch_and_epochs_count_in_the_history(problem):
    x, y, w, b = problem
    history = linear(w, b).fit(x, y, epochs=5, initial_epoch=2, verbose=0)
    assert history.epoch == [2, 3, 4]
    assert len(history.history["loss"]) == 3


def test_fit_returns_the_history_and_sets_model_history(problem):
    x, y, w, b = problem
    model = linear(w, b, metrics=["mae"])
    history = model.fit(x, y, epochs=2, verbose=0)
    assert model.history is history
    assert list(history.history) == ["loss", "mae"]


def test_a_generator_with_steps_per_epoch(problem):
    x, y, w, b = problem
    consumed = []

    def batches():
        while True:
            consumed.append(1)
            yield x, y

    model = linear(w, b, optimizer=SGD(0.0))
    history = model.fit(batches(), steps_per_epoch=3, epochs=2, verbose=0)
    assert len(consumed) == 6 and history.epoch == [0, 1]
    assert history.history["loss"] == pytest.approx([mse(x @ w + b, y)] * 2, rel=1e-6)


def test_a_finite_generator_without_steps_ends_training_when_it_runs_dry(problem):
    x, y, w, b = problem
    model = linear(w, b)
    with pytest.warns(UserWarning, match="ran out of data"):
        history = model.fit(((x[i:i + 5], y[i:i + 5]) for i in (0, 5)), epochs=3, verbose=0)
    assert history.epoch == [0]


def test_stop_training_inside_an_epoch_stops_after_that_batch(problem):
    x, y, w, b = problem
    seen = []

    class StopAtBatchOne(plugnet.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append(batch)
            if batch == 1:
                self.model.stop_training = True

    history = linear(w, b).fit(x, y, batch_size=2, epochs=3, callbacks=[StopAtBatchOne()], verbose=0)
    assert seen == [0, 1] and history.epoch == [0]


def test_steps_per_execution_calls_batch_hooks_per_group(problem):
    x, y, w, b = problem
    calls = []
    hooks = plugnet.callbacks.LambdaCallback(
        on_train_batch_begin=lambda batch, logs: calls.append(("begin", batch)),
        on_train_batch_end=lambda batch, logs: calls.append(("end", batch)),
    )
    model = linear(w, b, steps_per_execution=2)
    model.fit(x, y, batch_size=2, epochs=1, callbacks=[hooks], verbose=0)
    assert calls == [("begin", 0), ("end", 1), ("begin", 2), ("end", 3), ("begin", 4), ("end", 4)]


# -- evaluate / predict -----------------------------------------------------------------------


def test_evaluate_returns_a_scalar_a_list_or_a_dict(problem):
    x, y, w, b = problem
    pred = x @ w + b
    assert linear(w, b).evaluate(x, y, verbose=0) == pytest.approx(mse(pred, y), rel=1e-6)
    model = linear(w, b, metrics=["mae", "mse"])
    loss, mae, mse_metric = model.evaluate(x, y, batch_size=3, verbose=0)
    assert loss == pytest.approx(mse(pred, y), rel=1e-6)
    assert mae == pytest.approx(float(np.mean(np.abs(pred - y))), rel=1e-6)
    assert mse_metric == pytest.approx(loss, rel=1e-6)
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert list(logs) == ["loss", "mae", "mse"]


def test_evaluate_with_sample_weight(problem):
    x, y, w, b = problem
    weights = np.arange(10, dtype="float32")
    loss = linear(w, b).evaluate(x, y, sample_weight=weights, verbose=0)
    per_sample = np.mean((x @ w + b - y) ** 2, axis=1)
    assert loss == pytest.approx(float(np.sum(weights * per_sample) / 10), rel=1e-5)


def test_weighted_metrics_see_the_sample_weights_and_metrics_do_not(problem):
    x, y, w, b = problem
    weights = np.r_[np.ones(5), np.zeros(5)].astype("float32")
    model = linear(w, b, metrics=["mae"], weighted_metrics=["mae"])
    logs = model.evaluate(x, y, sample_weight=weights, verbose=0, return_dict=True)
    abs_err = np.mean(np.abs(x @ w + b - y), axis=1)
    assert logs["mae"] == pytest.approx(float(abs_err.mean()), rel=1e-6)
    assert logs["weighted_mae"] == pytest.approx(float(abs_err[:5].mean()), rel=1e-6)


def test_predict_concatenates_batches_in_order(problem):
    x, _, w, b = problem
    pred = linear(w, b).predict(x, batch_size=3, verbose=0)
    assert isinstance(pred, np.ndarray) and pred.shape == (10, 2)
    np.testing.assert_allclose(pred, x @ w + b, rtol=1e-6)


def test_predict_accepts_a_generator_of_x_y_batches(problem):
    x, y, w, b = problem
    pred = linear(w, b).predict(((x[i:i + 4], y[i:i + 4]) for i in range(0, 10, 4)), verbose=0)
    np.testing.assert_allclose(pred, x @ w + b, rtol=1e-6)


def test_accuracy_is_named_as_given_and_picks_the_sparse_kind(rng):
    x = rng.standard_normal((12, 4)).astype("float32")
    labels = rng.integers(0, 3, size=12)
    model = Sequential([layers.Input(shape=(4,)), layers.Dense(3, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    logs = model.evaluate(x, labels, verbose=0, return_dict=True)
    assert list(logs) == ["loss", "accuracy"]
    probabilities = model.predict(x, verbose=0)
    assert logs["accuracy"] == pytest.approx(float(np.mean(probabilities.argmax(1) == labels)))
    expected_loss = -np.mean(np.log(probabilities[np.arange(12), labels]))
    assert logs["loss"] == pytest.approx(float(expected_loss), rel=1e-5)


def test_regularization_losses_are_part_of_the_loss(problem):
    x, y, w, b = problem
    model = Sequential([layers.Input(shape=(3,)), layers.Dense(2, kernel_regularizer=L2(0.1))])
    model.set_weights([w, b])
    model.compile(optimizer="sgd", loss="mse")
    expected = mse(x @ w + b, y) + 0.1 * float(np.sum(w ** 2))
    assert model.evaluate(x, y, verbose=0) == pytest.approx(expected, rel=1e-5)


# -- single batches ----------------------------------------------------------------------------


def test_train_test_and_predict_on_batch_match_numpy(problem):
    x, y, w, b = problem
    model = linear(w, b, metrics=["mae"])
    loss, mae = model.train_on_batch(x, y)
    assert loss == pytest.approx(mse(x @ w + b, y), rel=1e-6)
    assert mae == pytest.approx(float(np.mean(np.abs(x @ w + b - y))), rel=1e-6)
    w1, b1 = sgd_step(x, y, w, b)
    logs = model.test_on_batch(x, y, return_dict=True)
    assert logs["loss"] == pytest.approx(mse(x @ w1 + b1, y), rel=1e-5)
    np.testing.assert_allclose(model.predict_on_batch(x), x @ w1 + b1, rtol=1e-5, atol=1e-6)
    # Each call reports its own batch, not a running mean over calls.
    assert model.test_on_batch(x[:2], y[:2])[0] == pytest.approx(mse(x[:2] @ w1 + b1, y[:2]), rel=1e-5)


def test_every_train_on_batch_call_reports_its_own_batch(problem):
    # Traced backends reset the metrics inside a step of its own: later calls go through it.
    x, y, w, b = problem
    model = linear(w, b, metrics=["mae"])
    for step in range(4):
        rows = slice(0, 5) if step % 2 == 0 else slice(5, 10)
        w_now, b_now = model.get_weights()
        pred = x[rows] @ w_now + b_now
        loss, mae = model.train_on_batch(x[rows], y[rows])
        assert loss == pytest.approx(mse(pred, y[rows]), rel=1e-5), step
        assert mae == pytest.approx(float(np.mean(np.abs(pred - y[rows]))), rel=1e-5), step
    # fit and evaluate keep their own running means, untouched by the calls before.
    w_now, b_now = model.get_weights()
    history = model.fit(x, y, batch_size=10, epochs=1, verbose=0)
    assert history.history["loss"][0] == pytest.approx(mse(x @ w_now + b_now, y), rel=1e-5)
    w_now, b_now = model.get_weights()
    assert model.evaluate(x, y, verbose=0)[0] == pytest.approx(mse(x @ w_now + b_now, y), rel=1e-5)


def test_train_on_batch_with_class_weight(rng):
    x = rng.standard_normal((4, 2)).astype("float32")
    labels = np.array([[0.0], [1.0], [1.0], [0.0]], "float32")
    w, b = rng.standard_normal((2, 1)).astype("float32"), np.zeros(1, "float32")
    loss = linear(w, b).train_on_batch(x, labels, class_weight={1: 2.0})
    per_sample = ((x @ w + b) - labels)[:, 0] ** 2
    assert loss == pytest.approx(float(np.sum(np.array([1, 2, 2, 1]) * per_sample) / 4), rel=1e-5)


# -- several inputs and outputs ------------------------------------------------------------------


@pytest.fixture
def two_heads(rng):
    """A functional model with outputs 'a' (1 unit) and 'b' (2 units), and its data."""
    inputs = layers.Input(shape=(3,))
    model = Model(inputs, [layers.Dense(1, name="a")(inputs), layers.Dense(2, name="b")(inputs)])
    x = rng.standard_normal((6, 3)).astype("float32")
    ya = rng.standard_normal((6, 1)).astype("float32")
    yb = rng.standard_normal((6, 2)).astype("float32")
    return model, x, ya, yb


def test_multi_output_losses_weights_and_names(two_heads):
    model, x, ya, yb = two_heads
    model.compile(optimizer=SGD(0.0), loss=["mse", "mae"], loss_weights=[1.0, 0.5], metrics=[["mae"], []])
    pred_a, pred_b = model.predict(x, verbose=0)
    a_loss, b_loss = mse(pred_a, ya), float(np.mean(np.abs(pred_b - yb)))
    history = model.fit(x, [ya, yb], batch_size=6, epochs=1, verbose=0)
    assert set(history.history) == {"loss", "a_mae", "a_loss", "b_loss"}
    assert history.history["loss"][0] == pytest.approx(a_loss + 0.5 * b_loss, rel=1e-5)
    assert history.history["a_loss"][0] == pytest.approx(a_loss, rel=1e-5)
    assert history.history["b_loss"][0] == pytest.approx(b_loss, rel=1e-5)
    assert history.history["a_mae"][0] == pytest.approx(float(np.mean(np.abs(pred_a - ya))), rel=1e-5)
    # Keras's order: the loss, the per-output losses, then the other metrics sorted by name.
    assert model.evaluate(x, [ya, yb], verbose=0) == pytest.approx(
        [a_loss + 0.5 * b_loss, a_loss, b_loss, float(np.mean(np.abs(pred_a - ya)))], rel=1e-5)


def test_multi_output_losses_and_targets_by_name(two_heads):
    model, x, ya, yb = two_heads
    model.compile(optimizer="sgd", loss={"b": "mse"})
    pred_b = model.predict(x, verbose=0)[1]
    assert model.evaluate(x, {"b": yb}, verbose=0) == pytest.approx(mse(pred_b, yb), rel=1e-5)
    with pytest.raises(ValueError, match=r"key\(s\) \['c'\] that name no model output"):
        model.compile(optimizer="sgd", loss={"c": "mse"})
        model.evaluate(x, {"c": yb}, verbose=0)


def test_multi_input_models_take_lists_and_dicts(rng):
    first, second = layers.Input(shape=(3,), name="first"), layers.Input(shape=(2,), name="second")
    dense = layers.Dense(1, use_bias=False)
    model = Model([first, second], dense(second))
    model.compile(optimizer="sgd", loss="mse")
    a = rng.standard_normal((5, 3)).astype("float32")
    c = rng.standard_normal((5, 2)).astype("float32")
    y = rng.standard_normal((5, 1)).astype("float32")
    expected = mse(c @ model.get_weights()[0], y)
    assert model.evaluate([a, c], y, verbose=0) == pytest.approx(expected, rel=1e-5)
    assert model.evaluate({"first": a, "second": c}, y, verbose=0) == pytest.approx(expected, rel=1e-5)
    history = model.fit({"first": a, "second": c}, y, epochs=2, batch_size=2, verbose=0)
    assert len(history.history["loss"]) == 2


# -- customization --------------------------------------------------------------------------------


def test_fit_runs_an_overridden_train_step(problem):
    x, y, w, b = problem

    class Custom(Sequential):
        def train_step(self, data):
            inputs, targets = data
            with GradientTape() as tape:
                loss = ops.mean(ops.abs(self(inputs, training=True) - targets))
            grads = tape.gradient(loss, self.trainable_variables)
            self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
            return {"l1": loss}

    model = Custom([layers.Input(shape=(3,)), layers.Dense(2)])
    model.set_weights([w, b])
    model.compile(optimizer=SGD(0.0))
    history = model.fit(x, y, batch_size=len(x), epochs=2, verbose=0)
    assert history.history["l1"] == pytest.approx([float(np.mean(np.abs(x @ w + b - y)))] * 2, rel=1e-6)


def test_compute_metrics_overrides_can_add_entries(problem):
    x, y, w, b = problem

    class WithExtra(Sequential):
        def compute_metrics(self, x, y, y_pred, sample_weight=None):
            logs = super().compute_metrics(x, y, y_pred, sample_weight)
            logs["twice_loss"] = 2 * logs["loss"]
            return logs

    model = WithExtra([layers.Input(shape=(3,)), layers.Dense(2)])
    model.set_weights([w, b])
    model.compile(optimizer=SGD(0.0), loss="mse")
    history = model.fit(x, y, batch_size=len(x), verbose=0)
    assert history.history["twice_loss"][0] == pytest.approx(2 * history.history["loss"][0])


def test_the_compile_config_round_trips(problem):
    x, y, w, b = problem
    model = linear(w, b, metrics=["mae"], loss=plugnet.losses.Huber(delta=0.5))
    config = model.get_compile_config()
    assert config["loss"]["config"]["delta"] == 0.5
    clone = linear(w, b)
    clone.compile_from_config(config)
    assert clone.evaluate(x, y, verbose=0) == pytest.approx(model.evaluate(x, y, verbose=0), rel=1e-6)


def test_run_eagerly_and_jit_compile_are_kept(problem):
    _, _, w, b = problem
    model = linear(w, b, run_eagerly=True, jit_compile="auto")
    assert model.run_eagerly is True and model.jit_compile is False


# -- errors ------------------------------------------------------------------------------------------


def test_fit_before_compile_is_an_error(problem):
    x, y, _, _ = problem
    model = Sequential([layers.Input(shape=(3,)), layers.Dense(2)])
    with pytest.raises(ValueError, match=r"compile\(\) before fit\(\)"):
        model.fit(x, y, verbose=0)
    with pytest.raises(ValueError, match=r"compile\(\) before evaluate\(\)"):
        model.evaluate(x, y, verbose=0)


def test_unknown_names_list_the_valid_ones():
    model = Sequential([layers.Input(shape=(3,)), layers.Dense(2)])
    with pytest.raises(ValueError, match="Unknown loss 'mean_squared_eror'.*mean_squared_error"):
        model.compile(optimizer="sgd", loss="mean_squared_eror")
    with pytest.raises(ValueError, match="Unknown optimizer 'adamm'.*adam"):
        model.compile(optimizer="adamm", loss="mse")
    with pytest.raises(ValueError, match="Unknown metric 'maee'"):
        model.compile(optimizer="sgd", loss="mse", metrics=["maee"])


def test_x_and_y_of_different_lengths_is_an_error(problem):
    x, y, w, b = problem
    with pytest.raises(ValueError, match="x has 10, y has 9"):
        linear(w, b).fit(x, y[:9], verbose=0)


def test_no_loss_is_an_error(problem):
    x, y, w, b = problem
    model = linear(w, b)
    model.compile(optimizer="sgd")
    with pytest.raises(ValueError, match="No loss to compute"):
        model.fit(x, y, verbose=0)
