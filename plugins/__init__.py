"""plugnet's plugin system: hook specifications, discovery, and the op contract.

A backend is a plugin. It is found through the ``plugnet`` entry-point group,
describes itself through :func:`~plugnet.plugins.hookspecs.plugnet_register_backends`,
and is only imported when a user first selects it.
"""

import pluggy

PROJECT = "plugnet"

hookimpl = pluggy.HookimplMarker(PROJECT)
"""Marker for a plugin's hook implementations: ``@hookimpl def plugnet_register_backends(register): ...``"""

hookspec = pluggy.HookspecMarker(PROJECT)

__all__ = ["PROJECT", "hookimpl", "hookspec"]

from .contract import BACKEND_API, OPS, Backend, Op, assemble  # noqa: E402
from .manager import BackendSpec, PluginManager, PluginWarning, get_plugin_manager  # noqa: E402

__all__ += [
    "BACKEND_API",
    "OPS",
    "Backend",
    "BackendSpec",
    "Op",
    "PluginManager",
    "PluginWarning",
    "assemble",
    "get_plugin_manager",
]
