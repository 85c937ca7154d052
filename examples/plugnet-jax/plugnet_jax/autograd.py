"""``plugnet.GradientTape`` on JAX: an imperative tape over ``jax.vjp``.

plugnet's tape is imperative (ops run one by one, gradients are asked for
afterwards); JAX differentiates functions. The bridge: while a tape records,
the backend's op table is swapped for *recording* ops (:func:`recorded`).
Each runs its op through ``jax.vjp``, which returns the result together with
the op's pullback, and keeps both in a :class:`Node`; the result is a
:class:`Tensor`, a thin wrapper of the JAX array that remembers its node, so
Python operators and indexing on it (through plugnet's ``TensorOperators``)
are recorded too. ``gradient()`` walks the tape's nodes in reverse, feeding
each pullback the sum of its outputs' gradients.

Each op's vjp runs compiled, once per template of its arguments
(:mod:`plugnet_jax.templates`): ``jax.vjp`` run eagerly would trace the op
anew on every call.

Outside a tape nothing is recorded and ops return bare JAX arrays. Tapes
that record at the same time share nodes (a GAN's two tapes see one forward
pass); each differentiates only the ops it recorded itself. Gradients are
first-order: pullbacks run on bare arrays, unrecorded.
"""

from __future__ import annotations

import contextlib

import jax
import jax.numpy as jnp
import numpy as np

from plugnet.operators import TensorOperators
from plugnet.variables import Variable

from . import templates
from .storage import Storage

# The tapes recording now, innermost last.
_active: list[Tape] = []
# id(object) -> (object, leaf Tensor) for Variables and watched arrays, shared by
# the tapes that overlap in time. Holding the object keeps its id from being reused.
_leaves: dict[int, tuple[object, Tensor]] = {}


class Node:
    """One recorded op: the tensors it differentiates and the pullback giving their gradients."""

    __slots__ = ("compiled", "holds", "outputs", "parents", "pullback")

    def __init__(self, parents, pullback, compiled, outputs):
        self.parents = parents  # one Tensor per differentiated argument, in the pullback's order
        self.pullback = pullback  # jax.vjp's function; None for a leaf
        self.compiled = compiled  # the pullback came from a jitted jax.vjp: apply it jitted too
        self.outputs = outputs  # None for one output, else (list or tuple, [(shape, dtype), ...])
        self.holds = 0  # tapes that may still need this node


class Tensor(TensorOperators):
    """A JAX array recorded on a tape. ``np.asarray(t)`` gives its values."""

    __slots__ = ("__weakref__", "_index", "_node", "_value")

    def __init__(self, value, node, index=0):
        self._value = value
        self._node = node
        self._index = index

    def __array__(self, dtype=None, copy=None):
        array = np.asarray(self._value)
        return array if dtype is None else array.astype(dtype, copy=False)

    def numpy(self) -> np.ndarray:
        return np.asarray(self._value)

    @property
    def value(self):
        """The JAX array."""
        return self._value

    @property
    def shape(self):
        return tuple(self._value.shape)

    @property
    def dtype(self):
        return self._value.dtype

    @property
    def size(self):
        return int(np.prod(self._value.shape, dtype=np.int64))

    def __repr__(self):
        return f"<plugnet_jax Tensor shape={self.shape} dtype={self.dtype}>\n{self._value!r}"

    def __hash__(self):
        return id(self)


templates.RECORDED = Tensor


def _inexact(value) -> bool:
    return jnp.issubdtype(value.dtype, jnp.inexact)


def _leaf(obj, value) -> Tensor:
    entry = _leaves.get(id(obj))
    if entry is not None:
        return entry[1]
    tensor = Tensor(value, Node((), None, False, None))
    _leaves[id(obj)] = (obj, tensor)
    return tensor


def _differentiated(forward, template, positions):
    """``leaves -> (forward's result, its pullback)`` for the leaves at ``positions``."""

    def run(*leaves):
        def f(*diff):
            values = list(leaves)
            for i, d in zip(positions, diff):
                values[i] = d
            return forward(*templates.rebuild(template, iter(values)))

        return jax.vjp(f, *[leaves[i] for i in positions])

    return run


def _tracker(tracked: list):
    """``on_array`` for :func:`templates.split`: note each argument that carries gradients."""

    def on_array(x, index):
        if type(x) is Tensor:
            if _inexact(x._value):
                tracked.append((index, x))
            return
        entry = _leaves.get(id(x)) if _leaves else None
        if entry is not None:
            tracked.append((index, entry[1]))
        elif isinstance(x, Variable) and x.trainable and _inexact(x._value.value):
            tracked.append((index, _leaf(x, x._value.value)))

    return on_array


def recorded(forward, plain=None):
    """The recording form of the differentiable op ``forward``; ``plain`` (default: ``forward``)
    is what runs when no input carries a gradient."""
    name = forward.__name__
    plain = plain or forward

    def op(*args):
        if not _active:
            return plain(*args)
        prepare = templates.PREPARE.get(name)
        if prepare is not None:
            args = prepare(*args)
        leaves, tracked = [], []
        template = templates.split(args, leaves, _tracker(tracked))
        if not tracked:
            return plain(*args)
        positions = tuple(i for i, _ in tracked)
        (out, pullback), compiled = templates.call(
            (forward, template, positions), lambda: _differentiated(forward, template, positions), leaves)
        parents = tuple(t for _, t in tracked)
        if type(out) in (list, tuple):
            if not all(_inexact(o) for o in out):
                return out  # integer results carry no gradient
            node = Node(parents, pullback, compiled, (type(out), [(o.shape, o.dtype) for o in out]))
            result = type(out)(Tensor(o, node, k) for k, o in enumerate(out))
        else:
            if not _inexact(out):
                return out
            node = Node(parents, pullback, compiled, None)
            result = Tensor(out, node)
        for tape in _active:
            tape._nodes.append(node)
        node.holds = len(_active)
        return result

    op.__name__ = name
    op.__doc__ = forward.__doc__
    op.__wrapped__ = forward
    return op


# -- backpropagation ------------------------------------------------------------------------


@jax.jit
def _pull(pullback, cotangent):
    return pullback(cotangent)


def _slots(node: Node) -> list:
    return [None] * (1 if node.outputs is None else len(node.outputs[1]))


def _add(slots: list, index: int, g) -> None:
    slots[index] = g if slots[index] is None else slots[index] + g


def backpropagate(nodes: list, targets, output_gradients=None, keep=()) -> dict:
    """Gradients of the sum of ``targets`` through the recorded ``nodes``; ``{node: [gradient per output]}``.

    ``nodes`` is a tape's record in creation order, so walking it backwards
    visits every node after all the nodes that consumed its outputs. Gradients
    of intermediate nodes are dropped once used, except for the nodes in
    ``keep`` (tensors asked for as sources).
    """
    grads: dict = {}
    for i, target in enumerate(targets):
        if type(target) is not Tensor:
            continue  # a constant: it adds nothing to any gradient
        value = target._value
        if output_gradients is None or output_gradients[i] is None:
            seed = jnp.ones_like(value)
        else:
            seed = jnp.broadcast_to(jnp.asarray(_plain(output_gradients[i]), dtype=value.dtype), value.shape)
        slots = grads.get(target._node) or grads.setdefault(target._node, _slots(target._node))
        _add(slots, target._index, seed)
    for node in reversed(nodes):
        slots = grads.get(node) if node in keep else grads.pop(node, None)
        if slots is None or node.pullback is None:
            continue
        if node.outputs is None:
            cotangent = slots[0]
        else:
            kind, specs = node.outputs
            cotangent = kind(jnp.zeros(s, d) if g is None else g for g, (s, d) in zip(slots, specs))
        parent_grads = _pull(node.pullback, cotangent) if node.compiled else node.pullback(cotangent)
        for parent, g in zip(node.parents, parent_grads):
            parent_slots = grads.get(parent._node)
            if parent_slots is None:
                parent_slots = grads[parent._node] = _slots(parent._node)
            _add(parent_slots, parent._index, g)
    return grads


def _plain(x):
    if type(x) is Tensor:
        return x._value
    if isinstance(x, Variable):
        return x._value.value
    if type(x) is Storage:
        return x.value
    return x


# -- recording pauses and tapes ------------------------------------------------------------------


@contextlib.contextmanager
def no_recording():
    """Ops inside record on no tape (the trainer's evaluation and optimizer steps)."""
    saved = list(_active)
    _active.clear()
    try:
        yield
    finally:
        _active[:] = saved


class Tape:
    """The JAX backend's side of ``plugnet.GradientTape``."""

    def __init__(self, persistent=False, watch_accessed_variables=True):
        self.persistent = persistent
        self.watch_accessed_variables = watch_accessed_variables
        self._nodes: list | None = []
        self._leaves = None
        self._watched: set[int] = set()

    def __enter__(self):
        global _leaves
        if not _active:
            _leaves = {}
        self._leaves = _leaves
        _active.append(self)
        return self

    def __exit__(self, *exc_info):
        _active.remove(self)
        return False

    def watch(self, x) -> None:
        if type(x) is Tensor:
            self._watched.add(id(x))
            return
        if isinstance(x, Variable):
            value = x._value.value
        elif isinstance(x, jax.Array):
            value = x
        else:
            raise TypeError(
                f"GradientTape.watch() on the 'jax' backend takes a tensor or Variable, got {type(x).__name__}. "
                f"Convert it once with plugnet.ops.convert_to_tensor and use that tensor: each op converts "
                f"host data anew, so gradients cannot be traced back to it."
            )
        if not _inexact(value):
            return  # integer tensors carry no gradient, as in TensorFlow
        if _active and self._leaves is not _leaves:
            raise RuntimeError("GradientTape.watch() must be called while the tape records.")
        _leaf(x, value)
        self._watched.add(id(x))

    def _source(self, source):
        if type(source) is Tensor:
            return source
        entry = (self._leaves or {}).get(id(source))
        if entry is None:
            return None
        if isinstance(source, Variable) and not self.watch_accessed_variables and id(source) not in self._watched:
            return None
        return entry[1]

    def gradient(self, targets, sources, output_gradients=None):
        if self._nodes is None:
            raise RuntimeError("This tape's recording has been released; use persistent=True to reuse it.")
        tensors = [self._source(source) for source in sources]
        keep = {t._node for t in tensors if t is not None}
        grads = backpropagate(self._nodes, targets, output_gradients, keep)
        result = []
        for source, tensor in zip(sources, tensors):
            slots = None if tensor is None else grads.get(tensor._node)
            g = None if slots is None else slots[tensor._index]
            if g is not None:
                want = _plain(source).dtype
                if g.dtype != want and jnp.issubdtype(want, jnp.inexact):
                    g = g.astype(want)
            result.append(g)
        if not self.persistent:
            self._release()
        return result

    def _release(self) -> None:
        """Free what only this tape kept alive: each node's pullback (its saved residuals) and links."""
        for node in self._nodes or ():
            node.holds -= 1
            if node.holds <= 0:
                node.pullback = None
                node.parents = ()
        self._nodes = None
        self._leaves = None

    def reset(self) -> None:
        self._release()
        self._nodes = []
        self._leaves = _leaves

    def stop_recording(self):
        return no_recording()

    def __del__(self):
        if self._nodes:
            self._release()
