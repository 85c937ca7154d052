"""A small, strict reader and writer of the safetensors format, in NumPy.

The format (https://github.com/huggingface/safetensors): an 8-byte
little-endian unsigned header length ``N``, ``N`` bytes of UTF-8 JSON, then one
byte buffer. The JSON maps each tensor name to ``{"dtype", "shape",
"data_offsets": [begin, end]}`` (offsets into the buffer) and may hold a
``"__metadata__"`` map of strings to strings. Tensors are little-endian,
row-major.

Reading never trusts the file: the header length is bounded, the JSON must be
an object of well-formed entries with known dtypes, every tensor's byte count
must equal ``prod(shape) * itemsize``, and the ranges must tile the buffer
exactly (contiguous, non-overlapping, nothing left over). Nothing in a file can
make the reader run code: it is JSON and raw numbers.
"""

from __future__ import annotations

import json
import math
import os
import struct

import numpy as np

# The safetensors reference implementation refuses headers above 100 MB.
MAX_HEADER_BYTES = 100_000_000
# The writer pads the header with spaces so the buffer starts 8-byte aligned, as the reference writer does.
_ALIGNMENT = 8
_METADATA_KEY = "__metadata__"

# safetensors dtype codes <-> NumPy dtype names (the ones NumPy can hold exactly).
_CODE_TO_DTYPE = {
    "BOOL": "bool",
    "U8": "uint8",
    "I8": "int8",
    "U16": "uint16",
    "I16": "int16",
    "U32": "uint32",
    "I32": "int32",
    "U64": "uint64",
    "I64": "int64",
    "F16": "float16",
    "F32": "float32",
    "F64": "float64",
}
_DTYPE_TO_CODE = {dtype: code for code, dtype in _CODE_TO_DTYPE.items()}


class SafetensorsError(ValueError):
    """A safetensors file is malformed, truncated, or holds something this reader refuses."""


def encode(tensors: dict, metadata: dict | None = None) -> bytes:
    """The safetensors bytes of ``tensors`` (name -> array), names in sorted order.

    Raises ValueError for a dtype safetensors (as NumPy holds it) cannot store,
    TypeError for a metadata entry that is not a string.
    """
    header: dict = {}
    if metadata:
        for key, value in metadata.items():
            if not isinstance(key, str) or not isinstance(value, str):
                raise TypeError(f"safetensors metadata must map strings to strings; got {key!r}: {value!r}.")
        header[_METADATA_KEY] = dict(metadata)
    chunks, offset = [], 0
    for name in sorted(tensors):
        if name == _METADATA_KEY:
            raise ValueError(f"{_METADATA_KEY!r} is reserved and cannot name a tensor.")
        array = np.asarray(tensors[name])
        code = _DTYPE_TO_CODE.get(array.dtype.name)
        if code is None:
            raise ValueError(
                f"Tensor {name!r} has dtype {array.dtype.name}, which this safetensors writer cannot store; "
                f"supported: {', '.join(sorted(_DTYPE_TO_CODE))}."
            )
        data = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": code, "shape": list(array.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-(len(text) + 8) % _ALIGNMENT)
    return b"".join([struct.pack("<Q", len(text)), text, *chunks])


def decode(data: bytes | bytearray | memoryview, source: str = "safetensors data") -> tuple[dict, dict]:
    """``(tensors, metadata)`` from safetensors bytes, validated strictly.

    ``source`` names the file in error messages. The arrays are copies, in
    native byte order, owning their memory.
    """
    view = memoryview(data)
    if len(view) < 8:
        raise SafetensorsError(f"{source}: truncated: {len(view)} bytes, fewer than the 8-byte header length.")
    (header_size,) = struct.unpack("<Q", view[:8])
    if header_size > MAX_HEADER_BYTES:
        raise SafetensorsError(
            f"{source}: the header declares {header_size} bytes, above the limit of {MAX_HEADER_BYTES}."
        )
    if 8 + header_size > len(view):
        raise SafetensorsError(
            f"{source}: truncated: the header declares {header_size} bytes but only {len(view) - 8} follow."
        )
    header = _parse_header(bytes(view[8:8 + header_size]), source)
    buffer = view[8 + header_size:]
    metadata = header.pop(_METADATA_KEY, None) or {}
    entries = {name: _check_entry(name, entry, source) for name, entry in header.items()}
    _check_ranges(entries, len(buffer), source)
    tensors = {}
    for name, (dtype, shape, begin, end) in entries.items():
        array = np.frombuffer(buffer[begin:end], dtype=np.dtype(dtype).newbyteorder("<")).reshape(shape)
        tensors[name] = array.astype(dtype, copy=True)  # native byte order, owning its memory
    return tensors, metadata


def read_file(filepath, max_bytes: int | None = None) -> tuple[dict, dict]:
    """``(tensors, metadata)`` of a ``.safetensors`` file (see :func:`decode`).

    The file's size is checked against the header before the buffer is read,
    and against ``max_bytes`` when given.
    """
    source = os.fspath(filepath)
    with open(filepath, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        if max_bytes is not None and size > max_bytes:
            raise SafetensorsError(f"{source}: {size} bytes, above the limit of {max_bytes}.")
        return decode(f.read(), source)


def _parse_header(raw: bytes, source: str) -> dict:
    try:
        header = json.loads(raw.decode("utf-8"), object_pairs_hook=_unique_keys)
    except _DuplicateKey as exc:
        raise SafetensorsError(f"{source}: the header names tensor {exc.args[0]!r} more than once.") from None
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise SafetensorsError(f"{source}: the header is not valid UTF-8 JSON ({type(exc).__name__}: {exc}).") from None
    if not isinstance(header, dict):
        raise SafetensorsError(f"{source}: the header must be a JSON object, got {type(header).__name__}.")
    metadata = header.get(_METADATA_KEY)
    if metadata is not None and not (
        isinstance(metadata, dict) and all(isinstance(v, str) for v in metadata.values())
    ):
        raise SafetensorsError(f"{source}: {_METADATA_KEY!r} must map strings to strings.")
    return header


class _DuplicateKey(Exception):
    pass


def _unique_keys(pairs):
    result = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key)
        result[key] = value
    return result


def _check_entry(name: str, entry, source: str):
    if not isinstance(entry, dict) or set(entry) != {"dtype", "shape", "data_offsets"}:
        raise SafetensorsError(
            f"{source}: tensor {name!r} must be described by exactly 'dtype', 'shape' and 'data_offsets'; "
            f"got {entry!r}."
        )
    code = entry["dtype"]
    if code not in _CODE_TO_DTYPE:
        known = ", ".join(_CODE_TO_DTYPE)
        raise SafetensorsError(f"{source}: tensor {name!r} has dtype {code!r}; this reader knows {known}.")
    shape, offsets = entry["shape"], entry["data_offsets"]
    if not isinstance(shape, list) or not all(_is_count(d) for d in shape):
        raise SafetensorsError(f"{source}: tensor {name!r} has shape {shape!r}, not a list of sizes >= 0.")
    if not (isinstance(offsets, list) and len(offsets) == 2 and all(_is_count(o) for o in offsets)
            and offsets[0] <= offsets[1]):
        raise SafetensorsError(f"{source}: tensor {name!r} has data_offsets {offsets!r}, not [begin, end].")
    dtype = _CODE_TO_DTYPE[code]
    expected = math.prod(shape) * np.dtype(dtype).itemsize
    if offsets[1] - offsets[0] != expected:
        raise SafetensorsError(
            f"{source}: tensor {name!r} of dtype {code} and shape {tuple(shape)} needs {expected} bytes, "
            f"but its data_offsets span {offsets[1] - offsets[0]}."
        )
    return dtype, tuple(shape), offsets[0], offsets[1]


def _is_count(value) -> bool:
    return type(value) is int and value >= 0


def _check_ranges(entries: dict, buffer_size: int, source: str) -> None:
    """The tensors' ranges must tile ``[0, buffer_size)``: in order, no gap, no overlap, no excess."""
    position = 0
    for name, (_, _, begin, end) in sorted(entries.items(), key=lambda item: (item[1][2], item[1][3])):
        if begin != position:
            problem = "overlaps the previous tensor" if begin < position else f"leaves a gap after byte {position}"
            raise SafetensorsError(f"{source}: tensor {name!r} starts at byte {begin} and {problem}.")
        position = end
    if position > buffer_size:
        raise SafetensorsError(
            f"{source}: truncated: the header declares {position} bytes of tensor data, but only {buffer_size} "
            f"are present."
        )
    if position < buffer_size:
        raise SafetensorsError(
            f"{source}: {buffer_size - position} bytes after the last tensor belong to no tensor."
        )
