"""The ``.plugnet`` file: a zip of three members, written atomically, read strictly from memory.

=============================  ==============================================
``config.json``                the model's class, config, build and compile config
``metadata.json``              plugnet version, backend, date, format version
``model.weights.safetensors``  the model's (and optimizer's) values
=============================  ==============================================

Reading opens the zip in place and reads each member into memory with a size
cap; nothing is ever extracted to disk. Any other member name, a duplicate,
a directory, a name with ``..``, a drive or an absolute path, or a member
compressed suspiciously well (a zip bomb) is refused before it is read.
"""

from __future__ import annotations

import json
import os
import zipfile
import zlib

from plugnet.saving.atomic import atomic_write

CONFIG = "config.json"
METADATA = "metadata.json"
WEIGHTS = "model.weights.safetensors"
MEMBERS = (CONFIG, METADATA, WEIGHTS)

# Caps on a member's uncompressed size. Configs are small; weights may be as
# large as memory allows, so their cap is generous and the compression ratio
# is what stops a zip bomb (plugnet stores weights uncompressed).
MAX_JSON_BYTES = 64 * 2**20
MAX_WEIGHTS_BYTES = 64 * 2**30
# Deflate rarely shrinks JSON configs more than ~20x; a bomb shrinks ~1000x.
MAX_COMPRESSION_RATIO = 200
_RATIO_CHECK_FROM = 2**20


class ArchiveError(ValueError):
    """A ``.plugnet`` file that is not a zip, or whose members are missing, unexpected or unsafe."""


def write_archive(filepath, config: bytes, metadata: bytes, weights: bytes) -> None:
    """Write the three members to ``filepath`` atomically (the old file survives any failure)."""
    with atomic_write(filepath) as file, zipfile.ZipFile(file, "w") as archive:
        archive.writestr(CONFIG, config, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr(METADATA, metadata, compress_type=zipfile.ZIP_DEFLATED)
        # Stored as is: float data barely compresses, and reading stays a plain copy.
        archive.writestr(WEIGHTS, weights, compress_type=zipfile.ZIP_STORED)


def read_archive(filepath) -> tuple[dict, dict, bytes]:
    """``(config, metadata, weights bytes)`` of a ``.plugnet`` file, every member checked first."""
    source = os.fspath(filepath)
    try:
        archive = zipfile.ZipFile(filepath)
    except zipfile.BadZipFile:
        raise ArchiveError(f"{source} is not a .plugnet model file: it is not a zip archive.") from None
    with archive:
        members = _check_members(archive.infolist(), source)
        config = _read_json(archive, members[CONFIG], source)
        metadata = _read_json(archive, members[METADATA], source)
        weights = _read_member(archive, members[WEIGHTS], MAX_WEIGHTS_BYTES, source)
    if not isinstance(config, dict) or not isinstance(metadata, dict):
        raise ArchiveError(f"{source}: {CONFIG} and {METADATA} must each hold a JSON object.")
    return config, metadata, weights


def read_weights_member(filepath) -> bytes:
    """The ``model.weights.safetensors`` bytes of a ``.plugnet`` file (for ``load_weights``)."""
    return read_archive(filepath)[2]


def _check_members(infos: list, source: str) -> dict:
    members = {}
    for info in infos:
        name = info.filename
        if _unsafe_name(name):
            raise ArchiveError(f"{source}: refusing member {name!r}: a path outside the archive, or a directory.")
        if name not in MEMBERS:
            raise ArchiveError(
                f"{source}: unexpected member {name!r}; a .plugnet file holds only {', '.join(MEMBERS)}."
            )
        if name in members:
            raise ArchiveError(f"{source}: member {name!r} appears more than once.")
        members[name] = info
    missing = [name for name in MEMBERS if name not in members]
    if missing:
        raise ArchiveError(f"{source} is not a complete .plugnet model file: it has no {', '.join(missing)}.")
    return members


def _unsafe_name(name: str) -> bool:
    parts = name.replace("\\", "/").split("/")
    return (
        name.startswith(("/", "\\")) or ".." in parts or ":" in name or name.endswith(("/", "\\"))
        or "\x00" in name
    )


def _read_json(archive, info, source: str):
    raw = _read_member(archive, info, MAX_JSON_BYTES, source)
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ArchiveError(
            f"{source}: {info.filename} is not valid UTF-8 JSON ({type(exc).__name__}: {exc})."
        ) from None


def _read_member(archive, info, limit: int, source: str) -> bytes:
    if info.file_size > limit:
        raise ArchiveError(
            f"{source}: member {info.filename!r} declares {info.file_size} bytes, above the limit of {limit}."
        )
    if info.file_size > _RATIO_CHECK_FROM and info.file_size > MAX_COMPRESSION_RATIO * max(info.compress_size, 1):
        raise ArchiveError(
            f"{source}: member {info.filename!r} would expand {info.compress_size} bytes into {info.file_size}, "
            f"a ratio above {MAX_COMPRESSION_RATIO}: refusing a possible zip bomb."
        )
    try:
        with archive.open(info) as member:
            # zipfile stops at the declared size and checks the CRC, so this never exceeds `limit`.
            data = member.read(limit + 1)
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError, NotImplementedError) as exc:
        raise ArchiveError(f"{source}: member {info.filename!r} cannot be read: {exc}") from None
    if len(data) != info.file_size:
        raise ArchiveError(
            f"{source}: member {info.filename!r} holds {len(data)} bytes, not the {info.file_size} it declares."
        )
    return data
