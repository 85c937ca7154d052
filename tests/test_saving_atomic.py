"""Atomic saves: a killed process or a full disk never leaves a half-written model behind."""

import errno
import os
import signal
import stat
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import plugnet
from plugnet import layers
from plugnet.saving import atomic_write, load_model
from plugnet.saving.atomic import leftover_target


def _model():
    return plugnet.Sequential([layers.Input(shape=(5,)), layers.Dense(7, activation="relu"), layers.Dense(2)])


def _temporaries(folder):
    return sorted(name for name in os.listdir(folder) if name.endswith(".tmp"))


# ---------------------------------------------------------------------------- killed mid-save

# Saves a ~40 MB model once, says so, then saves it again and again until killed.
_SAVER = textwrap.dedent("""
    import sys
    import plugnet
    from plugnet import layers

    plugnet.utils.set_random_seed(0)
    model = plugnet.Sequential([layers.Input(shape=(256,)), layers.Dense(4096), layers.Dense(2048), layers.Dense(4)])
    model.save(sys.argv[1])
    print("saved", flush=True)
    while True:
        model.save(sys.argv[1])
""")


def _kill_while_saving(path):
    """Start the saver, wait for its first save, then SIGKILL it while a later save is being written.

    Returns whether the kill landed mid-save (a temporary file was left behind).
    """
    env = {**os.environ, "PLUGNET_BACKEND": "numpy"}
    process = subprocess.Popen([sys.executable, "-c", _SAVER, str(path)], env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout.readline().strip() == "saved", "the saving process failed to start"
        reference = load_model(path).predict(np.ones((3, 256), "float32"), verbose=0)
        deadline = time.monotonic() + 60
        while not any(os.path.getsize(path.parent / name) for name in _temporaries(path.parent)):
            assert time.monotonic() < deadline, "the saving process never started a second save"
            time.sleep(0.001)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.kill()
        process.wait()
        process.stdout.close()
    return reference, bool(_temporaries(path.parent))


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL (POSIX)")
def test_a_process_killed_mid_save_leaves_the_previous_file_loadable(tmp_path):
    path = tmp_path / "big.plugnet"
    for _ in range(5):  # the kill may land just after a save completes; then try again
        reference, mid_save = _kill_while_saving(path)
        if mid_save:
            break
        for name in _temporaries(tmp_path):
            os.remove(tmp_path / name)
    assert mid_save, "could not kill the process while it was writing"
    # The killed save's temporary file is still there, and says which file it was for.
    assert [leftover_target(name) for name in _temporaries(tmp_path)] == ["big.plugnet"]
    restored = load_model(path)
    np.testing.assert_array_equal(restored.predict(np.ones((3, 256), "float32"), verbose=0), reference)


# ---------------------------------------------------------------------------- a full disk


class _FillingDisk:
    """A file on a disk with ``room`` bytes left: a larger write fails with ENOSPC."""

    def __init__(self, file, room):
        self._file, self._room = file, room

    def write(self, data):
        if len(data) > self._room:
            raise OSError(errno.ENOSPC, "No space left on device")
        self._room -= len(data)
        return self._file.write(data)

    def __getattr__(self, name):
        return getattr(self._file, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self._file.close()


def _no_space(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


@pytest.mark.parametrize("failure", ["first write", "mid write", "fsync"])
@pytest.mark.parametrize("suffix", [".plugnet", ".weights.safetensors"])
def test_a_full_disk_leaves_the_previous_file_and_no_temporary_files(tmp_path, monkeypatch, failure, suffix):
    model = _model()
    path = tmp_path / f"model{suffix}"
    save = model.save if suffix == ".plugnet" else model.save_weights
    save(path)
    before = path.read_bytes()
    model.layers[0].kernel.assign(np.zeros((5, 7), "float32"))
    if failure == "fsync":
        monkeypatch.setattr(os, "fsync", _no_space)
    else:
        real_fdopen = os.fdopen
        room = 0 if failure == "first write" else len(before) // 2
        monkeypatch.setattr(os, "fdopen", lambda *args, **kwargs: _FillingDisk(real_fdopen(*args, **kwargs), room))
    with pytest.raises(OSError) as error:
        save(path)
    monkeypatch.undo()
    assert error.value.errno == errno.ENOSPC
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == [path.name]


# ---------------------------------------------------------------------------- atomic_write itself


def test_atomic_write_replaces_the_file_only_when_the_block_completes(tmp_path):
    path = tmp_path / "state.json"
    path.write_text("old")
    with pytest.raises(RuntimeError, match="interrupted"), atomic_write(path, "w") as file:
        file.write("new, but incomplete")
        raise RuntimeError("interrupted")
    assert path.read_text() == "old" and os.listdir(tmp_path) == ["state.json"]
    with atomic_write(path, "w") as file:
        file.write("new")
        assert path.read_text() == "old"  # not visible before the block ends
    assert path.read_text() == "new" and os.listdir(tmp_path) == ["state.json"]


def test_atomic_write_gives_the_permissions_of_a_plain_open(tmp_path):
    umask = os.umask(0o022)
    try:
        with atomic_write(tmp_path / "file.bin") as file:
            file.write(b"\x00\x01")
        with open(tmp_path / "plain.bin", "wb") as file:
            file.write(b"\x00\x01")
    finally:
        os.umask(umask)
    mode = stat.S_IMODE(os.stat(tmp_path / "file.bin").st_mode)
    assert mode == stat.S_IMODE(os.stat(tmp_path / "plain.bin").st_mode)
    assert (tmp_path / "file.bin").read_bytes() == b"\x00\x01"


def test_atomic_write_rejects_other_modes(tmp_path):
    with pytest.raises(ValueError, match=r"mode must be 'wb' or 'w', got 'a'"), atomic_write(tmp_path / "log.txt", "a"):
        pass
    assert os.listdir(tmp_path) == []
