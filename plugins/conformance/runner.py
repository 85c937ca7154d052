"""Running the conformance kit against one installed backend.

    from plugnet.plugins.conformance import run

    report = run("yours")                 # prints the coverage table
    report = run("yours", ops="add,nn")   # some ops (names or categories) only
    assert report.passed

:func:`plan` lists the checks (one per op of the contract, then the
Variable, GradientTape and optimizer semantics, then the training smoke test);
:func:`run` carries them out with the backend active
(``plugnet.backend.use(name)``), each isolated: whatever one raises is that
check's failure. The pytest plugin runs the same checks, one test item each.
"""

from __future__ import annotations

import datetime
import json
import sys
import time
import warnings
from dataclasses import dataclass
from difflib import get_close_matches

import numpy as np

import plugnet
from plugnet.plugins.contract import OPS
from plugnet.plugins.distributions import backend_distribution

from . import semantics, training
from .expect import describe
from .op_checks import check_op
from .report import FAILED, PARTS, PASSED, CheckResult, Report, title_of

SEED = 1337  # every check starts from this random state, so a run repeats exactly

# (part, group, check functions) after the op checks.
_FUNCTION_CHECKS = (
    ("semantics", "variable", semantics.VARIABLE_CHECKS),
    ("semantics", "tape", semantics.TAPE_CHECKS),
    ("semantics", "optimizer", semantics.OPTIMIZER_CHECKS),
    ("training", "training", training.CHECKS),
)


@dataclass(frozen=True)
class Check:
    """One check of a run: an op of the contract, or a semantics or training check function."""

    part: str
    name: str
    group: str
    title: str
    target: object  # the contract Op, or the check function

    @property
    def id(self) -> str:
        """A stable identifier, e.g. ``ops/elementwise/add`` or ``semantics/tape_nested``."""
        return f"{self.part}/{self.group}/{self.name}" if self.part == "ops" else f"{self.part}/{self.name}"

    def run(self, backend) -> CheckResult:
        """Carry out the check on ``backend``, which must be the active backend. Never raises."""
        result = CheckResult(self.part, self.name, self.group, title=self.title)
        start = time.perf_counter()
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                # The cases probe overflow, nan and inf on purpose; their warnings are noise.
                warnings.simplefilter("ignore", RuntimeWarning)
                plugnet.utils.set_random_seed(SEED)
                if self.part == "ops":
                    return check_op(self.target, backend)
                result.detail = self.target() or ""
        except Exception as exc:  # noqa: BLE001 -- a backend's error is this check's failure, never the run's
            result.status = FAILED
            result.failures.append(describe(exc))
        else:
            result.status = PASSED
        result.seconds = time.perf_counter() - start
        return result


def select_ops(selection=None) -> list:
    """The contract ops named by ``selection``: None for all, else op or category names
    (a comma-separated string or an iterable), in contract order.

    Raises ValueError naming any unknown name and the closest known ones.
    """
    if selection is None:
        return list(OPS)
    names = [n.strip() for n in (selection.split(",") if isinstance(selection, str) else selection) if n.strip()]
    categories = {op.category for op in OPS}
    known = {op.name for op in OPS} | categories
    unknown = [n for n in names if n not in known]
    if unknown:
        hints = []
        for n in unknown:
            close = get_close_matches(n, sorted(known), n=3)
            hints.append(f"{n!r}" + (f" (did you mean {', '.join(close)}?)" if close else ""))
        raise ValueError(
            f"unknown op or category {', '.join(hints)}; categories are {', '.join(sorted(categories))} "
            f"(docs/ops.md lists the ops)"
        )
    wanted = set(names)
    return [op for op in OPS if op.name in wanted or op.category in wanted]


def plan(ops=None, skip=()) -> list[Check]:
    """The checks of a run, in order: ops (``ops`` as for :func:`select_ops`), semantics, training.

    ``skip`` names parts to leave out: any of ``"ops"``, ``"semantics"``, ``"training"``.
    """
    skip = _parts(skip)
    checks = []
    if "ops" not in skip:
        checks += [Check("ops", op.name, op.category, f"{op.name}{op.signature}", op) for op in select_ops(ops)]
    for part, group, functions in _FUNCTION_CHECKS:
        if part not in skip:
            checks += [Check(part, fn.__name__, group, title_of(fn), fn) for fn in functions]
    return checks


def _parts(skip) -> set:
    parts = {p.strip() for p in (skip.split(",") if isinstance(skip, str) else skip) if p.strip()}
    unknown = parts - set(PARTS)
    if unknown:
        raise ValueError(f"cannot skip {', '.join(sorted(unknown))}; the parts are {', '.join(PARTS)}")
    return parts


def run(backend_name: str, ops=None, *, skip=(), quiet: bool = False, stream=None, json_path=None) -> Report:
    """Check the backend ``backend_name`` and print the report; returns the :class:`Report`.

    Args:
        backend_name: an installed backend (see ``python -m plugnet backends``).
        ops: op and category names to check (comma-separated or a list); all by default.
        skip: parts to leave out (``"semantics"``, ``"training"``, ``"ops"``).
        quiet: print only the failures and the summary line.
        stream: where to print (``sys.stdout`` by default; ``False`` prints nothing).
        json_path: also write the report as JSON to this file.

    Raises ``plugnet.backend.BackendNotFoundError``/``BackendUnavailableError``
    if the backend cannot be loaded, and ValueError for unknown ``ops``/``skip``
    names; a failing op or check never raises.
    """
    checks = plan(ops, skip)
    distribution, version = backend_distribution(backend_name)
    start = time.perf_counter()
    with plugnet.backend.use(backend_name) as backend:
        results = [check.run(backend) for check in checks]
    report = Report(
        backend=backend_name,
        distribution=distribution,
        distribution_version=version,
        plugnet_version=plugnet.__version__,
        date=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        complete=ops is None and not _parts(skip),
        results=results,
        seconds=time.perf_counter() - start,
    )
    if json_path is not None:
        with open(json_path, "w", encoding="utf-8") as f:
            json.dump(report.to_dict(), f, indent=2)
            f.write("\n")
    if stream is not False:
        (stream or sys.stdout).write(report.format(quiet=quiet))
    return report
