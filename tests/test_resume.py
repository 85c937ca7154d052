"""Exact resume: an interrupted fit continued by BackupAndRestore, or a ModelCheckpoint file loaded and
trained on, gives the loss curve of an uninterrupted run with the same seed."""

import csv
import json
import os

import numpy as np
import pytest

import plugnet
from plugnet import layers
from plugnet.callbacks import BackupAndRestore, Callback, CSVLogger, History, ModelCheckpoint, backup_and_restore
from plugnet.models import Sequential
from plugnet.optimizers import Adam

SEED = 2024
EPOCHS = 4
BATCH_SIZE = 8  # 40 samples: 5 batches an epoch, the last one smaller


@pytest.fixture
def data(rng):
    x = rng.standard_normal((40, 5)).astype("float32")
    y = (x @ rng.standard_normal((5, 1)) + 0.1 * rng.standard_normal((40, 1))).astype("float32")
    return x, y


def make_model():
    """Every source of state the next epochs depend on: Dropout's seed stream, BatchNormalization's moving
    statistics, Adam's moments and step count (and, in fit, shuffling)."""
    model = Sequential([
        layers.Input(shape=(5,)),
        layers.Dense(16, activation="relu"),
        layers.Dropout(0.3),
        layers.BatchNormalization(),
        layers.Dense(1),
    ])
    model.compile(optimizer=Adam(0.01), loss="mse")
    return model


def train(model, data, callbacks=(), **kwargs):
    x, y = data
    kwargs = {"epochs": EPOCHS, "batch_size": BATCH_SIZE, "shuffle": True, "verbose": 0, **kwargs}
    return model.fit(x, y, callbacks=list(callbacks), **kwargs)


def uninterrupted_losses(data):
    plugnet.utils.set_random_seed(SEED)
    return train(make_model(), data).history["loss"]


class Interrupt(Callback):
    """Raises in the middle of epoch ``epoch`` (0-based), as a crash would."""

    def __init__(self, epoch, batch=2):
        super().__init__()
        self.epoch, self.batch = epoch, batch
        self._current = None

    def on_epoch_begin(self, epoch, logs=None):
        self._current = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self._current == self.epoch and batch == self.batch:
            raise KeyboardInterrupt("simulated crash")


def interrupted_run(data, backup_dir, epoch=2, **backup_kwargs):
    """Train from SEED with a backup until a crash in epoch ``epoch``; returns (model, losses of the
    completed epochs)."""
    plugnet.utils.set_random_seed(SEED)
    model = make_model()
    history = History()
    with pytest.raises(KeyboardInterrupt):
        train(model, data, [BackupAndRestore(backup_dir, **backup_kwargs), history, Interrupt(epoch)])
    return model, history.history["loss"]


def read_state(backup_dir):
    with open(os.path.join(backup_dir, backup_and_restore.STATE_FILE)) as file:
        return json.load(file)


@pytest.mark.parametrize("same_model", [True, False], ids=["same-model", "new-process"])
def test_backup_and_restore_continues_the_uninterrupted_loss_curve(tmp_path, data, same_model):
    expected = uninterrupted_losses(data)
    backup_dir = str(tmp_path / "backup")
    model, before = interrupted_run(data, backup_dir)
    assert len(before) == 2
    assert read_state(backup_dir)["epoch"] == 2
    if not same_model:
        # As after a restart: another random state, a model with other initial weights and seeds.
        plugnet.utils.set_random_seed(SEED + 1)
        model = make_model()
    history = train(model, data, [BackupAndRestore(backup_dir)])
    assert history.epoch == [2, 3]
    np.testing.assert_allclose(before + history.history["loss"], expected, rtol=1e-6, atol=0)
    assert not os.path.exists(backup_dir)  # deleted once fit completed


def test_a_generator_drawing_from_the_global_streams_resumes_exactly(tmp_path, data):
    """A new generator replays the interrupted one's batches, as plugnet's and NumPy's global random
    streams are restored."""
    x, y = data

    def batches():
        while True:
            index = plugnet.random.shuffle(len(x))[:BATCH_SIZE]
            noise = np.random.normal(0.0, 0.1, (BATCH_SIZE, 1)).astype("float32")
            yield x[index], y[index] + noise

    def run(seed, callbacks=()):
        plugnet.utils.set_random_seed(seed)
        return make_model().fit(batches(), steps_per_epoch=5, epochs=EPOCHS, callbacks=list(callbacks), verbose=0)

    expected = run(SEED).history["loss"]
    backup_dir, history = str(tmp_path / "backup"), History()
    with pytest.raises(KeyboardInterrupt):
        run(SEED, [BackupAndRestore(backup_dir), history, Interrupt(2)])
    resumed = run(SEED + 1, [BackupAndRestore(backup_dir)])
    assert resumed.epoch == [2, 3]
    np.testing.assert_allclose(history.history["loss"] + resumed.history["loss"], expected, rtol=1e-6, atol=0)


def test_the_weights_alone_do_not_reproduce_the_run(tmp_path, data):
    """The control for the test above: without the random state (data order, global streams) restored,
    the same weights and optimizer state continue on another curve."""
    expected = uninterrupted_losses(data)
    backup_dir = str(tmp_path / "backup")
    interrupted_run(data, backup_dir)
    plugnet.utils.set_random_seed(SEED + 1)
    model = make_model()
    model.load_weights(os.path.join(backup_dir, read_state(backup_dir)["weights"]))
    after = train(model, data, initial_epoch=2).history["loss"]
    assert not np.allclose(after, expected[2:], rtol=1e-6, atol=0)


def test_csv_log_of_a_resumed_run_has_every_epoch_once(tmp_path, data):
    backup_dir, log = str(tmp_path / "backup"), str(tmp_path / "log.csv")
    plugnet.utils.set_random_seed(SEED)
    model = make_model()
    with pytest.raises(KeyboardInterrupt):
        train(model, data, [BackupAndRestore(backup_dir), CSVLogger(log, append=True), Interrupt(2)])
    history = train(model, data, [BackupAndRestore(backup_dir), CSVLogger(log, append=True)])
    with open(log, newline="") as file:
        rows = list(csv.reader(file))
    assert rows[0] == ["epoch", "loss"]
    assert [int(row[0]) for row in rows[1:]] == [0, 1, 2, 3]
    np.testing.assert_allclose([float(row[1]) for row in rows[3:]], history.history["loss"], rtol=0, atol=0)


def test_model_checkpoint_and_load_model_continue_the_same_curve(tmp_path, data):
    """A .plugnet checkpoint holds the weights, Dropout's seed positions and the optimizer state: loaded
    and trained from its epoch, it follows the run that wrote it (unshuffled data, as the file holds
    the model, not the data order)."""
    template = str(tmp_path / "ckpt-{epoch:02d}.plugnet")
    plugnet.utils.set_random_seed(SEED)
    expected = train(make_model(), data, [ModelCheckpoint(template)], shuffle=False).history["loss"]
    assert sorted(os.listdir(tmp_path)) == [f"ckpt-{epoch:02d}.plugnet" for epoch in range(1, EPOCHS + 1)]
    plugnet.utils.set_random_seed(SEED + 1)
    model = plugnet.models.load_model(str(tmp_path / "ckpt-02.plugnet"))
    history = train(model, data, shuffle=False, initial_epoch=2)
    assert history.epoch == [2, 3]
    np.testing.assert_allclose(history.history["loss"], expected[2:], rtol=1e-6, atol=0)


def test_delete_checkpoint_false_keeps_the_final_backup(tmp_path, data):
    backup_dir = str(tmp_path / "backup")
    plugnet.utils.set_random_seed(SEED)
    model = make_model()
    train(model, data, [BackupAndRestore(backup_dir, delete_checkpoint=False)], epochs=2)
    state = read_state(backup_dir)
    assert state["epoch"] == 2 and state["batch"] is None
    assert sorted(os.listdir(backup_dir)) == [state["weights"], backup_and_restore.STATE_FILE]
    # Another fit with the same backup starts after the epochs it already ran.
    history = train(model, data, [BackupAndRestore(backup_dir)], epochs=3)
    assert history.epoch == [2]
    assert not os.path.exists(backup_dir)


def test_backups_every_n_batches_restart_the_interrupted_epoch(tmp_path, data):
    backup_dir = str(tmp_path / "backup")
    model, before = interrupted_run(data, backup_dir, epoch=1, save_freq=3)
    # 5 batches an epoch: backups after batches 3 (epoch 0) and 6 (batch index 0 of epoch 1).
    state = read_state(backup_dir)
    assert (state["epoch"], state["batch"]) == (1, 0)
    assert len(before) == 1
    history = train(model, data, [BackupAndRestore(backup_dir, save_freq=3)])
    assert history.epoch == [1, 2, 3]


def test_a_failed_save_leaves_the_previous_backup_usable(tmp_path, data, monkeypatch):
    backup_dir = str(tmp_path / "backup")
    plugnet.utils.set_random_seed(SEED)
    model = make_model()
    calls = []

    def failing_capture(shuffle_state):
        calls.append(shuffle_state)
        if len(calls) == 2:
            raise OSError("No space left on device")
        return capture(shuffle_state)

    capture = backup_and_restore.training_state.capture
    monkeypatch.setattr(backup_and_restore.training_state, "capture", failing_capture)
    with pytest.raises(OSError, match="No space left"):
        train(model, data, [BackupAndRestore(backup_dir)])
    # The second backup's weights file was written, but the state still names the first, complete one.
    state = read_state(backup_dir)
    assert state["epoch"] == 1 and state["weights"] == "backup-000001.weights.safetensors"
    assert len(os.listdir(backup_dir)) == 3
    history = train(model, data, [BackupAndRestore(backup_dir, delete_checkpoint=False)])
    assert history.epoch == [1, 2, 3]
    assert sorted(os.listdir(backup_dir)) == [read_state(backup_dir)["weights"], backup_and_restore.STATE_FILE]


@pytest.mark.parametrize("change, message", [
    (lambda state: state.update(weights="../elsewhere.weights.safetensors"), r"'weights' must be a file name"),
    (lambda state: state.update(epoch=-1), r"'epoch' must be an integer >= 0, got -1"),
    (lambda state: state.update(format="other"), r"not a plugnet backup state file"),
    (lambda state: state.update(weights="backup-999999.weights.safetensors"), r"incomplete.*backup-999999"),
    (lambda state: state["training_state"]["random"].update(plugnet={"bit_generator": "MT19937"}),
     r"training_state\.json: Cannot restore the global seed stream: expected a PCG64"),
    (lambda state: state["training_state"]["random"].update(numpy=["MT19937", [1, 2]]),
     r"NumPy's global generator is malformed"),
])
def test_a_damaged_state_file_is_a_clear_error(tmp_path, data, change, message):
    backup_dir = str(tmp_path / "backup")
    model = make_model()
    train(model, data, [BackupAndRestore(backup_dir, delete_checkpoint=False)], epochs=1)
    state = read_state(backup_dir)
    change(state)
    with open(os.path.join(backup_dir, backup_and_restore.STATE_FILE), "w") as file:
        json.dump(state, file)
    with pytest.raises(ValueError, match=message):
        train(model, data, [BackupAndRestore(backup_dir)])


def test_a_state_file_that_is_not_json_is_a_clear_error(tmp_path, data):
    backup_dir = tmp_path / "backup"
    backup_dir.mkdir()
    (backup_dir / backup_and_restore.STATE_FILE).write_text("{not json")
    with pytest.raises(ValueError, match=r"cannot read the backup state .*training_state\.json"):
        train(make_model(), data, [BackupAndRestore(str(backup_dir))])


def test_changing_shuffle_between_runs_warns(tmp_path, data):
    backup_dir = str(tmp_path / "backup")
    model, _ = interrupted_run(data, backup_dir)
    with pytest.warns(UserWarning, match="data was shuffled, but this fit's data is not shuffled"):
        train(model, data, [BackupAndRestore(backup_dir)], shuffle=False)


@pytest.mark.parametrize("kwargs, message", [
    ({"backup_dir": ""}, "backup_dir must name a folder"),
    ({"backup_dir": "b", "save_freq": "never"}, "BackupAndRestore: unrecognized save_freq 'never'"),
])
def test_bad_arguments_are_clear_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        BackupAndRestore(**kwargs)
