"""The distribution's layout: three source folders, one importable package tree."""

import os
from pathlib import Path

import pytest

import plugnet
import plugnet.backends.numpy
import plugnet.plugins


def test_the_three_folders_install_as_one_package_tree():
    assert Path(plugnet.__file__).parent.name in ("frontend", "plugnet")
    assert Path(plugnet.backends.__file__).parent.name in ("backends", "backends")
    assert Path(plugnet.plugins.__file__).parent.name in ("plugins", "plugins")


@pytest.mark.skipif(not os.environ.get("PLUGNET_EXPECT_INSTALLED"), reason="only under tox's built-package install")
def test_installed_from_a_built_package_not_the_source_tree():
    for module in (plugnet, plugnet.backends, plugnet.plugins):
        path = Path(module.__file__).resolve()
        assert "site-packages" in path.parts, f"{module.__name__} imported from {path}"
        assert path.parent.name in ("plugnet", "backends", "plugins")


def test_the_op_reference_in_docs_is_generated_from_the_contract():
    from plugnet.plugins.contract import markdown

    docs = Path(__file__).resolve().parents[1] / "docs" / "ops.md"
    assert docs.read_text() == markdown(), "regenerate: python -m plugnet.plugins ops-markdown > docs/ops.md"
