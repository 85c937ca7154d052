"""Choosing a backend: set_backend, PLUGNET_BACKEND, backend.use, and the errors."""

import os
import subprocess
import sys

import pytest

import plugnet
from plugnet.backend import BackendNotFoundError


def run_python(code, **env):
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env={**os.environ, **env})
    return result


def test_numpy_is_the_default():
    out = run_python("import plugnet; print(plugnet.backend.name())", PLUGNET_BACKEND="")
    assert out.stdout.strip() == "numpy", out.stderr


def test_environment_variable_selects_and_unknown_names_list_known_ones():
    out = run_python("import plugnet; plugnet.ops.add(1.0, 1.0)", PLUGNET_BACKEND="nosuch")
    assert out.returncode != 0
    assert "Unknown backend 'nosuch'. Known backends:" in out.stderr and "numpy" in out.stderr


def test_set_backend_unknown_name_error():
    with pytest.raises(BackendNotFoundError, match=r"Unknown backend 'jaxx'\. Known backends: .*numpy"):
        plugnet.set_backend("jaxx")
    assert plugnet.backend.name() in plugnet.backend.available()


def test_use_restores_the_previous_backend():
    before = plugnet.backend.name()
    with plugnet.backend.use("numpy") as backend:
        assert backend.name == "numpy" and plugnet.backend.name() == "numpy"
    assert plugnet.backend.name() == before


def test_available_describes_every_declared_backend():
    rows = plugnet.backend.available()
    assert {"numpy", "torch", "tensorflow"} <= set(rows)
    assert rows["numpy"].installed and rows["numpy"].error is None
    for name in ("torch", "tensorflow"):
        row = rows[name]
        assert row.installed or ("pip install" in row.install and "not installed" in row.error)


def test_devices():
    assert "cpu" in plugnet.backend.devices()


def test_import_is_cheap_and_lazy():
    out = run_python("import sys, plugnet; print('plugnet.backends.numpy.backend' in sys.modules)")
    assert out.stdout.strip() == "False", out.stderr
