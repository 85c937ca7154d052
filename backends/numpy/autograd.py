"""Reverse-mode automatic differentiation for the NumPy backend.

Outside a tape, ops take and return plain ndarrays and record nothing. While a
:class:`Tape` records, the backend's op table is swapped for *recording* ops
(built by :func:`recorded`): each returns a :class:`Tensor`, a thin wrapper of
an ndarray that remembers the op that made it, so Python operators and
indexing on it are recorded too. The tapes themselves (watching, nested and
persistent tapes, the walk back over the record) are plugnet's shared engine,
:mod:`plugnet.plugins.tape`; this module gives it the ops' backward rules.

A differentiable op carries its backward rule as an attribute, next to its
forward definition::

    def multiply(x1, x2):
        return np.multiply(x1, x2)

    @vjp(multiply)
    def _(g, out, x1, x2):
        return unbroadcast(g * x2, x1), unbroadcast(g * x1, x2)

The rule gets the output's gradient ``g``, the output ``out`` and the op's
arguments as plain arrays, and returns one gradient per positional argument
(``None`` where none flows; a list for an argument that is a list of tensors).

Why a wrapper and not an ndarray subclass: a subclass pays ``__array_finalize__``
and ``__array_ufunc__`` dispatch on every NumPy call, taped or not, and every
op's result would need rewrapping; the wrapper exists only inside tapes, so
code outside a tape runs on bare ndarrays at NumPy's own speed, and
``np.asarray(tensor)`` returns the wrapped array itself, without a copy.
"""

from __future__ import annotations

import weakref

import numpy as np

from plugnet.plugins.tape import RecordedTensor, Recorder
from plugnet.variables import Variable


class Tensor(RecordedTensor):
    """An ndarray recorded on a tape. ``np.asarray(t)`` returns the array itself."""

    __slots__ = ()
    label = "numpy"


def plain(x):
    """The bare array (or Python value) behind a Tensor or Variable."""
    t = type(x)
    if t is Tensor:
        return x._value
    if t is Variable or isinstance(x, Variable):
        return x._value
    return x


def _seed(value, given):
    value = np.asarray(value)
    if given is not None:
        return np.asarray(plain(given), value.dtype)
    # A scalar loss is the usual target: np.array skips np.ones_like's Python layers.
    return np.array(1, value.dtype) if value.ndim == 0 else np.ones_like(value)


def _watch_value(x):
    if not isinstance(x, (Variable, np.ndarray)):
        raise TypeError(f"GradientTape.watch() takes a tensor or Variable, got {type(x).__name__}.")
    if type(x) is np.ndarray and x.dtype.kind not in "fc":
        return None  # integer tensors carry no gradient, as in TensorFlow
    return plain(x)


def _own_gradient(g, source, earlier):
    """A gradient in its source's floating dtype, as an array the user owns."""
    value = plain(source)
    want = value.dtype if type(value) is np.ndarray else np.asarray(value).dtype
    if type(g) is not np.ndarray or g.dtype != want:
        g = np.asarray(g, dtype=want if want.kind in "fc" else None)
    # Rules may hand one array to several inputs, or a read-only view:
    # the user gets arrays of their own, safe to modify in place.
    if not g.flags.writeable:
        return g.copy()
    for r in earlier:
        if g is r:
            return g.copy()
    return g


recorder = Recorder(Tensor, seed=_seed, zeros=np.zeros, watch_value=_watch_value, finish=_own_gradient)
"""The NumPy backend's tapes (plugnet.plugins.tape): ``recorder.active`` are recording now."""
Tape = recorder.Tape
no_recording = recorder.no_recording
# The tapes recording now, innermost last: recording ops do nothing extra when it is empty.
_active = recorder.active


RULES: dict[str, object] = {}
"""Backward rules by op name, filled by :func:`vjp`."""

# While a backward rule runs: the values of its op's inputs that need their gradients.
_wanted: list | tuple = ()


def wants(x) -> bool:
    """Inside a backward rule: whether input ``x`` needs its gradient.

    A rule may skip the others (the gradient of a layer's input batch, of a
    constant): the tape discards them anyway, and for matmul or conv they cost
    as much as the forward pass.
    """
    for value in _wanted:
        if value is x:
            return True
    return False


def vjp(forward):
    """Decorator: register the backward rule of the op ``forward`` (a function or a NumPy ufunc)."""

    def attach(rule):
        RULES[forward.__name__] = rule
        return rule

    return attach


class _Saved:
    """Arrays a forward pass computed that its backward rule reuses, keyed by the id
    of the forward's output: kept only while a tape records, dropped with that output.

    conv keeps its im2col matrix (the kernel gradient needs it again) and dropout
    its mask, the same bargain a hand-written layer makes by caching them.
    """

    def __init__(self):
        self._store: dict[int, np.ndarray] = {}

    def save(self, out, value):
        if value is not None and _active:
            key = id(out)
            self._store[key] = value
            weakref.finalize(out, self._store.pop, key, None)
        return out

    def saved(self, out):
        return self._store.get(id(out))

    def __len__(self):
        return len(self._store)


def recording() -> bool:
    """Whether a tape records now (a forward pass may then keep what its backward rule reuses)."""
    return bool(_active)


_saved = _Saved()
save = _saved.save
"""``save(out, value) -> out``: keep ``value`` for the backward rule of the op that returns ``out``."""
saved = _saved.saved
"""``saved(out)``: what the forward pass saved for ``out``, or None."""


_leaf = recorder.leaf


def _tracked(x):
    """The Tensor that carries gradients for ``x``, or None for a constant."""
    t = type(x)
    if t is Tensor:
        return x
    if t is Variable or isinstance(x, Variable):
        entry = recorder.leaves.get(id(x))
        if entry is not None:
            return entry[1]
        if x._trainable:
            return _leaf(x, x._value)
        return None
    if t is np.ndarray and recorder.leaves:
        entry = recorder.leaves.get(id(x))
        return entry[1] if entry is not None else None
    return None


def _trackable(x) -> bool:
    return type(x) is Tensor or isinstance(x, Variable) or (type(x) is np.ndarray and id(x) in recorder.leaves)


def recorded(forward, rule):
    """The recording form of a differentiable op ``forward`` with backward ``rule``.

    This runs for every op inside a tape, so the argument scan is written out
    for the common cases (arrays, taped tensors, Variables) before the rare
    ones (lists of tensors, Variable subclasses).
    """
    name = forward.__name__

    def op(*args):
        if not _active:
            return forward(*[plain(a) for a in args])
        raw = list(args)
        parents = []
        lists = None
        flat = 0
        leaves = recorder.leaves
        for i, a in enumerate(args):
            kind = type(a)
            if kind is Tensor:
                parents.append((flat, a))
                raw[i] = a._value
            elif kind is np.ndarray:
                if leaves:
                    entry = leaves.get(id(a))
                    if entry is not None:
                        parents.append((flat, entry[1]))
            elif kind is float or kind is int:
                pass
            elif kind is Variable or isinstance(a, Variable):
                raw[i] = a._value
                tracked = _tracked(a)
                if tracked is not None:
                    parents.append((flat, tracked))
            elif (kind is list or kind is tuple) and any(_trackable(e) for e in a):
                items = []
                for j, item in enumerate(a):
                    tracked = _tracked(item)
                    if tracked is not None:
                        parents.append((flat + j, tracked))
                    items.append(plain(item) if tracked is None else tracked._value)
                raw[i] = kind(items)
                lists = (lists or ()) + (i,)
                flat += len(a)
                continue
            flat += 1
        out = forward(*raw)
        if not parents:
            return out
        if out is raw[0] and parents[0][0] == 0:
            return parents[0][1]  # an identity here (cast to its own dtype): nothing to record

        def backward(g):
            grads = pullback([t._value for _, t in parents], g, out, *raw)
            if lists is None:
                return grads
            flat_grads = []
            for i, gi in enumerate(grads):
                if i in lists:
                    flat_grads.extend([None] * len(raw[i]) if gi is None else gi)
                else:
                    flat_grads.append(gi)
            return flat_grads

        return recorder.result(out, parents, backward, kind=list)

    def pullback(wanted, g, out, *raw):
        """The rule's gradient for each positional argument of ``forward(*raw)`` (which gave ``out``),
        computing those of the values in ``wanted``. Replayed steps call it directly."""
        global _wanted
        _wanted = wanted
        try:
            grads = rule(g, out, *raw)
        finally:
            _wanted = ()
        if type(grads) is not tuple:
            if len(raw) != 1:
                raise TypeError(f"backward rule of {name!r} must return a tuple of "
                                f"{len(raw)} gradients (one per positional argument)")
            grads = (grads,)
        return grads

    op.__name__ = name
    op.__doc__ = forward.__doc__
    op.__wrapped__ = forward
    op.pullback = pullback
    return op


def unwrapping(forward):
    """The recording-table form of a non-differentiable op: bare arrays in, result out."""

    def op(*args):
        return forward(*[type(a)(plain(i) for i in a) if type(a) in (list, tuple) else plain(a) for a in args])

    op.__name__ = forward.__name__
    op.__wrapped__ = forward
    return op
