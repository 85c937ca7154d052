"""NumPy backend math ops: what the conformance harness does not cover.

dtype preservation (values and backward rules), stability on huge inputs,
tie and zero handling in gradients, and the accuracy of the built-in erf.
"""

import math
import warnings

import numpy as np
import pytest

import plugnet
from plugnet import GradientTape, Variable, ops

pytestmark = pytest.mark.skipif(plugnet.backend.name() != "numpy", reason="NumPy backend internals")


def grad(fn, *xs):
    """Gradients of sum(fn(*xs)) with respect to each of ``xs`` (float arrays)."""
    xs = [np.asarray(x) for x in xs]
    with GradientTape() as tape:
        tape.watch(xs)
        y = ops.sum(fn(*xs))
    return [np.asarray(g) for g in tape.gradient(y, xs)]


def rule(name):
    """The backward rule of ``name``, called as the tape would with every input needing a gradient."""
    from plugnet.backends.numpy import autograd

    def call(g, out, *args):
        autograd._wanted = [a for a in args if isinstance(a, np.ndarray) and a.dtype.kind in "fc"]
        try:
            return autograd.RULES[name](g, out, *args)
        finally:
            autograd._wanted = []

    return call


# -- dtype -----------------------------------------------------------------------

X32 = np.linspace(0.3, 1.7, 12, dtype="float32").reshape(3, 4)
Y32 = np.linspace(-1.2, 1.1, 12, dtype="float32").reshape(3, 4)

UNARY = ["negative", "abs", "square", "sqrt", "rsqrt", "reciprocal", "exp", "expm1", "log", "log1p", "sin", "cos",
         "tanh", "relu", "relu6", "sigmoid", "softplus", "softsign", "silu", "leaky_relu", "elu", "selu", "gelu",
         "softmax", "log_softmax", "sum", "mean", "max", "min", "prod", "var", "std", "logsumexp", "cumsum"]
BINARY = ["add", "subtract", "multiply", "divide", "power", "maximum", "minimum", "matmul", "dot", "tensordot"]


@pytest.mark.parametrize("name", UNARY)
def test_unary_ops_keep_float32_in_values_and_in_their_backward_rule(name):
    out = getattr(ops, name)(X32)
    assert np.asarray(out).dtype == np.float32
    g = np.ones_like(np.asarray(out))
    back = rule(name)(g, out, X32)
    back = back[0] if isinstance(back, tuple) else back
    assert back.dtype == np.float32 and back.shape == X32.shape


@pytest.mark.parametrize("name", BINARY)
def test_binary_ops_keep_float32_in_values_and_in_their_backward_rule(name):
    a, b = (X32, Y32.T) if name in ("matmul", "dot", "tensordot") else (X32, Y32)
    args = (a, b, 1) if name == "tensordot" else (a, b)
    out = getattr(ops, name)(*args)
    assert np.asarray(out).dtype == np.float32
    ga, gb = rule(name)(np.ones_like(out), out, *args)[:2]
    assert (ga.dtype, gb.dtype) == (np.float32, np.float32)
    assert ga.shape == a.shape and gb.shape == b.shape


def test_python_numbers_do_not_promote_float32():
    assert ops.multiply(X32, 2.5).dtype == np.float32
    assert ops.clip(X32, 0.5, 1.0).dtype == np.float32
    assert ops.where(X32 > 1, X32, 0.0).dtype == np.float32
    out = ops.power(X32, 2)
    assert out.dtype == np.float32
    g1, g2 = rule("power")(np.ones_like(out), out, X32, 2)
    assert g1.dtype == np.float32 and g2 is None
    np.testing.assert_allclose(g1, 2 * X32, rtol=1e-6)


def test_a_float64_partner_does_not_leak_float64_into_a_float32_gradient():
    out = ops.multiply(X32, Y32.astype("float64"))
    g1, g2 = rule("multiply")(np.ones_like(out), out, X32, Y32.astype("float64"))
    assert g1.dtype == np.float32 and g2.dtype == np.float64


def test_tape_gradients_of_a_float32_model_are_float32():
    w = Variable(np.full((4, 2), 0.1, "float32"))
    with GradientTape() as tape:
        loss = ops.mean(ops.square(ops.gelu(ops.matmul(X32, w), approximate=False) - 1.0))
    (gw,) = tape.gradient(loss, [w])
    assert gw.dtype == np.float32 and gw.shape == (4, 2)


def test_ops_accept_variables_lists_and_scalars():
    v = Variable(np.array([-1.0, 2.0]))
    np.testing.assert_allclose(ops.relu(v), [0.0, 2.0])
    np.testing.assert_allclose(ops.sum([1.0, 2.0, 3.0]), 6.0)
    np.testing.assert_allclose(ops.softmax([[0.0, 0.0]]), [[0.5, 0.5]])
    np.testing.assert_allclose(ops.sigmoid(0.0), 0.5)
    np.testing.assert_allclose(ops.gelu(1.0, False), 0.5 * (1 + math.erf(1 / math.sqrt(2))), rtol=1e-14)
    np.testing.assert_allclose(ops.logsumexp(np.float32(3.0)), 3.0)


# -- stability --------------------------------------------------------------------

BIG = np.array([[-1000.0, 0.0, 1000.0], [1000.0, 999.0, -1000.0]], "float32")


@pytest.fixture
def no_numpy_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", divide="raise", invalid="raise"):
            yield


def test_sigmoid_and_softplus_are_finite_and_exact_at_1000(no_numpy_warnings):
    np.testing.assert_array_equal(ops.sigmoid(BIG[0]), [0.0, 0.5, 1.0])
    np.testing.assert_allclose(ops.softplus(BIG[0]), [0.0, math.log(2.0), 1000.0], rtol=1e-7, atol=0)
    np.testing.assert_allclose(ops.sigmoid(np.float64(-30.0)), math.exp(-30) / (1 + math.exp(-30)), rtol=1e-14)
    (gs,) = grad(ops.sigmoid, BIG[0])
    (gp,) = grad(ops.softplus, BIG[0])
    np.testing.assert_array_equal(gs, [0.0, 0.25, 0.0])
    np.testing.assert_array_equal(gp, [0.0, 0.5, 1.0])


def test_softmax_family_on_magnitude_1000(no_numpy_warnings):
    e = math.exp(-1.0)
    np.testing.assert_allclose(ops.softmax(BIG), [[0, 0, 1], [1 / (1 + e), e / (1 + e), 0]], atol=1e-7)
    np.testing.assert_allclose(ops.log_softmax(BIG)[1], [-math.log1p(e), -1 - math.log1p(e), -2000 - math.log1p(e)],
                               rtol=1e-6)
    np.testing.assert_allclose(ops.logsumexp(BIG, axis=1), [1000.0, 1000 + math.log1p(e)], rtol=1e-7)
    w = np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 2.0]], "float32")
    (g_sm,) = grad(lambda x: ops.softmax(x) * w, BIG)
    (g_lse,) = grad(lambda x: ops.logsumexp(x, axis=1), BIG)
    assert np.isfinite(g_sm).all() and np.isfinite(g_lse).all()
    # exp(x - logsumexp(x)): at magnitude 1000, float32 holds the result to ~6e-5 absolute
    np.testing.assert_allclose(g_lse, ops.softmax(BIG), rtol=1e-4, atol=1e-7)
    (g_lse64,) = grad(lambda x: ops.logsumexp(x, axis=1), BIG.astype("float64"))
    np.testing.assert_allclose(g_lse64, ops.softmax(BIG.astype("float64")), rtol=1e-12, atol=1e-300)
    (g_ls,) = grad(lambda x: ops.log_softmax(x, axis=0), BIG)
    np.testing.assert_allclose(g_ls, 1 - 2 * ops.softmax(BIG, axis=0), atol=1e-6)


def test_logsumexp_of_all_minus_infinity_is_minus_infinity():
    with np.errstate(divide="ignore"):
        assert ops.logsumexp(np.array([-np.inf, -np.inf])) == -np.inf


# -- ties, zeros, kinks ----------------------------------------------------------------


def test_max_and_min_share_the_gradient_among_ties():
    x = np.array([[2.0, 5.0, 5.0, 5.0], [1.0, 0.0, 1.0, -3.0]])
    (gmax,) = grad(lambda t: ops.max(t, axis=1), x)
    np.testing.assert_allclose(gmax, [[0, 1 / 3, 1 / 3, 1 / 3], [0.5, 0, 0.5, 0]])
    (gmax_all,) = grad(ops.max, x)
    np.testing.assert_allclose(gmax_all, [[0, 1 / 3, 1 / 3, 1 / 3], [0, 0, 0, 0]])
    (gmin,) = grad(lambda t: ops.min(t, axis=0, keepdims=True), np.array([[1.0, 4.0], [1.0, 2.0], [1.0, 3.0]]))
    np.testing.assert_allclose(gmin, [[1 / 3, 0], [1 / 3, 1], [1 / 3, 0]])


def test_maximum_and_minimum_send_a_tie_to_x1():
    a, b = np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.0, 3.0])
    for fn in (ops.maximum, ops.minimum):
        ga, gb = grad(fn, a, b)
        assert ga[0] == 1.0 and gb[0] == 0.0 and ga[2] == 1.0 and gb[2] == 0.0


def test_prod_gradient_with_zeros():
    x = np.array([[2.0, 0.0, 3.0, 4.0], [0.0, 5.0, 0.0, 1.0], [1.0, 2.0, 3.0, 4.0]])
    (g,) = grad(lambda t: ops.prod(t, axis=1), x)
    np.testing.assert_allclose(g, [[0, 24, 0, 0], [0, 0, 0, 0], [24, 12, 8, 6]])
    (g_all,) = grad(ops.prod, np.array([3.0, 0.0, 2.0]))
    np.testing.assert_allclose(g_all, [0.0, 6.0, 0.0])


def test_clip_gradient_is_one_on_the_bounds_and_zero_outside():
    (g,) = grad(lambda t: ops.clip(t, -1.0, 1.0), np.array([-2.0, -1.0, 0.0, 1.0, 2.0]))
    np.testing.assert_array_equal(g, [0, 1, 1, 1, 0])


def test_std_gradient_of_a_constant_slice_is_zero_not_nan():
    x = np.array([[1.0, 1.0, 1.0], [1.0, 2.0, 3.0]])
    (g,) = grad(lambda t: ops.std(t, axis=1), x)
    np.testing.assert_array_equal(g[0], [0.0, 0.0, 0.0])
    np.testing.assert_allclose(g[1], np.array([-1.0, 0.0, 1.0]) / (3 * np.std([1.0, 2.0, 3.0])))


def test_where_routes_the_gradient_and_gives_none_to_the_condition():
    cond = np.array([True, False, True])
    ga, gb = grad(lambda a, b: ops.where(cond, a, b), np.ones(3), np.ones((2, 3)))
    np.testing.assert_array_equal(ga, [2, 0, 2])
    np.testing.assert_array_equal(gb, [[0, 1, 0], [0, 1, 0]])
    assert rule("where")(np.ones(3), None, cond, np.ones(3), np.ones(3))[0] is None


# -- erf and gelu -------------------------------------------------------------------


def test_exact_gelu_matches_math_erf_to_double_precision():
    from plugnet.backends.numpy.activations import _erf

    x = np.concatenate([np.linspace(-8, 8, 4001), np.geomspace(1e-300, 1.0, 301), [0.0]])
    want = np.array([math.erf(v) for v in x])
    np.testing.assert_allclose(_erf(x), want, rtol=1e-14, atol=0)
    x32 = x.astype("float32")
    got32 = _erf(x32)
    assert got32.dtype == np.float32
    np.testing.assert_allclose(got32, [math.erf(v) for v in x32.astype(float)], rtol=4e-7, atol=1e-37)
    z = np.linspace(-6, 6, 101)
    phi = 0.5 * (1 + np.array([math.erf(v / math.sqrt(2)) for v in z]))
    np.testing.assert_allclose(ops.gelu(z, approximate=False), z * phi, rtol=1e-13, atol=1e-14)


def test_gelu_defaults_to_the_tanh_approximation():
    x = np.array([-2.0, -0.5, 0.5, 2.0])
    tanh_form = 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))
    np.testing.assert_allclose(ops.gelu(x), tanh_form, rtol=1e-14)
    assert not np.allclose(ops.gelu(x), ops.gelu(x, approximate=False), rtol=1e-6)


# -- linalg paths the small harness cases do not reach -------------------------------------


def test_large_einsum_gradient_equals_the_matmul_gradient():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((4, 30, 40)), rng.standard_normal((4, 40, 50))
    ga, gb = grad(lambda x, y: ops.einsum("bij,bjk->bik", x, y), a, b)
    ma, mb = grad(ops.matmul, a, b)
    np.testing.assert_allclose(ga, ma, rtol=1e-12)
    np.testing.assert_allclose(gb, mb, rtol=1e-12)


def test_matmul_with_a_shared_kernel_sums_over_every_batch_dim():
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((2, 3, 5, 4)), rng.standard_normal((4, 6))
    gx, gw = grad(ops.matmul, x, w)
    np.testing.assert_allclose(gw, np.einsum("abik,abij->kj", x, np.ones((2, 3, 5, 6))), rtol=1e-12)
    np.testing.assert_allclose(gx, np.broadcast_to(w.sum(axis=1), x.shape), rtol=1e-12)


def test_einsum_rejects_a_mismatched_operand_count():
    with pytest.raises(ValueError, match="2 operands"):
        ops.einsum("ij,jk->ik", np.ones((2, 2)))
