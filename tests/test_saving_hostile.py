"""Hostile files: each gets a clear error, and nothing in them is imported, unpickled or run."""

import json
import marshal
import pickle
import struct
import sys
import warnings
import zipfile

import numpy as np
import pytest

import plugnet
from plugnet import layers, ops
from plugnet.layers.naming import clear_session
from plugnet.saving import archive, load_model, load_weights, safetensors_io
from plugnet.saving.safetensors_io import SafetensorsError


@pytest.fixture(autouse=True)
def _fresh_names():
    clear_session()
    yield


def _model():
    return plugnet.Sequential([layers.Input(shape=(3,)), layers.Dense(4, name="hidden"), layers.Dense(2, name="out")])


@pytest.fixture
def saved(tmp_path):
    """A valid model file and its members, for tampering."""
    path = tmp_path / "good.plugnet"
    _model().save(path)
    with zipfile.ZipFile(path) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    return path, members


def _zip(path, members, compress=zipfile.ZIP_STORED):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate names some tests write on purpose
        with zipfile.ZipFile(path, "w") as zf:
            for name, data in members:
                zf.writestr(zipfile.ZipInfo(name), data, compress_type=compress)
    return path


def _with(members, replaced=None):
    """The members as (name, bytes) pairs, some of them replaced."""
    return list({**members, **(replaced or {})}.items())


class _Boom:
    """Unpickling this creates the marker file: proof, if it exists, that something unpickled."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def _edit_config(members, edit):
    config = json.loads(members["config.json"])
    edit(config)
    return _with(members, {"config.json": json.dumps(config).encode()})


# ---------------------------------------------------------------------------- names in the config


class Tripwire(layers.Layer):
    """Counts its instantiations: loading must not create any object before every name is known."""

    made = 0

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        type(self).made += 1

    def call(self, inputs):
        return inputs


plugnet.registry.register_serializable("test_saving_hostile>Tripwire")(Tripwire)


def test_unknown_class_name_is_refused_before_anything_is_built(tmp_path, saved):
    _, members = saved

    def edit(config):
        config["config"]["layers"].insert(1, {"class_name": "test_saving_hostile>Tripwire", "config": {}})
        config["config"]["layers"][-1]["class_name"] = "EvilLayer"

    path = _zip(tmp_path / "unknown.plugnet", _edit_config(members, edit))
    Tripwire.made = 0
    with pytest.raises(ValueError, match=r"unknown.plugnet: config.json: Unknown object 'EvilLayer'.*custom_objects"):
        load_model(path)
    assert Tripwire.made == 0


def test_module_paths_are_never_imported(tmp_path, saved, monkeypatch):
    _, members = saved
    marker = tmp_path / "imported"
    module_name = "plugnet_hostile_payload"
    (tmp_path / f"{module_name}.py").write_text(f"open({str(marker)!r}, 'w').close()\nclass Boom: pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    cases = [
        {"module": module_name, "class_name": "Boom", "config": {}},
        {"module": "subprocess", "class_name": "Popen", "config": {"args": ["touch", str(marker)]}},
        {"class_name": "os.system", "config": {"command": f"touch {marker}"}},
        {"class_name": f"{module_name}.Boom", "config": {}},
    ]
    for index, layer in enumerate(cases):
        path = _zip(tmp_path / f"module_{index}.plugnet",
                    _edit_config(members, lambda config, layer=layer: config["config"]["layers"].append(layer)))
        with pytest.raises(ValueError, match=rf"Unknown object {layer['class_name']!r}"):
            load_model(path)
    assert module_name not in sys.modules
    assert not marker.exists()


def test_a_registered_function_cannot_be_called_as_a_class(tmp_path, saved):
    calls = []

    @plugnet.registry.register_serializable("test_saving_hostile>side_effect")
    def side_effect(**kwargs):
        calls.append(kwargs)

    _, members = saved
    layer = {"class_name": "test_saving_hostile>side_effect", "config": {"path": "anything"}}
    path = _zip(tmp_path / "function.plugnet",
                _edit_config(members, lambda config: config["config"]["layers"].append(layer)))
    with pytest.raises(ValueError, match=r"names 'test_saving_hostile>side_effect' as a class.*only classes"):
        load_model(path)
    assert calls == []


def test_a_config_describing_a_layer_is_not_a_model(tmp_path, saved):
    _, members = saved
    config = {"class_name": "Dense", "config": {"units": 2}, "build_config": None, "compile_config": None}
    path = _zip(tmp_path / "layer.plugnet", _with(members, {"config.json": json.dumps(config).encode()}))
    with pytest.raises(ValueError, match=r"describes a Dense, not a model"):
        load_model(path)


def test_bad_constructor_arguments_get_an_error_naming_the_file(tmp_path, saved):
    _, members = saved
    path = _zip(tmp_path / "args.plugnet", _edit_config(
        members, lambda config: config["config"]["layers"][1]["config"].update(units="os.system")))
    with pytest.raises(ValueError, match=r"args.plugnet: cannot rebuild the model from config.json.*units"):
        load_model(path)


def test_a_newer_format_version_asks_for_an_upgrade(tmp_path, saved):
    _, members = saved
    metadata = {**json.loads(members["metadata.json"]), "format_version": 99}
    path = _zip(tmp_path / "future.plugnet", _with(members, {"metadata.json": json.dumps(metadata).encode()}))
    with pytest.raises(ValueError, match=r"uses file format 99.*Upgrade plugnet"):
        load_model(path)


def test_deeply_nested_json_is_an_error_not_a_crash(tmp_path, saved):
    _, members = saved
    path = _zip(tmp_path / "deep.plugnet", _with(members, {"config.json": b"[" * 200_000 + b"]" * 200_000}))
    with pytest.raises(ValueError, match=r"config.json is not valid UTF-8 JSON"):
        load_model(path)


# ---------------------------------------------------------------------------- pickles


def test_pickled_payloads_are_never_unpickled(tmp_path, saved):
    _, members = saved
    marker = tmp_path / "unpickled"
    payload = pickle.dumps(_Boom(marker))
    attempts = [
        (_zip(tmp_path / "extra.plugnet", _with(members) + [("model.pkl", payload)]), r"unexpected member 'model.pkl'"),
        (_zip(tmp_path / "weights.plugnet", _with(members, {"model.weights.safetensors": payload})),
         r"model.weights.safetensors: (truncated|the header)"),
        (_zip(tmp_path / "config.plugnet", _with(members, {"config.json": payload})),
         r"config.json is not valid UTF-8 JSON"),
    ]
    whole = tmp_path / "whole.plugnet"
    whole.write_bytes(payload)
    attempts.append((whole, r"not a zip archive"))
    for path, message in attempts:
        with pytest.raises(ValueError, match=message):
            load_model(path)
    weights_file = tmp_path / "pickled.weights.safetensors"
    weights_file.write_bytes(payload)
    with pytest.raises(SafetensorsError):
        load_weights(_model(), weights_file)
    assert not marker.exists()
    pickle.loads(payload)  # the payload is live: unpickling it does create the marker
    assert marker.exists()


# ---------------------------------------------------------------------------- the zip itself


@pytest.mark.parametrize("name", ["../config.json", "/etc/config.json", "weights/../../config.json",
                                  "C:/config.json", "folder/", "..\\config.json"])
def test_member_names_escaping_the_archive_are_refused(tmp_path, saved, name):
    _, members = saved
    path = _zip(tmp_path / "traversal.plugnet", _with(members) + [(name, b"{}")])
    with pytest.raises(ValueError, match=r"refusing member .*a path outside the archive, or a directory"):
        load_model(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["good.plugnet", "traversal.plugnet"]


def test_duplicate_and_missing_members_are_refused(tmp_path, saved):
    _, members = saved
    duplicate = _zip(tmp_path / "duplicate.plugnet", _with(members) + [("config.json", members["config.json"])])
    with pytest.raises(ValueError, match=r"member 'config.json' appears more than once"):
        load_model(duplicate)
    no_config = _zip(tmp_path / "no_config.plugnet", [(k, v) for k, v in members.items() if k != "config.json"])
    with pytest.raises(ValueError, match=r"not a complete .plugnet model file: it has no config.json"):
        load_model(no_config)


def test_a_file_that_is_not_a_zip_is_refused(tmp_path):
    path = tmp_path / "text.plugnet"
    path.write_text("just some text, not a zip")
    with pytest.raises(ValueError, match=r"text.plugnet is not a .plugnet model file: it is not a zip archive"):
        load_model(path)


def test_a_zip_bomb_is_refused_before_it_is_inflated(tmp_path, saved):
    _, members = saved
    bomb = bytes(16 * 2**20)  # 16 MiB of zeros deflate to ~16 KiB
    path = _zip(tmp_path / "bomb.plugnet", _with(members, {"model.weights.safetensors": bomb}), zipfile.ZIP_DEFLATED)
    with pytest.raises(ValueError, match=r"would expand \d+ bytes into 16777216.*zip bomb"):
        load_model(path)


def test_members_above_the_size_cap_are_refused(tmp_path, saved, monkeypatch):
    path, _ = saved
    monkeypatch.setattr(archive, "MAX_JSON_BYTES", 64)
    with pytest.raises(ValueError, match=r"member 'config.json' declares \d+ bytes, above the limit of 64"):
        load_model(path)


# ---------------------------------------------------------------------------- the weights


def _weights_bytes(members):
    return members["model.weights.safetensors"]


def test_truncated_weights_are_refused(tmp_path, saved):
    _, members = saved
    data = _weights_bytes(members)
    cut_header = _zip(tmp_path / "cut_header.plugnet", _with(members, {"model.weights.safetensors": data[:20]}))
    with pytest.raises(ValueError, match=r"truncated: the header declares \d+ bytes but only 12 follow"):
        load_model(cut_header)
    cut_data = _zip(tmp_path / "cut_data.plugnet", _with(members, {"model.weights.safetensors": data[:-10]}))
    with pytest.raises(ValueError, match=r"truncated: the header declares \d+ bytes of tensor data, but only \d+"):
        load_model(cut_data)
    tiny = _zip(tmp_path / "tiny.plugnet", _with(members, {"model.weights.safetensors": b"\x01\x02"}))
    with pytest.raises(ValueError, match=r"truncated: 2 bytes, fewer than the 8-byte header length"):
        load_model(tiny)


def test_an_oversized_header_length_is_refused_without_reading_it(tmp_path, saved):
    _, members = saved
    data = struct.pack("<Q", 2**40) + _weights_bytes(members)[8:]
    path = _zip(tmp_path / "header.plugnet", _with(members, {"model.weights.safetensors": data}))
    with pytest.raises(ValueError, match=r"the header declares 1099511627776 bytes, above the limit"):
        load_model(path)


def _reencoded(members, change):
    tensors, metadata = safetensors_io.decode(_weights_bytes(members))
    change(tensors)
    return _with(members, {"model.weights.safetensors": safetensors_io.encode(tensors, metadata)})


def test_a_wrong_dtype_is_refused_naming_the_layer(tmp_path, saved):
    _, members = saved
    as_float64 = _reencoded(members, lambda t: t.update({"layers/dense/vars/0": t["layers/dense/vars/0"].astype("f8")}))
    path = _zip(tmp_path / "dtype.plugnet", as_float64)
    with pytest.raises(ValueError, match=r"layer 'hidden'.*'hidden/kernel' expects dtype float32, the file has "
                                         r"float64"):
        load_model(path)


def test_a_wrong_shape_is_refused_naming_the_layer_and_shapes(tmp_path, saved):
    _, members = saved
    reshaped = _reencoded(members, lambda t: t.update({"layers/dense_1/vars/0": np.zeros((4, 5), "float32")}))
    path = _zip(tmp_path / "shape.plugnet", reshaped)
    with pytest.raises(ValueError, match=r"layer 'out'.*'out/kernel' expects shape \(4, 2\), the file has "
                                         r"shape \(4, 5\)"):
        load_model(path)


def test_missing_and_extra_weights_are_refused(tmp_path, saved):
    _, members = saved
    missing = _zip(tmp_path / "missing.plugnet", _reencoded(members, lambda t: t.pop("layers/dense/vars/1")))
    with pytest.raises(ValueError, match=r"layer 'hidden'.*'hidden/bias' is missing from the file"):
        load_model(missing)
    extra = _zip(tmp_path / "extra.plugnet",
                 _reencoded(members, lambda t: t.update({"layers/evil/vars/0": np.ones(2)})))
    with pytest.raises(ValueError, match=r"arrays for layers that model 'sequential' does not have: "
                                         r"'layers/evil/vars/0'"):
        load_model(extra)


def _raw_safetensors(header: dict, buffer: bytes) -> bytes:
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + buffer


F32 = {"dtype": "F32", "shape": [2]}


@pytest.mark.parametrize("header, buffer, message", [
    ({"a": {**F32, "data_offsets": [0, 8]}, "b": {**F32, "data_offsets": [4, 12]}}, bytes(12), "overlaps"),
    ({"a": {**F32, "data_offsets": [0, 8]}, "b": {**F32, "data_offsets": [12, 20]}}, bytes(20), "leaves a gap"),
    ({"a": {**F32, "data_offsets": [0, 8]}}, bytes(12), "4 bytes after the last tensor belong to no tensor"),
    ({"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}, bytes(8), r"needs 12 bytes.*span 8"),
    ({"a": {"dtype": "BF16", "shape": [2], "data_offsets": [0, 4]}}, bytes(4), "dtype 'BF16'"),
    ({"a": {"dtype": "O", "shape": [1], "data_offsets": [0, 8]}}, bytes(8), "dtype 'O'"),
    ({"a": {**F32, "shape": [-2], "data_offsets": [0, 8]}}, bytes(8), "not a list of sizes"),
    ({"a": {**F32, "shape": [2.0], "data_offsets": [0, 8]}}, bytes(8), "not a list of sizes"),
    ({"a": {**F32, "data_offsets": [8, 0]}}, bytes(8), r"not \[begin, end\]"),
    ({"a": {**F32, "data_offsets": [0, 8], "extra": 1}}, bytes(8), "exactly 'dtype', 'shape' and 'data_offsets'"),
    ({"__metadata__": {"k": 1}}, b"", "must map strings to strings"),
    (["not", "an", "object"], b"", "must be a JSON object"),
])
def test_malformed_safetensors_are_refused(header, buffer, message):
    with pytest.raises(SafetensorsError, match=message):
        safetensors_io.decode(_raw_safetensors(header, buffer), "hostile.safetensors")


def test_duplicate_tensor_names_are_refused():
    entry = '{"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}'
    text = f'{{"a": {entry}, "a": {entry}}}'.encode()
    with pytest.raises(SafetensorsError, match=r"names tensor 'a' more than once"):
        safetensors_io.decode(struct.pack("<Q", len(text)) + text + bytes(8))


def test_weights_files_get_the_same_checks(tmp_path):
    path = tmp_path / "bad.weights.safetensors"
    path.write_bytes(_raw_safetensors({"layers/dense/vars/0": {**F32, "data_offsets": [0, 8]}}, bytes(4)))
    with pytest.raises(SafetensorsError, match=r"bad.weights.safetensors: truncated"):
        _model().load_weights(path)


# ---------------------------------------------------------------------------- code in a Lambda


def test_lambda_bytecode_never_runs_in_safe_mode(tmp_path, monkeypatch):
    marker = tmp_path / "ran"

    def touch_marker(x, path=str(marker)):
        open(path, "w").close()
        return x

    model = plugnet.Sequential([layers.Input(shape=(2,)), layers.Lambda(touch_marker), layers.Dense(1)])
    path = tmp_path / "lambda.plugnet"
    model.save(path)
    marker.unlink()  # building the model ran the function
    decoded = []
    real_loads = marshal.loads
    monkeypatch.setattr(marshal, "loads", lambda data: decoded.append(data) or real_loads(data))
    with pytest.raises(ValueError, match=r"holds Python bytecode for function 'touch_marker'.*refused in safe mode"):
        load_model(path)
    assert decoded == [] and not marker.exists()
    restored = load_model(path, safe_mode=False)  # the opt-in does run it: the test would see code running
    assert decoded and marker.exists()
    x = np.ones((1, 2), "float32")
    np.testing.assert_allclose(restored.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)


def test_lambda_from_config_is_safe_outside_load_model_too():
    layer = layers.Lambda(lambda x: ops.negative(x))
    with pytest.raises(ValueError, match=r"refused in safe mode"):
        layers.Lambda.from_config(layer.get_config())
    assert layers.Lambda.from_config(layer.get_config(), safe_mode=False).function(2.0) == -2.0


def test_bytecode_from_another_python_is_refused_even_when_unsafe():
    config = layers.Lambda(lambda x: x).get_config()
    config["function"]["config"]["python_version"] = "2.7"
    with pytest.raises(ValueError, match=r"saved as Python 2.7 bytecode"):
        layers.Lambda.from_config(config, safe_mode=False)


def test_members_are_read_from_memory_never_extracted(tmp_path, saved, monkeypatch):
    path, _ = saved

    def refuse(*args, **kwargs):
        raise AssertionError("a member was extracted to disk")

    monkeypatch.setattr(zipfile.ZipFile, "extract", refuse)
    monkeypatch.setattr(zipfile.ZipFile, "extractall", refuse)
    assert isinstance(load_model(path), plugnet.Sequential)
