"""``BackupAndRestore``: resume an interrupted ``fit`` exactly where its last backup left it."""

from __future__ import annotations

import json
import os
import re
import warnings

from plugnet.callbacks import training_state
from plugnet.callbacks.callback import Callback
from plugnet.callbacks.save_frequency import BatchCounter, check_save_freq
from plugnet.saving.atomic import atomic_write, leftover_target
from plugnet.saving.model_io import WEIGHTS_SUFFIX

STATE_FILE = "training_state.json"
_FORMAT = "plugnet.BackupAndRestore"
_VERSION = 1
_WEIGHTS_NAME = re.compile(r"backup-(\d{6,})" + re.escape(WEIGHTS_SUFFIX))



def _ours(name) -> bool:
    """Whether ``name`` is a file BackupAndRestore writes (None: not a file name at all)."""
    return name is not None and (name == STATE_FILE or _WEIGHTS_NAME.fullmatch(name) is not None)


class BackupAndRestore(Callback):
    """Backs up the training state during ``fit`` and restores it when ``fit`` is run again.

    At the end of each epoch (or every ``save_freq`` batches) it writes to
    ``backup_dir`` the model's weights with the optimizer's state and the
    layers' random streams (one ``.weights.safetensors`` file), and beside it
    ``training_state.json``: the epoch to continue from, the position of the
    training data's shuffling and of the global random streams. When ``fit``
    starts and a backup exists, it restores all of that and training goes on
    from the last completed epoch: the epochs that follow compute exactly what
    an uninterrupted run with the same seed computes (same data order, same
    Dropout masks, same optimizer moments). When ``fit`` completes the backup
    is deleted, unless ``delete_checkpoint=False``.

    A backup is committed atomically: the weights go to a new file, then
    ``training_state.json`` is replaced to name it, then older files are
    removed; a crash at any moment leaves the previous backup usable.

    Resume with the same model, compile and fit arguments as the interrupted
    run: the backup records how far that run got, not what it was. With
    ``save_freq`` a number of batches, a resumed run restarts the interrupted
    epoch from its beginning with the weights of the backup (as Keras does),
    which is not the same as an uninterrupted run; exact resumes are from
    epoch ends. Data from a generator cannot be rewound: the new generator
    starts where it starts (one that draws from NumPy's or Python's global
    generator repeats the interrupted run's batches, as their state is
    restored).

    Args:
        backup_dir: the folder for the backup; it must not be shared with
            another run or another callback.
        save_freq: ``"epoch"``, or an integer: back up every this many training batches.
        delete_checkpoint: delete the backup when ``fit`` completes.

    Example:
        >>> backup = plugnet.callbacks.BackupAndRestore("backup")
        >>> try:
        ...     model.fit(x, y, epochs=10, callbacks=[backup])   # interrupted during epoch 5
        ... except KeyboardInterrupt:
        ...     pass
        >>> history = model.fit(x, y, epochs=10, callbacks=[backup])   # runs epochs 5 to 10
        >>> history.epoch
        [4, 5, 6, 7, 8, 9]
    """

    def __init__(self, backup_dir, save_freq="epoch", delete_checkpoint=True):
        super().__init__()
        if not backup_dir:
            raise ValueError(f"BackupAndRestore: backup_dir must name a folder, got {backup_dir!r}.")
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = check_save_freq(save_freq, "BackupAndRestore")
        self.delete_checkpoint = bool(delete_checkpoint)
        self._state_path = os.path.join(self.backup_dir, STATE_FILE)
        self._batches = BatchCounter(self.save_freq)
        self._current_epoch = 0
        self._epoch_shuffle_state = None

    # -- hooks --------------------------------------------------------------------------------------

    def on_train_begin(self, logs=None):
        state = self._read_state()
        if state is None:
            return
        if not self.model.built:
            raise ValueError(
                f"BackupAndRestore: model '{self.model.name}' must be built before fit() to restore the backup "
                f"in {self.backup_dir!r}. Build it first, e.g. by calling it on a batch of data."
            )
        self.model.load_weights(os.path.join(self.backup_dir, state["weights"]))
        training_state.restore(self.model, state["training_state"], self._state_path)
        self.model._initial_epoch = state["epoch"]

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch
        self._batches.new_epoch()
        if self.save_freq != "epoch":
            # A backup within this epoch replays it from the start, in the order it was shuffled in.
            self._epoch_shuffle_state = training_state.shuffle_state(self.model)

    def on_train_batch_end(self, batch, logs=None):
        if self._batches.should_save(batch):
            self._save(self._current_epoch, batch, self._epoch_shuffle_state)

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._save(epoch + 1, None, training_state.shuffle_state(self.model))

    def on_train_end(self, logs=None):
        if self.delete_checkpoint:
            self._delete_backup()

    # -- the backup files ---------------------------------------------------------------------------

    def _save(self, epoch: int, batch, shuffle_state) -> None:
        os.makedirs(self.backup_dir, exist_ok=True)
        serials = [int(match.group(1)) for match in map(_WEIGHTS_NAME.fullmatch, os.listdir(self.backup_dir))
                   if match]
        weights_name = f"backup-{max(serials, default=0) + 1:06d}{WEIGHTS_SUFFIX}"
        self.model.save_weights(os.path.join(self.backup_dir, weights_name), overwrite=True)
        state = {
            "format": _FORMAT,
            "version": _VERSION,
            "weights": weights_name,
            "epoch": epoch,
            "batch": batch,
            "training_state": training_state.capture(shuffle_state),
        }
        # Replacing the state file is the commit: until then it names the previous, complete backup.
        with atomic_write(self._state_path, "w") as file:
            json.dump(state, file)
        self._remove_files(keep=weights_name)

    def _read_state(self):
        """The committed backup's state, checked; None when there is none."""
        path = self._state_path
        if not os.path.exists(path):
            return None
        try:
            with open(path, encoding="utf-8") as file:
                state = json.load(file)
        except (OSError, UnicodeDecodeError, ValueError) as error:
            raise ValueError(f"BackupAndRestore: cannot read the backup state {path!r}: {error}.") from None
        if not isinstance(state, dict) or state.get("format") != _FORMAT:
            raise ValueError(f"BackupAndRestore: {path!r} is not a plugnet backup state file (no format "
                             f"{_FORMAT!r}). Is {self.backup_dir!r} used by something else?")
        if state.get("version") != _VERSION:
            raise ValueError(f"BackupAndRestore: {path!r} has version {state.get('version')!r}; this plugnet "
                             f"reads version {_VERSION}.")
        epoch, weights = state.get("epoch"), state.get("weights")
        if not isinstance(epoch, int) or isinstance(epoch, bool) or epoch < 0:
            raise ValueError(f"BackupAndRestore: {path!r}: 'epoch' must be an integer >= 0, got {epoch!r}.")
        # Only a name this callback writes: never a path that leads out of backup_dir.
        if not isinstance(weights, str) or not _WEIGHTS_NAME.fullmatch(weights):
            raise ValueError(f"BackupAndRestore: {path!r}: 'weights' must be a file name like "
                             f"'backup-000001{WEIGHTS_SUFFIX}', got {weights!r}.")
        if not os.path.isfile(os.path.join(self.backup_dir, weights)):
            raise ValueError(
                f"BackupAndRestore: the backup in {self.backup_dir!r} is incomplete: {STATE_FILE} names "
                f"{weights!r}, which is missing. Delete the folder to start training from scratch."
            )
        return state

    def _remove_files(self, keep=None) -> None:
        for name in os.listdir(self.backup_dir):
            if name != keep and (_WEIGHTS_NAME.fullmatch(name) or _ours(leftover_target(name))):
                os.remove(os.path.join(self.backup_dir, name))

    def _delete_backup(self) -> None:
        if not os.path.isdir(self.backup_dir):
            return
        # The state file goes first: without it, leftover weights files are never read.
        if os.path.exists(self._state_path):
            os.remove(self._state_path)
        self._remove_files()
        try:
            os.rmdir(self.backup_dir)
        except OSError:  # the folder holds files that are not ours: leave them
            warnings.warn(f"BackupAndRestore: deleted the backup but kept {self.backup_dir!r}, which holds "
                          "other files.", stacklevel=3)
