"""Small assertions for the kit's property and semantics checks.

Each raises :class:`AssertionError` with a message that says what was checked,
what came and what was expected, so a failure reads well in the coverage
table without a traceback.
"""

from __future__ import annotations

import numpy as np

from plugnet import ops


def host(x) -> np.ndarray:
    """A backend tensor (or Variable, or array-like) as a NumPy array."""
    return np.asarray(ops.convert_to_numpy(x))


def expect(condition, message: str) -> None:
    if not condition:
        raise AssertionError(message)


def expect_equal(what: str, got, want) -> None:
    if got != want:
        raise AssertionError(f"{what}: got {got!r}, expected {want!r}")


def expect_close(what: str, got, want, rtol: float = 1e-5, atol: float = 1e-6) -> None:
    """``got`` (any tensor) equals ``want`` in shape and, within tolerance, in value."""
    if got is None:
        raise AssertionError(f"{what}: got None, expected {np.asarray(want).tolist()!r}")
    got, want = host(got), np.asarray(want)
    if got.shape != want.shape:
        raise AssertionError(f"{what}: shape {got.shape}, expected {want.shape}")
    if not np.allclose(got.astype(np.float64), want.astype(np.float64), rtol=rtol, atol=atol):
        raise AssertionError(f"{what}: got {got.tolist()!r}, expected {want.tolist()!r}")


def expect_raises(what: str, error: type, fn, *args, **kwargs) -> BaseException:
    """``fn(*args, **kwargs)`` raises ``error``; returns the exception."""
    try:
        fn(*args, **kwargs)
    except error as exc:
        return exc
    except Exception as exc:
        raise AssertionError(f"{what}: raised {type(exc).__name__}: {exc}, expected {error.__name__}") from exc
    raise AssertionError(f"{what}: raised nothing, expected {error.__name__}")


def describe(exc: BaseException) -> str:
    """An exception as one readable message: assertion text as is, anything else with its type."""
    if isinstance(exc, AssertionError):
        return str(exc).strip() or "assertion failed"
    return f"raised {type(exc).__name__}: {exc}"
