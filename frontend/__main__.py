"""``python -m plugnet backends``: every backend the installed plugins declare.

One row per backend: its name, the package (distribution) that provides it
and that package's version, whether its framework is installed (found
without importing it) and its conformance status, as last recorded by
``python -m plugnet.plugins.conformance NAME`` for these very versions
("unknown" otherwise). A plugin that failed to load is a row too, its error
below the table. Nothing here imports a framework.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import sys

import plugnet
from plugnet.plugins.conformance import cache
from plugnet.plugins.conformance.report import text_table
from plugnet.plugins.distributions import plugin_distributions
from plugnet.plugins.manager import get_plugin_manager


class _Frameworks:
    """Which distribution provides an import name, and its version, from package metadata only."""

    def __init__(self):
        self._providers = None

    def version(self, import_name: str) -> str | None:
        """``"torch 2.13.0"`` for ``"torch"``; None if no installed distribution provides it."""
        try:  # most frameworks are distributed under their import name
            return f"{import_name} {importlib.metadata.version(import_name)}"
        except importlib.metadata.PackageNotFoundError:
            pass
        if self._providers is None:  # scans every distribution's file list: only when needed
            self._providers = importlib.metadata.packages_distributions()
        for dist in self._providers.get(import_name, [])[:1]:
            return f"{dist} {importlib.metadata.version(dist)}"
        return None


def backend_rows() -> list[dict]:
    """The listing as data: one dict per backend or failed plugin, by name."""
    specs = get_plugin_manager().backends()
    dists = plugin_distributions()
    records = cache.load_records()
    frameworks = _Frameworks()
    rows = []
    for name, info in sorted(plugnet.backend.available().items()):
        spec = specs.get(name)
        package, version = dists.get(spec.plugin if spec else info.plugin, (None, None))
        row = {"name": name, "package": package, "version": version, "installed": info.installed,
               "framework": "", "install": info.install, "conformance": cache.UNKNOWN, "error": None}
        if spec is None:  # a plugin that failed before declaring anything
            row.update(conformance="-", error=info.error)
        else:
            if info.installed:
                row["framework"] = ", ".join(filter(None, map(frameworks.version, spec.requires)))
            row["conformance"] = cache.status(name, package, version, plugnet.__version__, records)
        rows.append(row)
    return rows


def _installed_cell(row) -> str:
    if row["error"]:
        return "plugin error (below)"
    if row["installed"]:
        return f"yes ({row['framework']})" if row["framework"] else "yes"
    return f"no: {row['install']}"


def format_backends(rows) -> str:
    table = [("backend", "package", "version", "installed", "conformance")]
    table += [(r["name"], r["package"] or "(in-process)", r["version"] or "-", _installed_cell(r), r["conformance"])
              for r in rows]
    lines = [text_table(table, rules=(0,))]
    errors = [r for r in rows if r["error"]]
    if errors:
        lines += ["", "plugin errors:"] + [f"  {r['name']}: {r['error']}" for r in errors]
    lines += ["", (f"conformance status from {cache.cache_file()}; "
                   "update it with: python -m plugnet.plugins.conformance BACKEND")]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m plugnet", description="plugnet's command line.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    listing = commands.add_parser("backends", help="list the installed backends and their conformance status")
    listing.add_argument("--json", action="store_true", help="print the listing as JSON")
    args = parser.parse_args(argv)
    if args.command != "backends":
        parser.print_help()
        return 2
    rows = backend_rows()
    sys.stdout.write(json.dumps(rows, indent=2) + "\n" if args.json else format_backends(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
