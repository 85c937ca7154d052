"""plugnet's safetensors reader and writer: round trips, layout, and agreement with the reference library."""

import json
import struct

import numpy as np
import pytest

from plugnet.saving import safetensors_io


def _tensors(rng):
    return {
        "layers/dense/vars/0": rng.normal(size=(3, 4)).astype("float32"),
        "layers/dense/vars/1": rng.normal(size=(4,)).astype("float64"),
        "half": rng.normal(size=(2, 2)).astype("float16"),
        "optimizer/vars/0": np.asarray(7, "int64"),
        "counts": np.arange(6, dtype="int32").reshape(2, 3),
        "bytes": np.arange(5, dtype="uint8"),
        "small": np.array([-3, 4], "int8"),
        "wide": np.array([1, 2**40], "uint64"),
        "mask": np.array([True, False, True]),
        "empty": np.zeros((0, 3), "float32"),
    }


def _assert_same(got: dict, want: dict):
    assert sorted(got) == sorted(want)
    for name, array in want.items():
        assert got[name].dtype == array.dtype and got[name].shape == array.shape, name
        np.testing.assert_array_equal(got[name], array)


def test_round_trip_keeps_names_dtypes_shapes_and_values(rng):
    tensors = _tensors(rng)
    data = safetensors_io.encode(tensors, {"format": "plugnet"})
    got, metadata = safetensors_io.decode(data)
    _assert_same(got, tensors)
    assert metadata == {"format": "plugnet"}
    assert all(array.flags.writeable and array.flags.owndata for array in got.values())


def test_layout_header_length_alignment_and_little_endian_data():
    data = safetensors_io.encode({"b": np.array([1.0, 2.0], ">f4"), "a": np.array([3], "int16")})
    (length,) = struct.unpack("<Q", data[:8])
    assert (8 + length) % 8 == 0  # the buffer starts aligned, padded with spaces
    header = json.loads(data[8:8 + length])
    assert list(header) == ["a", "b"]  # sorted names, data in the same order
    assert header["a"] == {"dtype": "I16", "shape": [1], "data_offsets": [0, 2]}
    assert header["b"] == {"dtype": "F32", "shape": [2], "data_offsets": [2, 10]}
    assert data[8 + length + 2:] == np.array([1.0, 2.0], "<f4").tobytes()
    got, _ = safetensors_io.decode(data)
    np.testing.assert_array_equal(got["b"], [1.0, 2.0])


def test_the_writer_refuses_what_it_cannot_store():
    with pytest.raises(ValueError, match=r"Tensor 'c' has dtype complex64"):
        safetensors_io.encode({"c": np.zeros(2, "complex64")})
    with pytest.raises(TypeError, match=r"metadata must map strings to strings"):
        safetensors_io.encode({}, {"version": 1})
    with pytest.raises(ValueError, match=r"'__metadata__' is reserved"):
        safetensors_io.encode({"__metadata__": np.zeros(1)})


def test_read_file_checks_a_size_cap(tmp_path):
    path = tmp_path / "w.safetensors"
    path.write_bytes(safetensors_io.encode({"x": np.zeros(100, "float32")}))
    assert safetensors_io.read_file(path)[0]["x"].shape == (100,)
    with pytest.raises(safetensors_io.SafetensorsError, match=r"above the limit of 64"):
        safetensors_io.read_file(path, max_bytes=64)


def test_files_agree_with_the_reference_safetensors_library(tmp_path, rng):
    reference = pytest.importorskip("safetensors.numpy")
    tensors = _tensors(rng)
    ours = tmp_path / "ours.safetensors"
    ours.write_bytes(safetensors_io.encode(tensors, {"format": "plugnet"}))
    _assert_same(reference.load_file(str(ours)), tensors)
    theirs = tmp_path / "theirs.safetensors"
    reference.save_file(tensors, str(theirs), metadata={"source": "reference"})
    got, metadata = safetensors_io.read_file(theirs)
    _assert_same(got, tensors)
    assert metadata == {"source": "reference"}


def test_model_weights_files_open_in_the_reference_library(tmp_path):
    reference = pytest.importorskip("safetensors.numpy")
    import plugnet
    from plugnet import layers

    model = plugnet.Sequential([layers.Input(shape=(3,)), layers.Dense(2), layers.BatchNormalization()])
    path = tmp_path / "model.weights.safetensors"
    model.save_weights(path)
    loaded = reference.load_file(str(path))
    assert sorted(loaded) == sorted(f"layers/{key}" for key in [
        "dense/vars/0", "dense/vars/1", "batch_normalization/vars/0", "batch_normalization/vars/1",
        "batch_normalization/vars/2", "batch_normalization/vars/3"])
    for got, want in zip([loaded["layers/dense/vars/0"], loaded["layers/dense/vars/1"]], model.get_weights()):
        np.testing.assert_array_equal(got, want)
