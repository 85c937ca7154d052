"""Model.summary(): rows, output shapes and exact parameter counts."""

import numpy as np
import pytest

from plugnet.layers import Dense, Dropout, Flatten, Input, Layer
from plugnet.layers.naming import clear_session
from plugnet.models import Model, Sequential


@pytest.fixture(autouse=True)
def _fresh_names():
    clear_session()
    yield


def _summary(model, **kwargs) -> list[str]:
    lines = []
    result = model.summary(print_fn=lines.append, **kwargs)
    assert result is None
    return lines


def _row(lines, start):
    return next(line for line in lines if line.startswith(" " + start))


def test_sequential_summary_rows_and_totals():
    model = Sequential([Input(shape=(8,)), Dense(16, activation="relu"), Dropout(0.1), Dense(3)], name="clf")
    lines = _summary(model)
    assert lines[0] == 'Model: "clf"'
    assert "Layer (type)" in lines[2] and "Output Shape" in lines[2] and "Param #" in lines[2]
    assert _row(lines, "dense (Dense)").split()[-3:] == ["(None,", "16)", "144"]
    assert _row(lines, "dropout (Dropout)").split()[-1] == "0"
    assert _row(lines, "dense_1 (Dense)").split()[-1] == "51"
    assert " Total params: 195 (780.00 B)" in lines
    assert " Trainable params: 195 (780.00 B)" in lines
    assert " Non-trainable params: 0 (0.00 B)" in lines
    assert not any("InputLayer" in line for line in lines)  # Sequential hides its Input, as Keras does
    assert all(len(line) <= 65 for line in lines)


def test_summary_thousands_separator_and_frozen_layer():
    model = Sequential([Input(shape=(100,)), Dense(100, name="big"), Dense(10, name="frozen")])
    model.get_layer("frozen").trainable = False
    lines = _summary(model)
    assert _row(lines, "big (Dense)").split()[-1] == "10,100"
    assert " Total params: 11,110 (43.40 KB)" in lines
    assert " Trainable params: 10,100 (39.45 KB)" in lines
    assert " Non-trainable params: 1,010 (3.95 KB)" in lines


def test_unbuilt_sequential_summary():
    lines = _summary(Sequential([Dense(4), Dense(2)]))
    assert _row(lines, "dense (Dense)").split()[-3:] == ["?", "0", "(unbuilt)"]
    assert " Total params: 0 (0.00 B)" in lines


def test_functional_summary_with_connections():
    a, b = Input(shape=(3,), name="a"), Input(shape=(4, 2), name="b")

    class Join(Layer):
        def call(self, inputs):
            from plugnet import ops

            return ops.concatenate(inputs, axis=-1)

    joined = Join(name="join")([Dense(5, name="da")(a), Flatten(name="flat")(b)])
    model = Model([a, b], Dense(1, name="out")(joined))
    lines = _summary(model)
    assert "Connected to" in lines[2]
    assert _row(lines, "a (InputLayer)").split()[-3:] == ["3)", "0", "-"]
    assert _row(lines, "da (Dense)").split()[-3:] == ["5)", "20", "a[0][0]"]
    join_index = lines.index(_row(lines, "join (Join)"))
    assert lines[join_index].split()[-3:] == ["13)", "0", "da[0][0]"]
    assert lines[join_index + 1].split() == ["flat[0][0]"]
    assert _row(lines, "out (Dense)").split()[-3:] == ["1)", "14", "join[0][0]"]
    assert " Total params: 34 (136.00 B)" in lines


def test_linear_functional_summary_has_no_connections_column():
    inputs = Input(shape=(2,))
    model = Model(inputs, Dense(1)(Dense(3)(inputs)))
    lines = _summary(model)
    assert "Connected to" not in lines[2]
    assert _row(lines, "input_layer (InputLayer)").split()[-1] == "0"
    assert " Total params: 13 (52.00 B)" in lines


def test_subclassed_summary():
    class Net(Model):
        def __init__(self):
            super().__init__(name="net")
            self.d1, self.d2 = Dense(4), Dense(1)

        def call(self, x, training=None):
            return self.d2(self.d1(x))

    model = Net()
    model(np.zeros((1, 3)))
    lines = _summary(model, show_trainable=True)
    assert _row(lines, "dense (Dense)").split()[-3:] == ["?", "16", "Y"]
    assert _row(lines, "dense_1 (Dense)").split()[-2:] == ["5", "Y"]
    assert " Total params: 21 (84.00 B)" in lines


def test_summary_prints_to_stdout_by_default(capsys):
    Sequential([Input(shape=(2,)), Dense(1)]).summary()
    out = capsys.readouterr().out
    assert 'Model: "sequential"' in out and "Total params: 3" in out


def test_summary_custom_width():
    lines = _summary(Sequential([Input(shape=(2,)), Dense(1)]), line_length=80)
    assert len(lines[1]) == 80
