"""Choosing the device: ``plugnet.device(...)`` for a block, ``plugnet.set_device(...)`` from now on.

    with plugnet.device("gpu:0"):      # also "gpu", "cuda", "cuda:1", "cpu"
        model = build_model()          # its variables live on the GPU
        model.fit(x, y)                # batches are moved there

Names are normalized to ``"cpu"`` or ``"gpu:N"`` and handed to the active
backend, which places new tensors and variables there; a backend without that
device (NumPy and any GPU) raises an error that lists ``plugnet.backend.devices()``.
"""

from __future__ import annotations

import contextlib
import re

from plugnet import backend as _backend

_DEVICE = re.compile(r"^(cpu|gpu|cuda)(?::(\d+))?$")
_default = None  # (name, the entered context) set by set_device


def normalize(name: str) -> str:
    """``"cpu"`` or ``"gpu:N"`` for a user's device name."""
    match = _DEVICE.match(str(name).strip().lower())
    if match is None:
        raise ValueError(f"Unknown device {name!r}: use 'cpu', 'gpu', 'gpu:N', 'cuda' or 'cuda:N'.")
    kind, index = match.groups()
    if kind == "cpu":
        return "cpu"
    return f"gpu:{index or 0}"


def _enter(name: str):
    """Enter the active backend's scope for device ``name``; return it, entered."""
    active = _backend.active()
    scope = active.device_scope(normalize(name))
    try:
        scope.__enter__()
    except ValueError as exc:
        raise ValueError(f"{exc} Devices of the {active.name!r} backend: {active.devices()}.") from None
    return scope


@contextlib.contextmanager
def device(name: str):
    """Run a block with new tensors and variables placed on device ``name``."""
    scope = _enter(name)
    with contextlib.ExitStack() as stack:
        stack.push(scope)
        yield normalize(name)


def set_device(name: str) -> None:
    """Place new tensors and variables on device ``name`` until the next call."""
    global _default
    previous, _default = _default, None
    if previous is not None:
        previous[1].__exit__(None, None, None)  # scopes nest: leave the old one before entering
    try:
        _default = (normalize(name), _enter(name))
    except ValueError:
        if previous is not None:
            _default = (previous[0], _enter(previous[0]))
        raise


def current_device() -> str:
    """The device set by :func:`set_device` (``"cpu"`` until then)."""
    return _default[0] if _default is not None else "cpu"
