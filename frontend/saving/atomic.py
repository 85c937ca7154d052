"""Atomic file writes: a file is either its old self or completely new, never half written."""

from __future__ import annotations

import contextlib
import os
import re
import secrets

_TEMPORARY = re.compile(r"\.(.+)\.[0-9a-f]{12}\.tmp")


def _temporary_path(folder: str, name: str) -> str:
    return os.path.join(folder, f".{name}.{secrets.token_hex(6)}.tmp")


def leftover_target(filename: str):
    """The file name a stray temporary file of :func:`atomic_write` was for (a killed
    write leaves one behind); None when ``filename`` is not such a file."""
    match = _TEMPORARY.fullmatch(filename)
    return match.group(1) if match else None


@contextlib.contextmanager
def atomic_write(filepath, mode: str = "wb"):
    """Write ``filepath`` through a temporary file that replaces it only once complete.

    The block writes to a new file in the same folder (so the final rename
    never crosses file systems). When the block ends normally the file is
    flushed and fsynced, renamed over ``filepath`` with ``os.replace`` (atomic
    on POSIX and Windows), and the folder is fsynced so the rename survives a
    power cut. If anything raises, even a full disk, the temporary file is
    removed and ``filepath`` keeps its previous content. A process killed in
    the middle leaves ``filepath`` untouched and a stray
    ``.<name>.<random>.tmp`` beside it.

    Args:
        filepath: the file to write (str or ``os.PathLike``).
        mode: ``"wb"`` (yields a binary file) or ``"w"`` (text, UTF-8).

    Example:
        >>> with plugnet.saving.atomic_write("state.json", "w") as f:
        ...     json.dump(state, f)
    """
    if mode not in ("wb", "w"):
        raise ValueError(f"atomic_write: mode must be 'wb' or 'w', got {mode!r}.")
    target = os.path.abspath(os.fspath(filepath))
    folder, name = os.path.split(target)
    temporary = _temporary_path(folder, name)
    # 0o666 filtered by the umask: the file gets the permissions a plain open() would give it.
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        file = os.fdopen(descriptor, mode, **({"encoding": "utf-8"} if mode == "w" else {}))
    except BaseException:
        os.close(descriptor)
        os.remove(temporary)
        raise
    try:
        with file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(temporary)
        raise
    _fsync_folder(folder)


def _fsync_folder(folder: str) -> None:
    # Makes the rename itself durable; not possible (nor needed) on Windows.
    if os.name != "posix":
        return
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
