"""Names for classes and functions: what configs and saved models may refer to.

Saved models are data, never code: a config names a class, and only classes
registered here (by plugnet, by a plugin's ``plugnet_register_objects`` hook,
or passed as ``custom_objects``) can be instantiated. No module is ever
imported because a file named it.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Callable

_REGISTRY: dict[str, object] = {}
_scopes = threading.local()


def register_serializable(name: str | None = None):
    """Class or function decorator: make it loadable by name.

    >>> @plugnet.registry.register_serializable()
    ... class MyLayer(plugnet.layers.Layer): ...
    """

    def register(obj):
        key = name or obj.__name__
        _REGISTRY[key] = obj
        obj._registered_name = key
        return obj

    return register


def registered_name(obj) -> str:
    """The name ``obj`` (a class, instance or function) is registered under.

    Read from the class's own namespace: an unregistered subclass of ``Dense``
    must not be saved under the name ``"Dense"``.
    """
    cls = obj if isinstance(obj, type) or callable(obj) and not hasattr(obj, "get_config") else type(obj)
    own = cls.__dict__.get("_registered_name") if hasattr(cls, "__dict__") else None
    return own or cls.__name__


@contextlib.contextmanager
def custom_object_scope(custom_objects: dict | None):
    """Within the block, every lookup also sees ``custom_objects`` (Keras's ``custom_object_scope``).

    >>> with plugnet.registry.custom_object_scope({"MyLoss": MyLoss}):
    ...     model.compile_from_config(config)
    """
    stack = _scopes.__dict__.setdefault("stack", [])
    stack.append(dict(custom_objects or {}))
    try:
        yield
    finally:
        stack.pop()


def _custom_object(name: str, custom_objects: dict | None):
    """``name`` from ``custom_objects`` or an enclosing :func:`custom_object_scope`; None if absent."""
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    for scope in reversed(_scopes.__dict__.get("stack", ())):
        if name in scope:
            return scope[name]
    return None


def get_registered(name: str, custom_objects: dict | None = None):
    """The class or function registered as ``name``; a clear error if none is."""
    custom = _custom_object(name, custom_objects)
    if custom is not None:
        return custom
    if name in _REGISTRY:
        return _REGISTRY[name]
    from plugnet.plugins.manager import get_plugin_manager

    contributed = get_plugin_manager().objects()
    if name in contributed:
        return contributed[name]
    raise ValueError(
        f"Unknown object {name!r}: it is not a plugnet class, not contributed by an installed plugin, "
        f"and not in custom_objects. Pass it as custom_objects={{{name!r}: {name}}} when loading."
    )


def serialize(obj):
    """``{"class_name": ..., "config": ...}`` for an object with get_config; the name for a function."""
    if obj is None:
        return None
    if hasattr(obj, "get_config"):
        return {"class_name": registered_name(obj), "config": obj.get_config()}
    if callable(obj):
        return registered_name(obj)
    raise TypeError(f"Cannot serialize {obj!r}: it has no get_config() and is not a registered function.")


def deserialize(config, custom_objects: dict | None = None):
    """Rebuild what :func:`serialize` produced, instantiating only registered classes."""
    if config is None:
        return None
    if isinstance(config, str):
        return get_registered(config, custom_objects)
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Not a serialized plugnet object: {config!r}")
    cls = get_registered(config["class_name"], custom_objects)
    inner = config.get("config", {})
    if hasattr(cls, "from_config"):
        return cls.from_config(inner, custom_objects=custom_objects) if _takes_custom(cls) else cls.from_config(inner)
    return cls(**inner)


def _takes_custom(cls) -> bool:
    import inspect

    try:
        return "custom_objects" in inspect.signature(cls.from_config).parameters
    except (TypeError, ValueError):
        return False


def resolve(identifier, kind: str, names: dict[str, Callable], custom_objects: dict | None = None):
    """Turn a user's identifier into an object, as ``keras.losses.get`` does.

    ``identifier`` may be None, an instance or function (returned as is), a
    string looked up in ``names``, then in ``custom_objects`` and any
    :func:`custom_object_scope` (the valid names are listed on a miss), or a
    serialized dict. ``kind`` is used in the error message ("loss", "optimizer").
    """
    if identifier is None or not isinstance(identifier, (str, dict, type)):
        return identifier  # an instance or a function: already what the caller wants
    if isinstance(identifier, str):
        if identifier in names:
            return names[identifier]()
        lowered = {key.lower(): key for key in names}
        if identifier.lower() in lowered:
            return names[lowered[identifier.lower()]]()
        custom = _custom_object(identifier, custom_objects)
        if custom is not None:  # a user's function or class, e.g. a loss named in a saved compile config
            return custom() if isinstance(custom, type) else custom
        valid = ", ".join(sorted(names))
        raise ValueError(f"Unknown {kind} {identifier!r}. Valid {kind} names: {valid}.")
    if isinstance(identifier, dict):
        return deserialize(identifier, custom_objects)
    return identifier()
