"""Sample calls of the elementwise, comparison, activation, reduction and linalg
ops, with float64 NumPy references where ``numpy.<name>`` is not one (see harness.Case).

Gradient cases keep their inputs away from kinks and poles (log and sqrt get
positive inputs, relu and abs inputs away from 0), since central differences
across a kink measure neither side.
"""

import math

import numpy as np

from .harness import Case, sample


def uniform(low, high):
    """A maker of sample arrays with values in [low, high)."""
    return lambda *shape, key="": sample(*shape, low=low, high=high, key=key)


positive = uniform(0.5, 2.0)  # safe for log, sqrt, division
moderate = uniform(-3.0, 3.0)  # where activations bend


def away(*shape, key=""):
    """Values of either sign, at least 0.2 away from 0 (the kink of abs, relu, sign)."""
    magnitude = sample(*shape, low=0.2, high=1.5, key=key)
    signs = sample(*shape, dtype="bool", key=key + "sign")
    return np.where(signs, magnitude, -magnitude)


def ints(*shape, low=-5, high=5, key=""):
    return sample(*shape, low=low, high=high, dtype="int32", key=key)


def booleans(*shape, key=""):
    return sample(*shape, dtype="bool", key=key)


SPECIAL = np.array([0.0, -1.5, np.nan, np.inf, -np.inf, 2.0])
HUGE = np.array([[-1000.0, 0.5, 1000.0], [3.0, -1000.0, -999.0]])  # overflows a naive exp
TAILS = np.array([-30.0, -20.0, 20.0, 30.0])  # tiny results, checked relatively (atol=0)
TINY = np.array([1e-8, -1e-9, 0.0])  # where expm1 and log1p beat exp - 1 and log(1 + x)


def binary(x1=sample, x2=None, **kw):
    """Broadcasting cases for an elementwise op of two arguments.

    ``x1``/``x2`` make the operands (``x2`` defaults to ``x1``); each call gets
    its own key, so operands never coincide (no accidental ties).
    """
    x2 = x2 or x1
    return [
        Case(x1(2, 3, key="a"), x2(2, 3, key="b"), **kw),
        Case(x1(2, 3, key="a"), x2(3, key="b"), **kw),
        Case(x1(4, 1, key="a"), x2(1, 5, key="b"), **kw),
        Case(x1(3, key="a"), x2(2, 3, key="b"), **kw),
        Case(x1(key="a"), x2(2, 3, key="b"), **kw),  # a 0-d tensor
    ]


def _with_scalar(x, scalar):
    return [Case(x(2, 3, key="s"), scalar), Case(scalar, x(3, key="t"))]


def unary(make=sample, **kw):
    """A matrix, a 3-D tensor and a 0-d tensor for an elementwise op of one argument."""
    return [Case(make(2, 3, key="u"), **kw), Case(make(2, 1, 3, key="v"), **kw), Case(make(key="w"), **kw)]


def reductions(make=sample):
    """axis None / int / negative / tuple, with and without keepdims."""
    x = make(2, 3, 4, key="r")
    return [
        Case(x),
        Case(x, axis=1),
        Case(x, axis=-1),
        Case(x, axis=(0, 2)),
        Case(x, axis=(-1, 0), keepdims=True),
        Case(x, axis=1, keepdims=True),
        Case(x, keepdims=True),
        Case(x, 0, False),  # positionally
        Case(make(5, key="r1")),
    ]


_COMPARE = binary() + [
    Case(ints(2, 3, low=0, high=3, key="a"), ints(3, low=0, high=3, key="b")),  # with equal elements
    Case(sample(2, 3), 0.0),
]
_LOGICAL = [
    Case(booleans(2, 3, key="a"), booleans(3, key="b")),
    Case(booleans(4, 1, key="a"), booleans(1, 5, key="b")),
    Case(booleans(2, 3, key="a"), True),
    Case(sample(2, 3), ints(2, 3, low=0, high=2)),  # truthiness of numbers
]
_ROUNDABLE = uniform(-4.0, 4.0)

CASES = {
    # -- elementwise
    "add": binary() + _with_scalar(sample, 2.5),
    "subtract": binary() + _with_scalar(sample, 2.5),
    "multiply": binary() + _with_scalar(sample, -1.5) + [Case(sample(2, 3), ints(3, key="i"))],
    "divide": binary(sample, positive) + [Case(sample(2, 3), 4.0), Case(2.0, positive(3))],
    "floor_divide": binary(uniform(-5.0, 5.0), positive)
    + [Case(ints(2, 3, low=-9, high=9), ints(3, low=1, high=4, key="d")), Case(ints(4, low=-9, high=9), 2)],
    "mod": binary(uniform(-5.0, 5.0), positive)
    + [Case(ints(2, 3, low=-9, high=9), ints(3, low=1, high=4, key="d")), Case(sample(4, low=-5, high=5), 1.5)],
    "power": binary(positive, uniform(-2.0, 2.0))
    + [Case(away(2, 3), 2), Case(away(2, 3), 3.0), Case(positive(2, 3), 0.5), Case(2.0, sample(3))],
    "maximum": binary() + _with_scalar(sample, 0.25),
    "minimum": binary() + _with_scalar(sample, 0.25),
    "negative": unary(),
    "abs": unary(away),
    "sign": unary(away) + [Case(np.array([0.0, -2.0, 3.0]))],
    "square": unary(),
    "sqrt": unary(positive),
    "rsqrt": unary(positive),
    "reciprocal": unary(away),
    "exp": unary(),
    "expm1": unary() + [Case(TINY, rtol=1e-6, atol=0.0)],
    "log": unary(positive),
    "log1p": unary(uniform(-0.5, 2.0)) + [Case(TINY, rtol=1e-6, atol=0.0)],
    "sin": unary(moderate),
    "cos": unary(moderate),
    "tanh": unary(moderate) + [Case(HUGE)],
    "floor": unary(_ROUNDABLE),
    "ceil": unary(_ROUNDABLE),
    "round": unary(_ROUNDABLE) + [Case(_ROUNDABLE(2, 3), 1), Case(_ROUNDABLE(2, 3), decimals=2),
                                 Case(np.array([0.5, 1.5, 2.5, -0.5, -2.5]))],  # halves to even
    "clip": [
        Case(sample(2, 3), -0.5, 0.5),
        Case(sample(2, 3), sample(3, low=-0.7, high=-0.2, key="lo"), sample(2, 1, low=0.2, high=0.7, key="hi")),
        Case(sample(4, 1), sample(1, 5, low=-0.7, high=-0.2, key="lo"), 0.3),
        Case(sample(2, 3), 0.6, -0.6),  # x_min > x_max: every element is x_max
        Case(sample(), -0.5, 0.5),
        Case(ints(2, 3, low=-9, high=9), -2, 3, grad=False),
    ],
    "where": [
        Case(booleans(2, 3), sample(2, 3, key="a"), sample(2, 3, key="b")),
        Case(booleans(2, 3), sample(2, 3, key="a"), sample(3, key="b")),
        Case(booleans(4, 1), sample(1, 5, key="a"), 0.5),
        Case(booleans(3), -1.0, sample(2, 3, key="b")),
        Case(sample(2, 3) > 0, sample(2, 1, key="a"), sample(1, 3, key="b")),
    ],
    # -- comparison
    "equal": _COMPARE,
    "not_equal": _COMPARE,
    "less": _COMPARE,
    "less_equal": _COMPARE,
    "greater": _COMPARE,
    "greater_equal": _COMPARE,
    "logical_and": _LOGICAL,
    "logical_or": _LOGICAL,
    "logical_not": [Case(booleans(2, 3)), Case(sample(2, 3)), Case(ints(4, low=0, high=2))],
    "isnan": [Case(SPECIAL), Case(sample(2, 3))],
    "isinf": [Case(SPECIAL), Case(sample(2, 3))],
    "isfinite": [Case(SPECIAL), Case(sample(2, 3))],
    # -- activation
    "relu": unary(away) + [Case(np.array([0.0, -0.0, 3.0]), grad=False)],
    "relu6": unary(uniform(-3.0, 9.0)) + [Case(np.array([-1.0, 0.0, 6.0, 7.0]), grad=False)],
    "sigmoid": unary(moderate) + [Case(HUGE), Case(TAILS, atol=0.0)],
    "softplus": unary(moderate) + [Case(HUGE), Case(TAILS, atol=0.0)],
    "softsign": unary(moderate) + [Case(HUGE)],
    "silu": unary(moderate) + [Case(HUGE)],
    "leaky_relu": unary(away) + [Case(away(2, 3), 0.1), Case(away(4), negative_slope=0.01)],
    "elu": unary(away) + [Case(away(2, 3), 0.5), Case(away(4), alpha=2.0), Case(HUGE)],
    "selu": unary(away) + [Case(HUGE)],
    "gelu": unary(moderate) + [
        Case(moderate(2, 3), approximate=False),
        Case(moderate(3, 4, key="x"), False),
        Case(sample(low=-1.0, high=1.0), approximate=False),
        Case(np.array([-8.0, -5.0, -1e-4, 0.0, 1e-4, 5.0, 8.0]), approximate=False, atol=1e-7),
        Case(np.array([-8.0, -5.0, -1e-4, 0.0, 1e-4, 5.0, 8.0]), atol=1e-7),
    ],
    "softmax": [
        Case(sample(2, 5)),
        Case(sample(2, 3, 4), axis=1),
        Case(sample(2, 3, 4), axis=0),
        Case(sample(2, 3, 4), axis=-2),
        Case(sample(2, 3, 4), 2),
        Case(sample(2, 3, 4), axis=(1, 2)),
        Case(HUGE),
        Case(HUGE, axis=0),
    ],
    "log_softmax": [
        Case(sample(2, 5)),
        Case(sample(2, 3, 4), axis=1),
        Case(sample(2, 3, 4), axis=-2),
        Case(sample(2, 3, 4), axis=(0, 2)),
        Case(HUGE),
        Case(HUGE, axis=0),
    ],
    # -- reduction
    "sum": reductions() + [Case(sample())],
    "mean": reductions() + [Case(sample())],
    "max": reductions() + [
        Case(np.array([[1.0, 3.0, 3.0], [2.0, 0.5, -1.0]]), axis=1),  # a tie shares the gradient
        Case(np.array([[1.0, 3.0, 3.0], [2.0, 0.5, -1.0]])),
    ],
    "min": reductions() + [
        Case(np.array([[1.0, -3.0, -3.0], [2.0, 0.5, -1.0]]), axis=1),
        Case(np.array([[1.0, 4.0], [1.0, 2.0]]), axis=0, keepdims=True),
    ],
    "prod": reductions(positive) + [
        Case(np.array([[0.5, 0.0, 1.5, 2.0], [1.2, 0.7, 0.9, 1.1], [0.0, 2.0, 0.0, 1.5]]), axis=1),
        Case(np.array([[0.5, 0.0, 1.5, 2.0], [1.2, 0.7, 0.9, 1.1], [0.0, 2.0, 0.0, 1.5]]), axis=0),
        Case(np.array([[0.5, 0.0, 1.5], [1.2, 0.7, 0.9]])),
        Case(np.array([[0.5, 0.0, 1.5], [1.2, 0.0, 0.9]])),
    ],
    "var": reductions(),
    "std": reductions(),
    "logsumexp": reductions() + [Case(HUGE, axis=1), Case(HUGE), Case(HUGE, axis=0, keepdims=True)],
    "cumsum": [
        Case(sample(2, 3, 4)),
        Case(sample(2, 3, 4), axis=1),
        Case(sample(2, 3, 4), -1),
        Case(sample(5), axis=0),
        Case(ints(2, 3), grad=False),
    ],
    "argmax": [Case(sample(2, 3, 4)), Case(sample(2, 3, 4), axis=1), Case(sample(2, 3, 4), axis=-1, keepdims=True),
               Case(np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]]), axis=1)],  # ties: the first
    "argmin": [Case(sample(2, 3, 4)), Case(sample(2, 3, 4), axis=0), Case(sample(2, 3, 4), axis=-2, keepdims=True),
               Case(np.array([[1.0, 0.0, 0.0], [2.0, 2.0, 5.0]]), axis=1)],
    "all": [Case(booleans(3, 4)), Case(booleans(3, 4), axis=1), Case(booleans(3, 4), axis=(0, 1), keepdims=True),
            Case(np.ones((2, 3), bool), axis=-1), Case(sample(2, 3)), Case(ints(3, 4, low=0, high=3), axis=0)],
    "any": [Case(booleans(3, 4)), Case(booleans(3, 4), axis=1), Case(booleans(3, 4), axis=(0, 1), keepdims=True),
            Case(np.zeros((2, 3), bool), axis=-1), Case(ints(3, 4, low=0, high=2), axis=0)],
    # -- linalg
    "matmul": [
        Case(sample(2, 3, key="a"), sample(3, 4, key="b")),
        Case(sample(3, key="a"), sample(3, 4, key="b")),
        Case(sample(2, 3, key="a"), sample(3, key="b")),
        Case(sample(3, key="a"), sample(3, key="b")),
        Case(sample(2, 3, 4, key="a"), sample(4, 5, key="b")),
        Case(sample(2, 3, 4, key="a"), sample(2, 4, 5, key="b")),
        Case(sample(2, 1, 3, 4, key="a"), sample(3, 4, 2, key="b")),  # broadcast batch dims
        Case(sample(4, key="a"), sample(2, 4, 3, key="b")),
        Case(sample(2, 3, 4, key="a"), sample(4, key="b")),
        Case(sample(4, 5, key="a"), sample(2, 5, 3, key="b")),
    ],
    "dense": [
        Case(sample(4, 3, key="a"), sample(3, 2, key="b"), sample(2, key="c")),
        Case(sample(4, 3, key="a"), sample(3, 2, key="b")),
        Case(sample(4, 3, key="a"), sample(3, 2, key="b"), None),
        Case(sample(2, 4, 3, key="a"), sample(3, 5, key="b"), sample(5, key="c")),  # a batch of sequences
        Case(sample(3, key="a"), sample(3, 2, key="b"), sample(2, key="c")),
        Case(sample(4, 3, key="a"), sample(3, 2, key="b"), 0.5),
    ],
    "dot": [
        Case(sample(3, key="a"), sample(3, key="b")),
        Case(sample(2, 3, key="a"), sample(3, 4, key="b")),
        Case(sample(2, 3, key="a"), sample(3, key="b")),
        Case(sample(3, key="a"), sample(3, 2, key="b")),
        Case(sample(2, 3, 4, key="a"), sample(4, 2, key="b")),
        Case(sample(2, 3, 4, key="a"), sample(2, 4, 3, key="b")),  # np.dot: all pairs of batch elements
        Case(sample(2, 3, key="a"), 2.5),
        Case(sample(key="a"), sample(2, 3, key="b")),
    ],
    "tensordot": [
        Case(sample(2, 3, 4, key="a"), sample(3, 4, 5, key="b")),
        Case(sample(2, 3, key="a"), sample(3, 4, key="b"), 1),
        Case(sample(2, 3, key="a"), sample(4, key="b"), axes=0),
        Case(sample(3, 4, 2, key="a"), sample(4, 3, 5, key="b"), axes=([1, 0], [0, 1])),
        Case(sample(2, 3, 4, key="a"), sample(4, 5, key="b"), axes=(2, 0)),
        Case(sample(2, 3, 4, key="a"), sample(5, 2, key="b"), axes=([-3], [-1])),
        Case(sample(2, 3, 4, key="a"), sample(4, 3, 2, key="b"), axes=([0, 1, 2], [2, 1, 0])),
    ],
    "einsum": [
        Case("ij,jk->ik", sample(2, 3, key="a"), sample(3, 4, key="b")),
        Case("bij,bjk->bik", sample(2, 2, 3, key="a"), sample(2, 3, 4, key="b")),
        Case("bhqd,bhkd->bhqk", sample(1, 2, 3, 2, key="a"), sample(1, 2, 4, 2, key="b")),
        Case("i,i->", sample(4, key="a"), sample(4, key="b")),
        Case("i,j->ij", sample(3, key="a"), sample(4, key="b")),
        Case("ij,j->ij", sample(2, 3, key="a"), sample(3, key="b")),
        Case("ij->ji", sample(2, 3)),
        Case("ij->i", sample(2, 3)),
        Case("ij->", sample(2, 3)),
        Case("ji", sample(2, 3)),  # implicit output: labels in order, here a transpose
        Case("ij,jk", sample(2, 3, key="a"), sample(3, 4, key="b")),
        Case("ii->i", sample(3, 3)),
        Case("ii", sample(3, 3)),
        Case("iij->ij", sample(3, 3, 2)),
        Case("ij,jk,kl->il", sample(2, 3, key="a"), sample(3, 2, key="b"), sample(2, 4, key="c")),
        Case("...ij,...jk->...ik", sample(2, 3, 4, key="a"), sample(4, 2, key="b")),
        Case("...ij,...jk->...ik", sample(2, 1, 3, 4, key="a"), sample(3, 4, 2, key="b")),
        Case("b...,b->...", sample(2, 3, 4, key="a"), sample(2, key="b")),
        Case("...j,j", sample(2, 3, key="a"), sample(3, key="b")),
        Case("ij, jk -> ik", sample(2, 3, key="a"), sample(3, 2, key="b")),
        Case("ij,jk->ik", sample(16, 40, key="a"), sample(40, 60, key="b"), grad=False),  # NumPy optimizes large ones
    ],
}


def _sigmoid(x):
    return np.exp(-np.logaddexp(0.0, -x))


def _softplus(x):
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))


def _phi(x):
    """The standard normal CDF, from the math module's erf (float64)."""
    return 0.5 * (1.0 + np.vectorize(math.erf, otypes=[float])(np.asarray(x, float) / math.sqrt(2.0)))


def _gelu(x, approximate=True):
    if approximate:
        return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))
    return x * _phi(x)


def _logsumexp(x, axis=None, keepdims=False):
    m = np.max(x, axis=axis, keepdims=True)
    result = m + np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True))
    return result if keepdims else np.squeeze(result, axis=axis)


def _log_softmax(x, axis=-1):
    return x - _logsumexp(x, axis=axis, keepdims=True)


def _elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


def _reduction(fn):
    """NumPy's reduction with the contract's positional order (x, axis, keepdims)."""
    return lambda x, axis=None, keepdims=False: fn(x, axis=axis, keepdims=keepdims)


REFERENCE = {
    "dense": lambda x, kernel, bias=None: np.matmul(x, kernel) + (0.0 if bias is None else bias),
    **{name: _reduction(getattr(np, name)) for name in ("sum", "mean", "max", "min", "prod", "var", "std")},
    "divide": np.true_divide,
    "rsqrt": lambda x: 1 / np.sqrt(x),
    "reciprocal": lambda x: 1 / np.asarray(x),
    "relu": lambda x: np.maximum(x, 0),
    "relu6": lambda x: np.clip(x, 0, 6),
    "sigmoid": _sigmoid,
    "softplus": _softplus,
    "softsign": lambda x: x / (1 + np.abs(x)),
    "silu": lambda x: x * _sigmoid(x),
    "leaky_relu": lambda x, negative_slope=0.2: np.where(x >= 0, x, negative_slope * x),
    "elu": _elu,
    "selu": lambda x: 1.0507009873554805 * _elu(x, 1.6732632423543772),
    "gelu": _gelu,
    "softmax": lambda x, axis=-1: np.exp(_log_softmax(x, axis)),
    "log_softmax": _log_softmax,
    "logsumexp": _logsumexp,
}
