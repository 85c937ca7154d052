"""The state shared by nested layer calls (one per thread).

When a model is called with ``training=True``, every layer called inside it
sees ``training=True`` unless its own call says otherwise, so a subclassed
model's ``self.dropout(x)`` behaves as Keras's does. The state also says how
deep the current call is (the outermost call clears the losses of the previous
one) and whether layers are being run on placeholder data to infer shapes
(then ``add_loss`` records nothing).
"""

from __future__ import annotations

import contextlib
import threading


class CallState:
    """``training``: the flag nested calls inherit (None: each layer's default).
    ``depth``: how many layer calls are running. ``probing``: running on placeholder data."""

    __slots__ = ("training", "depth", "probing")

    def __init__(self):
        self.training = None
        self.depth = 0
        self.probing = False


class _PerThread(threading.local):
    # One thread-local lookup per layer call; the fields live on a plain object
    # because thread-local attribute access costs several times more.
    def __init__(self):
        self.state = CallState()


_local = _PerThread()


def current() -> CallState:
    """This thread's call state."""
    return _local.state


@contextlib.contextmanager
def probing():
    """Run layers on placeholder data: inference mode, and ``add_loss`` is ignored."""
    state = _local.state
    saved = state.training, state.probing
    state.training, state.probing = False, True
    try:
        yield
    finally:
        state.training, state.probing = saved
