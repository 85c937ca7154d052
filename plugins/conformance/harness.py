"""Checking one backend op against the NumPy reference and against finite differences.

A test case is a call: ``Case(sample(2, 3), sample(3), axis=0)``. Array
arguments are float64 NumPy arrays made by :func:`sample`; the harness feeds
float32 copies to the backend to check values (against the reference computed
in float64), and float64 copies to check gradients, so finite differences are
accurate. Backend-agnostic: everything goes through ``plugnet.ops`` and
``plugnet.GradientTape``.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

import numpy as np

from plugnet import GradientTape, ops


def sample(*shape, low=-1.0, high=1.0, dtype="float64", key: str = ""):
    """A deterministic array of ``shape`` (the same numbers every run).

    ``low``/``high`` bound the values (keep them away from kinks and poles for
    gradient checks); integer dtypes give integers in ``[low, high)``.
    """
    seed = zlib.crc32(repr((shape, low, high, dtype, key)).encode())
    rng = np.random.default_rng(seed)
    if np.issubdtype(np.dtype(dtype), np.integer):
        return rng.integers(int(low), int(high), size=shape).astype(dtype)
    if np.dtype(dtype) == np.bool_:
        return rng.random(shape) < 0.5
    return rng.uniform(low, high, size=shape).astype(dtype)


@dataclass
class Case:
    """One call of an op: positional ``args`` and keyword ``kwargs``.

    grad:  check gradients for this case (only for differentiable ops).
    wrt:   which positional args to differentiate; default: every float array
           (and every float array inside a list argument).
    rtol/atol: value tolerances (float32 backend result against float64 reference).
    """

    args: tuple
    kwargs: dict = field(default_factory=dict)
    grad: bool = True
    wrt: tuple | None = None
    rtol: float = 1e-5
    atol: float = 1e-5
    grad_rtol: float = 1e-4
    grad_atol: float = 1e-6

    def __init__(self, *args, grad=True, wrt=None, rtol=1e-5, atol=1e-5, grad_rtol=1e-4, grad_atol=1e-6, **kwargs):
        self.args, self.kwargs = args, kwargs
        self.grad, self.wrt = grad, wrt
        self.rtol, self.atol, self.grad_rtol, self.grad_atol = rtol, atol, grad_rtol, grad_atol

    def __repr__(self):
        def show(a):
            if isinstance(a, np.ndarray):
                return f"array{a.shape}:{a.dtype}"
            if isinstance(a, (list, tuple)) and a and isinstance(a[0], np.ndarray):
                return "[" + ", ".join(show(i) for i in a) + "]"
            return repr(a)

        parts = [show(a) for a in self.args] + [f"{k}={show(v)}" for k, v in self.kwargs.items()]
        return f"({', '.join(parts)})"


def _is_float_array(a) -> bool:
    return isinstance(a, np.ndarray) and np.issubdtype(a.dtype, np.floating)


def _map_arrays(args, fn):
    out = []
    for a in args:
        if isinstance(a, list):
            out.append([fn(i) if _is_float_array(i) else i for i in a])
        else:
            out.append(fn(a) if _is_float_array(a) else a)
    return out


def _as(dtype):
    return lambda a: a.astype(dtype)


def _to_numpy(result):
    if isinstance(result, str):
        return result
    if isinstance(result, (list, tuple)) and not all(isinstance(r, (int, np.integer)) for r in result):
        return [_to_numpy(r) for r in result]
    return np.asarray(ops.convert_to_numpy(result))


def check_values(name: str, case: Case, reference) -> None:
    """The backend's float32 result equals the float64 reference within tolerance."""
    args32 = _map_arrays(case.args, _as("float32"))
    got = _to_numpy(getattr(ops, name)(*[ops.convert_to_tensor(a) if isinstance(a, np.ndarray) else a for a in args32], **case.kwargs))
    want = reference(*case.args, **case.kwargs)
    _assert_close(name, case, got, want, case.rtol, case.atol, check_dtype=True)


def _assert_close(name, case, got, want, rtol, atol, check_dtype=False):
    if isinstance(want, str):
        assert got == want, f"{name}{case}: {got!r}, expected {want!r}"
        return
    if isinstance(want, (list, tuple)):
        assert isinstance(got, list) and len(got) == len(want), f"{name}{case}: {len(got)} outputs, expected {len(want)}"
        for g, w in zip(got, want):
            _assert_close(name, case, g, w, rtol, atol, check_dtype)
        return
    want = np.asarray(want)
    assert got.shape == want.shape, f"{name}{case}: shape {got.shape}, expected {want.shape}"
    if check_dtype and want.dtype.kind != got.dtype.kind and not (want.dtype.kind in "iu" and got.dtype.kind in "iu"):
        raise AssertionError(f"{name}{case}: dtype {got.dtype}, expected the kind of {want.dtype}")
    np.testing.assert_allclose(got.astype(np.float64), want.astype(np.float64), rtol=rtol, atol=atol,
                               err_msg=f"{name}{case}")


def _positions(case: Case):
    """(arg index, list index or None) of every input the gradient is checked for."""
    chosen = range(len(case.args)) if case.wrt is None else case.wrt
    found = []
    for i in chosen:
        a = case.args[i]
        if isinstance(a, list):
            found += [(i, j) for j, item in enumerate(a) if _is_float_array(item)]
        elif _is_float_array(a):
            found.append((i, None))
    return found


def _projected_loss(result, weights):
    outs = result if isinstance(result, (list, tuple)) else [result]
    total = 0.0
    for out, w in zip(outs, weights):
        total = total + ops.sum(ops.multiply(out, ops.convert_to_tensor(w)))
    return total


def check_gradient(name: str, case: Case, eps: float = 1e-6, directions: int | None = None) -> None:
    """Tape gradients of a random projection of the output match central differences (float64).

    By default every input element is perturbed in turn. With ``directions=k``
    (the conformance kit's fast mode) each input is first screened along ``k``
    random directions, two evaluations each instead of two per element; only
    an input that fails the screen is checked element by element. That check
    stays the judge, so the screen makes the check faster, never stricter, and
    a failure still names the elements that differ.
    """
    fn = getattr(ops, name)
    args = _map_arrays(case.args, lambda a: a.copy())
    positions = _positions(case)
    assert positions, f"{name}{case}: no float array to differentiate"

    def get(i, j):
        return args[i] if j is None else args[i][j]

    base = fn(*args, **case.kwargs)
    outs = _to_numpy(base)
    outs = outs if isinstance(outs, list) else [outs]
    rng = np.random.default_rng(0)
    weights = [rng.standard_normal(np.shape(o)) for o in outs]

    def loss_value():
        return float(np.asarray(ops.convert_to_numpy(_projected_loss(fn(*args, **case.kwargs), weights))))

    tensors = [ops.convert_to_tensor(get(i, j)) for i, j in positions]
    feed = [list(a) if isinstance(a, list) else a for a in args]
    for (i, j), t in zip(positions, tensors):
        if j is None:
            feed[i] = t
        else:
            feed[i][j] = t
    with GradientTape() as tape:
        tape.watch(tensors)
        loss = _projected_loss(fn(*feed, **case.kwargs), weights)
    analytic = tape.gradient(loss, tensors)

    for (i, j), got in zip(positions, analytic):
        x = get(i, j)
        got = np.zeros_like(x) if got is None else np.asarray(ops.convert_to_numpy(got))
        where = f"{name}{case}: d/d(arg {i}{'' if j is None else f'[{j}]'})"
        assert got.shape == x.shape, f"{where}: gradient shape {got.shape}, expected {x.shape}"
        if directions and x.size > directions and _passes_screen(x, got, loss_value, eps, directions, case):
            continue
        numeric = np.zeros_like(x)
        flat = x.reshape(-1)
        for k in range(flat.size):
            old = flat[k]
            flat[k] = old + eps
            up = loss_value()
            flat[k] = old - eps
            down = loss_value()
            flat[k] = old
            numeric.reshape(-1)[k] = (up - down) / (2 * eps)
        np.testing.assert_allclose(got, numeric, rtol=case.grad_rtol, atol=case.grad_atol, err_msg=where)


def _passes_screen(x, got, loss_value, eps, directions, case) -> bool:
    """Whether ``got`` matches central differences of the loss along random directions.

    The tolerance is the per-element one summed in quadrature (with a margin
    of 3), as the rounding errors of a correct gradient have random signs.
    """
    rng = np.random.default_rng(x.size)
    original = x.copy()
    try:
        for _ in range(directions):
            d = rng.standard_normal(x.shape)
            x[...] = original + eps * d
            up = loss_value()
            x[...] = original - eps * d
            down = loss_value()
            x[...] = original
            numeric = (up - down) / (2 * eps)
            slope = float(np.sum(got * d))
            tolerance = 3 * (case.grad_atol * np.linalg.norm(d) + case.grad_rtol * np.linalg.norm(got * d))
            if not abs(slope - numeric) <= tolerance:
                return False
    finally:
        x[...] = original
    return True
