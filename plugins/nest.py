"""Batches as flat lists of tensors.

A step takes one batch: a tensor, or tuples, lists and dicts of them, with None
where there is no sample weight. Compilers pay per level of that nesting on
every call (``tf.function`` about 40 microseconds for ``(x, y, None)`` against
``x, y``), and a replayed step keys its recordings by the batch's leaves, so
both take batches apart with these helpers.
"""

from __future__ import annotations


def flatten(data):
    """The leaves of ``data`` (nested tuples, lists and dicts) and a function rebuilding it."""
    kind = type(data)
    if kind is tuple or kind is list:
        parts = [flatten(item) for item in data]
        leaves = [leaf for p in parts for leaf in p[0]]
        sizes = [len(p[0]) for p in parts]

        def rebuild(flat):
            out, start = [], 0
            for (_, sub), size in zip(parts, sizes):
                out.append(sub(flat[start:start + size]))
                start += size
            return kind(out)

        return leaves, rebuild
    if kind is dict:
        keys = list(data)
        leaves, rebuild_values = flatten([data[key] for key in keys])
        return leaves, lambda flat: dict(zip(keys, rebuild_values(flat)))
    return [data], lambda flat: flat[0]


def structure_of(data):
    """A hashable key of ``data``'s nesting, with where its None leaves are."""
    kind = type(data)
    if kind is tuple or kind is list:
        return (kind, tuple(structure_of(item) for item in data))
    if kind is dict:
        return (dict, tuple((key, structure_of(value)) for key, value in data.items()))
    return data is None


def taking_leaves(fn, data):
    """``fn`` (a function of one batch shaped like ``data``) as a function of the batch's tensors:
    its leaves that are not None, in order (:func:`tensors`)."""
    leaves, rebuild = flatten(data)
    count = len(leaves)
    present = [i for i, leaf in enumerate(leaves) if leaf is not None]

    def flat_fn(*flat):
        filled = [None] * count
        for i, tensor in zip(present, flat):
            filled[i] = tensor
        return fn(rebuild(filled))

    return flat_fn


def tensors(data, out: list) -> list:
    """``out`` with the leaves of ``data`` that are not None appended, in order."""
    kind = type(data)
    if kind is tuple or kind is list:
        for item in data:
            tensors(item, out)
    elif kind is dict:
        for item in data.values():
            tensors(item, out)
    elif data is not None:
        out.append(data)
    return out


class PerStructure:
    """``compile(flat_fn)`` once per structure of the arguments ``fn`` is called with, each
    compiled function taking the arguments' tensors (no None) as positional arguments."""

    def __init__(self, fn, compile):
        self.fn, self.compile = fn, compile
        self.compiled: dict = {}

    def _call_fn(self, arguments):
        args, kwargs = arguments
        return self.fn(*args, **kwargs)

    def __call__(self, *args, **kwargs):
        arguments = (args, kwargs)
        key = structure_of(arguments)
        function = self.compiled.get(key)
        if function is None:
            function = self.compiled[key] = self.compile(taking_leaves(self._call_fn, arguments))
        return function(*tensors(arguments, []))
