"""Train, test and predict steps under ``jax.jit`` (``compile(jit_compile=True)``).

plugnet's steps are methods with side effects: they read Variables, assign
new weights, optimizer slots and metric sums, and advance seed generators.
``jax.jit`` compiles pure functions. :class:`CompiledStep` makes a step pure
with the storages it touches as explicit inputs and outputs::

    (values of the storages, data) -> (their new values, the step's result)

While JAX traces the step, a :class:`~plugnet_jax.storage.Frame` stands
between every Variable storage and the code reading it, so reads see traced
inputs and writes become traced outputs; after each call the new values are
put in the storages. Which storages a step touches is found by tracing it: a
storage met that is not yet an input is added, and the step traced again
(so a first call traces twice). A retrace for a new batch shape that meets
a new storage does the same.

The trainer runs the first step eagerly (``Backend.graph_steps``), so the
model, the optimizer and the metrics create their Variables outside the
trace; a Variable created inside a traced step is an error.
"""

from __future__ import annotations

import weakref

import jax

from .autograd import Tensor
from .core import tensor
from .storage import Frame, tracing


class _Discovered(Exception):
    """Raised out of a trace that met storages that were no inputs."""

    def __init__(self, storages):
        super().__init__(f"{len(storages)} storages to add")
        self.storages = storages


def _array(leaf):
    return leaf._value if type(leaf) is Tensor else leaf


class CompiledStep:
    """``fn(data)`` compiled with ``jax.jit``, its Variable reads and writes threaded through."""

    def __init__(self, fn):
        self._fn = fn
        self._members: list[weakref.ref] = []
        self._current = None
        # The storages' uids are static: a compiled step is reused only for the same storages.
        self._jitted = jax.jit(self._pure, static_argnums=0)
        self.__wrapped__ = fn

    def _pure(self, uids, values, data):
        members = self._current
        frame = Frame(members, values)
        with tracing(frame):
            result = self._fn(data)
        if frame.created:
            raise RuntimeError(
                f"A jit-compiled step created {len(frame.created)} Variable(s) while it was traced. "
                f"Create Variables in build() or before the first step (the first call of fit runs "
                f"eagerly for that), or compile the model with jit_compile=False."
            )
        if frame.outside:
            raise _Discovered(list(frame.outside.values()))
        return [frame.values[s.uid] for s in members], jax.tree_util.tree_map(_array, result)

    def __call__(self, data):
        data = jax.tree_util.tree_map(tensor, data)
        while True:
            members = [s for s in (ref() for ref in self._members) if s is not None]
            if len(members) != len(self._members):
                self._members = [weakref.ref(s) for s in members]
            self._current = members
            try:
                new_values, result = self._jitted(tuple(s.uid for s in members), [s._value for s in members], data)
            except _Discovered as found:
                self._members += [weakref.ref(s) for s in found.storages]
                continue
            finally:
                self._current = None
            for storage, value in zip(members, new_values):
                storage._value = value
            return result


def compile_step(fn, jit_compile=None):
    """``fn`` under ``jax.jit`` when ``jit_compile`` is True; ``fn`` itself (eager) otherwise."""
    return CompiledStep(fn) if jit_compile is True else fn
