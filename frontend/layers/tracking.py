"""Automatic tracking of sublayers and Variables assigned as attributes.

``self.dense = Dense(4)``, ``self.blocks = [Dense(4), Dense(4)]`` and
``self.heads = {"a": Dense(1)}`` all make the layer own those sublayers. Lists
and dicts assigned to a layer are replaced by :class:`TrackedList` /
:class:`TrackedDict` (ordinary list and dict subclasses) so that layers added
to them later (``self.blocks.append(...)``) are seen too.

Layers cache their flattened sublayers and weights; every structural change
anywhere (a layer or Variable tracked, a tracked container mutated, a weight
added) bumps one global version number, and a layer rebuilds its cache when
the version moved. In a training loop nothing changes, so every step reads
the caches.
"""

from __future__ import annotations

_version = 0


def bump() -> None:
    """Record that some layer's structure changed."""
    global _version
    _version += 1


def version() -> int:
    return _version


def wrap(value):
    """A plain list or dict as a TrackedList / TrackedDict (recursively); anything else as is."""
    kind = type(value)
    if kind is list:
        return TrackedList(value)
    if kind is dict:
        return TrackedDict(value)
    return value


def _mutator(base, name):
    original = getattr(base, name)

    def method(self, *args, **kwargs):
        result = original(self, *args, **kwargs)
        self._rewrap()
        bump()
        return result

    method.__name__ = name
    method.__doc__ = original.__doc__
    return method


class TrackedList(list):
    """A list whose changes a layer sees (for lists of sublayers)."""

    def __init__(self, items=()):
        super().__init__(wrap(item) for item in items)

    def _rewrap(self) -> None:
        for i, item in enumerate(self):
            if type(item) in (list, dict):
                list.__setitem__(self, i, wrap(item))


for _name in ("append", "extend", "insert", "remove", "pop", "clear", "sort", "reverse",
              "__setitem__", "__delitem__", "__iadd__", "__imul__"):
    setattr(TrackedList, _name, _mutator(list, _name))


class TrackedDict(dict):
    """A dict whose changes a layer sees (for dicts of sublayers)."""

    def __init__(self, items=()):
        super().__init__((key, wrap(value)) for key, value in dict(items).items())

    def _rewrap(self) -> None:
        for key, value in self.items():
            if type(value) in (list, dict):
                dict.__setitem__(self, key, wrap(value))


for _name in ("__setitem__", "__delitem__", "pop", "popitem", "clear", "update", "setdefault", "__ior__"):
    setattr(TrackedDict, _name, _mutator(dict, _name))
