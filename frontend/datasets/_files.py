"""Where datasets are kept, and fetching a file into that folder with a checksum check.

The folder is, in order: the ``cache_dir`` a loader is given, the
``PLUGNET_DATA_DIR`` environment variable, ``~/.plugnet/datasets``.
A download is written to a temporary file next to its destination, checked
against its SHA-256 and only then renamed into place, so an interrupted or
corrupted download never leaves a file that a later run would trust.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

ENV_VAR = "PLUGNET_DATA_DIR"
DEFAULT_DIR = Path("~") / ".plugnet" / "datasets"
TIMEOUT_S = 30.0


class DatasetNotFoundError(FileNotFoundError):
    """A dataset is neither on disk nor downloadable; the message says which files to put where."""


class ChecksumError(OSError):
    """Downloaded bytes do not have the published checksum."""


def data_dir(cache_dir=None) -> Path:
    """The folder datasets are read from and downloaded to (not created here)."""
    chosen = cache_dir if cache_dir is not None else os.environ.get(ENV_VAR) or DEFAULT_DIR
    return Path(chosen).expanduser()


def fetch_bytes(url: str, timeout: float = TIMEOUT_S) -> bytes:
    """The body of ``url``. The one place that touches the network (tests replace it)."""
    import urllib.request

    request = urllib.request.Request(url, headers={"User-Agent": "plugnet"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.read()


def sha256_of(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def download(name: str, urls, sha256: str, folder: Path) -> Path:
    """Fetch ``name`` from the first of ``urls`` that serves the right bytes into ``folder``.

    Each URL is tried in turn; a URL whose bytes fail the SHA-256 check has
    its file deleted and the next URL is tried. Raises an ``OSError`` that
    lists what went wrong with every URL when none succeeds.
    """
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    failures = []
    for url in urls:
        try:
            _download_one(url, sha256, target)
            return target
        except Exception as error:  # noqa: BLE001  (any failure means: try the next mirror)
            failures.append(f"{url}: {type(error).__name__}: {error}")
    raise OSError("; ".join(failures))


def _download_one(url: str, sha256: str, target: Path) -> None:
    data = fetch_bytes(url)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as f:
            f.write(data)
        # Checked on what landed on disk, so a short write cannot slip through.
        actual = sha256_of(temporary)
        if actual != sha256:
            raise ChecksumError(f"checksum mismatch (SHA-256 {actual}, expected {sha256}); the file was deleted")
        os.replace(temporary, target)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise
