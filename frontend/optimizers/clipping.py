"""Gradient clipping, as Keras optimizers apply it before an update.

Each function rescales rather than truncates, so a clipped gradient keeps its
direction. The scale factor is computed as a scalar first, so a tensor pays one
elementwise multiply for being clipped.
"""

from __future__ import annotations

from plugnet import ops


def clip_by_norm(x, clip_norm: float):
    """``x`` rescaled so its L2 norm is at most ``clip_norm``: ``x * clip_norm / max(norm, clip_norm)``."""
    norm = ops.sqrt(ops.sum(ops.square(x)))
    return ops.multiply(x, ops.divide(clip_norm, ops.maximum(norm, clip_norm)))


def global_norm(tensors):
    """The L2 norm of all ``tensors`` taken together (``None`` entries are skipped)."""
    squared = [ops.sum(ops.square(t)) for t in tensors if t is not None]
    return ops.sqrt(ops.sum(ops.stack(squared)))


def clip_by_global_norm(tensors, clip_norm: float) -> list:
    """Every tensor scaled by ``clip_norm / max(global_norm, clip_norm)``.

    As in Keras, a non-finite global norm makes every result NaN instead of
    silently zeroing the gradients, so a diverging run is visible.
    """
    norm = global_norm(tensors)
    scale = ops.divide(clip_norm, ops.maximum(norm, clip_norm))
    # (norm - norm) is 0 for a finite norm and NaN for inf or NaN.
    scale = ops.add(scale, ops.subtract(norm, norm))
    return [None if t is None else ops.multiply(t, scale) for t in tensors]
