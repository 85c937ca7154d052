"""A recording tape for backends whose framework has no imperative autograd.

``plugnet.GradientTape`` asks a backend for a ``Tape`` (see
:data:`~plugnet.plugins.contract.BACKEND_API`). torch and TensorFlow bring
their own; a backend over plain arrays (NumPy, or JAX, which differentiates
functions rather than recordings) can use this engine instead and supply only
what is particular to it: each op's pullback, and a few array functions.

The backend's *recording* ops run while a tape records (``recorder.active``
is not empty). Each computes its result and hands it to
:meth:`Recorder.result` with the tensors it differentiates and its pullback:
that wraps it in the backend's tensor type (a :class:`RecordedTensor`, so
that Python operators on it are recorded too) with a new :class:`Node` on
every tape recording::

    recorder = Recorder(Tensor, seed=..., zeros=..., watch_value=..., finish=...)

    def tracked(x):  # the tensor carrying x's gradient, or None for a constant
        if type(x) is Tensor:
            return x
        if isinstance(x, Variable) and x.trainable:
            return recorder.leaf(x, x.value)
        entry = recorder.leaves.get(id(x))  # a watched array
        return None if entry is None else entry[1]

    def recorded_multiply(x, y):
        if not recorder.active:
            return multiply(x, y)
        a, b = value_of(x), value_of(y)
        parents = [(i, t) for i, t in enumerate((tracked(x), tracked(y))) if t is not None]
        if not parents:
            return multiply(a, b)
        return recorder.result(multiply(a, b), parents, lambda g: (g * b, g * a))

What is tracked depends on the backend's arrays and Variables, so that part
is the backend's; :meth:`Recorder.leaf` makes the leaf tensor of a Variable
or watched array. ``recorder.Tape`` is then the
backend's ``Tape``, with TensorFlow's semantics: trainable Variables read
inside are watched, ``watch`` adds tensors, a persistent tape answers
``gradient`` more than once, and tapes recording at the same time share
nodes while each differentiates only what it recorded. Gradients are
first-order: pullbacks run on bare arrays, unrecorded.
"""

from __future__ import annotations

import numpy as np

from plugnet.operators import TensorOperators
from plugnet.variables import Variable


class RecordedTensor(TensorOperators):
    """The base of a backend's recorded tensors: its array (``_value``), the node that made it
    (``_node``) and which of that node's outputs it is (``_index``).

    ``np.asarray(t)`` gives the values (the array itself when it is an ndarray), and plugnet's
    operators on it go through ``plugnet.ops``, so they are recorded too. Subclass it with
    ``__slots__ = ()`` and a ``label`` for ``repr``.
    """

    __slots__ = ("__weakref__", "_index", "_node", "_value")
    label = "recorded"

    def __init__(self, value, node, index=0):
        self._value = value
        self._node = node
        self._index = index

    def __array__(self, dtype=None, copy=None):
        value = np.asarray(self._value)
        return value if dtype is None else value.astype(dtype, copy=False)

    def numpy(self) -> np.ndarray:
        return np.asarray(self._value)

    @property
    def shape(self) -> tuple:
        return tuple(np.shape(self._value))

    @property
    def dtype(self):
        return self._value.dtype

    @property
    def size(self) -> int:
        return int(np.size(self._value))

    def __repr__(self):
        return f"<plugnet {self.label} Tensor shape={self.shape} dtype={self.dtype}>\n{self._value!r}"

    def __hash__(self):
        return id(self)


class Node:
    """One recorded op: where its gradient flows and how to compute it.

    Args:
        parents: ``(position, tensor)`` pairs: ``pull(g)[position]`` is the
            gradient for ``tensor``, an argument that carries one.
        pull: ``g -> gradients`` (indexable by the positions); None for a leaf.
        outputs: None for an op with one result; for several,
            ``(list or tuple, [(shape, dtype), ...])``: ``g`` is then of that
            kind, with zeros for results no gradient reached.
    """

    __slots__ = ("holds", "outputs", "parents", "pull")

    def __init__(self, parents, pull, outputs=None):
        self.parents = parents
        self.pull = pull
        self.outputs = outputs
        self.holds = 0  # tapes that may still need this node


class Recorder:
    """The tapes of one backend: those recording now, the leaves they share, and the walk back.

    Args:
        tensor_type: the backend's recorded-tensor class, a
            :class:`RecordedTensor` subclass (or any class built as
            ``tensor_type(value, node, index=0)`` with those three attributes).
        seed: ``(value, given) -> array``: the gradient a target starts
            with, ones like ``value`` when ``given`` is None.
        zeros: ``(shape, dtype) -> array``.
        watch_value: ``x -> array or None``: the value a watched Variable
            or array differentiates by; None to ignore it (integers carry no
            gradient); raise TypeError for what cannot be watched.
        finish: ``(gradient, source, earlier) -> gradient``: a gradient as the
            user gets it (in the source's dtype, say), given the gradients
            already finished for the sources before it.
    """

    def __init__(self, tensor_type, *, seed, zeros, watch_value, finish):
        self.tensor_type = tensor_type
        self.seed, self.zeros, self.watch_value, self.finish = seed, zeros, watch_value, finish
        self.active: list = []  # the tapes recording now, innermost last
        # id(object) -> (object, leaf tensor) for Variables and watched arrays; holding the
        # object keeps its id from being reused while tapes may still look it up.
        self.leaves: dict[int, tuple] = {}
        recorder = self

        class Tape(_Tape):
            _recorder = recorder

        self.Tape = Tape

    def leaf(self, obj, value):
        """The leaf tensor that gathers the gradient of ``obj`` (a Variable or watched array)."""
        entry = self.leaves.get(id(obj))
        if entry is not None:
            return entry[1]
        tensor = self.tensor_type(value, Node((), None))
        self.leaves[id(obj)] = (obj, tensor)
        return tensor

    def record(self, node: Node) -> None:
        """Put ``node`` on every tape recording now."""
        for tape in self.active:
            tape._nodes.append(node)
        node.holds = len(self.active)

    def result(self, out, parents, pull, kind=None):
        """An op's result ``out`` (an array, or a list or tuple of them) as the recorded tensors of a
        new node, recorded: ``parents`` and ``pull`` as for :class:`Node`. A pullback of several
        results gets their gradients as a ``kind`` (default: the type of ``out``)."""
        kind_of_out = type(out)
        if kind_of_out is list or kind_of_out is tuple:
            node = Node(parents, pull, (kind or kind_of_out, [(np.shape(o), _dtype_of(o)) for o in out]))
            result = kind_of_out(self.tensor_type(o, node, k) for k, o in enumerate(out))
        else:
            node = Node(parents, pull)
            result = self.tensor_type(out, node)
        self.record(node)
        return result

    def no_recording(self):
        """Ops inside record on no tape (the trainer's evaluation and optimizer steps)."""
        return _Paused(self.active)

    def backpropagate(self, nodes, targets, output_gradients=None, keep=()) -> dict:
        """Gradients of the sum of ``targets`` through ``nodes``: ``{node: [gradient per output]}``.

        ``nodes`` is a tape's record in creation order, so walking it backwards
        visits every node after all the nodes that consumed its outputs: no
        graph search is needed, and a tape differentiates exactly the ops it
        recorded. Gradients of intermediate nodes are dropped once used, except
        for the nodes in ``keep`` (tensors asked for as sources).
        """
        grads: dict = {}
        tensor_type = self.tensor_type
        for i, target in enumerate(targets):
            if type(target) is not tensor_type:
                continue  # a constant adds nothing to any gradient
            given = None if output_gradients is None else output_gradients[i]
            _add(grads, target._node, target._index, self.seed(target._value, given))
        for node in reversed(nodes):
            slots = grads.get(node) if node in keep else grads.pop(node, None)
            if slots is None or node.pull is None:
                continue
            if node.outputs is None:
                g = slots[0]
            else:
                kind, specs = node.outputs
                g = kind(self.zeros(s, d) if gi is None else gi for gi, (s, d) in zip(slots, specs))
            parent_grads = node.pull(g)
            for position, parent in node.parents:
                pg = parent_grads[position]
                if pg is not None:
                    _add(grads, parent._node, parent._index, pg)
        return grads


class _Paused:
    """The context of :meth:`Recorder.no_recording` (a class: every optimizer step enters one, and a
    generator-based context manager costs several times as much)."""

    __slots__ = ("active", "saved")

    def __init__(self, active: list):
        self.active = active

    def __enter__(self):
        self.saved = list(self.active)
        self.active.clear()

    def __exit__(self, *exc_info):
        self.active[:] = self.saved
        return False


def _dtype_of(value):
    """``value``'s dtype, read without converting it (a device array stays where it is)."""
    dtype = getattr(value, "dtype", None)
    return np.asarray(value).dtype if dtype is None else dtype


def _add(grads: dict, node: Node, index: int, g) -> None:
    slots = grads.get(node)
    if slots is None:
        slots = grads[node] = [None] * (1 if node.outputs is None else len(node.outputs[1]))
    slots[index] = g if slots[index] is None else slots[index] + g


class _Tape:
    """A backend's side of ``plugnet.GradientTape`` (``Recorder.Tape`` binds it to a recorder)."""

    _recorder: Recorder

    def __init__(self, persistent=False, watch_accessed_variables=True):
        self.persistent = persistent
        self.watch_accessed_variables = watch_accessed_variables
        self._nodes: list | None = []
        self._leaves = None
        self._watched: set[int] = set()

    def __enter__(self):
        recorder = self._recorder
        if not recorder.active:
            recorder.leaves = {}
        self._leaves = recorder.leaves
        recorder.active.append(self)
        return self

    def __exit__(self, *exc_info):
        self._recorder.active.remove(self)
        return False

    def watch(self, x) -> None:
        recorder = self._recorder
        if type(x) is recorder.tensor_type:
            self._watched.add(id(x))
            return
        value = recorder.watch_value(x)
        if value is None:
            return
        if recorder.active and self._leaves is not recorder.leaves:
            raise RuntimeError("GradientTape.watch() must be called while the tape records.")
        recorder.leaf(x, value)
        self._watched.add(id(x))

    def _source(self, source):
        """The tensor whose gradient answers for ``source``, or None."""
        if type(source) is self._recorder.tensor_type:
            return source
        entry = (self._leaves or {}).get(id(source))
        if entry is None:
            return None
        if isinstance(source, Variable):
            if not self.watch_accessed_variables and id(source) not in self._watched:
                return None
        elif id(source) not in self._watched:
            return None  # an array another tape watched: this one differentiates only what it watched
        return entry[1]

    def gradient(self, targets, sources, output_gradients=None):
        if self._nodes is None:
            raise RuntimeError("This tape's recording has been released; use persistent=True to reuse it.")
        tensors = [self._source(source) for source in sources]
        keep = {t._node for t in tensors if t is not None}
        grads = self._recorder.backpropagate(self._nodes, targets, output_gradients, keep)
        finish, result = self._recorder.finish, []
        for source, tensor in zip(sources, tensors):
            slots = None if tensor is None else grads.get(tensor._node)
            g = None if slots is None else slots[tensor._index]
            result.append(None if g is None else finish(g, source, result))
        if not self.persistent:
            self._release()
        return result

    def _release(self) -> None:
        """Free what only this tape kept alive: each node's pullback (its saved arrays) and links."""
        for node in self._nodes or ():
            node.holds -= 1
            if node.holds <= 0:
                node.pull = None
                node.parents = ()
        self._nodes = None
        self._leaves = None

    def reset(self) -> None:
        self._release()
        self._nodes = []
        self._leaves = self._recorder.leaves

    def stop_recording(self):
        return self._recorder.no_recording()

    def __del__(self):
        if self._nodes:
            self._release()
