"""plugnet.losses against hand-computed NumPy: functions, reductions, weights, shapes, get()."""

import numpy as np
import pytest

import plugnet
from plugnet import losses, ops

EPS = 1e-7
RNG = np.random.default_rng(42)
Y_TRUE = RNG.uniform(0.0, 2.0, (4, 3)).astype(np.float32)
Y_PRED = RNG.uniform(0.0, 2.0, (4, 3)).astype(np.float32)
PROBS_TRUE = RNG.uniform(0.05, 1.0, (4, 3)).astype(np.float32)
PROBS_PRED = RNG.uniform(0.05, 1.0, (4, 3)).astype(np.float32)
LOGITS = RNG.normal(0.0, 2.0, (4, 3)).astype(np.float32)
BINARY = (RNG.uniform(size=(4, 3)) > 0.5).astype(np.float32)
LABELS = np.array([2, 0, 1, 2])
ONE_HOT = np.eye(3, dtype=np.float32)[LABELS]
WEIGHTS = np.array([1.0, 0.5, 0.0, 2.0], dtype=np.float32)


def _np(x):
    return ops.convert_to_numpy(x)


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _bce(y, p):
    p = np.clip(p, EPS, 1 - EPS)
    return -(y * np.log(p) + (1 - y) * np.log(1 - p)).mean(-1)


def _cce(y, p):
    p = np.clip(p / p.sum(-1, keepdims=True), EPS, 1 - EPS)
    return -(y * np.log(p)).sum(-1)


def _huber(y, p, delta=1.0):
    e = np.abs(p - y)
    return np.where(e <= delta, 0.5 * e**2, delta * e - 0.5 * delta**2).mean(-1)


def _hinge_labels(y):
    return 2 * y - 1 if np.all((y == 0) | (y == 1)) else y


def _unit(x):
    return x / np.sqrt(np.maximum((x**2).sum(-1, keepdims=True), 1e-12))


# name: (function, args, NumPy reference of the per-sample values)
CASES = {
    "mean_squared_error": (losses.mean_squared_error, (Y_TRUE, Y_PRED), ((Y_TRUE - Y_PRED) ** 2).mean(-1)),
    "mean_absolute_error": (losses.mean_absolute_error, (Y_TRUE, Y_PRED), np.abs(Y_TRUE - Y_PRED).mean(-1)),
    "mean_absolute_percentage_error": (
        losses.mean_absolute_percentage_error, (Y_TRUE, Y_PRED),
        100 * np.abs((Y_TRUE - Y_PRED) / np.maximum(np.abs(Y_TRUE), EPS)).mean(-1),
    ),
    "mean_squared_logarithmic_error": (
        losses.mean_squared_logarithmic_error, (Y_TRUE, Y_PRED),
        ((np.log1p(np.maximum(Y_PRED, EPS)) - np.log1p(np.maximum(Y_TRUE, EPS))) ** 2).mean(-1),
    ),
    "huber": (losses.huber, (Y_TRUE, Y_PRED), _huber(Y_TRUE, Y_PRED)),
    "log_cosh": (losses.log_cosh, (Y_TRUE, Y_PRED), np.log(np.cosh(Y_PRED - Y_TRUE)).mean(-1)),
    "binary_crossentropy": (losses.binary_crossentropy, (BINARY, PROBS_PRED), _bce(BINARY, PROBS_PRED)),
    "categorical_crossentropy": (losses.categorical_crossentropy, (ONE_HOT, PROBS_PRED), _cce(ONE_HOT, PROBS_PRED)),
    "sparse_categorical_crossentropy": (
        losses.sparse_categorical_crossentropy, (LABELS, PROBS_PRED), _cce(ONE_HOT, PROBS_PRED)
    ),
    "kl_divergence": (
        losses.kl_divergence, (PROBS_TRUE, PROBS_PRED),
        (np.clip(PROBS_TRUE, EPS, 1) * np.log(np.clip(PROBS_TRUE, EPS, 1) / np.clip(PROBS_PRED, EPS, 1))).sum(-1),
    ),
    "poisson": (losses.poisson, (Y_TRUE, Y_PRED), (Y_PRED - Y_TRUE * np.log(Y_PRED + EPS)).mean(-1)),
    "hinge": (losses.hinge, (BINARY, LOGITS), np.maximum(1 - _hinge_labels(BINARY) * LOGITS, 0).mean(-1)),
    "squared_hinge": (
        losses.squared_hinge, (BINARY, LOGITS), (np.maximum(1 - _hinge_labels(BINARY) * LOGITS, 0) ** 2).mean(-1)
    ),
    "categorical_hinge": (
        losses.categorical_hinge, (ONE_HOT, LOGITS),
        np.maximum(((1 - ONE_HOT) * LOGITS).max(-1) - (ONE_HOT * LOGITS).sum(-1) + 1, 0),
    ),
    "cosine_similarity": (
        losses.cosine_similarity, (Y_TRUE, LOGITS), -(_unit(Y_TRUE) * _unit(LOGITS)).sum(-1)
    ),
}

CLASS_FOR = {
    "mean_squared_error": losses.MeanSquaredError, "mean_absolute_error": losses.MeanAbsoluteError,
    "mean_absolute_percentage_error": losses.MeanAbsolutePercentageError,
    "mean_squared_logarithmic_error": losses.MeanSquaredLogarithmicError, "huber": losses.Huber,
    "log_cosh": losses.LogCosh, "binary_crossentropy": losses.BinaryCrossentropy,
    "categorical_crossentropy": losses.CategoricalCrossentropy,
    "sparse_categorical_crossentropy": losses.SparseCategoricalCrossentropy, "kl_divergence": losses.KLDivergence,
    "poisson": losses.Poisson, "hinge": losses.Hinge, "squared_hinge": losses.SquaredHinge,
    "categorical_hinge": losses.CategoricalHinge, "cosine_similarity": losses.CosineSimilarity,
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_function_values(name):
    fn, args, expected = CASES[name]
    np.testing.assert_allclose(_np(fn(*args)), expected, rtol=2e-5, atol=1e-6)


@pytest.mark.parametrize("name", sorted(CASES))
def test_class_default_reduction_is_the_batch_mean(name):
    fn, args, expected = CASES[name]
    loss = CLASS_FOR[name]()
    np.testing.assert_allclose(_np(loss(*args)), expected.mean(), rtol=2e-5, atol=1e-6)


@pytest.mark.parametrize(
    "reduction, reference",
    [
        ("sum_over_batch_size", lambda v, w: (v * w).sum() / v.size),
        ("mean", lambda v, w: (v * w).sum() / v.size),
        ("sum", lambda v, w: (v * w).sum()),
        ("mean_with_sample_weight", lambda v, w: (v * w).sum() / w.sum()),
        ("none", lambda v, w: v * w),
        (None, lambda v, w: v * w),
    ],
)
def test_reductions_with_and_without_sample_weight(reduction, reference):
    per_sample = ((Y_TRUE - Y_PRED) ** 2).mean(-1)
    loss = losses.MeanSquaredError(reduction=reduction)
    np.testing.assert_allclose(_np(loss(Y_TRUE, Y_PRED, sample_weight=WEIGHTS)), reference(per_sample, WEIGHTS), rtol=1e-5)
    ones = np.ones_like(WEIGHTS)
    np.testing.assert_allclose(_np(loss(Y_TRUE, Y_PRED)), reference(per_sample, ones), rtol=1e-5)


def test_sample_weight_shapes():
    per_sample = ((Y_TRUE - Y_PRED) ** 2).mean(-1)
    loss = losses.MeanSquaredError()
    expected = (per_sample * WEIGHTS).sum() / 4
    np.testing.assert_allclose(_np(loss(Y_TRUE, Y_PRED, sample_weight=WEIGHTS[:, None])), expected, rtol=1e-5)
    # A scalar weight scales the loss.
    np.testing.assert_allclose(_np(loss(Y_TRUE, Y_PRED, sample_weight=3.0)), 3 * per_sample.mean(), rtol=1e-5)
    # Per-sample weights of a sequence loss (batch, steps) apply to every step of the sample.
    seq_true, seq_pred = Y_TRUE.reshape(4, 3, 1), Y_PRED.reshape(4, 3, 1)
    values = (seq_true - seq_pred)[..., 0] ** 2
    np.testing.assert_allclose(
        _np(loss(seq_true, seq_pred, sample_weight=WEIGHTS)), (values * WEIGHTS[:, None]).sum() / values.size, rtol=1e-5
    )


def test_mismatched_sample_weight_names_the_loss_and_shapes():
    with pytest.raises(ValueError, match=r"mean_squared_error.*\(3,\).*\(4,\)"):
        losses.MeanSquaredError()(Y_TRUE, Y_PRED, sample_weight=np.ones(3, np.float32))


def test_invalid_reduction_lists_the_valid_ones():
    with pytest.raises(ValueError, match="sum_over_batch_size.*sum.*mean"):
        losses.MeanSquaredError(reduction="average")


def test_rank_one_labels_meet_a_single_output_column():
    y = np.array([1.0, 0.0, 1.0], np.float32)
    p = np.array([[0.9], [0.2], [0.4]], np.float32)
    np.testing.assert_allclose(_np(losses.mean_squared_error(y, p)), (y - p[:, 0]) ** 2, rtol=1e-6)
    np.testing.assert_allclose(_np(losses.mean_squared_error(p, y)), (y - p[:, 0]) ** 2, rtol=1e-6)
    expected = _bce(y[:, None], p)
    np.testing.assert_allclose(_np(losses.BinaryCrossentropy()(y, p)), expected.mean(), rtol=1e-6)
    assert _np(losses.MeanSquaredError(reduction="none")(y, p)).shape == (3,)


def test_integer_labels_are_cast():
    y = np.array([[1, 0], [0, 1]], dtype=np.int64)
    p = np.array([[0.8, 0.3], [0.4, 0.6]], dtype=np.float32)
    result = _np(losses.mean_squared_error(y, p))
    assert result.dtype == np.float32
    np.testing.assert_allclose(result, ((y - p) ** 2).mean(-1), rtol=1e-6)
    np.testing.assert_allclose(_np(losses.BinaryCrossentropy()(y, p)), _bce(y, p).mean(), rtol=1e-6)


def test_incompatible_shapes_name_the_loss_and_both_shapes():
    with pytest.raises(ValueError, match=r"mean_squared_error.*\(4, 2\).*\(4, 3\)"):
        losses.MeanSquaredError()(np.zeros((4, 2), np.float32), Y_PRED)
    with pytest.raises(ValueError, match=r"categorical_crossentropy.*\(4,\).*\(4, 3\)"):
        losses.CategoricalCrossentropy()(LABELS, PROBS_PRED)
    with pytest.raises(ValueError, match=r"sparse_categorical_crossentropy.*\(4,\).*\(4, 3\)"):
        losses.SparseCategoricalCrossentropy()(ONE_HOT, PROBS_PRED)


def test_binary_crossentropy_from_logits_matches_probabilities_and_is_stable():
    from_logits = losses.binary_crossentropy(BINARY, LOGITS, from_logits=True)
    from_probs = losses.binary_crossentropy(BINARY, _sigmoid(LOGITS))
    np.testing.assert_allclose(_np(from_logits), _np(from_probs), rtol=1e-4)
    extreme = np.array([[100.0, -100.0]], np.float32)
    value = _np(losses.binary_crossentropy(np.array([[0.0, 1.0]]), extreme, from_logits=True))
    np.testing.assert_allclose(value, [100.0], rtol=1e-6)


def test_probabilities_are_clipped():
    y = np.array([[1.0, 0.0]], np.float32)
    p = np.array([[0.0, 1.0]], np.float32)
    # In float32, 1 - 1e-7 rounds to 1 - 1.19e-7: the reference clips in float32 too.
    np.testing.assert_allclose(_np(losses.binary_crossentropy(y, p)), _bce(y, p), rtol=1e-5)
    assert 15.9 < float(_bce(y, p)[0]) < 16.2
    np.testing.assert_allclose(_np(losses.categorical_crossentropy(y, p)), [-np.log(EPS)], rtol=1e-5)


def test_categorical_crossentropy_from_logits_matches_probabilities_and_is_stable():
    from_logits = losses.categorical_crossentropy(ONE_HOT, LOGITS, from_logits=True)
    np.testing.assert_allclose(_np(from_logits), _cce(ONE_HOT, _softmax(LOGITS)), rtol=1e-4)
    big = np.array([[1000.0, 0.0, -1000.0]], np.float32)
    np.testing.assert_allclose(_np(losses.categorical_crossentropy([[0.0, 1.0, 0.0]], big, from_logits=True)), [1000.0])


def test_sparse_categorical_crossentropy_from_logits_and_label_shapes():
    expected = -np.log(_softmax(LOGITS))[np.arange(4), LABELS]
    loss = losses.SparseCategoricalCrossentropy(from_logits=True, reduction="none")
    np.testing.assert_allclose(_np(loss(LABELS, LOGITS)), expected, rtol=1e-5)
    np.testing.assert_allclose(_np(loss(LABELS[:, None], LOGITS)), expected, rtol=1e-5)
    np.testing.assert_allclose(_np(loss(LABELS.astype(np.float32), LOGITS)), expected, rtol=1e-5)
    # Same as the one-hot categorical form.
    np.testing.assert_allclose(
        _np(losses.sparse_categorical_crossentropy(LABELS, LOGITS, from_logits=True)),
        _np(losses.categorical_crossentropy(ONE_HOT, LOGITS, from_logits=True)), rtol=1e-5,
    )


def test_sparse_categorical_crossentropy_class_axis():
    logits = np.moveaxis(LOGITS, -1, 0)  # classes first
    expected = -np.log(_softmax(LOGITS))[np.arange(4), LABELS]
    np.testing.assert_allclose(
        _np(losses.sparse_categorical_crossentropy(LABELS, logits, from_logits=True, axis=0)), expected, rtol=1e-5
    )


def test_sparse_categorical_crossentropy_ignore_class():
    per_sample = -np.log(_softmax(LOGITS))[np.arange(4), LABELS]
    valid = LABELS != 2
    fn_values = _np(losses.sparse_categorical_crossentropy(LABELS, LOGITS, from_logits=True, ignore_class=2))
    np.testing.assert_allclose(fn_values, np.where(valid, per_sample, 0.0), rtol=1e-5)
    loss = losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=2)
    # The mean runs over the valid samples only.
    np.testing.assert_allclose(_np(loss(LABELS, LOGITS)), per_sample[valid].mean(), rtol=1e-5)
    summed = losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=2, reduction="sum")
    np.testing.assert_allclose(_np(summed(LABELS, LOGITS, sample_weight=WEIGHTS)), (per_sample * WEIGHTS)[valid].sum(),
                               rtol=1e-5)


def test_label_smoothing():
    s = 0.2
    smoothed = BINARY * (1 - s) + 0.5 * s
    np.testing.assert_allclose(
        _np(losses.BinaryCrossentropy(label_smoothing=s)(BINARY, PROBS_PRED / 2)), _bce(smoothed, PROBS_PRED / 2).mean(),
        rtol=1e-5,
    )
    smoothed = ONE_HOT * (1 - s) + s / 3
    np.testing.assert_allclose(
        _np(losses.CategoricalCrossentropy(from_logits=True, label_smoothing=s)(ONE_HOT, LOGITS)),
        _cce(smoothed, _softmax(LOGITS)).mean(), rtol=1e-5,
    )


def test_huber_delta():
    np.testing.assert_allclose(_np(losses.Huber(delta=0.3)(Y_TRUE, Y_PRED)), _huber(Y_TRUE, Y_PRED, 0.3).mean(), rtol=1e-5)


def test_hinge_keeps_minus_one_one_labels():
    signs = 2 * BINARY - 1
    np.testing.assert_allclose(_np(losses.hinge(signs, LOGITS)), _np(losses.hinge(BINARY, LOGITS)), rtol=1e-6)


@pytest.mark.parametrize("from_logits", [True, False])
def test_crossentropy_gradient(from_logits):
    logits = plugnet.Variable(LOGITS)
    with plugnet.GradientTape() as tape:
        inputs = logits if from_logits else ops.softmax(logits)
        value = losses.CategoricalCrossentropy(from_logits=from_logits)(ONE_HOT, inputs)
    (grad,) = tape.gradient(value, [logits])
    np.testing.assert_allclose(_np(grad), (_softmax(LOGITS) - ONE_HOT) / 4, rtol=1e-4, atol=1e-6)


def test_binary_crossentropy_logits_gradient():
    logits = plugnet.Variable(LOGITS)
    with plugnet.GradientTape() as tape:
        value = losses.BinaryCrossentropy(from_logits=True)(BINARY, logits)
    (grad,) = tape.gradient(value, [logits])
    np.testing.assert_allclose(_np(grad), (_sigmoid(LOGITS) - BINARY) / LOGITS.size, rtol=1e-4, atol=1e-7)


def test_default_names_and_configs():
    assert losses.MeanSquaredError().name == "mean_squared_error"
    assert losses.Huber().name == "huber_loss"
    assert losses.BinaryCrossentropy().get_config() == {
        "name": "binary_crossentropy", "reduction": "sum_over_batch_size", "dtype": "float32",
        "from_logits": False, "label_smoothing": 0.0, "axis": -1,
    }
    assert losses.SparseCategoricalCrossentropy().get_config()["ignore_class"] is None


@pytest.mark.parametrize("cls", sorted(CLASS_FOR.values(), key=lambda c: c.__name__), ids=lambda c: c.__name__)
def test_config_round_trip(cls):
    loss = cls(reduction="sum", name="custom")
    rebuilt = losses.deserialize(losses.serialize(loss))
    assert type(rebuilt) is cls and rebuilt.get_config() == loss.get_config()


def test_custom_loss_subclass_and_wrapper():
    class MeanCubedError(losses.Loss):
        def call(self, y_true, y_pred):
            return ops.mean(ops.abs(ops.subtract(y_pred, y_true)) ** 3, axis=-1)

    expected = (np.abs(Y_PRED - Y_TRUE) ** 3).mean(-1)
    loss = MeanCubedError()
    assert loss.name == "mean_cubed_error"
    np.testing.assert_allclose(_np(loss(Y_TRUE, Y_PRED, sample_weight=WEIGHTS)), (expected * WEIGHTS).mean(), rtol=1e-5)

    def scaled_mae(y_true, y_pred, scale=1.0):
        return ops.multiply(losses.mean_absolute_error(y_true, y_pred), scale)

    wrapped = losses.LossFunctionWrapper(scaled_mae, scale=2.0)
    assert wrapped.name == "scaled_mae"
    np.testing.assert_allclose(_np(wrapped(Y_TRUE, Y_PRED)), 2 * np.abs(Y_TRUE - Y_PRED).mean(), rtol=1e-5)


NAME_FORMS = {
    "mse": losses.mean_squared_error, "MSE": losses.mean_squared_error,
    "mean_squared_error": losses.mean_squared_error, "mae": losses.mean_absolute_error,
    "mean_absolute_error": losses.mean_absolute_error, "mape": losses.mean_absolute_percentage_error,
    "msle": losses.mean_squared_logarithmic_error, "huber": losses.huber, "log_cosh": losses.log_cosh,
    "logcosh": losses.log_cosh, "binary_crossentropy": losses.binary_crossentropy, "bce": losses.binary_crossentropy,
    "categorical_crossentropy": losses.categorical_crossentropy,
    "sparse_categorical_crossentropy": losses.sparse_categorical_crossentropy, "kld": losses.kl_divergence,
    "kl_divergence": losses.kl_divergence, "poisson": losses.poisson, "hinge": losses.hinge,
    "squared_hinge": losses.squared_hinge, "categorical_hinge": losses.categorical_hinge,
    "cosine_similarity": losses.cosine_similarity,
}


@pytest.mark.parametrize("name", sorted(NAME_FORMS))
def test_get_names_give_the_function_and_as_loss_a_loss(name):
    fn = NAME_FORMS[name]
    assert losses.get(name) is fn
    loss = losses.as_loss(name)
    assert isinstance(loss, losses.Loss) and loss.name == name
    assert type(loss) is losses.CLASS_OF[fn]


def test_get_other_identifiers():
    assert isinstance(losses.get("CategoricalCrossentropy"), losses.CategoricalCrossentropy)
    assert isinstance(losses.get(losses.Huber), losses.Huber)
    inst = losses.Huber(2.0)
    assert losses.get(inst) is inst and losses.as_loss(inst) is inst
    assert losses.get(None) is None and losses.as_loss(None) is None

    def my_loss(y_true, y_pred):
        return losses.mean_absolute_error(y_true, y_pred)

    assert losses.get(my_loss) is my_loss
    wrapped = losses.as_loss(my_loss)
    assert isinstance(wrapped, losses.LossFunctionWrapper) and wrapped.name == "my_loss"
    config = {"class_name": "BinaryCrossentropy", "config": {"from_logits": True}}
    assert losses.get(config).from_logits is True


def test_get_unknown_name_lists_valid_names():
    with pytest.raises(ValueError) as info:
        losses.get("cross_entropy")
    message = str(info.value)
    assert "cross_entropy" in message
    for name in ("mse", "mae", "binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy",
                 "huber", "MeanSquaredError"):
        assert name in message
