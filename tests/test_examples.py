"""The examples run end to end on the active backend, with tiny sizes."""

import importlib
import math
import pathlib

import pytest

import plugnet

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"

try:
    import matplotlib  # noqa: F401

    HAVE_MATPLOTLIB = True
except ImportError:
    HAVE_MATPLOTLIB = False


@pytest.fixture
def example(monkeypatch):
    """Import an example script by name (dcgan imports its sibling, mnist)."""
    monkeypatch.syspath_prepend(str(EXAMPLES))

    def load(name):
        return importlib.import_module(name)

    return load


def test_two_layer_net_losses_fall_all_three_ways(example):
    ratios = example("two_layer_net").main(["--steps", "12"])
    assert len(ratios) == 3
    for way, ratio in zip(("ops + tape", "fit", "custom loop"), ratios):
        assert math.isfinite(ratio) and ratio < 0.7, f"{way}: final/initial loss {ratio}"


def test_mnist_mlp_returns_an_accuracy(example, capsys):
    accuracy = example("mnist").main(
        ["--model", "mlp", "--dataset", "digits", "--epochs", "2", "--limit", "200", "--verbose", "0"]
    )
    assert 0.0 <= accuracy <= 1.0
    # Two epochs on 200 digits already beat guessing one of ten classes.
    assert accuracy > 0.3
    assert "test accuracy=" in capsys.readouterr().out


def test_mnist_rejects_a_bad_limit(example):
    with pytest.raises(SystemExit):
        example("mnist").main(["--limit", "0"])


def test_dcgan_losses_are_finite_and_grids_are_saved(example, tmp_path):
    gen_losses, disc_losses = example("dcgan").main(
        ["--dataset", "digits", "--epochs", "1", "--limit", "64", "--batch-size", "32", "--out", str(tmp_path)]
    )
    assert len(gen_losses) == len(disc_losses) == 1
    assert all(math.isfinite(v) and v > 0 for v in gen_losses + disc_losses)
    if HAVE_MATPLOTLIB:
        png = tmp_path / "epoch_001.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.skipif(plugnet.backend.name() != "numpy", reason="the slow accuracy check runs on the numpy backend only")
def test_mnist_cnn_reaches_98_percent_on_digits(example):
    accuracy = example("mnist").main(["--model", "cnn", "--dataset", "digits", "--verbose", "0"])
    assert accuracy >= 0.98
