"""``plugnet.GradientTape`` on torch autograd.

torch records every op on a tensor that requires grad, so the tape has little
to record itself: it turns grad mode on inside its block (a tape may run inside
``no_recording``), remembers what :meth:`Tape.watch` named, and asks
``torch.autograd.grad`` for the gradients. The graph is retained
(``retain_graph=True``): two tapes may share one forward pass, as a GAN's do,
and torch frees the graph with the tensors that hold it.

Variables are leaf tensors with ``requires_grad=trainable``. Watching a
constant tensor sets ``requires_grad`` on it for as long as some tape that
watched it may still need it; then it is a constant again (so it can be
handed to NumPy, and later ops on it build no graph).
"""

from __future__ import annotations

import weakref

import torch

from plugnet.variables import Variable

from .core import Tensor, tensor

# id(tensor) -> [tensor, number of live tapes watching it] for tensors a tape made require grad.
_lent: dict[int, list] = {}


def _lend(t: Tensor) -> None:
    entry = _lent.get(id(t))
    if entry is None:
        t.requires_grad_(True)
        _lent[id(t)] = [t, 1]
    else:
        entry[1] += 1


def _give_back(tensors: list) -> None:
    """End one tape's loan of each of ``tensors`` (emptying the list)."""
    for t in tensors:
        entry = _lent.get(id(t))
        if entry is not None:
            entry[1] -= 1
            if entry[1] == 0:
                del _lent[id(t)]
                t.requires_grad_(False)
    tensors.clear()


def no_recording():
    """Ops inside build no autograd graph (the trainer's evaluation and optimizer steps)."""
    return torch.no_grad()


class Tape:
    """The torch backend's side of ``plugnet.GradientTape``."""

    def __init__(self, persistent=False, watch_accessed_variables=True):
        self.persistent = persistent
        self.watch_accessed_variables = watch_accessed_variables
        self._watched: dict[int, object] = {}  # id -> the watched object (kept, so ids are not reused)
        self._lent: list[Tensor] = []
        self._grad_modes: list[bool] = []

    def __enter__(self):
        self._grad_modes.append(torch.is_grad_enabled())
        torch.set_grad_enabled(True)
        return self

    def __exit__(self, *exc_info):
        torch.set_grad_enabled(self._grad_modes.pop())
        return False

    def watch(self, x) -> None:
        if isinstance(x, Variable):
            storage = x.value
        elif isinstance(x, Tensor):
            storage = x
        else:
            raise TypeError(
                f"GradientTape.watch() takes a tensor or Variable, got {type(x).__name__}; "
                f"convert it first with plugnet.ops.convert_to_tensor."
            )
        if id(storage) in self._watched:
            self._watched[id(x)] = x
            return
        self._watched[id(x)] = x
        self._watched[id(storage)] = storage
        # Integer tensors carry no gradient, as in TensorFlow; trainable storage needs no loan.
        if (storage.is_floating_point() or storage.is_complex()) and (
                not storage.requires_grad or id(storage) in _lent):
            _lend(storage)
            if not self._lent:  # a tape dropped unasked (or persistent) returns its loans then
                weakref.finalize(self, _give_back, self._lent)
            self._lent.append(storage)

    def _source(self, source):
        """The tensor whose gradient answers for ``source``, or None if it gets none."""
        if isinstance(source, Variable):
            watched = id(source) in self._watched
            if not watched and not (self.watch_accessed_variables and source.trainable):
                return None
            t = source.value
        elif isinstance(source, Tensor):
            t = source
        else:
            return None
        return t if t.requires_grad else None

    def gradient(self, targets, sources, output_gradients=None):
        inputs = [self._source(s) for s in sources]
        wanted = [t for t in inputs if t is not None]
        outputs, seeds = [], []
        for i, target in enumerate(targets):
            if not isinstance(target, Tensor) or not target.requires_grad:
                continue
            seed = None if output_gradients is None else output_gradients[i]
            if seed is not None:
                seed = tensor(seed).to(target.dtype)
            elif target.dim():
                seed = torch.ones_like(target)  # a non-scalar target is summed, as TensorFlow does
            outputs.append(target)
            seeds.append(seed)
        if outputs and wanted:
            grads = iter(torch.autograd.grad(outputs, wanted, seeds, retain_graph=True, allow_unused=True))
            result = [None if t is None else next(grads) for t in inputs]
        else:  # nothing recorded connects the targets to a source
            result = [None] * len(inputs)
        if not self.persistent:
            self._release()
        return result

    def _release(self) -> None:
        _give_back(self._lent)

    def reset(self) -> None:
        """Forget what was watched. (torch's graph itself cannot be cut: gradients still
        flow through ops recorded before the reset.)"""
        self._release()
        self._watched = {}

    def stop_recording(self):
        return torch.no_grad()
