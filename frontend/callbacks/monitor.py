"""Whether a monitored quantity is better high or low: shared by EarlyStopping and ModelCheckpoint."""

from __future__ import annotations

import warnings

# Used in "auto" mode when the metric object does not say its direction itself.
_HIGHER_IS_BETTER = ("acc", "accuracy", "auc", "precision", "recall", "f1")
_LOWER_IS_BETTER = ("loss", "error", "mae", "mse", "mape", "msle", "crossentropy", "hinge", "kl_divergence", "poisson")


def higher_is_better(monitor: str, mode: str, model, owner: str) -> bool:
    """True when larger values of ``monitor`` are improvements.

    ``mode`` ``"max"``/``"min"`` decides; ``"auto"`` looks at the name (losses
    are minimized), then at the model's metric objects (their ``_direction``),
    then at well-known name endings (``accuracy`` is maximized, ``mae``
    minimized). A name none of these settles raises a ValueError that names
    ``owner`` (the callback) and asks for an explicit mode.
    """
    if mode != "auto":
        return mode == "max"
    name = monitor.removeprefix("val_")
    if name == "loss" or name.endswith("_loss"):
        return False
    for metric in all_metrics(model):
        if metric.name == name or name.endswith("_" + metric.name):
            direction = getattr(metric, "_direction", None)
            if direction in ("up", "down"):
                return direction == "up"
    lowered = name.lower()
    if lowered.endswith(_HIGHER_IS_BETTER):
        return True
    if lowered.endswith(_LOWER_IS_BETTER):
        return False
    raise ValueError(
        f"{owner}(monitor={monitor!r}) cannot tell whether that metric should be maximized or "
        "minimized. Pass mode='max' to stop on the highest value or mode='min' for the lowest."
    )


def check_mode(mode, owner: str) -> str:
    """``mode`` when it is auto/min/max; otherwise a warning and ``"auto"`` (as Keras does)."""
    if mode not in ("auto", "min", "max"):
        warnings.warn(f"{owner} mode {mode!r} is unknown, falling back to 'auto'.", stacklevel=3)
        return "auto"
    return mode


def all_metrics(model):
    """The model's metrics with containers (compile metrics) expanded."""
    found = []
    for metric in getattr(model, "metrics", None) or ():
        inner = getattr(metric, "metrics", None)
        found.extend(inner if isinstance(inner, (list, tuple)) else [metric])
    return found
