"""A Variable's storage, and the frames through which a traced step reads and writes it.

JAX arrays are immutable, so a ``plugnet.Variable`` on this backend holds a
:class:`Storage`: a small mutable box around one JAX array. Assigning a
Variable puts a new array in the box; everything holding the Variable (or
the box) sees the new value.

``jax.jit`` needs a pure function, and a train step is anything but: it reads
weights and writes them back, with optimizer slots, metric sums and seed
counters besides. While :mod:`plugnet_jax.jit` traces a step, a
:class:`Frame` sits between every box and the code reading it: a box the
frame knows (a *member*) yields the traced input standing for it, and a write
is kept in the frame as the traced output, never in the box. A box the frame
does not know is noted (``Frame.outside``), so the caller can trace again
with it as a member; no traced value ever leaks into a box.
"""

from __future__ import annotations

import contextlib
import itertools

import numpy as np

_uids = itertools.count()
_frames: list[Frame] = []
_MISSING = object()


class Storage:
    """A Variable's storage: one JAX array, replaced (never mutated) by assignment.

    ``value`` is the array. ``uid`` identifies the box for as long as the
    process runs (ids of dead objects are reused; uids are not).
    """

    __slots__ = ("__weakref__", "_value", "uid")

    def __init__(self, value):
        self._value = value
        self.uid = next(_uids)
        if _frames:
            _frames[-1].created.append(self)

    @property
    def value(self):
        if _frames:
            return _frames[-1].read(self)
        return self._value

    @value.setter
    def value(self, new):
        if _frames:
            _frames[-1].write(self, new)
        else:
            self._value = new

    @property
    def shape(self) -> tuple:
        return tuple(self.value.shape)

    @property
    def dtype(self):
        return self.value.dtype

    def __array__(self, dtype=None, copy=None):
        array = np.asarray(self.value)
        return array if dtype is None else array.astype(dtype, copy=False)

    def __repr__(self) -> str:
        return f"<plugnet_jax Storage shape={self.shape} dtype={self.dtype}>"


class Frame:
    """The values of the storages a step sees while it is traced.

    ``members`` come in with the traced ``values``; reads and writes of them
    stay in :attr:`values`. Any other storage met is recorded in
    :attr:`outside` (read: its current array, a constant to this trace;
    written: the write is kept here, the box is untouched). Storages created
    during the trace are recorded in :attr:`created`.
    """

    def __init__(self, members, values):
        self.members = {s.uid for s in members}
        self.values = {s.uid: v for s, v in zip(members, values)}
        self.outside: dict[int, Storage] = {}
        self.created: list[Storage] = []

    def read(self, storage: Storage):
        value = self.values.get(storage.uid, _MISSING)
        if value is _MISSING:
            self.outside[storage.uid] = storage
            return storage._value
        return value

    def write(self, storage: Storage, value) -> None:
        if storage.uid not in self.members:
            self.outside[storage.uid] = storage
        self.values[storage.uid] = value


@contextlib.contextmanager
def tracing(frame: Frame):
    """Route every storage read and write through ``frame`` inside the block."""
    _frames.append(frame)
    try:
        yield frame
    finally:
        _frames.remove(frame)
