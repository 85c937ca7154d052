"""Reading IDX files, the format MNIST ships in, plain or gzipped.

An IDX file is a 4-byte magic number, one big-endian uint32 size per
dimension, then the values in C order, big-endian. The magic number is two
zero bytes, a type code and the number of dimensions, so MNIST's images
(3-d unsigned bytes) start with ``0x00000803`` and its labels (1-d) with
``0x00000801``.
"""

from __future__ import annotations

import gzip
import os
import zlib

import numpy as np

# IDX type code -> big-endian NumPy dtype.
_TYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_GZIP_MAGIC = b"\x1f\x8b"

IMAGES_MAGIC = 0x00000803
LABELS_MAGIC = 0x00000801


class IDXFormatError(ValueError):
    """A file is not a valid IDX file (wrong magic number, truncated, or too long)."""


def read_bytes(path) -> bytes:
    """The content of ``path``, decompressed when it is gzipped (recognised by its content, not its name)."""
    with open(path, "rb") as f:
        raw = f.read()
    if not raw.startswith(_GZIP_MAGIC):
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as error:
        raise IDXFormatError(f"{os.fspath(path)} is a damaged or truncated gzip file ({error}).") from None


def parse_idx(data: bytes, name: str = "<bytes>", magic: int | None = None) -> np.ndarray:
    """The array stored in the IDX bytes ``data``, in native byte order and writable.

    Args:
        data: the (decompressed) content of an IDX file.
        name: the file's name, used in error messages.
        magic: the magic number the file must start with (for example
            :data:`IMAGES_MAGIC`), or None to accept any valid IDX type.
    """
    if len(data) < 4:
        raise IDXFormatError(f"{name} is not an IDX file: it has {len(data)} bytes, fewer than a 4-byte header.")
    found = int.from_bytes(data[:4], "big")
    type_code, ndim = data[2], data[3]
    if magic is not None and found != magic:
        raise IDXFormatError(
            f"{name} has magic number 0x{found:08X}, expected 0x{magic:08X} "
            f"({_describe(magic)}). Is it the right file?"
        )
    if data[:2] != b"\x00\x00" or type_code not in _TYPES or ndim == 0:
        raise IDXFormatError(f"{name} is not an IDX file (it starts with the bytes 0x{found:08X}).")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise IDXFormatError(
            f"{name} is truncated: its header needs {header} bytes for {ndim} dimension sizes, "
            f"but the file has {len(data)} bytes."
        )
    shape = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    dtype = _TYPES[type_code]
    expected = header + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(data) != expected:
        problem = "truncated" if len(data) < expected else "longer than its header says"
        raise IDXFormatError(
            f"{name} is {problem}: a {dtype.name} array of shape {shape} needs {expected} bytes, "
            f"the file has {len(data)}."
        )
    values = np.frombuffer(data, dtype=dtype, offset=header).reshape(shape)
    # astype copies: the result owns writable memory in native byte order, like any loaded array.
    return values.astype(dtype.newbyteorder("="))


def read_idx(path, magic: int | None = None) -> np.ndarray:
    """The array in the IDX file ``path`` (plain or gzipped); see :func:`parse_idx`.

    Example:
        >>> images = read_idx("train-images-idx3-ubyte.gz", magic=IMAGES_MAGIC)
        >>> images.shape, images.dtype
        ((60000, 28, 28), dtype('uint8'))
    """
    return parse_idx(read_bytes(path), os.fspath(path), magic)


def _describe(magic: int) -> str:
    kind = {IMAGES_MAGIC: "unsigned-byte images, 3 dimensions", LABELS_MAGIC: "unsigned-byte labels, 1 dimension"}
    return kind.get(magic, f"type 0x{(magic >> 8) & 0xFF:02X}, {magic & 0xFF} dimensions")
