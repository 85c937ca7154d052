"""plugnet.device / set_device: names, placement, and the errors for missing devices."""

import pytest

import plugnet
from plugnet import ops
from plugnet.device import normalize


@pytest.mark.parametrize("name, expected", [("cpu", "cpu"), ("CPU", "cpu"), ("gpu", "gpu:0"), ("gpu:1", "gpu:1"),
                                            ("cuda", "gpu:0"), ("cuda:2", "gpu:2")])
def test_names_are_normalized(name, expected):
    assert normalize(name) == expected


def test_unknown_names_are_refused():
    with pytest.raises(ValueError, match="Unknown device 'tpu:0'"):
        normalize("tpu:0")


def test_cpu_placement_works_on_every_backend():
    with plugnet.device("cpu") as name:
        assert name == "cpu"
        v = plugnet.Variable(ops.ones((2,)))
        assert ops.convert_to_numpy(v + 1.0).tolist() == [2.0, 2.0]
    plugnet.set_device("cpu")
    assert plugnet.device.__module__ == "plugnet.device" and "cpu" in plugnet.backend.devices()


def test_a_missing_gpu_is_a_clear_error():
    if any(d.startswith("gpu") for d in plugnet.backend.devices()):
        pytest.skip("this machine has a GPU")
    with pytest.raises(ValueError, match=r"gpu:0.*Devices of the '\w+' backend: \['cpu'"):
        with plugnet.device("gpu"):
            pass
