"""plugnet.plugins.tape as a third-party backend uses it: a toy backend of two recorded ops."""

import numpy as np
import pytest

import plugnet
from plugnet.plugins.tape import Node, Recorder


class ToyTensor:
    __slots__ = ("_index", "_node", "_value")

    def __init__(self, value, node, index=0):
        self._value, self._node, self._index = value, node, index


def ToyVariable(value):
    """A plugnet.Variable (what a backend's ops receive) with NumPy storage, whatever backend is active."""
    with plugnet.backend.use("numpy"):
        return plugnet.Variable(np.asarray(value, "float64"), dtype="float64")


def value_of(x):
    if type(x) is ToyTensor:
        return x._value
    return np.asarray(x.value) if isinstance(x, plugnet.Variable) else np.asarray(x, "float64")


def watch_value(x):
    if not isinstance(x, (plugnet.Variable, np.ndarray)):
        raise TypeError(f"cannot watch a {type(x).__name__}")
    return value_of(x)


recorder = Recorder(
    ToyTensor,
    seed=lambda value, given: np.ones_like(value) if given is None else np.asarray(given, "float64"),
    zeros=np.zeros,
    watch_value=watch_value,
    finish=lambda g, source, earlier: g,
)


def tracked(x):
    if type(x) is ToyTensor:
        return x
    if isinstance(x, plugnet.Variable):
        return recorder.leaf(x, value_of(x))
    entry = recorder.leaves.get(id(x))
    return None if entry is None else entry[1]


def multiply(x, y):
    a, b = value_of(x), value_of(y)
    if not recorder.active:
        return a * b
    parents = [(i, t) for i, t in enumerate((tracked(x), tracked(y))) if t is not None]
    if not parents:
        return a * b
    node = Node(parents, lambda g: (g * b, g * a))
    recorder.record(node)
    return ToyTensor(a * b, node)


def split(x):
    """Two results: the first half and the second half of a vector."""
    a = value_of(x)
    halves = [a[: len(a) // 2], a[len(a) // 2:]]
    parent = tracked(x)
    if not recorder.active or parent is None:
        return halves
    node = Node([(0, parent)], lambda g: (np.concatenate(g),), (list, [(h.shape, h.dtype) for h in halves]))
    recorder.record(node)
    return [ToyTensor(h, node, k) for k, h in enumerate(halves)]


def test_gradients_flow_through_recorded_ops_to_variables():
    w = ToyVariable([1.0, 2.0, 3.0])
    with recorder.Tape() as tape:
        y = multiply(multiply(w, w), 2.0)  # 2 w^2
    (g,) = tape.gradient([y], [w])
    np.testing.assert_allclose(g, [4.0, 8.0, 12.0])
    with pytest.raises(RuntimeError, match="released"):
        tape.gradient([y], [w])


def test_a_persistent_tape_answers_twice_and_output_gradients_weigh():
    w = ToyVariable([1.0, 2.0])
    with recorder.Tape(persistent=True) as tape:
        y = multiply(w, 3.0)
    np.testing.assert_allclose(tape.gradient([y], [w])[0], [3.0, 3.0])
    np.testing.assert_allclose(tape.gradient([y], [w], [np.array([1.0, 10.0])])[0], [3.0, 30.0])


def test_watched_arrays_and_two_tapes_over_one_forward_pass():
    x = np.array([1.0, 2.0])
    w = ToyVariable([5.0, 7.0])
    with recorder.Tape() as outer, recorder.Tape() as inner:
        inner.watch(x)
        y = multiply(x, w)
    assert outer.gradient([y], [x]) == [None]  # outer did not watch x
    gx, gw = inner.gradient([y], [x, w])
    np.testing.assert_allclose(gx, [5.0, 7.0])
    np.testing.assert_allclose(gw, [1.0, 2.0])
    with pytest.raises(TypeError, match="cannot watch a str"):
        recorder.Tape().watch("x")


def test_unrecorded_blocks_and_results_no_gradient_reached_get_zeros():
    w = ToyVariable([1.0, 2.0, 3.0, 4.0])
    with recorder.Tape() as tape:
        first, second = split(multiply(w, 1.0))
        with tape.stop_recording():
            assert type(multiply(first, 2.0)) is np.ndarray
        y = multiply(first, 5.0)  # only the first half reaches y: the second's gradient is zeros
    np.testing.assert_allclose(tape.gradient([y], [w])[0], [5.0, 5.0, 0.0, 0.0])
    assert not recorder.active
