"""Automatic, Keras-style unique names: ``dense``, ``dense_1``, ``dense_2``..."""

from __future__ import annotations

import re

_counts: dict[str, int] = {}


def to_snake_case(name: str) -> str:
    """``"BatchNormalization"`` -> ``"batch_normalization"``, ``"Conv2D"`` -> ``"conv2d"``."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def unique_name(prefix: str) -> str:
    """``prefix`` the first time, then ``prefix_1``, ``prefix_2``... (per session)."""
    count = _counts.get(prefix, 0)
    _counts[prefix] = count + 1
    return prefix if count == 0 else f"{prefix}_{count}"


def clear_session() -> None:
    """Restart automatic naming, so the next Dense is named ``dense`` again (Keras's
    ``clear_session``). Existing layers keep their names."""
    _counts.clear()
