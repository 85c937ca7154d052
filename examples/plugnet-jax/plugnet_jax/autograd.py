"""``plugnet.GradientTape`` on JAX: an imperative tape over ``jax.vjp``.

plugnet's tape is imperative (ops run one by one, gradients are asked for
afterwards); JAX differentiates functions. The bridge: while a tape records,
the backend's op table is swapped for *recording* ops (:func:`recorded`).
Each runs its op through ``jax.vjp``, which returns the result together with
the op's pullback, and keeps both in a :class:`Node`; the result is a
:class:`Tensor`, a thin wrapper of the JAX array that remembers its node, so
Python operators and indexing on it (through plugnet's ``TensorOperators``)
are recorded too. ``gradient()`` walks the tape's nodes in reverse, feeding
each pullback the sum of its outputs' gradients. The tapes themselves
(watching, nested and persistent tapes, that walk) are plugnet's engine for
backends without an imperative autograd, :mod:`plugnet.plugins.tape`.

Each op's vjp runs compiled, once per template of its arguments
(:mod:`plugnet_jax.templates`): ``jax.vjp`` run eagerly would trace the op
anew on every call.

Outside a tape nothing is recorded and ops return bare JAX arrays. Tapes
that record at the same time share nodes (a GAN's two tapes see one forward
pass); each differentiates only the ops it recorded itself. Gradients are
first-order: pullbacks run on bare arrays, unrecorded.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp

from plugnet.plugins.tape import RecordedTensor, Recorder
from plugnet.variables import Variable

from . import templates
from .storage import Storage


class Tensor(RecordedTensor):
    """A JAX array recorded on a tape. ``np.asarray(t)`` gives its values."""

    __slots__ = ()
    label = "jax"

    @property
    def value(self):
        """The JAX array."""
        return self._value


templates.RECORDED = Tensor


def _inexact(value) -> bool:
    return jnp.issubdtype(value.dtype, jnp.inexact)


def _plain(x):
    if type(x) is Tensor:
        return x._value
    if isinstance(x, Variable):
        return x._value.value
    if type(x) is Storage:
        return x.value
    return x


def _seed(value, given):
    if given is None:
        return jnp.ones_like(value)
    return jnp.broadcast_to(jnp.asarray(_plain(given), dtype=value.dtype), value.shape)


def _watch_value(x):
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
    return value if _inexact(value) else None  # integer tensors carry no gradient, as in TensorFlow


def _in_dtype(g, source, earlier):
    """A gradient in its source's floating dtype (JAX arrays are immutable: sharing is safe)."""
    want = _plain(source).dtype
    return g.astype(want) if g.dtype != want and jnp.issubdtype(want, jnp.inexact) else g


recorder = Recorder(Tensor, seed=_seed, zeros=jnp.zeros, watch_value=_watch_value, finish=_in_dtype)
"""The JAX backend's tapes (plugnet.plugins.tape): ``recorder.active`` are recording now."""
Tape = recorder.Tape
no_recording = recorder.no_recording
_leaf = recorder.leaf


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
        leaves = recorder.leaves
        entry = leaves.get(id(x)) if leaves else None
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
        if not recorder.active:
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
        # The pullback's gradients come in the order of the tracked arguments.
        parents = tuple(enumerate(t for _, t in tracked))
        pull = functools.partial(_pull, pullback) if compiled else pullback
        if not all(_inexact(o) for o in (out if type(out) in (list, tuple) else (out,))):
            return out  # integer results carry no gradient
        return recorder.result(out, parents, pull)

    op.__name__ = name
    op.__doc__ = forward.__doc__
    op.__wrapped__ = forward
    return op


# -- backpropagation ------------------------------------------------------------------------


@jax.jit
def _pull(pullback, cotangent):
    """A pullback from a jitted ``jax.vjp``, applied jitted too."""
    return pullback(cotangent)
