"""``python -m plugnet.plugins.conformance BACKEND``: check an installed backend against the op contract.

Prints the coverage table and every failure, records the verdict for
``python -m plugnet backends``, and exits 0 only if every check passed (1 if
any failed, 2 if the backend cannot be loaded or an argument is wrong).
"""

from __future__ import annotations

import argparse
import sys

from plugnet.backend import BackendNotFoundError, BackendUnavailableError

from .cache import record
from .report import PARTS
from .runner import run


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m plugnet.plugins.conformance",
        description="Check a plugnet backend: every op against the NumPy reference and finite differences, "
        "Variable and GradientTape semantics, and a training smoke test.",
    )
    p.add_argument("backend", help="the backend's name, as `python -m plugnet backends` lists it")
    p.add_argument("--ops", metavar="A,B", help="check only these ops or op categories (e.g. add,matmul,nn)")
    p.add_argument("--skip", metavar="PARTS", default="", help=f"leave out parts: any of {', '.join(PARTS)}")
    p.add_argument("--json", metavar="FILE", dest="json_path", help="also write the full report as JSON to FILE")
    p.add_argument("-q", "--quiet", action="store_true", help="print only the failures and the summary line")
    p.add_argument("--no-record", action="store_true",
                   help="do not record the verdict in the status cache read by `python -m plugnet backends`")
    return p


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    try:
        report = run(args.backend, args.ops, skip=args.skip, quiet=args.quiet, json_path=args.json_path)
    except (BackendNotFoundError, BackendUnavailableError, ValueError, OSError) as exc:
        print(f"plugnet conformance: {exc}", file=sys.stderr)
        return 2
    if not args.no_record:
        try:
            record(report)
        except OSError as exc:  # a read-only cache loses the status line, not the verdict
            print(f"plugnet conformance: could not record the result: {exc}", file=sys.stderr)
    return report.exit_status


if __name__ == "__main__":
    sys.exit(main())
