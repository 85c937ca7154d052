"""plugnet.regularizers: penalty values, configs, get()."""

import numpy as np
import pytest

import plugnet
from plugnet import ops, regularizers

W = np.array([[1.0, -2.0, 0.5], [-0.25, 3.0, -1.0]], dtype=np.float32)


def _value(regularizer, w=W):
    return float(ops.convert_to_numpy(regularizer(ops.convert_to_tensor(w))))


def test_l1_l2_values():
    assert _value(regularizers.L1()) == pytest.approx(0.01 * np.abs(W).sum())
    assert _value(regularizers.L1(0.3)) == pytest.approx(0.3 * np.abs(W).sum())
    # Keras 3: no factor 1/2 in L2.
    assert _value(regularizers.L2()) == pytest.approx(0.01 * np.square(W).sum())
    assert _value(regularizers.L2(l2=0.2)) == pytest.approx(0.2 * np.square(W).sum())
    assert _value(regularizers.L1L2(l1=0.1, l2=0.2)) == pytest.approx(0.1 * np.abs(W).sum() + 0.2 * np.square(W).sum())
    assert _value(regularizers.L1L2()) == 0.0


def test_regularizer_on_a_variable_is_differentiable():
    w = plugnet.Variable(W)
    with plugnet.GradientTape() as tape:
        penalty = regularizers.L1L2(l1=0.1, l2=0.2)(w)
    (grad,) = tape.gradient(penalty, [w])
    np.testing.assert_allclose(ops.convert_to_numpy(grad), 0.1 * np.sign(W) + 0.4 * W, rtol=1e-6)


@pytest.mark.parametrize("mode", ["rows", "columns"])
def test_orthogonal_regularizer(mode):
    m = W if mode == "rows" else W.T
    unit = m / np.linalg.norm(m, axis=1, keepdims=True)
    cos = unit @ unit.T
    n = cos.shape[0]
    expected = 0.05 * 0.5 * np.abs(cos - np.diag(np.diag(cos))).sum() / (n * (n - 1) / 2)
    assert _value(regularizers.OrthogonalRegularizer(0.05, mode)) == pytest.approx(expected, rel=1e-5)
    assert _value(regularizers.OrthogonalRegularizer(0.05, mode), np.eye(3, dtype=np.float32)) == pytest.approx(0.0)


def test_orthogonal_regularizer_rejects_bad_input():
    with pytest.raises(ValueError, match=r"2-D.*\(2, 3, 4\)"):
        regularizers.OrthogonalRegularizer()(ops.zeros((2, 3, 4)))
    with pytest.raises(ValueError, match="mode"):
        regularizers.OrthogonalRegularizer(mode="diagonal")


@pytest.mark.parametrize("bad", [-0.1, float("nan"), "big"])
def test_factors_are_validated(bad):
    with pytest.raises(ValueError, match="non-negative float"):
        regularizers.L2(bad)


def test_configs_round_trip():
    for reg in (regularizers.L1(0.2), regularizers.L2(0.3), regularizers.L1L2(0.1, 0.4),
                regularizers.OrthogonalRegularizer(0.2, "columns")):
        rebuilt = regularizers.deserialize(regularizers.serialize(reg))
        assert type(rebuilt) is type(reg) and rebuilt.get_config() == reg.get_config()
        assert _value(rebuilt) == pytest.approx(_value(reg))
    assert regularizers.L1(0.2).get_config() == {"l1": 0.2}
    assert regularizers.L2(0.3).get_config() == {"l2": 0.3}


@pytest.mark.parametrize(
    "name, cls, config",
    [
        ("l1", regularizers.L1, {"l1": 0.01}), ("l2", regularizers.L2, {"l2": 0.01}),
        ("l1_l2", regularizers.L1L2, {"l1": 0.0, "l2": 0.0}), ("L1", regularizers.L1, {"l1": 0.01}),
        ("L2", regularizers.L2, {"l2": 0.01}), ("L1L2", regularizers.L1L2, {"l1": 0.0, "l2": 0.0}),
        ("orthogonal_regularizer", regularizers.OrthogonalRegularizer, {"factor": 0.01, "mode": "rows"}),
    ],
)
def test_get_by_name(name, cls, config):
    reg = regularizers.get(name)
    assert type(reg) is cls and reg.get_config() == config


def test_get_other_identifiers():
    inst = regularizers.L2(0.5)
    assert regularizers.get(inst) is inst
    assert regularizers.get(None) is None
    assert type(regularizers.get(regularizers.L1)) is regularizers.L1
    assert regularizers.get({"class_name": "L1L2", "config": {"l1": 0.5, "l2": 0.0}}).l1 == 0.5

    def custom(w):
        return ops.sum(w)

    assert regularizers.get(custom) is custom
    assert regularizers.l1_l2 is regularizers.L1L2


def test_get_unknown_name_lists_valid_names():
    with pytest.raises(ValueError) as info:
        regularizers.get("l3")
    message = str(info.value)
    assert "l3" in message and all(name in message for name in ("l1", "l2", "l1_l2"))
