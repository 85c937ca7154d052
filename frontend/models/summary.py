"""``Model.summary()``: a text table of the layers and the parameter counts."""

from __future__ import annotations

import math

import numpy as np

from plugnet.layers.input_spec import format_shape

_BYTES = {"bfloat16": 2}


def readable_memory_size(size: float) -> str:
    """``84.0`` -> ``"84.00 B"``, ``5160`` -> ``"5.04 KB"`` (powers of 1024)."""
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if size < 1024:
            return f"{size:.2f} {unit}"
        size /= 1024
    return f"{size:.2f} PB"


def _weight_bytes(weights) -> int:
    total = 0
    for w in weights:
        dtype = w.dtype
        itemsize = _BYTES.get(dtype) or np.dtype(dtype).itemsize
        total += math.prod(w.shape) * itemsize
    return total


def _count(weights) -> int:
    return sum(math.prod(w.shape) for w in weights)


def _model_nodes(model, layer) -> list:
    """The nodes of ``layer`` that belong to the functional ``model``, in call order."""
    node_set = getattr(model, "_node_set", None)
    if node_set is None:
        return []
    return [node for node in layer._inbound_nodes if node in node_set]


def _output_shape(model, layer) -> str:
    if hasattr(model, "_layer_output_shape"):  # Sequential
        shape = model._layer_output_shape(layer)
        return "?" if shape is None else format_shape(shape)
    nodes = _model_nodes(model, layer)
    if not nodes:
        return "?"
    texts = {", ".join(format_shape(t.shape) for t in node.output_tensors) for node in nodes}
    return texts.pop() if len(texts) == 1 else "multiple"


def _connections(model, layer) -> list[str]:
    refs = []
    for node in _model_nodes(model, layer):
        for tensor in node.input_tensors:
            history = tensor._keras_history
            index = _model_nodes(model, history.layer).index(history.layer._inbound_nodes[history.node_index])
            refs.append(f"{history.layer.name}[{index}][{history.tensor_index}]")
    return refs or ["-"]


def _is_sequential_like(model) -> bool:
    if not hasattr(model, "_node_set"):
        return True
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        return False
    previous = None
    for layer in model.layers:
        nodes = _model_nodes(model, layer)
        if len(nodes) > 1:
            return False
        for node in nodes:
            if len(node.output_tensors) > 1 or len(node.input_tensors) > 1:
                return False
            if node.input_tensors and node.input_tensors[0]._keras_history.layer is not previous:
                return False
        previous = layer
    return True


def _wrap(text: str, width: int) -> list[str]:
    width = max(width, 1)
    lines = []
    for part in str(text).split("\n"):
        while len(part) > width:
            cut = part.rfind(" ", 0, width + 1)
            cut = width if cut <= 0 else cut
            lines.append(part[:cut].rstrip())
            part = part[cut:].lstrip()
        lines.append(part)
    return lines


def _render_row(cells, widths, right_aligned) -> list[str]:
    wrapped = [_wrap(cell, width - 2) for cell, width in zip(cells, widths)]
    height = max(len(lines) for lines in wrapped)
    out = []
    for row in range(height):
        parts = []
        for column, (lines, width) in enumerate(zip(wrapped, widths)):
            text = lines[row] if row < len(lines) else ""
            parts.append(text.rjust(width - 2) + "  " if column in right_aligned else text.ljust(width))
        out.append((" " + "".join(parts)).rstrip())
    return out


def print_summary(model, line_length=None, positions=None, print_fn=None, show_trainable=False) -> None:
    """Print ``model``'s summary line by line through ``print_fn`` (default ``print``)."""
    print_fn = print_fn or print
    sequential_like = _is_sequential_like(model)
    headers = ["Layer (type)", "Output Shape", "Param #"]
    default_positions = [0.42, 0.77, 1.0]
    if not sequential_like:
        headers.append("Connected to")
        default_positions = [0.30, 0.55, 0.70, 1.0]
    line_length = line_length or (65 if sequential_like else 98)
    if show_trainable:
        headers.append("Trainable")
        line_length += 11
        default_positions = [p * (line_length - 11) / line_length for p in default_positions] + [1.0]
    positions = list(positions or default_positions)
    if len(positions) != len(headers):
        raise ValueError(f"summary(): `positions` needs {len(headers)} entries (one per column), got {positions}.")
    if positions[-1] <= 1:
        positions = [int(line_length * p) for p in positions]
    widths = [positions[0]] + [b - a for a, b in zip(positions, positions[1:])]
    right = {2}

    lines = [f'Model: "{model.name}"', "_" * line_length]
    lines += _render_row(headers, widths, right)
    lines.append("=" * line_length)
    rows = []
    for layer in model.layers:
        params = f"{layer.count_params():,}" if layer.built else "0 (unbuilt)"
        cells = [f"{layer.name} ({type(layer).__name__})", _output_shape(model, layer), params]
        if not sequential_like:
            cells.append("\n".join(_connections(model, layer)))
        if show_trainable:
            cells.append("Y" if layer.trainable else "N")
        rows.append(_render_row(cells, widths, right))
    for index, row in enumerate(rows):
        lines += row
        lines.append("=" * line_length if index == len(rows) - 1 else "_" * line_length)
    if not rows:
        lines.append("=" * line_length)
    trainable, non_trainable = model.trainable_weights, model.non_trainable_weights
    weights = trainable + non_trainable
    for label, group in (("Total", weights), ("Trainable", trainable), ("Non-trainable", non_trainable)):
        lines.append(f" {label} params: {_count(group):,} ({readable_memory_size(_weight_bytes(group))})")
    lines.append("_" * line_length)
    for line in lines:
        print_fn(line)
