"""The op-contract conformance suite: sample calls of every op, with NumPy references.

``CASES[name]`` lists :class:`~plugnet.plugins.conformance.harness.Case` calls of
the op ``name``; ``reference(name)`` is the plain-NumPy function giving the
expected result (``numpy.<name>`` unless a case module says otherwise).
"""

from __future__ import annotations

import numpy as np

from . import cases_core, cases_math, cases_nn, cases_shape

CASES: dict = {}
REFERENCE: dict = {}
for _module in (cases_core, cases_math, cases_shape, cases_nn):
    CASES.update(_module.CASES)
    REFERENCE.update(_module.REFERENCE)

# Ops whose results are not a fixed function of their inputs: checked by
# properties (shape, dtype, determinism per seed, statistics) instead.
RANDOM_OPS = frozenset({"random_normal", "random_uniform", "truncated_normal", "randint", "dropout"})


def reference(name: str):
    if name in REFERENCE:
        return REFERENCE[name]
    return getattr(np, name)
