"""The backend conformance kit: the op-contract suite, with NumPy references, and its runner.

``CASES[name]`` lists :class:`~plugnet.plugins.conformance.harness.Case` calls of
the op ``name``; ``reference(name)`` is the plain-NumPy function giving the
expected result (``numpy.<name>`` unless a case module says otherwise).
:func:`run` checks an installed backend (``python -m plugnet.plugins.conformance
BACKEND`` is its command line; ``pytest --plugnet-conformance=BACKEND`` runs
the same checks as test items).

Everything is loaded on first use, so importing this package (as pytest does
for the plugin) builds no case and imports no backend.
"""

from __future__ import annotations

import importlib

import numpy as np

# Ops whose results are not a fixed function of their inputs: checked by
# properties (shape, dtype, determinism per seed, statistics) instead.
RANDOM_OPS = frozenset({"random_normal", "random_uniform", "truncated_normal", "randint", "dropout"})

_CASE_MODULES = ("cases_core", "cases_math", "cases_shape", "cases_nn")
_LAZY = {"run": "runner", "plan": "runner", "select_ops": "runner", "Report": "report", "CheckResult": "report"}

__all__ = ["CASES", "RANDOM_OPS", "REFERENCE", "CheckResult", "Report", "plan", "reference", "run", "select_ops"]


def _load_cases() -> None:
    cases, references = {}, {}
    for name in _CASE_MODULES:
        module = importlib.import_module(f"{__name__}.{name}")
        cases.update(module.CASES)
        references.update(module.REFERENCE)
    globals().update(CASES=cases, REFERENCE=references)


def __getattr__(name: str):
    if name in ("CASES", "REFERENCE"):
        _load_cases()
    elif name in _LAZY:
        globals()[name] = getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return globals()[name]


def reference(name: str):
    """The NumPy function whose result the op ``name`` must match."""
    references = globals().get("REFERENCE") or __getattr__("REFERENCE")
    if name in references:
        return references[name]
    return getattr(np, name)
