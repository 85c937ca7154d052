"""plugnet.metrics against hand-computed NumPy: updates, weights, accumulation, reset, get/resolve."""

import numpy as np
import pytest

import plugnet
from plugnet import losses, metrics, ops

RNG = np.random.default_rng(7)
Y_TRUE = RNG.uniform(0.0, 2.0, (6, 3)).astype(np.float32)
Y_PRED = RNG.uniform(0.0, 2.0, (6, 3)).astype(np.float32)
LABELS = np.array([0, 2, 1, 1, 0, 2])
PROBS = RNG.uniform(0.01, 1.0, (6, 3)).astype(np.float32)
PROBS /= PROBS.sum(-1, keepdims=True)
ONE_HOT = np.eye(3, dtype=np.float32)[LABELS]
WEIGHTS = np.array([1.0, 0.0, 2.0, 0.5, 1.0, 3.0], np.float32)


def _value(x):
    return float(ops.convert_to_numpy(x))


def _weighted_mean(values, weights=None):
    weights = np.ones_like(values) if weights is None else weights
    return (values * weights).sum() / weights.sum()


def _in_two_batches(metric, *arrays, weights=None):
    """Feed the data as two batches (3 + 3 samples) and return the result."""
    for part in (slice(0, 3), slice(3, 6)):
        kwargs = {} if weights is None else {"sample_weight": weights[part]}
        metric.update_state(*(a[part] for a in arrays), **kwargs)
    return _value(metric.result())


def test_mean_and_sum():
    values = np.array([1.0, 3.0, 5.0, 7.0], np.float32)
    w = np.array([1.0, 0.0, 2.0, 1.0], np.float32)
    mean = metrics.Mean()
    mean.update_state(values[:2], sample_weight=w[:2])
    mean.update_state(values[2:], sample_weight=w[2:])
    assert _value(mean.result()) == pytest.approx((values * w).sum() / w.sum())
    total = metrics.Sum()
    total.update_state(values, sample_weight=w)
    total.update_state(2.0)
    assert _value(total.result()) == pytest.approx((values * w).sum() + 2.0)
    # A scalar counts as one sample.
    scalar_mean = metrics.Mean()
    scalar_mean.update_state(2.0)
    scalar_mean.update_state(4.0)
    assert _value(scalar_mean.result()) == pytest.approx(3.0)


def test_mean_averages_each_sample_then_weights_it():
    values = np.array([[1.0, 3.0], [5.0, 9.0]], np.float32)
    m = metrics.Mean()
    m.update_state(values, sample_weight=np.array([1.0, 3.0], np.float32))
    assert _value(m.result()) == pytest.approx((2.0 * 1 + 7.0 * 3) / 4)
    m.reset_state()
    # Element-wise weights: the weighted values are averaged per sample, the weights too.
    w = np.array([[1.0, 0.0], [1.0, 1.0]], np.float32)
    m.update_state(values, sample_weight=w)
    assert _value(m.result()) == pytest.approx(((1 * 1 + 0) / 2 + (5 + 9) / 2) / (0.5 + 1.0))


def test_result_is_a_snapshot_and_reset_zeroes_state():
    m = metrics.Sum()
    m.update_state([1.0, 2.0])
    first = m.result()
    m.update_state([10.0])
    assert _value(first) == 3.0 and _value(m.result()) == 13.0
    m.reset_state()
    assert _value(m.result()) == 0.0
    mean = metrics.Mean()
    assert _value(mean.result()) == 0.0  # nothing seen: 0, not nan


def test_state_is_non_trainable_variables():
    m = metrics.Mean(name="loss_tracker")
    assert len(m.variables) == 2
    assert all(isinstance(v, plugnet.Variable) and not v.trainable for v in m.variables)
    assert m.name == "loss_tracker" and m.dtype == "float32"


ACCURACY_CASES = {
    "binary": (
        metrics.BinaryAccuracy,
        (np.array([[1], [0], [1], [0], [1], [1]], np.float32), np.array([[0.7], [0.2], [0.4], [0.6], [0.5], [0.9]], np.float32)),
        np.array([1, 1, 0, 0, 0, 1], np.float32),
    ),
    "categorical": (metrics.CategoricalAccuracy, (ONE_HOT, PROBS), (PROBS.argmax(-1) == LABELS).astype(np.float32)),
    "sparse": (metrics.SparseCategoricalAccuracy, (LABELS, PROBS), (PROBS.argmax(-1) == LABELS).astype(np.float32)),
    "exact": (
        metrics.Accuracy,
        (np.array([1, 2, 3, 4, 5, 6]), np.array([1, 2, 0, 4, 0, 6])),
        np.array([1, 1, 0, 1, 0, 1], np.float32),
    ),
    "top_2": (
        lambda: metrics.TopKCategoricalAccuracy(k=2),
        (ONE_HOT, PROBS),
        (np.argsort(-PROBS, -1)[:, :2] == LABELS[:, None]).any(-1).astype(np.float32),
    ),
    "sparse_top_2": (
        lambda: metrics.SparseTopKCategoricalAccuracy(k=2),
        (LABELS, PROBS),
        (np.argsort(-PROBS, -1)[:, :2] == LABELS[:, None]).any(-1).astype(np.float32),
    ),
}


@pytest.mark.parametrize("case", sorted(ACCURACY_CASES))
@pytest.mark.parametrize("weighted", [False, True])
def test_accuracies_accumulate_across_batches(case, weighted):
    make, arrays, hits = ACCURACY_CASES[case]
    weights = WEIGHTS if weighted else None
    metric = make()
    assert _in_two_batches(metric, *arrays, weights=weights) == pytest.approx(_weighted_mean(hits, weights))
    metric.reset_state()
    assert _value(metric.result()) == 0.0
    metric.update_state(*arrays)
    assert _value(metric.result()) == pytest.approx(hits.mean())


def test_binary_accuracy_threshold_and_rank_one_labels():
    y = np.array([1.0, 0.0, 1.0, 0.0], np.float32)
    p = np.array([[0.7], [0.2], [0.4], [0.35]], np.float32)
    m = metrics.BinaryAccuracy(threshold=0.3)
    m.update_state(y, p)
    assert _value(m.result()) == pytest.approx(np.mean((p[:, 0] > 0.3) == y))


def test_sparse_accuracy_label_forms():
    expected = np.mean(PROBS.argmax(-1) == LABELS)
    for labels in (LABELS[:, None], LABELS.astype(np.float32), LABELS.astype(np.int64)):
        m = metrics.SparseCategoricalAccuracy()
        m.update_state(labels, PROBS)
        assert _value(m.result()) == pytest.approx(expected)
    # Predictions that are already class ids.
    per_sample = ops.convert_to_numpy(metrics.sparse_categorical_accuracy(LABELS, PROBS.argmax(-1)))
    assert per_sample.mean() == pytest.approx(expected)


def test_sparse_accuracy_rejects_mismatched_labels():
    with pytest.raises(ValueError, match=r"sparse_categorical_accuracy.*\(6,\).*\(6, 3\).*\(4,\)"):
        metrics.SparseCategoricalAccuracy().update_state(LABELS[:4], PROBS)


def test_sparse_top_k_from_sorted_ids_and_ties():
    ids = np.argsort(-PROBS, -1)
    m = metrics.SparseTopKCategoricalAccuracy(k=1, from_sorted_ids=True)
    m.update_state(LABELS, ids)
    assert _value(m.result()) == pytest.approx(np.mean(PROBS.argmax(-1) == LABELS))
    tied = np.array([[0.5, 0.5, 0.0]], np.float32)
    assert _value(metrics.sparse_top_k_categorical_accuracy([1], tied, k=1)[0]) == 1.0


LOSS_METRICS = {
    "MeanSquaredError": (metrics.MeanSquaredError, losses.mean_squared_error, (Y_TRUE, Y_PRED)),
    "MeanAbsoluteError": (metrics.MeanAbsoluteError, losses.mean_absolute_error, (Y_TRUE, Y_PRED)),
    "MeanAbsolutePercentageError": (
        metrics.MeanAbsolutePercentageError, losses.mean_absolute_percentage_error, (Y_TRUE, Y_PRED)
    ),
    "MeanSquaredLogarithmicError": (
        metrics.MeanSquaredLogarithmicError, losses.mean_squared_logarithmic_error, (Y_TRUE, Y_PRED)
    ),
    "LogCoshError": (metrics.LogCoshError, losses.log_cosh, (Y_TRUE, Y_PRED)),
    "KLDivergence": (metrics.KLDivergence, losses.kl_divergence, (ONE_HOT, PROBS)),
    "Poisson": (metrics.Poisson, losses.poisson, (Y_TRUE, Y_PRED)),
    "BinaryCrossentropy": (metrics.BinaryCrossentropy, losses.binary_crossentropy, (ONE_HOT, PROBS)),
    "CategoricalCrossentropy": (metrics.CategoricalCrossentropy, losses.categorical_crossentropy, (ONE_HOT, PROBS)),
    "SparseCategoricalCrossentropy": (
        metrics.SparseCategoricalCrossentropy, losses.sparse_categorical_crossentropy, (LABELS, PROBS)
    ),
    "Hinge": (metrics.Hinge, losses.hinge, (ONE_HOT, Y_PRED)),
    "SquaredHinge": (metrics.SquaredHinge, losses.squared_hinge, (ONE_HOT, Y_PRED)),
    "CategoricalHinge": (metrics.CategoricalHinge, losses.categorical_hinge, (ONE_HOT, Y_PRED)),
}


@pytest.mark.parametrize("name", sorted(LOSS_METRICS))
def test_loss_metrics_are_the_weighted_mean_of_the_loss(name):
    cls, fn, arrays = LOSS_METRICS[name]
    per_sample = ops.convert_to_numpy(fn(*arrays))
    assert _in_two_batches(cls(), *arrays) == pytest.approx(per_sample.mean(), rel=1e-5)
    assert _in_two_batches(cls(), *arrays, weights=WEIGHTS) == pytest.approx(_weighted_mean(per_sample, WEIGHTS), rel=1e-5)


def test_mean_squared_error_against_numpy():
    expected = ((Y_TRUE - Y_PRED) ** 2).mean(-1)
    assert _in_two_batches(metrics.MeanSquaredError(), Y_TRUE, Y_PRED, weights=WEIGHTS) == pytest.approx(
        _weighted_mean(expected, WEIGHTS), rel=1e-5
    )
    expected = np.abs(Y_TRUE - Y_PRED).mean(-1)
    assert _in_two_batches(metrics.MeanAbsoluteError(), Y_TRUE, Y_PRED) == pytest.approx(expected.mean(), rel=1e-5)


def test_root_mean_squared_error():
    squared = (Y_TRUE - Y_PRED) ** 2
    m = metrics.RootMeanSquaredError()
    assert _in_two_batches(m, Y_TRUE, Y_PRED) == pytest.approx(np.sqrt(squared.mean()), rel=1e-5)
    m = metrics.RootMeanSquaredError()
    weighted = _weighted_mean(squared.mean(-1), WEIGHTS)
    assert _in_two_batches(m, Y_TRUE, Y_PRED, weights=WEIGHTS) == pytest.approx(np.sqrt(weighted), rel=1e-5)


def test_cosine_similarity_metric_is_positive_when_aligned():
    m = metrics.CosineSimilarity()
    m.update_state([[0.0, 1.0], [1.0, 0.0]], [[0.0, 3.0], [1.0, 1.0]])
    assert _value(m.result()) == pytest.approx((1.0 + np.sqrt(0.5)) / 2, rel=1e-5)


def test_mean_metric_wrapper_with_custom_function():
    def max_error(y_true, y_pred, scale=1.0):
        return ops.multiply(ops.max(ops.abs(ops.subtract(y_true, y_pred)), axis=-1), scale)

    m = metrics.MeanMetricWrapper(max_error, scale=2.0)
    assert m.name == "max_error"
    expected = 2 * np.abs(Y_TRUE - Y_PRED).max(-1)
    assert _in_two_batches(m, Y_TRUE, Y_PRED) == pytest.approx(expected.mean(), rel=1e-5)


def test_custom_metric_subclass():
    class CountPositives(metrics.Metric):
        def __init__(self, name="count_positives", dtype=None):
            super().__init__(name=name, dtype=dtype)
            self.count = self.add_weight(name="count")

        def update_state(self, values, sample_weight=None):
            self.count.assign_add(ops.sum(ops.cast(ops.greater(values, 0), self.dtype)))

        def result(self):
            return ops.add(self.count.value, 0.0)

    m = CountPositives()
    assert m([1.0, -1.0, 2.0]) is not None
    m.update_state([3.0])
    assert _value(m.result()) == 3.0
    m.reset_state()
    assert _value(m.result()) == 0.0


@pytest.mark.parametrize(
    "metric",
    [
        metrics.BinaryAccuracy(threshold=0.7, name="ba"), metrics.SparseTopKCategoricalAccuracy(k=3),
        metrics.MeanSquaredError(), metrics.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1),
        metrics.Mean(name="m"), metrics.RootMeanSquaredError(), metrics.CosineSimilarity(axis=0),
        metrics.MeanMetricWrapper(losses.huber, name="huber_metric", delta=2.0),
    ],
    ids=lambda m: type(m).__name__,
)
def test_config_round_trip(metric):
    rebuilt = metrics.deserialize(metrics.serialize(metric))
    assert type(rebuilt) is type(metric) and rebuilt.get_config() == metric.get_config()


def test_metric_and_loss_classes_of_the_same_name_serialize_apart():
    assert metrics.serialize(metrics.MeanSquaredError())["class_name"] != losses.serialize(losses.MeanSquaredError())["class_name"]
    assert isinstance(metrics.deserialize(metrics.serialize(metrics.MeanSquaredError())), metrics.MeanSquaredError)
    assert isinstance(losses.deserialize(losses.serialize(losses.MeanSquaredError())), losses.MeanSquaredError)


@pytest.mark.parametrize(
    "name, cls",
    [
        ("mse", metrics.MeanSquaredError), ("MSE", metrics.MeanSquaredError),
        ("mean_squared_error", metrics.MeanSquaredError), ("mae", metrics.MeanAbsoluteError),
        ("mape", metrics.MeanAbsolutePercentageError), ("msle", metrics.MeanSquaredLogarithmicError),
        ("accuracy", metrics.Accuracy), ("binary_accuracy", metrics.BinaryAccuracy),
        ("categorical_accuracy", metrics.CategoricalAccuracy),
        ("sparse_categorical_accuracy", metrics.SparseCategoricalAccuracy),
        ("top_k_categorical_accuracy", metrics.TopKCategoricalAccuracy),
        ("root_mean_squared_error", metrics.RootMeanSquaredError), ("binary_crossentropy", metrics.BinaryCrossentropy),
        ("bce", metrics.BinaryCrossentropy), ("categorical_crossentropy", metrics.CategoricalCrossentropy),
        ("sparse_categorical_crossentropy", metrics.SparseCategoricalCrossentropy), ("kld", metrics.KLDivergence),
        ("logcosh", metrics.LogCoshError), ("Mean", metrics.Mean), ("SparseCategoricalAccuracy", metrics.SparseCategoricalAccuracy),
    ],
)
def test_get_by_name(name, cls):
    assert type(metrics.get(name)) is cls


def test_get_unknown_name_lists_valid_names():
    with pytest.raises(ValueError) as info:
        metrics.get("accuracyy")
    message = str(info.value)
    assert "accuracyy" in message
    for name in ("accuracy", "binary_accuracy", "mse", "mae", "sparse_categorical_accuracy"):
        assert name in message


@pytest.mark.parametrize(
    "loss, y_true_shape, y_pred_shape, expected",
    [
        ("binary_crossentropy", (32, 10), (32, 10), metrics.BinaryAccuracy),
        (losses.BinaryCrossentropy(from_logits=True), (32,), (32, 1), metrics.BinaryAccuracy),
        ("sparse_categorical_crossentropy", (32, 1), (32, 10), metrics.SparseCategoricalAccuracy),
        (losses.SparseCategoricalCrossentropy, None, None, metrics.SparseCategoricalAccuracy),
        ("categorical_crossentropy", (32, 10), (32, 10), metrics.CategoricalAccuracy),
        (losses.categorical_crossentropy, None, None, metrics.CategoricalAccuracy),
        # Other losses: the shapes decide, as Keras 3's compile does.
        ("mse", (32, 1), (32, 1), metrics.BinaryAccuracy),
        ("mse", (32,), (32, 1), metrics.BinaryAccuracy),
        ("mse", (32,), (32, 10), metrics.SparseCategoricalAccuracy),
        ("mse", (32, 1), (32, 10), metrics.SparseCategoricalAccuracy),
        ("mse", (32, 10), (32, 10), metrics.CategoricalAccuracy),
        (None, (32, 5, 1), (32, 5, 7), metrics.SparseCategoricalAccuracy),
    ],
)
def test_resolve_accuracy(loss, y_true_shape, y_pred_shape, expected):
    for name in ("accuracy", "acc"):
        metric = metrics.resolve(name, loss=loss, y_true_shape=y_true_shape, y_pred_shape=y_pred_shape)
        assert type(metric) is expected and metric.name == name
    assert type(metrics.resolve_accuracy(loss, y_true_shape, y_pred_shape)) is expected


def test_resolve_accuracy_needs_a_loss_or_a_shape():
    with pytest.raises(ValueError, match="binary_accuracy"):
        metrics.resolve("accuracy", loss="mse")


def test_resolve_other_identifiers():
    m = metrics.resolve("mse")
    assert isinstance(m, metrics.MeanSquaredError) and m.name == "mse"
    inst = metrics.BinaryAccuracy()
    assert metrics.resolve(inst) is inst
    wrapped = metrics.resolve(losses.mean_absolute_error)
    assert isinstance(wrapped, metrics.MeanMetricWrapper) and wrapped.name == "mean_absolute_error"
    assert isinstance(metrics.resolve(metrics.RootMeanSquaredError), metrics.RootMeanSquaredError)
    assert metrics.resolve(None) is None


# -- the trainer's loss tracker ---------------------------------------------------------------


@pytest.mark.parametrize("graph", [False, True])
def test_loss_tracker_means_losses_by_batch_size(graph):
    from plugnet.training.compile_utils import LossTracker

    tracker = LossTracker()
    tracker.graph = graph  # traced steps write the Variables on every update
    assert float(tracker.result()) == 0.0
    tracker.update_state(plugnet.ops.convert_to_tensor(2.0), sample_weight=4)
    tracker.update_state(plugnet.ops.convert_to_tensor(5.0), sample_weight=2)
    assert float(tracker.result()) == pytest.approx((2.0 * 4 + 5.0 * 2) / 6)
    tracker.reset_state()
    assert float(tracker.result()) == 0.0


def test_loss_tracker_with_fractional_weights_keeps_means_rule_when_traced():
    from plugnet.training.compile_utils import LossTracker

    tracker = LossTracker()
    tracker.graph = True
    tracker.update_state(plugnet.ops.convert_to_tensor([1.0, 3.0]), sample_weight=[0.25, 0.25])
    assert float(tracker.result()) == pytest.approx(2.0)  # a count of 0.5 is no batch size: no clamp to 1
