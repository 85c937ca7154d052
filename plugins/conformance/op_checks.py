"""Checking one op of the contract on the active backend, isolated from every other op.

An op passes when every case's values match the NumPy reference, every
gradient case matches finite differences and every property check holds.
Whatever the backend raises is a failure of that case, recorded with its
message; the run goes on.
"""

from __future__ import annotations

import time

from plugnet.plugins.contract import Op

from . import CASES, reference
from .expect import describe
from .harness import check_gradient, check_values
from .properties import PROPERTIES
from .report import FAILED, MISSING, PASSED, CheckResult, title_of

# Random directions per input in the kit's gradient screen (see harness.check_gradient).
GRADIENT_DIRECTIONS = 2


def is_missing(backend, name: str) -> bool:
    """Whether ``backend`` lacks the op: ``assemble`` listed it, or the op table has no entry at all."""
    return name in getattr(backend, "missing", ()) or not callable(getattr(backend.ops, name, None))


def check_op(op: Op, backend) -> CheckResult:
    """Run every case and property of ``op`` on ``backend`` (which must be active)."""
    result = CheckResult("ops", op.name, op.category, title=f"{op.name}{op.signature}")
    start = time.perf_counter()
    if is_missing(backend, op.name):
        result.status = MISSING
        result.failures.append(f"the {backend.name!r} backend does not provide {op.name}{op.signature}")
        return result
    checks = 0
    for case in CASES.get(op.name, ()):
        call = f"{op.name}{case!r}"
        checks += _attempt(result, "values", call, check_values, op.name, case, reference(op.name))
        if op.differentiable and case.grad:
            checks += _attempt(result, "gradient", call, check_gradient, op.name, case,
                               directions=GRADIENT_DIRECTIONS)
    for prop in PROPERTIES.get(op.name, ()):
        checks += _attempt(result, title_of(prop), None, prop)
    if not checks:
        result.failures.append(f"the conformance kit has no case for {op.name!r} (a bug of the kit)")
    result.status = FAILED if result.failures else PASSED
    result.detail = f"{checks} checks" + (f", {len(result.failures)} failing" if result.failures else "")
    result.seconds = time.perf_counter() - start
    return result


def _attempt(result: CheckResult, kind: str, call: str | None, fn, *args, **kwargs) -> int:
    """Run one check; a failure is recorded as ``"<kind> <call>: <message>"``."""
    try:
        fn(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 -- a backend's error is this case's failure, never the run's
        message = describe(exc)
        if call is None:
            result.failures.append(f"{kind}: {message}")
        else:
            # The harness's messages name the call too: once, in front, is enough.
            message = message.replace(f"{call}: ", "").replace(call, "").strip()
            result.failures.append(f"{kind} {call}: {message}")
    return 1
