"""Data adapters: how fit/evaluate/predict turn arrays and generators into batches."""

import warnings

import numpy as np
import pytest

import plugnet
from plugnet.training import data_adapter
from plugnet.training.array_adapter import (
    ArrayDataAdapter,
    class_weight_to_sample_weights,
    train_validation_split,
)
from plugnet.training.data_adapter import (
    DataAdapter,
    get_data_adapter,
    pack_x_y_sample_weight,
    register_data_adapter,
    unpack_x_y_sample_weight,
)
from plugnet.training.epoch_iterator import EpochIterator
from plugnet.training.generator_adapter import GeneratorDataAdapter


def rows(n, d=2):
    return np.arange(n * d, dtype="float32").reshape(n, d)


def batches_of(adapter):
    return list(adapter.get_iterator())


# -- packing -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "data, expected",
    [("x", ("x", None, None)), (("x",), ("x", None, None)), (("x", "y"), ("x", "y", None)),
     (["x", "y"], ("x", "y", None)), (("x", "y", "w"), ("x", "y", "w"))],
)
def test_unpack_follows_keras(data, expected):
    assert unpack_x_y_sample_weight(data) == expected


def test_unpack_rejects_four_elements():
    with pytest.raises(ValueError, match="got a tuple of 4 elements"):
        unpack_x_y_sample_weight((1, 2, 3, 4))


def test_pack_wraps_a_multi_input_x_so_it_unpacks_as_x():
    x = [np.zeros(2), np.ones(2)]
    packed = pack_x_y_sample_weight(x)
    assert packed == (x,)
    assert unpack_x_y_sample_weight(packed)[0] is x


# -- arrays ------------------------------------------------------------------------


def test_array_batches_in_order_with_the_last_partial_batch():
    x, y = rows(10), np.arange(10, dtype="float32")
    adapter = get_data_adapter(x, y, batch_size=4)
    assert isinstance(adapter, ArrayDataAdapter)
    assert adapter.num_batches == 3
    batches = batches_of(adapter)
    assert [b[0].shape[0] for b in batches] == [4, 4, 2]
    np.testing.assert_array_equal(np.concatenate([b[1] for b in batches]), y)
    np.testing.assert_array_equal(batches[2][0], x[8:])


def test_default_batch_size_is_32_and_steps_derive_it():
    assert get_data_adapter(rows(100)).batch_size == 32
    assert get_data_adapter(rows(100), steps=4).batch_size == 25


def test_float64_becomes_float32_and_ints_stay():
    x = np.zeros((3, 2), dtype="float64")
    y = np.zeros(3, dtype="int64")
    xb, yb = batches_of(get_data_adapter(x, y))[0]
    assert xb.dtype == np.float32 and yb.dtype == np.int64


def test_shuffle_is_a_permutation_reproducible_under_set_random_seed():
    x = rows(20, 1)

    def epoch_orders():
        adapter = get_data_adapter(x, batch_size=6, shuffle=True)
        return [np.concatenate(batches_of(adapter))[:, 0] for _ in range(2)]

    plugnet.utils.set_random_seed(7)
    first = epoch_orders()
    plugnet.utils.set_random_seed(7)
    second = epoch_orders()
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(np.sort(a), x[:, 0])
    assert not np.array_equal(first[0], x[:, 0])  # it did shuffle
    assert not np.array_equal(first[0], first[1])  # and differently per epoch


def test_shuffle_keeps_x_y_and_sample_weight_aligned():
    x = rows(12, 1)
    y = x[:, 0] * 10
    w = x[:, 0] + 100
    for xb, yb, wb in batches_of(get_data_adapter(x, y, w, batch_size=5, shuffle=True)):
        np.testing.assert_array_equal(yb, xb[:, 0] * 10)
        np.testing.assert_array_equal(wb, xb[:, 0] + 100)


def test_batch_shuffle_keeps_batches_contiguous():
    x = rows(12, 1)
    batches = batches_of(get_data_adapter(x, batch_size=4, shuffle="batch"))
    starts = sorted(b[0, 0] for b in batches)
    assert starts == [0.0, 4.0, 8.0]
    for b in batches:
        np.testing.assert_array_equal(np.diff(b[:, 0]), [1.0, 1.0, 1.0])


def test_multi_input_list_and_dict_keep_their_structure():
    a, b = rows(5), rows(5, 3)
    x_list, y = batches_of(get_data_adapter([a, b], np.zeros(5), batch_size=5))[0]
    assert isinstance(x_list, list) and x_list[1].shape == (5, 3)
    (x_dict,) = batches_of(get_data_adapter({"a": a, "b": b}, batch_size=5))[0:1]
    assert set(x_dict) == {"a", "b"}


def test_one_sample_weight_array_serves_every_output():
    y = [np.zeros(4), np.ones(4)]
    w = np.arange(4.0)
    _, _, weights = batches_of(get_data_adapter(rows(4), y, w, batch_size=4))[0]
    assert len(weights) == 2
    np.testing.assert_array_equal(weights[1], w)


def test_mismatched_lengths_name_every_size():
    with pytest.raises(ValueError, match=r"x has 10.*y has 9"):
        get_data_adapter(rows(10), np.zeros(9))
    with pytest.raises(ValueError, match=r"x\[1\] has 3"):
        get_data_adapter([rows(4), rows(3)], np.zeros(4))


def test_class_weight_becomes_sample_weight():
    sparse = np.array([0, 1, 2, 1])
    np.testing.assert_array_equal(class_weight_to_sample_weights(sparse, {1: 3.0, 2: 0.5}), [1.0, 3.0, 0.5, 3.0])
    one_hot = np.eye(3)[sparse]
    np.testing.assert_array_equal(class_weight_to_sample_weights(one_hot, {0: 2.0}), [2.0, 1.0, 1.0, 1.0])
    column = sparse[:, None].astype("float32")
    np.testing.assert_array_equal(class_weight_to_sample_weights(column, {2: 4.0}), [1.0, 1.0, 4.0, 1.0])


def test_class_weight_and_sample_weight_together_is_an_error():
    with pytest.raises(ValueError, match="both `class_weight` and `sample_weight`"):
        get_data_adapter(rows(3), np.zeros(3), np.ones(3), class_weight={0: 1.0})


def test_class_weight_needs_a_single_output():
    with pytest.raises(ValueError, match="single output"):
        get_data_adapter(rows(3), [np.zeros(3), np.zeros(3)], class_weight={0: 1.0})


# -- validation split --------------------------------------------------------------------


def test_validation_split_takes_the_last_fraction():
    x, y = rows(10), np.arange(10.0)
    (xt, yt, wt), (xv, yv, wv) = train_validation_split((x, y, None), 0.3)
    np.testing.assert_array_equal(xt, x[:7])
    np.testing.assert_array_equal(yv, y[7:])
    assert wt is None and wv is None


def test_validation_split_needs_enough_samples_and_arrays():
    with pytest.raises(ValueError, match="cannot be split"):
        train_validation_split((rows(1), np.zeros(1), None), 0.5)
    with pytest.raises(ValueError, match="only supported for NumPy arrays"):
        train_validation_split((iter([]), None, None), 0.5)


# -- generators and iterables ----------------------------------------------------------------


def test_a_generator_is_one_shot_and_an_iterable_restarts():
    def gen():
        for i in range(3):
            yield rows(2) + i, np.zeros(2)

    generator_adapter = get_data_adapter(gen())
    assert isinstance(generator_adapter, GeneratorDataAdapter) and generator_adapter.is_one_shot
    assert generator_adapter.num_batches is None
    assert len(batches_of(generator_adapter)) == 3
    assert batches_of(generator_adapter) == []

    class Batches:
        def __iter__(self):
            return gen()

        def __len__(self):
            return 3

    iterable_adapter = get_data_adapter(Batches())
    assert not iterable_adapter.is_one_shot and iterable_adapter.num_batches == 3
    assert len(batches_of(iterable_adapter)) == len(batches_of(iterable_adapter)) == 3


def test_a_generator_carries_its_own_targets():
    with pytest.raises(ValueError, match="do not pass y separately"):
        get_data_adapter(iter([]), np.zeros(3))
    with pytest.raises(ValueError, match="do not pass sample_weight separately"):
        get_data_adapter(iter([]), sample_weight=np.zeros(3))


def test_class_weight_applies_to_generator_batches():
    adapter = get_data_adapter(iter([(rows(2), np.array([0, 1]))]), class_weight={1: 5.0})
    _, _, weights = next(iter(adapter.get_iterator()))
    np.testing.assert_array_equal(weights, [1.0, 5.0])


def test_unknown_data_is_a_clear_error():
    with pytest.raises(ValueError, match="Unrecognized data type: x is a str"):
        get_data_adapter("not data")


def test_a_registered_adapter_is_asked_first():
    class Box:
        def __init__(self, value):
            self.value = value

    class BoxAdapter(DataAdapter):
        @classmethod
        def can_handle(cls, x, y=None):
            return isinstance(x, Box)

        def __init__(self, x, y=None, sample_weight=None, batch_size=None, steps=None, shuffle=False,
                     class_weight=None):
            self.box = x

        def get_iterator(self):
            return iter([(self.box.value, self.box.value)])

    try:
        register_data_adapter(BoxAdapter)
        assert isinstance(get_data_adapter(Box(rows(2))), BoxAdapter)
    finally:
        data_adapter._ADAPTERS.remove(BoxAdapter)


# -- epochs -----------------------------------------------------------------------------------


def test_epoch_iterator_converts_batches_to_tensors():
    (step, (xb, yb)), = list(EpochIterator(get_data_adapter(rows(2), np.zeros(2, "float64"))).enumerate_epoch())
    assert step == 0 and plugnet.ops.is_tensor(xb) and plugnet.ops.dtype(yb) == "float32"


def test_steps_beyond_the_end_of_a_pass_interrupt_the_epoch():
    iterator = EpochIterator(get_data_adapter(rows(8, 1), batch_size=2), steps=3)

    def epoch():
        return [b[0, 0] for _, b in iterator.enumerate_epoch()]

    assert epoch() == [0.0, 2.0, 4.0]
    with pytest.warns(UserWarning, match="ran out of data after 1 batch"):
        assert epoch() == [6.0]
    assert epoch() == [0.0, 2.0, 4.0]
    assert not iterator.exhausted


def test_steps_per_epoch_continues_then_restarts():
    iterator = EpochIterator(get_data_adapter(rows(8, 1), batch_size=2), steps=2)
    seen = [[b[0, 0] for _, b in iterator.enumerate_epoch()] for _ in range(3)]
    assert seen == [[0.0, 2.0], [4.0, 6.0], [0.0, 2.0]]


def test_a_generator_running_dry_marks_the_iterator_exhausted():
    iterator = EpochIterator(get_data_adapter(iter([(rows(1), rows(1))] * 3)), steps=2)
    assert len(list(iterator.enumerate_epoch())) == 2
    with pytest.warns(UserWarning, match="ran out of data after 1 batch"):
        assert len(list(iterator.enumerate_epoch())) == 1
    assert iterator.exhausted


def test_a_generator_without_steps_learns_its_length():
    iterator = EpochIterator(get_data_adapter(iter([(rows(1), rows(1))] * 3)))
    assert iterator.num_batches is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(list(iterator.enumerate_epoch())) == 3
    assert iterator.num_batches == 3
    with pytest.warns(UserWarning, match="ran out of data"):
        assert list(iterator.enumerate_epoch()) == []
    assert iterator.exhausted
