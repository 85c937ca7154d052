"""What a conformance run found: one :class:`CheckResult` per check, gathered in a :class:`Report`.

A report prints as a coverage table (per op category and in total: ops
implemented, passing, failing, missing), then the semantics and training
rows, then every failure with its message; it also converts to JSON-ready
data (:meth:`Report.to_dict`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

PASSED, FAILED, MISSING = "passed", "failed", "missing"

# The parts of a run, in the order they run and print.
PARTS = ("ops", "semantics", "training")

# The printed report shows this many failures per check, this many lines each (JSON keeps everything).
_SHOWN_FAILURES = 3
_SHOWN_LINES = 4


@dataclass
class CheckResult:
    """The outcome of one check.

    part:     ``"ops"``, ``"semantics"`` or ``"training"``.
    name:     the op name, or the semantics/training check's name.
    group:    the op's category (``"elementwise"``...), else ``"variable"``, ``"tape"`` or ``"training"``.
    title:    a one-line description (ops: their contract signature).
    status:   ``"passed"``, ``"failed"`` or ``"missing"`` (an op the backend does not provide).
    failures: one message per failing case or property.
    detail:   a short note on what ran (``"12 cases"``, ``"loss 0.61 -> 0.01"``).
    seconds:  how long the check took.
    """

    part: str
    name: str
    group: str
    title: str = ""
    status: str = PASSED
    failures: list[str] = field(default_factory=list)
    detail: str = ""
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return self.status == PASSED

    @property
    def message(self) -> str:
        """Every failure, one paragraph each ("" when the check passed)."""
        return "\n".join(self.failures)

    def to_dict(self) -> dict:
        return {
            "part": self.part,
            "name": self.name,
            "group": self.group,
            "status": self.status,
            "detail": self.detail,
            "failures": list(self.failures),
            "seconds": round(self.seconds, 4),
        }


def title_of(check) -> str:
    """A check function's title: the first line of its docstring (else its name)."""
    return (check.__doc__ or check.__name__).strip().splitlines()[0]


def _counts(results) -> dict:
    ops = list(results)
    return {
        "ops": len(ops),
        "implemented": sum(r.status != MISSING for r in ops),
        "passing": sum(r.status == PASSED for r in ops),
        "failing": sum(r.status == FAILED for r in ops),
        "missing": sum(r.status == MISSING for r in ops),
    }


@dataclass
class Report:
    """A whole run against one backend.

    ``complete`` is True when every op of the contract and every part ran
    (no ``ops`` filter, nothing skipped): only then does ``passed`` mean the
    backend conforms.
    """

    backend: str
    distribution: str | None
    distribution_version: str | None
    plugnet_version: str
    date: str
    complete: bool
    results: list[CheckResult] = field(default_factory=list)
    seconds: float = 0.0

    def part(self, name: str) -> list[CheckResult]:
        return [r for r in self.results if r.part == name]

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.results)

    @property
    def exit_status(self) -> int:
        """0 when every check passed, else 1."""
        return 0 if self.passed else 1

    def categories(self) -> dict[str, dict]:
        """Per op category (contract order), the op counts."""
        groups: dict[str, list] = {}
        for r in self.part("ops"):
            groups.setdefault(r.group, []).append(r)
        return {group: _counts(rows) for group, rows in groups.items()}

    def totals(self) -> dict:
        """Op counts over every op checked, plus the semantics and training checks."""
        totals = _counts(self.part("ops"))
        for part in PARTS[1:]:
            rows = self.part(part)
            totals[part] = {"checks": len(rows), "passing": sum(r.passed for r in rows)}
        return totals

    def failures(self) -> list[CheckResult]:
        return [r for r in self.results if not r.passed]

    def to_dict(self) -> dict:
        return {
            "backend": self.backend,
            "distribution": self.distribution,
            "distribution_version": self.distribution_version,
            "plugnet_version": self.plugnet_version,
            "date": self.date,
            "complete": self.complete,
            "passed": self.passed,
            "seconds": round(self.seconds, 3),
            "totals": self.totals(),
            "categories": self.categories(),
            "checks": [r.to_dict() for r in self.results],
        }

    # -- text -----------------------------------------------------------------

    def header(self) -> str:
        source = f"package {self.distribution} {self.distribution_version}" if self.distribution else "no package"
        scope = "" if self.complete else ", partial run"
        return f"plugnet {self.plugnet_version} conformance kit: backend {self.backend!r} ({source}{scope})"

    def summary(self) -> str:
        """One line: the verdict and the totals."""
        t = self.totals()
        parts = [f"{t['passing']}/{t['ops']} ops passing", f"{t['failing']} failing", f"{t['missing']} missing"]
        for part in PARTS[1:]:
            if t[part]["checks"]:
                parts.append(f"{part} {t[part]['passing']}/{t[part]['checks']}")
        verdict = "PASSED" if self.passed else "FAILED"
        return f"{verdict}: {', '.join(parts)} ({self.seconds:.1f} s)"

    def coverage_table(self) -> str:
        rows = [("category", "ops", "implemented", "passing", "failing", "missing")]
        for group, c in self.categories().items():
            rows.append((group, c["ops"], c["implemented"], c["passing"], c["failing"], c["missing"]))
        t = _counts(self.part("ops"))
        rows.append(("total", t["ops"], t["implemented"], t["passing"], t["failing"], t["missing"]))
        return text_table(rows, rules=(0, len(rows) - 2), numeric=True)

    def checks_table(self, part: str) -> str:
        rows = [(part, "status", "")]
        rows += [(r.title or r.name, r.status, r.detail) for r in self.part(part)]
        return text_table(rows, rules=(0,))

    def format(self, quiet: bool = False) -> str:
        """The printed report; ``quiet`` keeps only the header, the failures and the summary."""
        lines = [self.header(), ""]
        if not quiet:
            if self.part("ops"):
                lines += [self.coverage_table(), ""]
            for part in PARTS[1:]:
                if self.part(part):
                    lines += [self.checks_table(part), ""]
        failures = self.failures()
        if failures:
            lines.append(f"failures ({len(failures)}):")
            for r in failures:
                label = f"{r.group}/{r.name}" if r.part == "ops" else f"{r.part}/{r.name}"
                lines.append(f"- {label}: {r.status}")
                lines += ["    " + line for line in _shorten(r.failures).splitlines()]
            lines.append("")
        lines.append(self.summary())
        return "\n".join(lines) + "\n"


def _shorten(failures: list[str]) -> str:
    shown = []
    for failure in failures[:_SHOWN_FAILURES]:
        lines = [line for line in failure.splitlines() if line.strip()]
        shown += lines[:1] + ["  " + line for line in lines[1:_SHOWN_LINES]]
    if len(failures) > _SHOWN_FAILURES:
        shown.append(f"... and {len(failures) - _SHOWN_FAILURES} more failing cases (--json FILE keeps every message)")
    return "\n".join(shown)


def text_table(rows, *, rules=(), numeric=False) -> str:
    """Rows of cells as aligned text columns, a dashed rule after each row index in ``rules``.

    The first row is the header; with ``numeric``, the cells after the first
    column of the other rows are right-aligned.
    """
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for n, row in enumerate(rows):
        cells = []
        for i, cell in enumerate(row):
            text = str(cell)
            cells.append(text.rjust(widths[i]) if numeric and i > 0 and n > 0 else text.ljust(widths[i]))
        lines.append("  ".join(cells).rstrip())
        if n in rules:
            lines.append("  ".join("-" * w for w in widths).rstrip())
    return "\n".join(lines)
