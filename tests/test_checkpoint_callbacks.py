"""ModelCheckpoint and CSVLogger: what is saved when, under which name, and that it loads back."""

import csv
import os

import numpy as np
import pytest

import plugnet
from plugnet import layers
from plugnet.callbacks import Callback, CSVLogger, ModelCheckpoint
from plugnet.models import Sequential
from plugnet.optimizers import SGD


@pytest.fixture
def data(rng):
    x = rng.standard_normal((16, 3)).astype("float32")
    y = rng.standard_normal((16, 1)).astype("float32")
    return x, y


def make_model(metrics=None):
    model = Sequential([layers.Input(shape=(3,)), layers.Dense(4, activation="tanh"), layers.Dense(1)])
    model.compile(optimizer=SGD(0.05), loss="mse", metrics=metrics)
    return model


class Scripted(Callback):
    """Puts the next scripted value in the epoch's logs as ``score`` (ahead of ModelCheckpoint),
    and records the weights each epoch ends with (after it)."""

    def __init__(self, scores):
        super().__init__()
        self.scores = list(scores)

    def on_epoch_end(self, epoch, logs=None):
        logs["score"] = self.scores[epoch]


class RecordWeights(Callback):
    def __init__(self):
        super().__init__()
        self.weights = []

    def on_epoch_end(self, epoch, logs=None):
        self.weights.append(self.model.get_weights())


def assert_same_weights(actual, expected):
    assert len(actual) == len(expected)
    for a, e in zip(actual, expected):
        np.testing.assert_array_equal(a, e)


SCORES = [0.5, 0.3, 0.4, 0.2, 0.6]


@pytest.mark.parametrize("mode, saved_epochs", [("min", [1, 2, 4]), ("max", [1, 5])])
def test_best_only_saves_the_epochs_that_improve(tmp_path, data, mode, saved_epochs):
    x, y = data
    template = str(tmp_path / "ckpt-{epoch:02d}-{score:.2f}.weights.safetensors")
    checkpoint = ModelCheckpoint(template, monitor="score", mode=mode, save_best_only=True, save_weights_only=True)
    recorder = RecordWeights()
    model = make_model()
    model.fit(x, y, batch_size=16, epochs=5, callbacks=[Scripted(SCORES), checkpoint, recorder], verbose=0)
    expected = [f"ckpt-{epoch:02d}-{SCORES[epoch - 1]:.2f}.weights.safetensors" for epoch in saved_epochs]
    assert sorted(os.listdir(tmp_path)) == expected
    assert checkpoint.best == SCORES[saved_epochs[-1] - 1]
    # Each file holds the weights its epoch ended with, and loads into a fresh copy of the model.
    for epoch, name in zip(saved_epochs, expected):
        fresh = make_model()
        fresh.load_weights(str(tmp_path / name))
        assert_same_weights(fresh.get_weights(), recorder.weights[epoch - 1])


def test_fixed_path_keeps_the_best_model_and_loads_with_load_model(tmp_path, data):
    x, y = data
    path = str(tmp_path / "best.plugnet")
    # 0.35 must be beaten first: only epochs 2 (0.3) and 4 (0.2) are saved, 4 last.
    checkpoint = ModelCheckpoint(path, monitor="score", mode="min", save_best_only=True, initial_value_threshold=0.35)
    recorder = RecordWeights()
    model = make_model()
    model.fit(x, y, batch_size=16, epochs=5, callbacks=[Scripted(SCORES), checkpoint, recorder], verbose=0)
    assert os.listdir(tmp_path) == ["best.plugnet"]
    loaded = plugnet.models.load_model(path)
    assert_same_weights(loaded.get_weights(), recorder.weights[3])
    assert not np.array_equal(recorder.weights[3][0], recorder.weights[4][0])  # epoch 5 trained on, unsaved


def test_auto_mode_maximizes_accuracies_and_minimizes_losses(tmp_path):
    model = make_model()
    by_accuracy = ModelCheckpoint(str(tmp_path / "acc-{epoch}.weights.safetensors"), monitor="val_accuracy",
                                  save_best_only=True, save_weights_only=True)
    by_loss = ModelCheckpoint(str(tmp_path / "loss-{epoch}.weights.safetensors"), save_best_only=True,
                              save_weights_only=True)
    for callback in (by_accuracy, by_loss):
        callback.set_model(model)
        for epoch, value in enumerate([0.5, 0.7, 0.6, 0.8]):
            callback.on_epoch_end(epoch, {"val_accuracy": value, "val_loss": value})
    assert sorted(os.listdir(tmp_path)) == [
        "acc-1.weights.safetensors", "acc-2.weights.safetensors", "acc-4.weights.safetensors",
        "loss-1.weights.safetensors",
    ]


def test_auto_mode_cannot_guess_an_unknown_metric(tmp_path):
    checkpoint = ModelCheckpoint(str(tmp_path / "m.plugnet"), monitor="score", save_best_only=True)
    checkpoint.set_model(make_model())
    with pytest.raises(ValueError, match=r"ModelCheckpoint\(monitor='score'\).*mode='max'"):
        checkpoint.on_epoch_end(0, {"score": 1.0})


def test_template_fills_epoch_and_metrics_and_creates_the_folder(tmp_path, data):
    x, y = data
    template = str(tmp_path / "run" / "{epoch:03d}-{loss:.4f}-{mae:.3f}.weights.safetensors")
    model = make_model(metrics=["mae"])
    history = model.fit(x, y, batch_size=8, epochs=3, callbacks=[ModelCheckpoint(template, save_weights_only=True)],
                        verbose=0)
    losses, maes = history.history["loss"], history.history["mae"]
    expected = [f"{epoch + 1:03d}-{losses[epoch]:.4f}-{maes[epoch]:.3f}.weights.safetensors" for epoch in range(3)]
    assert sorted(os.listdir(tmp_path / "run")) == expected


def test_a_template_naming_a_missing_metric_is_a_clear_error(tmp_path, data):
    x, y = data
    checkpoint = ModelCheckpoint(str(tmp_path / "{epoch}-{val_acc:.2f}.plugnet"))
    with pytest.raises(KeyError, match=r"'val_acc'.*not in the logs of epoch 1.*Available keys: loss, epoch"):
        make_model().fit(x, y, epochs=1, callbacks=[checkpoint], verbose=0)
    assert os.listdir(tmp_path) == []


def test_save_freq_counts_batches_across_epochs(tmp_path, data):
    x, y = data
    template = str(tmp_path / "{epoch}-{batch}.weights.safetensors")
    # 4 batches an epoch: every 3rd batch is batch 3 of epoch 1 and batch 2 of epoch 2.
    make_model().fit(x, y, batch_size=4, epochs=2, verbose=0,
                     callbacks=[ModelCheckpoint(template, save_weights_only=True, save_freq=3)])
    assert sorted(os.listdir(tmp_path)) == ["1-3.weights.safetensors", "2-2.weights.safetensors"]


def test_save_freq_with_steps_per_execution(tmp_path, data):
    x, y = data
    model = Sequential([layers.Input(shape=(3,)), layers.Dense(1)])
    model.compile(optimizer=SGD(0.05), loss="mse", steps_per_execution=2)
    template = str(tmp_path / "{epoch}-{batch}.weights.safetensors")
    # The hooks see batches 1 and 3 of each epoch, each standing for two batches.
    model.fit(x, y, batch_size=4, epochs=2, verbose=0,
              callbacks=[ModelCheckpoint(template, save_weights_only=True, save_freq=4)])
    assert sorted(os.listdir(tmp_path)) == ["1-4.weights.safetensors", "2-4.weights.safetensors"]


def test_a_missing_monitor_warns_and_saves(tmp_path, data):
    x, y = data
    path = tmp_path / "m.weights.safetensors"
    checkpoint = ModelCheckpoint(str(path), monitor="val_loss", save_best_only=True, save_weights_only=True)
    with pytest.warns(UserWarning, match=r"'val_loss' available.*'loss'"):
        make_model().fit(x, y, epochs=1, callbacks=[checkpoint], verbose=0)
    assert path.exists()


def test_verbose_reports_improvements(tmp_path, data, capsys):
    x, y = data
    checkpoint = ModelCheckpoint(str(tmp_path / "m.weights.safetensors"), monitor="score", mode="min", verbose=1,
                                 save_best_only=True, save_weights_only=True)
    make_model().fit(x, y, batch_size=16, epochs=3, callbacks=[Scripted(SCORES), checkpoint], verbose=0)
    out = capsys.readouterr().out
    assert "Epoch 2: score improved from 0.50000 to 0.30000, saving model to" in out
    assert "Epoch 3: score did not improve from 0.30000" in out


@pytest.mark.parametrize("kwargs, message", [
    ({"filepath": "m.plugnet", "save_weights_only": True}, r"must end in `\.weights\.safetensors`.*m\.plugnet"),
    ({"filepath": "m.weights.safetensors"}, r"must end in `\.plugnet`.*save_weights_only=True"),
    ({"filepath": "m.h5"}, r"must end in `\.plugnet`.*m\.h5"),
    ({"filepath": "m.plugnet", "save_freq": "batch"}, r"save_freq 'batch'.*'epoch' or a positive integer"),
    ({"filepath": "m.plugnet", "save_freq": 0}, r"save_freq 0"),
])
def test_bad_arguments_are_clear_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ModelCheckpoint(**kwargs)


def test_an_unknown_mode_falls_back_to_auto():
    with pytest.warns(UserWarning, match="mode 'best' is unknown"):
        assert ModelCheckpoint("m.plugnet", mode="best").mode == "auto"


# -- CSVLogger -----------------------------------------------------------------------------------


def read_rows(path, separator=","):
    with open(path, newline="") as file:
        return list(csv.reader(file, delimiter=separator))


def test_csv_logger_writes_a_header_and_one_row_per_epoch(tmp_path, data):
    x, y = data
    path = tmp_path / "log.csv"
    model = make_model(metrics=["mae"])
    history = model.fit(x, y, batch_size=8, epochs=3, validation_data=(x, y),
                        callbacks=[CSVLogger(str(path), separator=";")], verbose=0)
    rows = read_rows(path, ";")
    keys = ["loss", "mae", "val_loss", "val_mae"]
    assert rows[0] == ["epoch", *keys]
    assert [int(row[0]) for row in rows[1:]] == [0, 1, 2]
    for column, key in enumerate(keys, start=1):
        assert [float(row[column]) for row in rows[1:]] == history.history[key]  # written without rounding


def test_csv_logger_appends_without_a_second_header(tmp_path, data):
    x, y = data
    path = tmp_path / "log.csv"
    model = make_model()
    first = model.fit(x, y, epochs=2, validation_data=(x, y), callbacks=[CSVLogger(path)], verbose=0)
    # The second run has no validation: the file keeps its columns and marks the missing values NA.
    second = model.fit(x, y, epochs=4, initial_epoch=2, callbacks=[CSVLogger(path, append=True)], verbose=0)
    rows = read_rows(path)
    assert rows[0] == ["epoch", "loss", "val_loss"]
    assert [row[0] for row in rows[1:]] == ["0", "1", "2", "3"]
    assert [float(row[1]) for row in rows[1:]] == first.history["loss"] + second.history["loss"]
    assert [row[2] for row in rows[3:]] == ["NA", "NA"]
    assert float(rows[1][2]) == first.history["val_loss"][0]


def test_csv_logger_without_append_overwrites(tmp_path, data):
    x, y = data
    path = tmp_path / "log.csv"
    path.write_text("old,content\n1,2\n")
    make_model().fit(x, y, epochs=1, callbacks=[CSVLogger(path)], verbose=0)
    rows = read_rows(path)
    assert rows[0] == ["epoch", "loss"] and len(rows) == 2


def test_csv_logger_warns_about_keys_that_appear_later(tmp_path, data):
    x, y = data
    path = tmp_path / "log.csv"
    with pytest.warns(UserWarning, match=r"epoch 1 have 'val_loss', which are not columns"):
        make_model().fit(x, y, epochs=2, validation_data=(x, y), validation_freq=2,
                         callbacks=[CSVLogger(path)], verbose=0)
    assert read_rows(path)[0] == ["epoch", "loss"]


def test_csv_logger_rejects_a_long_separator():
    with pytest.raises(ValueError, match="one-character string, got ', '"):
        CSVLogger("log.csv", separator=", ")
