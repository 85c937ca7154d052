"""Every op of the contract: values against NumPy, gradients against finite differences."""

import pytest

from plugnet import ops
from plugnet.plugins.conformance import CASES, RANDOM_OPS, reference
from plugnet.plugins.conformance.harness import check_gradient, check_values
from plugnet.plugins.contract import BY_NAME, OPS

VALUE_CASES = [(name, case) for name, cases in CASES.items() for case in cases]
GRAD_CASES = [(name, case) for name, case in VALUE_CASES if BY_NAME[name].differentiable and case.grad]


def _id(item):
    return f"{item[0]}{item[1]!r}"


def test_every_deterministic_op_has_cases():
    missing = [op.name for op in OPS if op.name not in RANDOM_OPS and op.name not in CASES and op.name != "is_tensor"]
    assert not missing, f"ops without conformance cases: {missing}"


def test_every_differentiable_op_has_a_gradient_case():
    covered = {name for name, _ in GRAD_CASES}
    missing = [op.name for op in OPS if op.differentiable and op.name not in covered and op.name != "dropout"]
    assert not missing, f"differentiable ops without a gradient case: {missing}"


@pytest.mark.parametrize("item", VALUE_CASES, ids=_id)
def test_values(item):
    name, case = item
    check_values(name, case, reference(name))


@pytest.mark.parametrize("item", GRAD_CASES, ids=_id)
def test_gradients(item):
    name, case = item
    check_gradient(name, case)


def test_is_tensor():
    assert ops.is_tensor(ops.ones((2,)))
    assert not ops.is_tensor([1.0, 2.0])
    assert not ops.is_tensor(3.0)
