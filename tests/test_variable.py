"""plugnet.Variable: assignable values usable wherever a tensor is."""

import numpy as np
import pytest

from plugnet import Variable, ops


def test_creation_defaults_and_properties():
    v = Variable(np.zeros((2, 3)), name="w")
    assert v.shape == (2, 3) and v.dtype == "float32" and v.trainable and v.name == "w"
    assert Variable(np.arange(3)).dtype in ("int32", "int64")
    assert Variable(lambda shape, dtype: np.ones(shape, dtype), shape=(4,)).numpy().tolist() == [1, 1, 1, 1]
    with pytest.raises(ValueError, match="needs `shape`"):
        Variable(lambda shape, dtype: np.ones(shape))


def test_assign_family_and_shape_errors():
    v = Variable(np.ones(3), name="bias")
    v.assign(np.array([1.0, 2.0, 3.0]))
    v.assign_add(np.ones(3))
    v.assign_sub(np.array([0.5, 0.5, 0.5]))
    np.testing.assert_allclose(v.numpy(), [1.5, 2.5, 3.5])
    assert v.numpy().dtype == np.float32
    with pytest.raises(ValueError, match=r"'bias'.*\(2,\).*\(3,\)"):
        v.assign(np.ones(2))


def test_usable_as_a_tensor():
    v = Variable(np.array([[1.0, 2.0], [3.0, 4.0]]))
    np.testing.assert_allclose(np.asarray(v), [[1, 2], [3, 4]])
    np.testing.assert_allclose(ops.convert_to_numpy(v @ v), [[7, 10], [15, 22]])
    np.testing.assert_allclose(ops.convert_to_numpy(1.0 - v), [[0, -1], [-2, -3]])
    np.testing.assert_allclose(ops.convert_to_numpy(np.ones((2, 2), "float32") * v), [[1, 2], [3, 4]])
    np.testing.assert_allclose(ops.convert_to_numpy(v[:, 1]), [2, 4])
    np.testing.assert_allclose(ops.convert_to_numpy(-v ** 2), [[-1, -4], [-9, -16]])
    assert len(v) == 2 and float(ops.convert_to_numpy(v[0, 0])) == 1.0
    assert "shape=(2, 2)" in repr(v)


def test_the_stored_value_is_a_private_copy():
    source = np.ones(3, "float32")
    v = Variable(source)
    source[0] = 99.0
    assert v.numpy()[0] == 1.0
