"""Safe mode: whether deserializing may turn stored Python bytecode back into code.

``load_model(..., safe_mode=True)`` (the default) runs the whole load in a
safe-mode scope; a :class:`plugnet.layers.Lambda` config holding bytecode then
refuses to load. Outside any scope, safe mode is on too: turning bytes into
code always takes an explicit ``safe_mode=False``.
"""

from __future__ import annotations

import contextlib
import threading

_state = threading.local()


@contextlib.contextmanager
def safe_mode_scope(safe_mode: bool = True):
    """Within the block, :func:`in_safe_mode` returns ``safe_mode``."""
    stack = _stack()
    stack.append(bool(safe_mode))
    try:
        yield
    finally:
        stack.pop()


def in_safe_mode() -> bool:
    """True unless the innermost :func:`safe_mode_scope` turned safe mode off."""
    stack = _stack()
    return stack[-1] if stack else True


def _stack() -> list:
    stack = getattr(_state, "stack", None)
    if stack is None:
        stack = _state.stack = []
    return stack
