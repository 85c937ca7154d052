"""The examples run end to end on the active backend, with tiny sizes."""

import importlib
import math
import pathlib

import numpy as np
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


def test_mnist_mlp_returns_an_accuracy_and_saves_the_curves(example, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the curves go to mnist_curves.png in the working folder by default
    accuracy = example("mnist").main(
        ["--model", "mlp", "--dataset", "digits", "--epochs", "2", "--limit", "200", "--verbose", "0"]
    )
    assert 0.0 <= accuracy <= 1.0
    # Two epochs on 200 digits already beat guessing one of ten classes.
    assert accuracy > 0.3
    assert "test accuracy=" in capsys.readouterr().out
    if HAVE_MATPLOTLIB:
        assert (tmp_path / "mnist_curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_mnist_saves_no_curves_when_told_not_to(example, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    example("mnist").main(["--model", "mlp", "--dataset", "digits", "--epochs", "1", "--limit", "64", "--verbose",
                           "0", "--plot", ""])
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["mnist", "dcgan"])
@pytest.mark.parametrize("option", ["--limit", "--epochs", "--batch-size"])
def test_examples_reject_a_non_positive_count(example, capsys, name, option):
    with pytest.raises(SystemExit):
        example(name).main([option, "0"])
    assert f"{option} must be a positive number, got 0" in capsys.readouterr().err


def test_dcgan_losses_are_finite_and_grids_are_saved(example, tmp_path):
    gen_losses, disc_losses = example("dcgan").main(
        ["--dataset", "digits", "--epochs", "1", "--limit", "64", "--batch-size", "32", "--out", str(tmp_path)]
    )
    assert len(gen_losses) == len(disc_losses) == 1
    assert all(math.isfinite(v) and v > 0 for v in gen_losses + disc_losses)
    if HAVE_MATPLOTLIB:
        png = tmp_path / "epoch_001.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_dcgan_enlarges_the_digits_smoothly(example):
    dcgan = example("dcgan")
    assert dcgan.VARIANTS["digits"].upsample == 2
    images = np.zeros((2, 8, 8, 1), "float32")
    images[0] = 0.25
    images[1, :, 4:] = 1.0  # a vertical edge between columns 3 and 4
    large = dcgan.enlarge(plugnet, images, 2)
    assert large.shape == (2, 16, 16, 1)
    np.testing.assert_allclose(large[0], 0.25, atol=1e-6)
    # Bilinear, not repeated pixels: the edge's two middle columns blend 1/4 and 3/4 of the sides.
    np.testing.assert_allclose(large[1, :, 6:10, 0], np.tile([0.0, 0.25, 0.75, 1.0], (16, 1)), atol=1e-6)
    assert dcgan.enlarge(plugnet, images, 1) is images


def test_mnist_cnn_learns_the_digits_in_a_short_run(example, capsys):
    # 78 steps: too few for batch normalization's moving statistics with Keras's default
    # momentum (0.99) to forget their initial values, which leaves inference at chance level.
    # The full default run (40 epochs) is measured in the README, not here.
    accuracy = example("mnist").main(
        ["--model", "cnn", "--dataset", "digits", "--epochs", "6", "--limit", "400", "--seed", "1", "--verbose", "0",
         "--plot", ""]
    )
    assert accuracy > 0.85
    assert "seed=1 test accuracy=" in capsys.readouterr().out
