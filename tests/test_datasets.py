"""plugnet.datasets: the IDX reader, MNIST from files / npz / a (faked) download, and the digits."""

import gzip
import hashlib
import sys
import urllib.error

import numpy as np
import pytest

from plugnet.datasets import DatasetNotFoundError, IDXFormatError, _files, digits, mnist, read_idx

IDX_TYPE_CODES = {np.dtype("uint8"): 0x08, np.dtype("int8"): 0x09, np.dtype("int16"): 0x0B,
                  np.dtype("int32"): 0x0C, np.dtype("float32"): 0x0D, np.dtype("float64"): 0x0E}


def idx_bytes(array) -> bytes:
    """An IDX file's content, written independently of the reader under test."""
    array = np.asarray(array)
    header = bytes([0, 0, IDX_TYPE_CODES[array.dtype], array.ndim])
    sizes = b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    return header + sizes + array.astype(array.dtype.newbyteorder(">")).tobytes()


def small_mnist(seed=0, n_train=6, n_test=4, side=5):
    rng = np.random.default_rng(seed)
    return {
        mnist.TRAIN_IMAGES: rng.integers(0, 256, (n_train, side, side), dtype=np.uint8),
        mnist.TRAIN_LABELS: rng.integers(0, 10, n_train, dtype=np.uint8),
        mnist.TEST_IMAGES: rng.integers(0, 256, (n_test, side, side), dtype=np.uint8),
        mnist.TEST_LABELS: rng.integers(0, 10, n_test, dtype=np.uint8),
    }


def write_idx_folder(folder, arrays, gzipped=()):
    folder.mkdir(parents=True, exist_ok=True)
    for name, array in arrays.items():
        data = idx_bytes(array)
        if name in gzipped:
            (folder / f"{name}.gz").write_bytes(gzip.compress(data))
        else:
            (folder / name).write_bytes(data)


def assert_loaded(result, arrays):
    (x_train, y_train), (x_test, y_test) = result
    for got, name in ((x_train, mnist.TRAIN_IMAGES), (y_train, mnist.TRAIN_LABELS),
                      (x_test, mnist.TEST_IMAGES), (y_test, mnist.TEST_LABELS)):
        assert got.dtype == np.uint8
        np.testing.assert_array_equal(got, arrays[name])


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """No test reaches the network; tests that exercise the download install their own fake."""
    def offline(url, timeout=None):
        raise urllib.error.URLError("network disabled in tests")

    monkeypatch.setattr(_files, "fetch_bytes", offline)
    monkeypatch.delenv(_files.ENV_VAR, raising=False)


# -- the IDX reader --------------------------------------------------------------------------


@pytest.mark.parametrize("gzipped", [False, True])
def test_read_idx_returns_the_stored_uint8_images(tmp_path, gzipped):
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    data = idx_bytes(images)
    path = tmp_path / ("images.gz" if gzipped else "images")
    path.write_bytes(gzip.compress(data) if gzipped else data)
    loaded = read_idx(path, magic=0x00000803)
    np.testing.assert_array_equal(loaded, images)
    assert loaded.dtype == np.uint8 and loaded.flags.writeable


def test_read_idx_recognises_gzip_by_content_not_by_name(tmp_path):
    labels = np.array([3, 1, 4], dtype=np.uint8)
    path = tmp_path / "labels-without-gz-suffix"
    path.write_bytes(gzip.compress(idx_bytes(labels)))
    np.testing.assert_array_equal(read_idx(path, magic=0x00000801), labels)


@pytest.mark.parametrize("dtype", ["int16", "int32", "float32", "float64", "int8"])
def test_read_idx_converts_big_endian_values_to_native(tmp_path, dtype):
    values = np.array([[1, -2, 300], [70000, -5, 6]]).astype(dtype)
    path = tmp_path / "values"
    path.write_bytes(idx_bytes(values))
    loaded = read_idx(path)
    assert loaded.dtype == np.dtype(dtype) and loaded.dtype.isnative
    np.testing.assert_array_equal(loaded, values)


def test_read_idx_rejects_a_labels_file_where_images_are_expected(tmp_path):
    path = tmp_path / "train-labels-idx1-ubyte"
    path.write_bytes(idx_bytes(np.zeros(3, np.uint8)))
    with pytest.raises(IDXFormatError, match=r"train-labels-idx1-ubyte has magic number 0x00000801, expected "
                                             r"0x00000803 \(unsigned-byte images"):
        read_idx(path, magic=0x00000803)


def test_read_idx_names_a_truncated_file_and_the_sizes(tmp_path):
    data = idx_bytes(np.zeros((2, 3, 3), np.uint8))
    path = tmp_path / "cut-images"
    path.write_bytes(data[:-5])
    expected = len(data)
    with pytest.raises(IDXFormatError, match=rf"cut-images is truncated: .*shape \(2, 3, 3\) needs {expected} bytes, "
                                             rf"the file has {expected - 5}"):
        read_idx(path)


def test_read_idx_names_a_truncated_header(tmp_path):
    path = tmp_path / "header-only"
    path.write_bytes(bytes([0, 0, 8, 3]) + (2).to_bytes(4, "big"))
    with pytest.raises(IDXFormatError, match=r"header-only is truncated: its header needs 16 bytes"):
        read_idx(path)


def test_read_idx_rejects_trailing_bytes(tmp_path):
    path = tmp_path / "too-long"
    path.write_bytes(idx_bytes(np.zeros(4, np.uint8)) + b"\x00")
    with pytest.raises(IDXFormatError, match="too-long is longer than its header says"):
        read_idx(path)


@pytest.mark.parametrize("content", [b"", b"hello world, not idx", bytes([0, 0, 0x42, 1, 0, 0, 0, 0])])
def test_read_idx_rejects_what_is_not_idx(tmp_path, content):
    path = tmp_path / "not-idx"
    path.write_bytes(content)
    with pytest.raises(IDXFormatError, match="not-idx is not an IDX file"):
        read_idx(path)


def test_read_idx_names_a_damaged_gzip_file(tmp_path):
    path = tmp_path / "broken.gz"
    path.write_bytes(gzip.compress(idx_bytes(np.zeros((4, 5, 5), np.uint8)))[:-12])
    with pytest.raises(IDXFormatError, match=r"broken\.gz is a damaged or truncated gzip file"):
        read_idx(path)


# -- MNIST from files ------------------------------------------------------------------------


def test_mnist_reads_plain_and_gzipped_idx_files_from_the_cache_folder(tmp_path):
    arrays = small_mnist()
    write_idx_folder(tmp_path / "mnist", arrays, gzipped={mnist.TRAIN_IMAGES, mnist.TEST_LABELS})
    assert_loaded(mnist.load_data(cache_dir=tmp_path), arrays)


def test_mnist_data_folder_comes_from_the_environment_unless_cache_dir_is_given(tmp_path, monkeypatch):
    from_env, from_arg = small_mnist(seed=1), small_mnist(seed=2)
    write_idx_folder(tmp_path / "env" / "mnist", from_env)
    write_idx_folder(tmp_path / "arg" / "mnist", from_arg)
    monkeypatch.setenv("PLUGNET_DATA_DIR", str(tmp_path / "env"))
    assert_loaded(mnist.load_data(), from_env)
    assert_loaded(mnist.load_data(cache_dir=tmp_path / "arg"), from_arg)


def test_the_default_data_folder_is_dot_plugnet_datasets_in_the_home_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    assert _files.data_dir() == tmp_path / ".plugnet" / "datasets"
    arrays = small_mnist()
    write_idx_folder(tmp_path / ".plugnet" / "datasets" / "mnist", arrays)
    assert_loaded(mnist.load_data(), arrays)


def test_mnist_reads_a_folder_given_as_path(tmp_path):
    arrays = small_mnist()
    write_idx_folder(tmp_path / "elsewhere", arrays, gzipped=set(arrays))
    assert_loaded(mnist.load_data(path=str(tmp_path / "elsewhere"), cache_dir=tmp_path / "unused"), arrays)


def test_mnist_reads_a_keras_npz_in_the_cache_folder_before_idx_files(tmp_path):
    npz_arrays, idx_arrays = small_mnist(seed=3), small_mnist(seed=4)
    np.savez(tmp_path / "mnist.npz", x_train=npz_arrays[mnist.TRAIN_IMAGES], y_train=npz_arrays[mnist.TRAIN_LABELS],
             x_test=npz_arrays[mnist.TEST_IMAGES], y_test=npz_arrays[mnist.TEST_LABELS])
    write_idx_folder(tmp_path / "mnist", idx_arrays)
    assert_loaded(mnist.load_data(cache_dir=tmp_path), npz_arrays)


def test_mnist_reads_an_npz_at_an_absolute_path(tmp_path):
    arrays = small_mnist()
    path = tmp_path / "data" / "digits.npz"
    path.parent.mkdir()
    np.savez_compressed(path, x_train=arrays[mnist.TRAIN_IMAGES], y_train=arrays[mnist.TRAIN_LABELS],
                        x_test=arrays[mnist.TEST_IMAGES], y_test=arrays[mnist.TEST_LABELS])
    assert_loaded(mnist.load_data(path=str(path), cache_dir=tmp_path / "cache"), arrays)


def test_mnist_npz_missing_a_key_is_named(tmp_path):
    path = tmp_path / "partial.npz"
    np.savez(path, x_train=np.zeros((2, 3, 3), np.uint8), y_train=np.zeros(2, np.uint8))
    with pytest.raises(ValueError, match=r"partial\.npz lacks the key\(s\) x_test, y_test; it has x_train, y_train"):
        mnist.load_data(path=str(path))


def test_mnist_npz_with_mismatched_lengths_is_rejected(tmp_path):
    path = tmp_path / "odd.npz"
    np.savez(path, x_train=np.zeros((3, 2, 2), np.uint8), y_train=np.zeros(2, np.uint8),
             x_test=np.zeros((1, 2, 2), np.uint8), y_test=np.zeros(1, np.uint8))
    with pytest.raises(ValueError, match=r"x_train has shape \(3, 2, 2\) and y_train has shape \(2,\)"):
        mnist.load_data(path=str(path))


def test_mnist_rejects_a_file_that_is_not_an_npz(tmp_path):
    path = tmp_path / "mnist.npz"
    path.write_bytes(b"certainly not a zip archive")
    with pytest.raises(ValueError, match=r"mnist\.npz is not a NumPy \.npz archive"):
        mnist.load_data(cache_dir=tmp_path)


def test_mnist_rejects_an_npz_with_pickled_objects(tmp_path):
    path = tmp_path / "objects.npz"
    ragged = np.empty(2, dtype=object)
    ragged[:] = [np.zeros(2), np.zeros(3)]
    np.savez(path, x_train=ragged, y_train=np.zeros(2), x_test=np.zeros((1, 1)), y_test=np.zeros(1))
    with pytest.raises(ValueError, match=r"objects\.npz could not be read"):
        mnist.load_data(path=str(path))


def test_mnist_an_explicit_path_that_does_not_exist_is_an_error(tmp_path):
    with pytest.raises(DatasetNotFoundError, match=r"'nowhere\.npz' is neither an \.npz file nor a folder"):
        mnist.load_data(path="nowhere.npz", cache_dir=tmp_path)


def test_mnist_images_and_labels_of_different_lengths_name_both_files(tmp_path):
    arrays = small_mnist()
    arrays[mnist.TEST_LABELS] = arrays[mnist.TEST_LABELS][:-1]
    write_idx_folder(tmp_path / "mnist", arrays)
    with pytest.raises(ValueError, match=r"t10k-images-idx3-ubyte holds 4 images but .*t10k-labels-idx1-ubyte holds "
                                         r"3 labels"):
        mnist.load_data(cache_dir=tmp_path)


def test_mnist_a_swapped_file_is_reported_with_its_name(tmp_path):
    arrays = small_mnist()
    arrays[mnist.TRAIN_LABELS] = arrays[mnist.TRAIN_IMAGES]  # an images file under the labels' name
    write_idx_folder(tmp_path / "mnist", arrays)
    with pytest.raises(IDXFormatError, match=r"train-labels-idx1-ubyte has magic number 0x00000803, expected "
                                             r"0x00000801"):
        mnist.load_data(cache_dir=tmp_path)


def test_mnist_a_given_folder_lacking_files_lists_them(tmp_path):
    arrays = small_mnist()
    del arrays[mnist.TEST_IMAGES]
    write_idx_folder(tmp_path / "mine", arrays)
    with pytest.raises(DatasetNotFoundError) as raised:
        mnist.load_data(path=str(tmp_path / "mine"))
    message = str(raised.value)
    assert f"Put these files in {tmp_path / 'mine'}" in message
    assert "t10k-images-idx3-ubyte.gz" in message and "train-images-idx3-ubyte" not in message


# -- MNIST download (with a fake fetcher) ---------------------------------------------------------


class FakeMirror:
    """Serves gzipped IDX files by URL; ``corrupt`` lists URL prefixes that serve wrong bytes."""

    def __init__(self, arrays, corrupt=()):
        self.files = {f"{name}.gz": gzip.compress(idx_bytes(array), mtime=0) for name, array in arrays.items()}
        self.corrupt = tuple(corrupt)
        self.requests = []

    def sha256(self):
        return {name[:-3]: hashlib.sha256(data).hexdigest() for name, data in self.files.items()}

    def __call__(self, url, timeout=None):
        self.requests.append(url)
        data = self.files[url.rsplit("/", 1)[1]]
        return data[:-1] + b"!" if url.startswith(self.corrupt) else data


@pytest.fixture
def mirror(monkeypatch):
    def install(arrays, corrupt=()):
        fake = FakeMirror(arrays, corrupt)
        monkeypatch.setattr(_files, "fetch_bytes", fake)
        for name, digest in fake.sha256().items():
            monkeypatch.setitem(mnist.SHA256, name, digest)
        return fake

    return install


def test_mnist_downloads_the_four_files_once_into_the_cache(tmp_path, mirror):
    arrays = small_mnist()
    fake = mirror(arrays)
    assert_loaded(mnist.load_data(cache_dir=tmp_path), arrays)
    assert sorted(url.rsplit("/", 1)[1] for url in fake.requests) == sorted(f"{n}.gz" for n in mnist.FILES)
    assert all(url.startswith(mnist.MIRRORS[0]) for url in fake.requests)
    assert sorted(p.name for p in (tmp_path / "mnist").iterdir()) == sorted(f"{n}.gz" for n in mnist.FILES)
    assert_loaded(mnist.load_data(cache_dir=tmp_path), arrays)
    assert len(fake.requests) == 4  # the second load read the cache


def test_mnist_downloads_only_the_missing_files(tmp_path, mirror):
    arrays = small_mnist()
    write_idx_folder(tmp_path / "mnist", {n: a for n, a in arrays.items() if n != mnist.TEST_LABELS})
    fake = mirror(arrays)
    assert_loaded(mnist.load_data(cache_dir=tmp_path), arrays)
    assert fake.requests == [f"{mnist.MIRRORS[0]}{mnist.TEST_LABELS}.gz"]


def test_a_checksum_mismatch_deletes_the_file_and_tries_the_next_mirror(tmp_path, mirror):
    arrays = small_mnist()
    fake = mirror(arrays, corrupt=(mnist.MIRRORS[0],))
    assert_loaded(mnist.load_data(cache_dir=tmp_path), arrays)
    assert len(fake.requests) == 8 and fake.requests[1].startswith(mnist.MIRRORS[1])
    files = sorted(p.name for p in (tmp_path / "mnist").iterdir())
    assert files == sorted(f"{n}.gz" for n in mnist.FILES)  # no temporary or corrupt file left behind


def test_a_checksum_mismatch_on_every_mirror_fails_and_keeps_no_file(tmp_path, mirror):
    mirror(small_mnist(), corrupt=mnist.MIRRORS)
    with pytest.raises(DatasetNotFoundError) as raised:
        mnist.load_data(cache_dir=tmp_path)
    message = str(raised.value)
    assert "checksum mismatch" in message and "the file was deleted" in message
    assert list((tmp_path / "mnist").iterdir()) == []


def test_offline_the_error_says_which_files_go_in_which_folder(tmp_path):
    with pytest.raises(DatasetNotFoundError) as raised:
        mnist.load_data(cache_dir=tmp_path)
    message = str(raised.value)
    assert f"Put these files in {tmp_path / 'mnist'}" in message
    for name in mnist.FILES:
        assert f"  {name}.gz" in message
    assert str(tmp_path / "mnist.npz") in message
    assert "PLUGNET_DATA_DIR" in message and "cache_dir" in message
    assert "network disabled in tests" in message


def test_offline_gives_up_after_the_first_file_fails_on_every_mirror(tmp_path, monkeypatch):
    tried = []

    def unreachable(url, timeout=None):
        tried.append(url)
        raise TimeoutError("timed out")

    monkeypatch.setattr(_files, "fetch_bytes", unreachable)
    with pytest.raises(DatasetNotFoundError, match="TimeoutError: timed out"):
        mnist.load_data(cache_dir=tmp_path)
    assert tried == [f"{m}{mnist.TRAIN_IMAGES}.gz" for m in mnist.MIRRORS]


def test_offline_with_some_files_present_lists_only_the_missing_ones(tmp_path):
    arrays = small_mnist()
    write_idx_folder(tmp_path / "mnist", {mnist.TRAIN_IMAGES: arrays[mnist.TRAIN_IMAGES]}, gzipped=set(arrays))
    with pytest.raises(DatasetNotFoundError) as raised:
        mnist.load_data(cache_dir=tmp_path)
    message = str(raised.value)
    assert "train-images-idx3-ubyte.gz" not in message.split("The download failed")[0]
    assert all(f"  {name}.gz" in message for name in (mnist.TRAIN_LABELS, mnist.TEST_IMAGES, mnist.TEST_LABELS))


def test_the_published_checksums_are_sha256_hex_digests():
    assert set(mnist.SHA256) == {mnist.TRAIN_IMAGES, mnist.TRAIN_LABELS, mnist.TEST_IMAGES, mnist.TEST_LABELS}
    assert all(len(d) == 64 and int(d, 16) >= 0 for d in mnist.SHA256.values())
    assert len(set(mnist.SHA256.values())) == 4


# -- digits ----------------------------------------------------------------------------------


def test_digits_look_like_mnist():
    pytest.importorskip("sklearn")
    (x_train, y_train), (x_test, y_test) = digits.load_data()
    assert x_train.shape == (1437, 8, 8) and x_test.shape == (360, 8, 8)
    assert y_train.shape == (1437,) and y_test.shape == (360,)
    assert x_train.dtype == y_train.dtype == np.uint8
    assert x_train.min() == 0 and x_train.max() == 255
    assert set(np.unique(np.concatenate([y_train, y_test]))) == set(range(10))


def test_digits_are_sklearns_digits_scaled_to_0_255():
    pytest.importorskip("sklearn")
    from sklearn.datasets import load_digits

    source = load_digits()
    (x_train, y_train), (x_test, y_test) = digits.load_data(test_split=0.25, seed=5)
    images = np.concatenate([x_train, x_test])
    labels = np.concatenate([y_train, y_test])
    expected = np.round(source.images * 255.0 / 16.0).astype(np.uint8)
    # Every sample appears once, with its own label: compare (image, label) rows as sorted sets.
    got_rows = np.sort(np.concatenate([images.reshape(len(images), -1), labels[:, None]], axis=1).view(
        [("", np.uint8)] * 65).ravel())
    want_rows = np.sort(np.concatenate([expected.reshape(len(expected), -1), source.target[:, None].astype(np.uint8)],
                                       axis=1).view([("", np.uint8)] * 65).ravel())
    np.testing.assert_array_equal(got_rows, want_rows)
    assert len(x_test) == len(expected) - int(len(expected) * 0.75)


def test_digits_split_is_deterministic_per_seed():
    pytest.importorskip("sklearn")
    (a, ya), _ = digits.load_data(seed=7)
    (b, yb), _ = digits.load_data(seed=7)
    (c, _), _ = digits.load_data(seed=8)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(ya, yb)
    assert not np.array_equal(a, c)


def test_digits_test_split_zero_keeps_everything_for_training():
    pytest.importorskip("sklearn")
    (x_train, _), (x_test, y_test) = digits.load_data(test_split=0.0)
    assert x_train.shape == (1797, 8, 8) and x_test.shape == (0, 8, 8) and y_test.shape == (0,)


@pytest.mark.parametrize("bad", [1.0, -0.1, 1.5])
def test_digits_rejects_a_test_split_outside_0_1(bad):
    with pytest.raises(ValueError, match=rf"test_split must be in \[0, 1\), got {bad}"):
        digits.load_data(test_split=bad)


def test_digits_without_sklearn_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)  # makes the import fail
    with pytest.raises(ImportError, match="pip install scikit-learn"):
        digits.load_data()
