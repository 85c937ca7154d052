"""The state shared by nested layer calls (one per thread).

When a model is called with ``training=True``, every layer called inside it
sees ``training=True`` unless its own call says otherwise, so a subclassed
model's ``self.dropout(x)`` behaves as Keras's does. The context also knows
whether a call is the outermost one (which clears the losses of the previous
call) and whether layers are being run on placeholder data to infer shapes
(then ``add_loss`` records nothing).
"""

from __future__ import annotations

import contextlib
import threading


class CallContext(threading.local):
    """``training``: the flag inherited by nested calls (None: each layer's default).
    ``depth``: how many layer calls are running. ``probing``: running on placeholder data."""

    def __init__(self):
        self.training = None
        self.depth = 0
        self.probing = False


context = CallContext()


@contextlib.contextmanager
def probing():
    """Run layers on placeholder data: inference mode, and ``add_loss`` is ignored."""
    saved = context.training, context.probing
    context.training, context.probing = False, True
    try:
        yield
    finally:
        context.training, context.probing = saved
