"""Choosing the backend that carries out every op.

The backend is chosen once, in this order: ``plugnet.set_backend(name)``, else
the ``PLUGNET_BACKEND`` environment variable, else ``"numpy"``. It can also be
switched for a block::

    with plugnet.backend.use("torch"):
        ...

Backends are plugins found through the ``plugnet`` entry-point group; listing
them (``available()``) imports no framework.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import os
import threading
from dataclasses import dataclass

from plugnet import ops as _ops
from plugnet.plugins.contract import Backend
from plugnet.plugins.manager import BackendSpec, get_plugin_manager

ENV_VAR = "PLUGNET_BACKEND"
DEFAULT = "numpy"

_lock = threading.RLock()
_loaded: dict[str, Backend] = {}
_active: Backend | None = None
_recording = 0


class BackendNotFoundError(ValueError):
    """No plugin declares a backend of that name."""


class BackendUnavailableError(ImportError):
    """The backend is declared, but its framework is not installed or failed to load."""


@dataclass(frozen=True)
class BackendInfo:
    """One row of :func:`available`."""

    name: str
    plugin: str
    summary: str
    installed: bool
    install: str
    error: str | None = None


def _specs() -> dict[str, BackendSpec]:
    return get_plugin_manager().backends()


def _install_hint(spec: BackendSpec) -> str:
    return spec.install or f"pip install {' '.join(spec.requires)}"


def _missing_requirements(spec: BackendSpec) -> list[str]:
    return [req for req in spec.requires if importlib.util.find_spec(req) is None]


def load(name: str) -> Backend:
    """Import and return the backend ``name`` without activating it."""
    with _lock:
        if name in _loaded:
            return _loaded[name]
        specs = _specs()
        if name not in specs:
            known = ", ".join(sorted(specs)) or "none"
            failed = get_plugin_manager().errors()
            extra = "".join(f"\n  plugin {p!r} failed: {msg}" for p, msg in failed.items())
            raise BackendNotFoundError(f"Unknown backend {name!r}. Known backends: {known}.{extra}")
        spec = specs[name]
        missing = _missing_requirements(spec)
        if missing:
            raise BackendUnavailableError(
                f"The {name!r} backend needs {', '.join(missing)}, which is not installed. "
                f"Install it with: {_install_hint(spec)}"
            )
        try:
            module = importlib.import_module(spec.module)
            backend = module.create_backend()
        except Exception as exc:
            raise BackendUnavailableError(
                f"The {name!r} backend (plugin {spec.plugin!r}) failed to load: {type(exc).__name__}: {exc}"
            ) from exc
        _loaded[name] = backend
        return backend


def _activate(backend: Backend) -> None:
    global _active
    _active = backend
    _ops._bind(backend.recording_ops if _recording and backend.recording_ops else backend.ops)


def set_backend(name: str) -> None:
    """Make ``name`` the active backend for every later op, layer and model."""
    with _lock:
        _activate(load(name))


def active() -> Backend:
    """The active :class:`~plugnet.plugins.contract.Backend`, chosen on first use."""
    if _active is None:
        with _lock:
            if _active is None:
                set_backend(os.environ.get(ENV_VAR) or DEFAULT)
    return _active


def name() -> str:
    """The active backend's name, e.g. ``"numpy"``."""
    return active().name


@contextlib.contextmanager
def use(name: str):
    """Run a block with backend ``name`` active, then restore the previous one."""
    global _active
    with _lock:
        previous = _active
        set_backend(name)
    try:
        yield load(name)
    finally:
        with _lock:
            if previous is None:
                _active = None
                _ops._bind(_ops._LoadOnFirstUse())
            else:
                _activate(previous)


def available() -> dict[str, BackendInfo]:
    """Every declared backend and every plugin that failed, by name. Imports no framework."""
    rows = {}
    for spec in _specs().values():
        missing = _missing_requirements(spec)
        rows[spec.name] = BackendInfo(
            name=spec.name,
            plugin=spec.plugin,
            summary=spec.summary,
            installed=not missing,
            install=_install_hint(spec),
            error=f"not installed: {', '.join(missing)}" if missing else None,
        )
    for plugin, message in get_plugin_manager().errors().items():
        rows.setdefault(plugin, BackendInfo(plugin, plugin, "", False, "", message))
    return rows


def devices() -> list[str]:
    """The devices the active backend sees, e.g. ``["cpu"]``."""
    return list(active().devices())


# -- recording: used by plugnet.GradientTape ---------------------------------


def _push_recording() -> None:
    global _recording
    _recording += 1
    if _recording == 1 and _active is not None and _active.recording_ops is not None:
        _ops._bind(_active.recording_ops)


def _pop_recording() -> None:
    global _recording
    _recording -= 1
    if _recording == 0 and _active is not None:
        _ops._bind(_active.ops)
