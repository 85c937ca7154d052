"""Nested structures of tensors: flattening, mapping and repacking.

Layer inputs and model outputs may be a tensor, a list or tuple of them, or a
dict of them (nested to any depth). These helpers treat lists, tuples and
dicts as containers and everything else as a leaf; dicts are walked in their
insertion order.
"""

from __future__ import annotations

_CONTAINERS = (list, tuple, dict)


def is_nested(x) -> bool:
    return isinstance(x, _CONTAINERS)


def flatten(structure) -> list:
    """The leaves of ``structure``, depth first."""
    if not isinstance(structure, _CONTAINERS):
        return [structure]
    leaves: list = []
    _flatten_into(structure, leaves)
    return leaves


def _flatten_into(structure, leaves: list) -> None:
    items = structure.values() if isinstance(structure, dict) else structure
    for item in items:
        if isinstance(item, _CONTAINERS):
            _flatten_into(item, leaves)
        else:
            leaves.append(item)


def map_structure(fn, structure):
    """``structure`` with every leaf replaced by ``fn(leaf)``; containers keep their type."""
    if isinstance(structure, dict):
        return {key: map_structure(fn, value) for key, value in structure.items()}
    if isinstance(structure, (list, tuple)):
        mapped = [map_structure(fn, item) for item in structure]
        return mapped if isinstance(structure, list) else tuple(mapped)
    return fn(structure)


def pack_like(structure, leaves):
    """Rebuild ``structure`` with ``leaves`` (as :func:`flatten` ordered them)."""
    iterator = iter(leaves)
    return map_structure(lambda _: next(iterator), structure)


def is_shape(x) -> bool:
    """True for one shape (a tuple or list of ints and Nones), False for a structure of shapes."""
    return isinstance(x, (tuple, list)) and all(d is None or isinstance(d, int) for d in x)


def map_shapes(fn, shapes):
    """Apply ``fn`` to each shape in a structure of shapes (a single shape is a leaf)."""
    if is_shape(shapes):
        return fn(tuple(shapes))
    if isinstance(shapes, dict):
        return {key: map_shapes(fn, value) for key, value in shapes.items()}
    if isinstance(shapes, (list, tuple)):
        return [map_shapes(fn, value) for value in shapes]
    raise TypeError(f"Expected a shape or a structure of shapes, got {shapes!r}.")
