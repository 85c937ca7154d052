"""MNIST handwritten digits: 60,000 training and 10,000 test images, 28x28, grayscale.

The data is read from the standard files, from the first place that has them:

1. ``path`` itself, when it names an existing ``.npz`` file (Keras's
   ``mnist.npz`` works as is) or a folder holding the four IDX files;
   a relative ``path`` is looked up in the data folder, then in the current
   directory (the default ``"mnist.npz"`` is ``<data folder>/mnist.npz``);
2. the four IDX files, plain or gzipped, in ``<data folder>/mnist/``;
3. a download of the four ``.gz`` files from a public mirror into
   ``<data folder>/mnist/``, each checked against its published SHA-256.

The data folder is ``cache_dir``, else the ``PLUGNET_DATA_DIR`` environment
variable, else ``~/.plugnet/datasets``. Offline, the error says which files
to put in which folder.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from plugnet.datasets._files import ENV_VAR, DatasetNotFoundError, data_dir, download
from plugnet.datasets._idx import IMAGES_MAGIC, LABELS_MAGIC, read_idx

DEFAULT_PATH = "mnist.npz"
SUBDIR = "mnist"

#: Public copies of the original files; each is tried in turn.
MIRRORS = (
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
)

TRAIN_IMAGES = "train-images-idx3-ubyte"
TRAIN_LABELS = "train-labels-idx1-ubyte"
TEST_IMAGES = "t10k-images-idx3-ubyte"
TEST_LABELS = "t10k-labels-idx1-ubyte"

#: SHA-256 of each published ``<name>.gz`` file.
SHA256 = {
    TRAIN_IMAGES: "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    TRAIN_LABELS: "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    TEST_IMAGES: "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    TEST_LABELS: "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}
FILES = tuple(SHA256)
NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")


def load_data(path: str = DEFAULT_PATH, cache_dir=None):
    """Load MNIST as Keras does: ``(x_train, y_train), (x_test, y_test)``.

    Args:
        path: an ``.npz`` file with the keys ``x_train``, ``y_train``,
            ``x_test``, ``y_test`` (Keras's ``mnist.npz``), or a folder holding
            the four IDX files. Relative paths are looked up in the data folder
            first. With the default, the IDX files are read from (or
            downloaded into) ``<data folder>/mnist/`` when there is no
            ``mnist.npz``.
        cache_dir: the data folder; default ``PLUGNET_DATA_DIR`` or
            ``~/.plugnet/datasets``.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: uint8 images of shape
        ``(60000, 28, 28)`` and ``(10000, 28, 28)`` with values 0..255, and
        uint8 labels 0..9 of shape ``(60000,)`` and ``(10000,)``.

    Raises:
        DatasetNotFoundError: the files are not there and could not be
            downloaded; the message lists which files to put in which folder.
        ValueError: a file is damaged or is not what its name says.

    Example:
        >>> (x_train, y_train), (x_test, y_test) = plugnet.datasets.mnist.load_data()
        >>> x_train = x_train.reshape(-1, 784).astype("float32") / 255
    """
    folder = data_dir(cache_dir)
    given = Path(path).expanduser()
    candidates = [given] if given.is_absolute() else [folder / given, given]
    for candidate in candidates:
        if candidate.is_file():
            return _load_npz(candidate)
        if candidate.is_dir():
            return _load_idx_folder(candidate)
    if str(path) != DEFAULT_PATH:
        looked = " or ".join(str(c) for c in candidates)
        raise DatasetNotFoundError(
            f"MNIST: {path!r} is neither an .npz file nor a folder of IDX files (looked for {looked})."
        )
    idx_folder = folder / SUBDIR
    missing = _missing(idx_folder)
    if missing:
        _download(missing, idx_folder, folder)
    return _load_idx_folder(idx_folder)


def _find(folder: Path, name: str) -> Path | None:
    for candidate in (folder / name, folder / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    return None


def _missing(folder: Path) -> list[str]:
    return [name for name in FILES if _find(folder, name) is None]


def _download(missing: list[str], idx_folder: Path, folder: Path) -> None:
    for name in missing:
        urls = [f"{mirror}{name}.gz" for mirror in MIRRORS]
        try:
            download(f"{name}.gz", urls, SHA256[name], idx_folder)
        except OSError as error:
            failure = f"  {name}.gz: {error}"
            break  # offline, every other file would wait for the same timeouts
    else:
        return
    raise DatasetNotFoundError(
        _put_files_message("MNIST is not on this machine and could not be downloaded.", idx_folder)
        + f"\nor a Keras-style {DEFAULT_PATH} (keys {', '.join(NPZ_KEYS)}) at {folder / DEFAULT_PATH}. "
        f"The files are published at {MIRRORS[0]}. To use another data folder, pass "
        f"load_data(cache_dir=...) or set the {ENV_VAR} environment variable.\n"
        f"The download failed:\n{failure}"
    )


def _put_files_message(headline: str, idx_folder: Path) -> str:
    listing = "\n".join(f"  {name}.gz" for name in _missing(idx_folder))
    return (f"{headline} Put these files in {idx_folder} "
            f"(gzipped as published, or unpacked without the .gz):\n{listing}")


def _load_idx_folder(idx_folder: Path):
    if _missing(idx_folder):
        raise DatasetNotFoundError(_put_files_message(f"MNIST: {idx_folder} lacks some of the four IDX files.",
                                                      idx_folder))
    return (_read_split(idx_folder, TRAIN_IMAGES, TRAIN_LABELS),
            _read_split(idx_folder, TEST_IMAGES, TEST_LABELS))


def _read_split(folder: Path, images_name: str, labels_name: str):
    images_path, labels_path = _find(folder, images_name), _find(folder, labels_name)
    images = read_idx(images_path, magic=IMAGES_MAGIC)
    labels = read_idx(labels_path, magic=LABELS_MAGIC)
    if images.shape[0] != labels.shape[0]:
        raise ValueError(
            f"MNIST: {images_path} holds {images.shape[0]} images but {labels_path} holds "
            f"{labels.shape[0]} labels; the two files must belong together."
        )
    return images, labels


def _load_npz(path: Path):
    try:
        archive = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as error:
        raise ValueError(f"MNIST: {path} is not a NumPy .npz archive ({error}).") from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise ValueError(
            f"MNIST: {path} holds a single array; expected an .npz archive with the keys {', '.join(NPZ_KEYS)}."
        )
    with archive:
        absent = [key for key in NPZ_KEYS if key not in archive.files]
        if absent:
            raise ValueError(
                f"MNIST: {path} lacks the key(s) {', '.join(absent)}; it has {', '.join(archive.files) or 'none'} "
                f"(expected {', '.join(NPZ_KEYS)})."
            )
        try:
            x_train, y_train, x_test, y_test = (archive[key] for key in NPZ_KEYS)
        except (ValueError, OSError, zipfile.BadZipFile) as error:
            raise ValueError(f"MNIST: {path} could not be read ({error}).") from None
    for x_key, x, y_key, y in (("x_train", x_train, "y_train", y_train), ("x_test", x_test, "y_test", y_test)):
        if x.ndim == 0 or y.ndim == 0 or x.shape[0] != y.shape[0]:
            raise ValueError(
                f"MNIST: in {path}, {x_key} has shape {x.shape} and {y_key} has shape {y.shape}; "
                "they need the same number of samples on the first axis."
            )
    return (x_train, y_train), (x_test, y_test)
