"""Finding plugins: the ``plugnet`` entry-point group, read once and lazily.

Each plugin is loaded on its own, so one that fails to import, misspells a
hook or raises from a hook is reported by name (a :class:`PluginWarning` and
an entry in :meth:`PluginManager.errors`) and never hides the others.

Set ``PLUGNET_DISABLE_PLUGINS`` to a comma-separated list of entry-point or
distribution names to skip them (as ``TOX_DISABLED_EXTERNAL_PLUGINS`` does).
"""

from __future__ import annotations

import importlib.metadata
import os
import threading
import warnings
from dataclasses import dataclass, field

import pluggy

from . import PROJECT, hookspecs

DISABLE_ENV = "PLUGNET_DISABLE_PLUGINS"


class PluginWarning(UserWarning):
    """A plugin could not be loaded or answered a hook with an error."""


@dataclass(frozen=True)
class BackendSpec:
    """A backend, as a plugin declares it. Cheap: nothing here imports a framework.

    name:     what users pass to ``plugnet.set_backend``.
    module:   the module imported when the backend is first used; it defines
              ``create_backend()`` returning a :class:`plugnet.plugins.contract.Backend`.
    requires: import names of the frameworks it needs (checked, not imported,
              before ``module`` is imported), e.g. ``("torch",)``.
    summary:  one line for ``plugnet.backend.available()`` and listings.
    install:  the command that installs what ``requires`` names.
    plugin:   filled in by the manager: the plugin that declared it.
    """

    name: str
    module: str
    requires: tuple[str, ...] = ()
    summary: str = ""
    install: str = ""
    plugin: str = ""


@dataclass
class _Registry:
    backends: dict[str, BackendSpec] = field(default_factory=dict)
    objects: dict[str, object] = field(default_factory=dict)


class PluginManager:
    """plugnet's pluggy plugin manager, with per-plugin error isolation."""

    def __init__(self, load_entrypoints: bool = True):
        self._pm = pluggy.PluginManager(PROJECT)
        self._pm.add_hookspecs(hookspecs)
        self._errors: dict[str, str] = {}
        self._lock = threading.RLock()
        self._registry: _Registry | None = None
        self._objects_loaded = False
        if load_entrypoints:
            self._load_entrypoints()

    # -- registration -------------------------------------------------------

    def _load_entrypoints(self) -> None:
        blocked = {n.strip() for n in os.environ.get(DISABLE_ENV, "").split(",") if n.strip()}
        for ep in importlib.metadata.entry_points(group=PROJECT):
            dist = ep.dist.name if ep.dist is not None else ""
            if ep.name in blocked or dist in blocked:
                continue
            if self._pm.has_plugin(ep.name):
                continue
            try:
                plugin = ep.load()
            except Exception as exc:  # any import error must stay this plugin's problem
                self._fail(ep.name, f"failed to import {ep.value!r}: {type(exc).__name__}: {exc}")
                continue
            self.register(plugin, name=ep.name)

    def register(self, plugin, name: str | None = None) -> bool:
        """Register a plugin object or module (tests and in-process plugins use this).

        Returns False, after reporting, if its hooks do not match the hookspecs.
        """
        with self._lock:
            name = name or getattr(plugin, "__name__", None) or repr(plugin)
            try:
                self._pm.register(plugin, name=name)
                self._pm.check_pending()
            except Exception as exc:  # misspelled hook, bad signature
                if self._pm.is_registered(plugin):
                    self._pm.unregister(plugin)
                self._fail(name, f"invalid plugin: {exc}")
                return False
            self._registry = None
            self._objects_loaded = False
            return True

    def unregister(self, name: str) -> None:
        with self._lock:
            plugin = self._pm.get_plugin(name)
            if plugin is not None:
                self._pm.unregister(plugin)
            self._errors.pop(name, None)
            self._registry = None
            self._objects_loaded = False

    def _fail(self, plugin: str, message: str) -> None:
        self._errors[plugin] = message
        warnings.warn(f"plugnet plugin {plugin!r}: {message}", PluginWarning, stacklevel=3)

    # -- hooks --------------------------------------------------------------

    def _call_each(self, hook_name: str, register) -> None:
        """Call one hook on every plugin separately, so one failure hides nothing."""
        hook = getattr(self._pm.hook, hook_name)
        for impl in reversed(hook.get_hookimpls()):
            try:
                impl.function(register=lambda *a, _p=impl.plugin_name, **k: register(_p, *a, **k))
            except Exception as exc:
                self._fail(impl.plugin_name, f"{hook_name} raised {type(exc).__name__}: {exc}")

    def backends(self) -> dict[str, BackendSpec]:
        """Every declared backend, by name. Imports no framework."""
        with self._lock:
            if self._registry is None:
                registry = _Registry()

                def register(plugin_name, spec):
                    if not isinstance(spec, BackendSpec):
                        raise TypeError(f"register() takes a BackendSpec, got {type(spec).__name__}")
                    if spec.name in registry.backends:
                        other = registry.backends[spec.name].plugin
                        self._fail(plugin_name, f"backend {spec.name!r} is already declared by plugin {other!r}")
                        return
                    registry.backends[spec.name] = BackendSpec(
                        spec.name, spec.module, tuple(spec.requires), spec.summary, spec.install, plugin_name
                    )

                self._call_each("plugnet_register_backends", register)
                self._registry = registry
            return dict(self._registry.backends)

    def objects(self) -> dict[str, object]:
        """Classes and functions plugins contribute for deserialization, by name."""
        with self._lock:
            self.backends()
            if not self._objects_loaded:
                objects = self._registry.objects

                def register(plugin_name, obj, name=None):
                    objects[name or obj.__name__] = obj

                self._call_each("plugnet_register_objects", register)
                self._objects_loaded = True
            return dict(self._registry.objects)

    def errors(self) -> dict[str, str]:
        """Plugins that failed, by name, with what went wrong."""
        self.backends()
        return dict(self._errors)


_manager: PluginManager | None = None
_manager_lock = threading.Lock()


def get_plugin_manager() -> PluginManager:
    """The process-wide plugin manager, created (and entry points read) on first use."""
    global _manager
    with _manager_lock:
        if _manager is None:
            _manager = PluginManager()
        return _manager


def reset_plugin_manager() -> None:
    """Forget discovered plugins; the next call rereads the entry points (tests use this)."""
    global _manager
    with _manager_lock:
        _manager = None
