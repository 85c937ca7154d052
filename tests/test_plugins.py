"""Backend discovery through real entry points, and how broken plugins are reported."""

import subprocess
import sys
import textwrap
import warnings

import pytest

import plugnet
from plugnet import ops
from plugnet.plugins import manager as manager_module
from plugnet.plugins.contract import COMPOSED, OPS
from plugnet.plugins.manager import DISABLE_ENV, PluginWarning, get_plugin_manager, reset_plugin_manager

FAKE_BACKEND = '''
"""A third party's backend: NumPy's add and multiply, nothing else."""
from plugnet.plugins import hookimpl
from plugnet.plugins.manager import BackendSpec


@hookimpl
def plugnet_register_backends(register):
    register(BackendSpec(name="{name}", module="{package}.impl", requires=("numpy",),
                         summary="two ops only", install="pip install {package}"))


@hookimpl
def plugnet_register_objects(register):
    from {package}.impl import Doubler
    register(Doubler)
'''

FAKE_IMPL = '''
import numpy as np
from plugnet.backends.numpy import autograd, core
from plugnet.plugins.contract import assemble


class Doubler:
    pass


def add(x1, x2):
    return np.add(x1, x2) + 0


def create_backend():
    return assemble("{name}", {{"add": add, "convert_to_tensor": core.convert_to_tensor}},
                    variable=core.variable, assign=core.assign, Tape=autograd.Tape, devices=lambda: ["cpu"])
'''


def make_distribution(root, dist, package, entry_point_value, files):
    """Lay out an installed distribution (package + .dist-info with entry points) under ``root``."""
    pkg = root / package
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    for name, text in files.items():
        (pkg / name).write_text(textwrap.dedent(text))
    info = root / f"{dist.replace('-', '_')}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[plugnet]\n{dist} = {entry_point_value}\n")


@pytest.fixture
def site(tmp_path, monkeypatch):
    """A fresh site directory on sys.path, and a plugin manager that rereads entry points."""
    monkeypatch.syspath_prepend(str(tmp_path))
    reset_plugin_manager()
    yield tmp_path
    reset_plugin_manager()
    for mod in [m for m in sys.modules if m.startswith("fake_")]:
        del sys.modules[mod]


def add_fake_backend(site, name="fakeback", package="fake_backend_pkg", dist=None):
    make_distribution(
        site,
        dist or f"plugnet-{name}",
        package,
        f"{package}.plugin",
        {"plugin.py": FAKE_BACKEND.format(name=name, package=package), "impl.py": FAKE_IMPL.format(name=name)},
    )


def test_builtin_backends_are_declared_through_entry_points():
    from importlib.metadata import entry_points

    names = {ep.name for ep in entry_points(group="plugnet")}
    assert {"numpy", "torch", "tensorflow"} <= names
    specs = get_plugin_manager().backends()
    assert specs["numpy"].module == "plugnet.backends.numpy.backend"
    assert specs["torch"].requires == ("torch",)


def test_a_third_party_backend_is_found_and_used(site):
    add_fake_backend(site)
    before = plugnet.backend.name()
    info = plugnet.backend.available()["fakeback"]
    assert info.installed and info.summary == "two ops only" and info.plugin == "plugnet-fakeback"
    with plugnet.backend.use("fakeback"):
        assert plugnet.backend.name() == "fakeback"
        assert ops.add(ops.convert_to_tensor([1.0]), ops.convert_to_tensor([2.0])).tolist() == [3.0]
        with pytest.raises(NotImplementedError, match=r"'fakeback' backend does not implement the op 'conv'"):
            ops.conv(None, None)
        # A composed op is not missing, but needs the ops it is composed of.
        with pytest.raises(NotImplementedError, match=r"'fakeback' backend does not implement the op 'matmul'"):
            ops.dense(ops.convert_to_tensor([[1.0]]), ops.convert_to_tensor([[2.0]]))
    assert plugnet.backend.name() == before
    assert len(plugnet.backend.load("fakeback").missing) == len(OPS) - 2 - len(COMPOSED)


def test_plugins_contribute_objects_for_loading(site):
    add_fake_backend(site)
    from plugnet.registry import get_registered

    assert get_registered("Doubler").__name__ == "Doubler"


def test_a_plugin_that_fails_to_import_is_reported_and_hides_nothing(site):
    make_distribution(site, "plugnet-broken", "fake_broken", "fake_broken.plugin",
                      {"plugin.py": "raise ImportError('needs libfoo')\n"})
    add_fake_backend(site)
    with pytest.warns(PluginWarning, match="plugnet-broken.*needs libfoo"):
        rows = plugnet.backend.available()
    assert "needs libfoo" in rows["plugnet-broken"].error and not rows["plugnet-broken"].installed
    assert rows["fakeback"].installed and rows["numpy"].installed


def test_a_hook_that_raises_is_reported_by_name(site):
    make_distribution(site, "plugnet-raising", "fake_raising", "fake_raising.plugin", {"plugin.py": """
        from plugnet.plugins import hookimpl

        @hookimpl
        def plugnet_register_backends(register):
            raise RuntimeError("cannot describe myself")
    """})
    with pytest.warns(PluginWarning, match="cannot describe myself"):
        rows = plugnet.backend.available()
    assert "plugnet-raising" in rows and rows["numpy"].installed


def test_a_misspelled_hook_is_caught(site):
    make_distribution(site, "plugnet-typo", "fake_typo", "fake_typo.plugin", {"plugin.py": """
        from plugnet.plugins import hookimpl

        @hookimpl
        def plugnet_register_backend(register):
            pass
    """})
    with pytest.warns(PluginWarning, match="plugnet_register_backend"):
        errors = get_plugin_manager().errors()
    assert "plugnet-typo" in errors


def test_disabled_plugins_are_not_loaded(site, monkeypatch):
    add_fake_backend(site)
    monkeypatch.setenv(DISABLE_ENV, "plugnet-fakeback")
    assert "fakeback" not in plugnet.backend.available()
    assert "fake_backend_pkg.plugin" not in sys.modules


def test_two_plugins_declaring_one_name_keep_the_first_and_warn(site):
    add_fake_backend(site, name="dup", package="fake_first", dist="plugnet-first")
    add_fake_backend(site, name="dup", package="fake_second", dist="plugnet-second")
    with pytest.warns(PluginWarning, match="already declared"):
        specs = get_plugin_manager().backends()
    assert "dup" in specs


def test_a_backend_whose_framework_is_missing_names_the_pip_install(site):
    make_distribution(site, "plugnet-ghost", "fake_ghost", "fake_ghost.plugin", {"plugin.py": """
        from plugnet.plugins import hookimpl
        from plugnet.plugins.manager import BackendSpec

        @hookimpl
        def plugnet_register_backends(register):
            register(BackendSpec(name="ghost", module="fake_ghost.impl", requires=("ghostframework",),
                                 install="pip install ghostframework"))
    """})
    before = plugnet.backend.name()
    assert not plugnet.backend.available()["ghost"].installed
    with pytest.raises(ImportError, match="needs ghostframework.*pip install ghostframework"):
        plugnet.set_backend("ghost")
    assert plugnet.backend.name() == before


def test_discovery_imports_no_framework():
    code = (
        "import sys, plugnet; plugnet.backend.available(); from plugnet import ops; ops.add(1.0, 2.0);"
        "print(sorted(m for m in ('torch', 'tensorflow', 'jax') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**__import__("os").environ, "PLUGNET_BACKEND": "numpy"})
    assert out.stdout.strip() == "[]"


def test_in_process_registration(monkeypatch):
    """Plugins can also be registered from code, as pytest's pm.register allows."""
    from plugnet.plugins import hookimpl
    from plugnet.plugins.manager import BackendSpec

    class InlinePlugin:
        @hookimpl
        def plugnet_register_backends(self, register):
            register(BackendSpec(name="inline", module="plugnet.backends.numpy.backend"))

    pm = get_plugin_manager()
    assert pm.register(InlinePlugin(), name="inline-plugin")
    try:
        assert "inline" in plugnet.backend.available()
    finally:
        pm.unregister("inline-plugin")
    assert "inline" not in plugnet.backend.available()
    assert manager_module.get_plugin_manager() is pm
    warnings.simplefilter("default")
