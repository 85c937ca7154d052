"""Callbacks: hook order, History, EarlyStopping, LearningRateScheduler, TerminateOnNaN,
LambdaCallback and the progress output."""

import sys

import numpy as np
import pytest

import plugnet
from plugnet import layers
from plugnet.callbacks import (
    Callback,
    CallbackList,
    EarlyStopping,
    LambdaCallback,
    LearningRateScheduler,
    TerminateOnNaN,
    progbar_logger,
    progress,
)
from plugnet.models import Sequential
from plugnet.optimizers import SGD


@pytest.fixture
def data(rng):
    x = rng.standard_normal((8, 3)).astype("float32")
    y = rng.standard_normal((8, 1)).astype("float32")
    return x, y


def model_for(lr=0.1, metrics=None, w=None):
    model = Sequential([layers.Input(shape=(3,)), layers.Dense(1)])
    if w is not None:
        model.set_weights([w, np.zeros(1, "float32")])
    model.compile(optimizer=SGD(lr), loss="mse", metrics=metrics)
    return model


# -- the hooks ----------------------------------------------------------------------------------


class Recorder(Callback):
    """Records every hook call as a tuple."""

    def __init__(self):
        super().__init__()
        self.calls = []


def _recording(name, indexed):
    if indexed:
        return lambda self, index, logs=None: self.calls.append((name, index))
    return lambda self, logs=None: self.calls.append((name,))


for _hook in ("on_train_begin", "on_train_end", "on_test_begin", "on_test_end", "on_predict_begin",
              "on_predict_end"):
    setattr(Recorder, _hook, _recording(_hook, False))
for _hook in ("on_epoch_begin", "on_epoch_end", "on_train_batch_begin", "on_train_batch_end",
              "on_test_batch_begin", "on_test_batch_end", "on_predict_batch_begin", "on_predict_batch_end"):
    setattr(Recorder, _hook, _recording(_hook, True))


def test_hooks_are_called_in_keras_order(data):
    x, y = data
    recorder = Recorder()
    model = model_for()
    model.fit(x, y, batch_size=4, epochs=2, validation_data=(x, y), validation_batch_size=8,
              callbacks=[recorder], verbose=0)
    epoch = lambda e: [  # noqa: E731
        ("on_epoch_begin", e),
        ("on_train_batch_begin", 0), ("on_train_batch_end", 0),
        ("on_train_batch_begin", 1), ("on_train_batch_end", 1),
        ("on_test_begin",), ("on_test_batch_begin", 0), ("on_test_batch_end", 0), ("on_test_end",),
        ("on_epoch_end", e),
    ]
    assert recorder.calls == [("on_train_begin",), *epoch(0), *epoch(1), ("on_train_end",)]
    recorder.calls.clear()
    model.evaluate(x, y, batch_size=8, callbacks=[recorder], verbose=0)
    model.predict(x, batch_size=8, callbacks=[recorder], verbose=0)
    assert recorder.calls == [
        ("on_test_begin",), ("on_test_batch_begin", 0), ("on_test_batch_end", 0), ("on_test_end",),
        ("on_predict_begin",), ("on_predict_batch_begin", 0), ("on_predict_batch_end", 0), ("on_predict_end",),
    ]


def test_callbacks_see_the_model_params_and_logs(data):
    x, y = data
    seen = {}

    class Inspect(Callback):
        def on_train_begin(self, logs=None):
            seen["params"] = dict(self.params)
            seen["model"] = self.model

        def on_train_batch_end(self, batch, logs=None):
            seen.setdefault("batch_keys", set(logs))

        def on_epoch_end(self, epoch, logs=None):
            seen["epoch_logs"] = dict(logs)

        def on_predict_batch_end(self, batch, logs=None):
            seen["outputs"] = logs["outputs"]

    model = model_for(metrics=["mae"])
    model.fit(x, y, batch_size=4, epochs=3, validation_split=0.25, callbacks=[Inspect()], verbose=0)
    assert seen["model"] is model
    assert seen["params"] == {"verbose": 0, "epochs": 3, "steps": 2}
    assert seen["batch_keys"] == {"loss", "mae"}
    assert set(seen["epoch_logs"]) == {"loss", "mae", "val_loss", "val_mae"}
    assert all(isinstance(v, float) for v in seen["epoch_logs"].values())
    model.predict(x, batch_size=8, callbacks=[Inspect()], verbose=0)
    assert plugnet.ops.shape(seen["outputs"]) == (8, 1)


def test_the_legacy_batch_hooks_still_run():
    batches = []

    class Legacy(Callback):
        def on_batch_end(self, batch, logs=None):
            batches.append(batch)

    callbacks = CallbackList([Legacy()])
    callbacks.on_train_batch_end(0, {})
    callbacks.on_train_batch_end(1, {})
    assert batches == [0, 1]


def test_hooks_nobody_overrides_are_skipped():
    callbacks = CallbackList([Callback(), LambdaCallback(on_epoch_end=lambda epoch, logs: None)])
    assert callbacks._hooks["on_train_batch_end"] == []
    assert len(callbacks._hooks["on_epoch_end"]) == 1


def test_callbacks_must_be_callback_instances():
    with pytest.raises(TypeError, match="plugnet.callbacks.Callback instances"):
        CallbackList([lambda epoch: None])


def test_lambda_callback_gets_the_right_epochs_and_batches(data):
    x, y = data
    calls = []
    callback = LambdaCallback(
        on_train_begin=lambda logs: calls.append("begin"),
        on_epoch_begin=lambda epoch, logs: calls.append(("epoch", epoch)),
        on_train_batch_end=lambda batch, logs: calls.append(("batch", batch, round(logs["loss"], 6) > 0)),
        on_epoch_end=lambda epoch, logs: calls.append(("end", epoch, sorted(logs))),
        on_train_end=lambda logs: calls.append("done"),
    )
    model_for().fit(x, y, batch_size=5, epochs=2, initial_epoch=0, callbacks=[callback], verbose=0)
    assert calls == [
        "begin",
        ("epoch", 0), ("batch", 0, True), ("batch", 1, True), ("end", 0, ["loss"]),
        ("epoch", 1), ("batch", 0, True), ("batch", 1, True), ("end", 1, ["loss"]),
        "done",
    ]


def test_lambda_callback_rejects_unknown_hooks():
    with pytest.raises(TypeError, match="unknown hook 'on_epoch_finish'"):
        LambdaCallback(on_epoch_finish=lambda epoch, logs: None)


# -- History -------------------------------------------------------------------------------------


def test_history_records_every_epoch(data):
    x, y = data
    history = model_for(lr=0.0).fit(x, y, epochs=3, initial_epoch=1, batch_size=8, verbose=0)
    assert history.epoch == [1, 2]
    assert len(history.history["loss"]) == 2
    assert history.history["loss"][0] == pytest.approx(history.history["loss"][1])


# -- EarlyStopping -----------------------------------------------------------------------------


class StubModel:
    """A model that EarlyStopping can stop and whose 'weights' are the epoch they were taken at."""

    def __init__(self):
        self.stop_training = False
        self.epoch = 0
        self.restored = None
        self.metrics = []

    def get_weights(self):
        return [self.epoch]

    def set_weights(self, weights):
        self.restored = weights[0]


def run_early_stopping(callback, values, monitor="val_loss"):
    """Feed ``values`` as the monitored quantity; returns (epoch it stopped at or None, model)."""
    model = StubModel()
    callback.set_model(model)
    callback.on_train_begin()
    stopped = None
    for epoch, value in enumerate(values):
        model.epoch = epoch
        callback.on_epoch_end(epoch, {monitor: value})
        if model.stop_training:
            stopped = epoch
            break
    callback.on_train_end()
    return stopped, model


@pytest.mark.parametrize(
    "kwargs, values, stopped",
    [
        ({}, [1.0, 0.5, 0.6, 0.4], 2),                              # patience 0: the first worse epoch
        ({"patience": 2}, [1.0, 0.9, 0.95, 0.93, 0.8], 3),          # two epochs without improvement
        ({"patience": 2}, [1.0, 0.9, 0.95, 0.85, 0.86], None),      # improvement resets the count
        ({"min_delta": 0.1}, [1.0, 0.95, 0.5], 1),                  # 0.05 better is not enough
        ({"mode": "max", "monitor": "score"}, [0.1, 0.5, 0.4], 2),
        ({"start_from_epoch": 2}, [1.0, 2.0, 3.0, 4.0], 3),         # warm-up epochs are ignored
        ({"patience": 2, "baseline": 0.5}, [0.9, 0.8, 0.85], 2),    # improving, but not past the baseline
        ({"patience": 2}, [0.9, 0.8, 0.85], None),
        ({}, [1.0, 1.0], 1),                                        # equal is no improvement
    ],
)
def test_early_stopping_semantics(kwargs, values, stopped):
    monitor = kwargs.get("monitor", "val_loss")
    assert run_early_stopping(EarlyStopping(**kwargs), values, monitor)[0] == stopped


def test_early_stopping_never_stops_after_the_first_epoch():
    assert run_early_stopping(EarlyStopping(), [1.0])[0] is None


def test_early_stopping_restores_the_best_weights():
    stopped, model = run_early_stopping(EarlyStopping(patience=2, restore_best_weights=True), [3.0, 1.0, 2.0, 2.5])
    assert stopped == 3 and model.restored == 1


def test_early_stopping_auto_mode_reads_the_metric_name():
    assert run_early_stopping(EarlyStopping(monitor="val_accuracy"), [0.5, 0.7, 0.6], "val_accuracy")[0] == 2
    assert run_early_stopping(EarlyStopping(monitor="mae"), [0.5, 0.7], "mae")[0] == 1
    with pytest.raises(ValueError, match="mode='max'"):
        run_early_stopping(EarlyStopping(monitor="val_mystery"), [1.0], "val_mystery")


def test_early_stopping_warns_when_the_metric_is_missing():
    with pytest.warns(UserWarning, match="`val_loss`, which is not available. Available metrics are: loss"):
        assert run_early_stopping(EarlyStopping(), [1.0, 2.0], monitor="loss")[0] is None


def test_early_stopping_in_fit_restores_the_weights_of_the_best_epoch(data):
    x, y = data
    scripted = iter([3.0, 1.0, 2.0, 2.5, 0.1])
    weights_at = []
    script = LambdaCallback(on_epoch_end=lambda epoch, logs: logs.update(val_loss=next(scripted)))
    snapshot = LambdaCallback(on_epoch_end=lambda epoch, logs: weights_at.append(model.get_weights()[0].copy()))
    model = model_for()
    history = model.fit(x, y, epochs=10, batch_size=8, verbose=0,
                        callbacks=[script, snapshot, EarlyStopping(patience=2, restore_best_weights=True)])
    assert history.epoch == [0, 1, 2, 3]
    np.testing.assert_array_equal(model.get_weights()[0], weights_at[1])


# -- LearningRateScheduler ---------------------------------------------------------------------


def test_learning_rate_scheduler_sets_the_rate_of_each_epoch(data):
    x, y = data
    w = np.array([[0.5], [-0.5], [1.0]], "float32")
    model = model_for(lr=0.5, w=w)
    schedule = LearningRateScheduler(lambda epoch, lr: 0.1 if epoch == 0 else lr / 10)
    history = model.fit(x, y, batch_size=8, epochs=2, callbacks=[schedule], verbose=0)
    assert history.history["learning_rate"] == pytest.approx([0.1, 0.01])
    assert float(model.optimizer.learning_rate) == pytest.approx(0.01)
    b = np.zeros(1, "float32")
    for lr in (0.1, 0.01):  # each epoch's update used its own rate
        g = 2 * (x @ w + b - y) / len(x)
        w, b = w - lr * x.T @ g, b - lr * g.sum(0)
    np.testing.assert_allclose(model.get_weights()[0], w, rtol=1e-5)


def test_learning_rate_scheduler_accepts_a_schedule_of_the_epoch_alone(data):
    x, y = data
    model = model_for()
    model.fit(x, y, epochs=3, callbacks=[LearningRateScheduler(lambda epoch: 0.5 ** epoch)], verbose=0)
    assert float(model.optimizer.learning_rate) == pytest.approx(0.25)


def test_learning_rate_scheduler_checks_what_the_schedule_returns(data):
    x, y = data
    with pytest.raises(ValueError, match="must return a float"):
        model_for().fit(x, y, callbacks=[LearningRateScheduler(lambda epoch, lr: "fast")], verbose=0)


# -- TerminateOnNaN ------------------------------------------------------------------------------


def test_terminate_on_nan_stops_at_the_first_nan_batch(data, capsys):
    x, y = data
    x = x.copy()
    x[4:] = np.nan
    batches = []
    history = model_for().fit(
        x, y, batch_size=4, epochs=3, shuffle=False, verbose=0,
        callbacks=[LambdaCallback(on_train_batch_end=lambda batch, logs: batches.append(batch)), TerminateOnNaN()],
    )
    assert batches == [0, 1] and history.epoch == [0]
    assert "Batch 1: Invalid loss, terminating training" in capsys.readouterr().out


def test_terminate_on_nan_can_raise(data):
    x, y = data
    with pytest.raises(RuntimeError, match="NaN or Inf loss"):
        model_for().fit(np.full_like(x, np.nan), y, verbose=0, callbacks=[TerminateOnNaN(raise_error=True)])


# -- progress output -------------------------------------------------------------------------------


def test_the_default_progress_bar_shows_the_loss_and_reaches_100_percent(data, capsys):
    x, y = data
    model_for(metrics=["mae"]).fit(x, y, batch_size=4, epochs=2, validation_split=0.25)
    out = capsys.readouterr().out
    assert "Epoch 1/2" in out and "Epoch 2/2" in out
    assert "100%" in out and "2/2" in out
    assert "loss: " in out and "mae: " in out and "val_loss: " in out


def test_verbose_2_prints_one_line_per_epoch(data, capsys):
    x, y = data
    model_for().fit(x, y, batch_size=4, epochs=3, verbose=2)
    lines = [line for line in capsys.readouterr().out.splitlines() if line]
    assert lines[0::2] == ["Epoch 1/3", "Epoch 2/3", "Epoch 3/3"]
    assert all(line.startswith("2/2 - ") and "/step - loss: " in line for line in lines[1::2])


def test_verbose_0_prints_nothing(data, capsys):
    x, y = data
    model = model_for()
    model.fit(x, y, epochs=2, verbose=0)
    model.evaluate(x, y, verbose=0)
    model.predict(x, verbose=0)
    assert capsys.readouterr().out == ""


def test_evaluate_and_predict_show_a_bar(data, capsys):
    x, y = data
    model = model_for()
    model.evaluate(x, y, batch_size=4)
    out = capsys.readouterr().out
    assert "100%" in out and "loss: " in out
    model.predict(x, batch_size=4)
    assert "100%" in capsys.readouterr().out


def test_without_tqdm_a_line_per_epoch_and_one_install_hint(data, capsys, monkeypatch):
    x, y = data
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    monkeypatch.setattr(progress, "_hint_shown", False)
    model = model_for()
    model.fit(x, y, batch_size=4, epochs=2, verbose=1)
    model.fit(x, y, batch_size=4, epochs=1, verbose=1)
    out = capsys.readouterr().out
    assert out.count("pip install 'plugnet[progress]'") == 1
    assert out.count("2/2 - ") == 3 and "loss: " in out and "%|" not in out


def test_the_bar_is_redrawn_about_ten_times_a_second_whatever_the_step_rate(monkeypatch, capsys):
    clock = iter(np.arange(0.0, 100.0, 0.002))  # every reading of the clock: 2 ms later
    monkeypatch.setattr(progbar_logger.time, "monotonic", lambda: float(next(clock)))
    x = np.ones((500, 3), "float32")
    model_for(lr=0.0).fit(x, np.ones((500, 1), "float32"), batch_size=1, epochs=1, shuffle=False)
    out = capsys.readouterr().out
    draws = out.count("\r") + 1
    # 500 steps in 1 s of (fake) time: about 10 redraws, plus the first and last.
    assert 8 <= draws <= 14, out
    assert "500/500" in out


def test_metric_values_are_formatted_as_keras_does():
    assert progress.format_logs({"loss": 0.123456, "tiny": 1.5e-5, "zero": 0.0}) == (
        "loss: 0.1235 - tiny: 1.5000e-05 - zero: 0.0000")
