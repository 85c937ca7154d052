"""Sample calls of the manipulation and indexing ops, with NumPy references (see harness.Case)."""

import numpy as np

from .harness import Case, sample


def _ints(*values):
    return np.array(values, dtype=np.int64)


CASES = {
    "reshape": [Case(sample(2, 3, 4), (6, 4)), Case(sample(2, 3), (-1,)), Case(sample(6), (3, 1, 2))],
    "transpose": [Case(sample(2, 3)), Case(sample(2, 3, 4), (1, 2, 0)), Case(sample(2, 3, 4), (-1, 0, 1))],
    "expand_dims": [Case(sample(2, 3), 1), Case(sample(2, 3), -1), Case(sample(2, 3), (0, 3))],
    "squeeze": [Case(sample(2, 1, 3, 1)), Case(sample(2, 1, 3, 1), 1), Case(sample(1, 3), (0,))],
    "swapaxes": [Case(sample(2, 3, 4), 0, 2), Case(sample(2, 3), -1, 0)],
    "moveaxis": [Case(sample(2, 3, 4), 0, -1), Case(sample(2, 3, 4, 5), (0, 1), (3, 2))],
    "concatenate": [
        Case([sample(2, 3), sample(4, 3)]),
        Case([sample(2, 3), sample(2, 1), sample(2, 2)], axis=1),
        Case([sample(2, 3, key="a"), sample(2, 3, key="b")], axis=-1),
        Case([sample(2, 3), sample(4)], axis=None),
    ],
    "stack": [
        Case([sample(2, 3, key="a"), sample(2, 3, key="b")]),
        Case([sample(2, 3, key="a"), sample(2, 3, key="b"), sample(2, 3, key="c")], axis=1),
        Case([sample(4, key="a"), sample(4, key="b")], axis=-1),
    ],
    "split": [Case(sample(6, 2), 3), Case(sample(2, 7), [2, 5], axis=1), Case(sample(2, 3, 4), 2, axis=-1)],
    "tile": [Case(sample(2, 3), (2, 1)), Case(sample(3), (2, 2)), Case(sample(2, 3), 2), Case(sample(2, 1, 2), (3, 1))],
    "repeat": [
        Case(sample(2, 3), 2),
        Case(sample(2, 3), 3, axis=1),
        Case(sample(3, 2), _ints(1, 0, 3), axis=0),
        Case(sample(2, 2), _ints(2, 1, 0, 1)),
        Case(sample(2, 3), _ints(2), axis=-1),
    ],
    "pad": [
        Case(sample(2, 3), ((1, 2), (0, 1))),
        Case(sample(2, 3), 1, "constant", 2.5),
        Case(sample(4, 5), ((2, 1), (3, 2)), mode="reflect"),
        Case(sample(4, 5), ((2, 1), (3, 2)), mode="symmetric"),
        Case(sample(3, 2), ((4, 5), (0, 1)), mode="reflect"),  # wider than the axis: reflected again
        Case(sample(2, 3), ((3, 2), (4, 1)), mode="symmetric"),
        Case(sample(2, 3, 4), (1, 2), mode="reflect"),
    ],
    "broadcast_to": [Case(sample(3, 1), (2, 3, 4)), Case(sample(4), (3, 4)), Case(sample(1, 1), (2, 2))],
    "flip": [Case(sample(2, 3)), Case(sample(2, 3, 4), 1), Case(sample(2, 3, 4), (0, 2))],
    "get_item": [
        Case(sample(4, 5), 1),
        Case(sample(4, 5), (slice(1, 3), -1)),
        Case(sample(4, 5), (slice(None, None, -2), slice(1, None))),
        Case(sample(2, 3, 4), (Ellipsis, None, 2)),
        Case(sample(2, 3, 4), (None, 1, Ellipsis)),
        Case(sample(5, 3), _ints(0, 2, 2, 4)),  # repeated rows accumulate their gradients
        Case(sample(5, 3), (_ints(1, 1, 3), _ints(0, 0, 2))),
        Case(sample(5, 3), (slice(None), _ints(2, 0, 2))),
        Case(sample(3, 4), sample(3, 4, dtype="bool")),
        Case(sample(3, 4), (sample(3, dtype="bool", key="rows"), slice(1, 3))),
        Case(sample(3, 4, 2), (0, _ints(3, 1), slice(None))),
    ],
    "slice": [
        Case(sample(4, 5), (1, 2), (2, 3)),
        Case(sample(3, 4, 5), [0, 1, 2], [3, -1, 2]),
        Case(sample(3, 4), _ints(2, 0), _ints(1, 4)),
    ],
    "take": [
        Case(sample(5, 3), _ints(0, 2, 2, 4), axis=0),
        Case(sample(3, 4), np.array([[1, 3], [0, 1]]), axis=1),
        Case(sample(3, 4), _ints(5, 0, 11, 5)),
        Case(sample(4, 3), _ints(-1, 0), axis=0),
        Case(sample(2, 3, 4), np.array([[2], [0]]), axis=-2),
    ],
    "take_along_axis": [
        Case(sample(3, 4), np.array([[0, 1], [3, 3], [2, 0]]), axis=1),
        Case(sample(3, 4), np.array([[2, 0, 1, 1], [0, 0, 2, 1]]), axis=0),
        Case(sample(1, 4), np.array([[0], [3], [3]]), axis=1),
        Case(sample(3, 4), _ints(0, 11, 11), axis=None),
    ],
    "one_hot": [
        Case(_ints(0, 2, 1, 3), 4),
        Case(np.array([[0, 5], [-1, 2]]), 4),  # out of range: an all-zero row
        Case(_ints(0, 2, 1), 3, axis=0),
        Case(np.array([[1, 0], [2, 2]]), 3, axis=1, dtype="int32"),
    ],
}


def _pad(x, pad_width, mode="constant", constant_values=0):
    if mode == "constant":
        return np.pad(x, pad_width, mode=mode, constant_values=constant_values)
    return np.pad(x, pad_width, mode=mode)


def _slice(x, start_indices, shape):
    index = tuple(slice(s, n if size == -1 else s + size) for s, size, n in zip(start_indices, shape, x.shape))
    return x[index]


def _one_hot(x, num_classes, axis=-1, dtype=None):
    out = np.zeros(x.shape + (num_classes,), dtype or "float32")
    for index in np.ndindex(x.shape):
        if 0 <= x[index] < num_classes:
            out[index + (x[index],)] = 1
    return np.moveaxis(out, -1, axis)


REFERENCE = {
    "get_item": lambda x, key: x[key],
    "pad": _pad,
    "slice": _slice,
    "one_hot": _one_hot,
}
