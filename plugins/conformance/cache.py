"""The conformance status cache: the last result of the kit for each backend.

``python -m plugnet.plugins.conformance BACKEND`` records its verdict here;
``python -m plugnet backends`` shows it while the recorded versions (the
backend's distribution and plugnet) are the installed ones, and "unknown"
otherwise. The file is ``conformance.json`` in ``$PLUGNET_CACHE_DIR`` if set,
else in ``$XDG_CACHE_HOME/plugnet`` (``~/.cache/plugnet`` when that is unset).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

ENV_VAR = "PLUGNET_CACHE_DIR"
FILE_NAME = "conformance.json"
FORMAT = 1
UNKNOWN = "unknown"


def cache_dir() -> Path:
    """Where plugnet keeps its cache files."""
    explicit = os.environ.get(ENV_VAR)
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "plugnet"


def cache_file() -> Path:
    return cache_dir() / FILE_NAME


def load_records() -> dict[str, dict]:
    """Backend name -> its last recorded run; empty when there is no readable cache."""
    try:
        data = json.loads(cache_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("backends"), dict):
        return {}
    return {name: rec for name, rec in data["backends"].items() if isinstance(rec, dict)}


def summarize(report) -> dict:
    """The record kept for a :class:`~plugnet.plugins.conformance.report.Report`."""
    totals = report.totals()
    return {
        "backend": report.backend,
        "distribution": report.distribution,
        "distribution_version": report.distribution_version,
        "plugnet_version": report.plugnet_version,
        "date": report.date,
        "complete": report.complete,
        "passed": report.passed,
        "ops": {key: totals[key] for key in ("ops", "implemented", "passing", "failing", "missing")},
        "semantics": totals["semantics"],
        "training": totals["training"],
    }


def record(report) -> Path:
    """Store ``report``'s verdict as its backend's latest; returns the file. Raises OSError if unwritable."""
    records = load_records()
    records[report.backend] = summarize(report)
    path = cache_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps({"format": FORMAT, "backends": records}, indent=2, sort_keys=True)
    # Write then rename, so a reader never sees half a file.
    fd, tmp = tempfile.mkstemp(prefix=".conformance-", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text + "\n")
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
    return path


def status(backend: str, distribution: str | None, distribution_version: str | None, plugnet_version: str,
           records: dict | None = None) -> str:
    """The recorded verdict for ``backend`` if it was recorded with these versions, else ``"unknown"``."""
    rec = (load_records() if records is None else records).get(backend)
    if (
        rec is None
        or distribution_version is None
        or rec.get("distribution") != distribution
        or rec.get("distribution_version") != distribution_version
        or rec.get("plugnet_version") != plugnet_version
    ):
        return UNKNOWN
    ops = rec.get("ops", {})
    date = str(rec.get("date", ""))[:10]
    scope = "" if rec.get("complete") else "partial run "
    if rec.get("passed"):
        return f"{scope}passed, {ops.get('passing', 0)}/{ops.get('ops', 0)} ops ({date})"
    problems = []
    if ops.get("failing") or ops.get("missing"):
        problems.append(f"ops {ops.get('failing', 0)} failing, {ops.get('missing', 0)} missing")
    for part in ("semantics", "training"):
        counts = rec.get(part) or {}
        failing = counts.get("checks", 0) - counts.get("passing", 0)
        if failing:
            problems.append(f"{part} {failing} failing")
    return f"{scope}failed: {'; '.join(problems) or 'see the report'} ({date})"
