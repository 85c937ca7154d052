"""Which installed distribution provides each plugnet plugin, read from entry-point metadata.

Reads package metadata only: nothing here imports a plugin or a framework.
A plugin registered in-process (``PluginManager.register``) has no
distribution.
"""

from __future__ import annotations

import importlib.metadata

from . import PROJECT
from .manager import get_plugin_manager


def plugin_distributions() -> dict[str, tuple[str, str]]:
    """Entry-point name in the ``plugnet`` group -> (distribution name, version)."""
    found: dict[str, tuple[str, str]] = {}
    for ep in importlib.metadata.entry_points(group=PROJECT):
        if ep.dist is not None:
            # The manager keeps the first entry point of a name; so does this.
            found.setdefault(ep.name, (ep.dist.name, ep.dist.version))
    return found


def backend_distribution(backend: str) -> tuple[str | None, str | None]:
    """(distribution name, version) that declares the backend ``backend``; (None, None) if none does."""
    spec = get_plugin_manager().backends().get(backend)
    if spec is None:
        return None, None
    return plugin_distributions().get(spec.plugin, (None, None))
