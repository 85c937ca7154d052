"""The backend conformance kit: its runner and command, its pytest plugin, and `python -m plugnet backends`."""

import importlib.util
import io
import json
import subprocess
import sys
import textwrap
import warnings

import pytest

import plugnet
from plugnet.__main__ import backend_rows
from plugnet.__main__ import main as plugnet_main
from plugnet.plugins import hookimpl
from plugnet.plugins.conformance import cache, run
from plugnet.plugins.conformance.__main__ import main as conformance_main
from plugnet.plugins.manager import PluginWarning, get_plugin_manager

pytest_plugins = ["pytester"]

BUILTIN = ("numpy", "torch", "tensorflow")
FAST_OPS = "add,matmul,softmax,dropout"  # values, broadcasting, gradients and a random op's properties

# NumPy's backend with four faults, one of each kind the kit must tell apart.
BROKEN_BACKEND = '''
"""A deliberately broken backend: NumPy's, with four faults."""
import numpy as np

from plugnet.backends.numpy import autograd
from plugnet.backends.numpy.backend import create_backend as numpy_backend
from plugnet.plugins import hookimpl
from plugnet.plugins.contract import assemble
from plugnet.plugins.manager import BackendSpec


class Plugin:
    @hookimpl
    def plugnet_register_backends(self, register):
        register(BackendSpec(name="broken", module=__name__, requires=("numpy",), summary="NumPy with four faults"))


def floor(x):
    raise RuntimeError("floor exploded")


def create_backend():
    base = numpy_backend()
    ops, recording = dict(vars(base.ops)), dict(vars(base.recording_ops))
    ops["subtract"], recording["subtract"] = ops["add"], recording["add"]  # wrong values
    ops["floor"] = recording["floor"] = floor  # raises
    recording["tanh"] = autograd.recorded(np.tanh, lambda g, out, x: 2.0 * g * (1 - out**2))  # wrong gradient
    del ops["cos"], recording["cos"]  # missing
    return assemble("broken", ops, recording_ops=recording, variable=base.variable, assign=base.assign,
                    assign_add=base.assign_add, assign_sub=base.assign_sub, Tape=base.Tape,
                    no_recording=base.no_recording, devices=base.devices)
'''
BROKEN_OPS = "add,subtract,floor,cos,tanh"

REGISTER_BROKEN = """
import plugnet_broken_backend
from plugnet.plugins.manager import get_plugin_manager


def pytest_configure(config):
    get_plugin_manager().register(plugnet_broken_backend.Plugin(), name="plugnet-broken")


def pytest_unconfigure(config):
    get_plugin_manager().unregister("plugnet-broken")
"""


@pytest.fixture(autouse=True)
def cache_dir(tmp_path, monkeypatch):
    """Every test records into its own status cache."""
    path = tmp_path / "cache"
    monkeypatch.setenv(cache.ENV_VAR, str(path))
    return path


@pytest.fixture
def broken(tmp_path, monkeypatch):
    """The broken backend, registered in-process through the plugin manager."""
    (tmp_path / "plugnet_broken_backend.py").write_text(BROKEN_BACKEND)
    monkeypatch.syspath_prepend(str(tmp_path))
    import plugnet_broken_backend

    assert get_plugin_manager().register(plugnet_broken_backend.Plugin(), name="plugnet-broken")
    yield "broken"
    get_plugin_manager().unregister("plugnet-broken")
    sys.modules.pop("plugnet_broken_backend", None)


def _row(text, first):
    """The whitespace-split cells of the table line starting with ``first``."""
    for line in text.splitlines():
        cells = line.split()
        if cells and cells[0] == first:
            return cells
    raise AssertionError(f"no row {first!r} in:\n{text}")


# -- the runner and its command -------------------------------------------------


def test_the_runner_passes_on_the_active_backend():
    out = io.StringIO()
    report = run(plugnet.backend.name(), FAST_OPS, stream=out)
    text = out.getvalue()
    assert report.passed and report.exit_status == 0, text
    assert not report.complete
    assert report.totals()["ops"] == 4 and report.totals()["passing"] == 4
    assert [r.name for r in report.part("ops")] == ["add", "softmax", "matmul", "dropout"]  # contract order
    assert len(report.part("semantics")) == 14 and all(r.passed for r in report.part("semantics"))
    (smoke,) = report.part("training")
    assert smoke.passed and "accuracy 1.00" in smoke.detail
    assert _row(text, "total") == ["total", "4", "4", "4", "0", "0"]
    assert "GradientTape: nested tapes, and two tapes recording one forward pass" in text
    assert "Model.fit: an MLP learns a separable problem" in text
    assert text.rstrip().splitlines()[-1].startswith("PASSED: 4/4 ops passing, 0 failing, 0 missing")


def test_the_command_writes_json_and_records_its_verdict(tmp_path, capsys, cache_dir):
    name = plugnet.backend.name()
    assert conformance_main([name, "--ops", "add,comparison", "--skip", "semantics,training", "-q",
                             "--json", str(tmp_path / "r.json")]) == 0
    out = capsys.readouterr().out
    assert "category" not in out and "PASSED: 13/13 ops passing" in out  # -q: no table
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["backend"] == name and data["passed"] and data["complete"] is False
    # The package that declares the backend: plugnet itself for its own, the plugin's for a third party's.
    builtin = name in ("numpy", "torch", "tensorflow")
    assert (data["distribution"] == "plugnet") == builtin and data["plugnet_version"] == plugnet.__version__
    assert data["categories"]["comparison"] == {"ops": 12, "implemented": 12, "passing": 12, "failing": 0,
                                                "missing": 0}
    assert {c["name"] for c in data["checks"]} == {"add", "equal", "not_equal", "less", "less_equal", "greater",
                                                   "greater_equal", "logical_and", "logical_or", "logical_not",
                                                   "isnan", "isinf", "isfinite"}
    record = cache.load_records()[name]
    assert record["passed"] and record["ops"]["passing"] == 13 and record["plugnet_version"] == plugnet.__version__
    assert (cache_dir / "conformance.json").exists()


def test_bad_arguments_exit_with_status_2(capsys):
    assert conformance_main(["no-such-backend"]) == 2
    assert "Unknown backend 'no-such-backend'" in capsys.readouterr().err
    assert conformance_main(["numpy", "--ops", "add,matmull"]) == 2
    assert "unknown op or category 'matmull' (did you mean matmul" in capsys.readouterr().err
    assert conformance_main(["numpy", "--skip", "gradients"]) == 2
    assert "cannot skip gradients" in capsys.readouterr().err


def test_a_broken_backend_is_reported_op_by_op(broken, tmp_path, capsys):
    status = conformance_main([broken, "--ops", BROKEN_OPS, "--skip", "semantics,training",
                               "--json", str(tmp_path / "r.json")])
    out = capsys.readouterr().out
    assert status == 1
    # ops, implemented, passing, failing, missing
    assert _row(out, "elementwise") == ["elementwise", "5", "4", "1", "3", "1"]
    assert _row(out, "total") == ["total", "5", "4", "1", "3", "1"]
    assert "- elementwise/floor: failed" in out and "raised RuntimeError: floor exploded" in out
    assert "- elementwise/cos: missing" in out and "'broken' backend does not provide cos(x)" in out
    assert "- elementwise/subtract: failed" in out and "- elementwise/tanh: failed" in out
    assert "- elementwise/add" not in out
    assert out.rstrip().splitlines()[-1].startswith("FAILED: 1/5 ops passing, 3 failing, 1 missing")

    checks = {c["name"]: c for c in json.loads((tmp_path / "r.json").read_text())["checks"]}
    assert {name: c["status"] for name, c in checks.items()} == {
        "add": "passed", "subtract": "failed", "floor": "failed", "cos": "missing", "tanh": "failed"}
    assert any(f.startswith("values subtract(array(2, 3):float64, array(2, 3):float64): Not equal to tolerance")
               for f in checks["subtract"]["failures"])
    # tanh's values are right and its gradient twice too large: only the gradient checks fail.
    assert checks["tanh"]["failures"] and all(f.startswith("gradient tanh(") for f in checks["tanh"]["failures"])
    assert cache.load_records()["broken"]["ops"] == {"ops": 5, "implemented": 4, "passing": 1, "failing": 3,
                                                     "missing": 1}


def test_failing_semantics_checks_fail_only_their_rows(broken):
    # The small network goes through the broken tanh gradient; the optimizers' formulas (this backend
    # has no fused updates) through the broken subtract. Nothing else does.
    report = run(broken, "add", skip="training", stream=False)
    failing = {r.name: r.message for r in report.results if not r.passed}
    assert sorted(failing) == ["optimizer_adam", "optimizer_sgd", "tape_variable_gradient"]
    assert failing["tape_variable_gradient"].startswith("d(loss)/d(kernel): got [[")
    assert failing["optimizer_sgd"].startswith("3 SGD(learning_rate=0.1, momentum=0.9, nesterov=True) steps: got [[")


# -- the pytest plugin ----------------------------------------------------------


def test_the_pytest_plugin_makes_passing_items_for_numpy(pytester):
    result = pytester.runpytest("--plugnet-conformance=numpy", "--plugnet-conformance-ops=add,softmax",
                                "-p", "no:cacheprovider", "-v")
    result.assert_outcomes(passed=2 + 14 + 1)
    result.stdout.fnmatch_lines([
        "*plugnet-conformance?numpy?::ops/elementwise/add PASSED*",
        "*plugnet-conformance?numpy?::semantics/tape_nested PASSED*",
        "*plugnet-conformance?numpy?::training/mlp_learns PASSED*",
    ])


def test_the_pytest_plugin_reports_a_broken_backends_failures(pytester):
    pytester.makepyfile(plugnet_broken_backend=BROKEN_BACKEND)
    pytester.makeconftest(REGISTER_BROKEN)
    result = pytester.runpytest("--plugnet-conformance=broken", f"--plugnet-conformance-ops={BROKEN_OPS}",
                                "--plugnet-conformance-skip=semantics,training", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=4)
    result.stdout.fnmatch_lines([  # in contract order
        "*subtract(x1, x2): failed on backend 'broken'*",
        "values subtract(array(2, 3):float64, array(2, 3):float64): Not equal to tolerance*",
        "*cos(x): missing on backend 'broken'*",
        "*floor(x): failed on backend 'broken'*",
        "values floor(array(2, 3):float64): raised RuntimeError: floor exploded",
        "FAILED plugnet-conformance[[]broken[]]::ops/elementwise/subtract*",
    ])


def test_the_pytest_plugin_adds_nothing_and_costs_nothing_unless_asked(tmp_path):
    (tmp_path / "test_mine.py").write_text("def test_one():\n    pass\n")
    code = textwrap.dedent(f"""
        import sys, pytest
        assert pytest.main(["-p", "no:cacheprovider", "--collect-only", "-q", {str(tmp_path)!r}]) == 0
        assert "plugnet.plugins.conformance.pytest_plugin" in sys.modules, "the plugin was not loaded"
        print(sorted(m for m in sys.modules if m.startswith(("plugnet.plugins.conformance.", "torch", "tensorflow"))
                     and not m.endswith("pytest_plugin")))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, check=False)
    assert out.returncode == 0, out.stdout + out.stderr
    lines = out.stdout.strip().splitlines()
    assert lines[0] == "test_mine.py::test_one" and "1 test collected" in out.stdout  # no conformance items
    assert lines[-1] == "[]"  # no module of the kit, no framework


# -- python -m plugnet backends ----------------------------------------------------


def test_backends_lists_the_builtin_backends_with_versions(capsys):
    assert plugnet_main(["backends", "--json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    for name in BUILTIN:
        row = rows[name]
        assert (row["package"], row["version"]) == ("plugnet", plugnet.__version__)
        assert row["installed"] == (importlib.util.find_spec(name) is not None)
        assert row["conformance"] == "unknown" and row["error"] is None
    assert rows["numpy"]["framework"].startswith("numpy ")
    assert plugnet_main(["backends"]) == 0
    text = capsys.readouterr().out
    assert _row(text, "backend") == ["backend", "package", "version", "installed", "conformance"]
    assert _row(text, "numpy")[:4] == ["numpy", "plugnet", plugnet.__version__, "yes"]


def test_backends_shows_a_recorded_status_only_for_matching_versions(capsys, cache_dir):
    assert conformance_main(["numpy", "--ops", "add,multiply", "--skip", "training", "-q"]) == 0
    capsys.readouterr()
    assert plugnet_main(["backends"]) == 0
    text = capsys.readouterr().out
    assert "partial run passed, 2/2 ops (" in " ".join(_row(text, "numpy"))
    assert _row(text, "torch")[-1] == "unknown"
    assert str(cache_dir) in text

    data = json.loads((cache_dir / "conformance.json").read_text())
    data["backends"]["numpy"]["plugnet_version"] = "0.0.1"  # recorded by another plugnet
    (cache_dir / "conformance.json").write_text(json.dumps(data))
    assert plugnet_main(["backends"]) == 0
    assert _row(capsys.readouterr().out, "numpy")[-1] == "unknown"


def test_backends_shows_an_in_process_backend_and_a_plugin_error(broken, capsys):
    class Failing:
        @hookimpl
        def plugnet_register_backends(self, register):
            raise RuntimeError("cannot declare")

    get_plugin_manager().register(Failing(), name="failing-plugin")
    try:
        with pytest.warns(PluginWarning, match="cannot declare"):
            rows = {r["name"]: r for r in backend_rows()}
        assert rows["failing-plugin"]["error"].startswith("plugnet_register_backends raised RuntimeError")
        assert rows["broken"]["package"] is None and rows["broken"]["conformance"] == "unknown"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PluginWarning)
            assert plugnet_main(["backends"]) == 0
        text = capsys.readouterr().out
        assert _row(text, "failing-plugin")[1:] == ["(in-process)", "-", "plugin", "error", "(below)", "-"]
        assert "  failing-plugin: plugnet_register_backends raised RuntimeError: cannot declare" in text
    finally:
        get_plugin_manager().unregister("failing-plugin")


def test_a_failed_run_reads_back_as_failed(broken):
    report = run(broken, BROKEN_OPS, skip="semantics,training", stream=False)
    records = {"broken": cache.summarize(report)}
    records["broken"]["distribution"], records["broken"]["distribution_version"] = "plugnet-broken", "1.0"
    text = cache.status("broken", "plugnet-broken", "1.0", plugnet.__version__, records)
    assert text.startswith("partial run failed: ops 3 failing, 1 missing (")
    assert cache.status("broken", "plugnet-broken", "1.1", plugnet.__version__, records) == "unknown"


def test_the_cache_lives_in_the_users_cache_dir(monkeypatch, tmp_path):
    monkeypatch.delenv(cache.ENV_VAR)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache.cache_file() == tmp_path / "xdg" / "plugnet" / "conformance.json"
    monkeypatch.setenv(cache.ENV_VAR, str(tmp_path / "mine"))
    assert cache.cache_file() == tmp_path / "mine" / "conformance.json"
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "conformance.json").write_text("{not json")
    assert cache.load_records() == {}  # a damaged cache reads as empty, and is replaced on the next record


def test_listing_backends_imports_no_framework():
    code = ("import sys, contextlib, io\n"
            "from plugnet.__main__ import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    main(['backends'])\n"
            "print(sorted(m for m in ('torch', 'tensorflow', 'jax') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
