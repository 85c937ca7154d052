"""Activation, upsampling, padding, cropping, embedding and merging layers against NumPy."""

import numpy as np
import pytest

import plugnet
from plugnet import ops
from plugnet.layers import (
    ELU,
    Add,
    Average,
    Concatenate,
    Cropping1D,
    Cropping2D,
    Cropping3D,
    Dense,
    Embedding,
    GlobalAveragePooling1D,
    Input,
    LeakyReLU,
    Maximum,
    Minimum,
    Multiply,
    ReLU,
    Softmax,
    Subtract,
    UpSampling1D,
    UpSampling2D,
    UpSampling3D,
    ZeroPadding1D,
    ZeroPadding2D,
    ZeroPadding3D,
)
from plugnet.layers import add as add_fn
from plugnet.layers import concatenate as concatenate_fn
from plugnet.models import Model, Sequential


def _np(x):
    return np.asarray(ops.convert_to_numpy(x))


# ---------------------------------------------------------------------------- activations


X = np.array([[-3.0, -1.0, -0.2, 0.0, 0.5, 1.0, 4.0, 9.0]], "float32")


@pytest.mark.parametrize(
    "layer, reference",
    [
        (ReLU(), lambda x: np.maximum(x, 0)),
        (ReLU(max_value=6.0), lambda x: np.clip(x, 0, 6)),
        (ReLU(max_value=3.0), lambda x: np.clip(x, 0, 3)),
        (ReLU(negative_slope=0.1), lambda x: np.where(x > 0, x, 0.1 * x)),
        (ReLU(threshold=1.0), lambda x: np.where(x > 1, x, 0)),
        (ReLU(max_value=6.0, negative_slope=0.5, threshold=0.5),
         lambda x: np.minimum(np.where(x > 0.5, x, 0.5 * (x - 0.5)), 6)),
        (LeakyReLU(), lambda x: np.where(x >= 0, x, 0.3 * x)),
        (LeakyReLU(negative_slope=0.01), lambda x: np.where(x >= 0, x, 0.01 * x)),
        (ELU(), lambda x: np.where(x > 0, x, np.expm1(x))),
        (ELU(alpha=0.5), lambda x: np.where(x > 0, x, 0.5 * np.expm1(x))),
    ],
    ids=lambda v: type(v).__name__ if not callable(v) or isinstance(v, plugnet.Layer) else "",
)
def test_activation_layers(layer, reference):
    np.testing.assert_allclose(_np(layer(X)), reference(X), rtol=1e-6, atol=1e-7)
    assert layer.compute_output_shape((None, 8)) == (None, 8)


def test_leaky_relu_default_slope_is_keras_03_and_alpha_is_accepted():
    assert LeakyReLU().negative_slope == 0.3
    assert LeakyReLU(alpha=0.2).negative_slope == 0.2


def test_relu_rejects_negative_arguments():
    with pytest.raises(ValueError, match=r"'r'.*max_value"):
        ReLU(max_value=-1.0, name="r")
    with pytest.raises(ValueError, match="negative_slope"):
        LeakyReLU(negative_slope=-0.1)


@pytest.mark.parametrize("axis", [-1, 1, (1, 2)])
def test_softmax_axis(axis, rng):
    x = rng.normal(size=(2, 3, 4)).astype("float32")
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    expected = e / e.sum(axis=axis, keepdims=True)
    np.testing.assert_allclose(_np(Softmax(axis=axis)(x)), expected, rtol=1e-5, atol=1e-7)


def test_softmax_mask():
    x = np.array([[1.0, 2.0, 3.0]], "float32")
    y = _np(Softmax()(x, mask=np.array([[True, False, True]])))
    np.testing.assert_allclose(y, [[1 / (1 + np.e ** 2), 0, np.e ** 2 / (1 + np.e ** 2)]], rtol=1e-5, atol=1e-7)


# ---------------------------------------------------------------------------- UpSampling


def test_upsampling_nearest(rng):
    x = rng.normal(size=(2, 3, 4, 5)).astype("float32")
    y = _np(UpSampling2D((2, 3))(x))
    np.testing.assert_array_equal(y, np.repeat(np.repeat(x, 2, axis=1), 3, axis=2))
    first = _np(UpSampling2D((2, 3), data_format="channels_first")(np.moveaxis(x, -1, 1)))
    np.testing.assert_array_equal(np.moveaxis(first, 1, -1), y)
    steps = rng.normal(size=(2, 3, 4)).astype("float32")
    np.testing.assert_array_equal(_np(UpSampling1D(3)(steps)), np.repeat(steps, 3, axis=1))
    volume = rng.normal(size=(1, 2, 3, 2, 2)).astype("float32")
    expected = np.repeat(np.repeat(np.repeat(volume, 2, 1), 1, 2), 3, 3)
    np.testing.assert_array_equal(_np(UpSampling3D((2, 1, 3))(volume)), expected)


def test_upsampling_bilinear_matches_hand_computed_values():
    # Half-pixel centers: output o of a 2x upsampling samples input (o + 0.5) / 2 - 0.5, clamped.
    x = np.array([0.0, 4.0, 8.0], "float32").reshape(1, 1, 3, 1)
    y = _np(UpSampling2D((1, 2), interpolation="bilinear")(x))[0, 0, :, 0]
    np.testing.assert_allclose(y, [0, 1, 3, 5, 7, 8], rtol=1e-6)
    image = np.arange(4, dtype="float32").reshape(1, 2, 2, 1)  # [[0, 1], [2, 3]]
    big = _np(UpSampling2D(interpolation="bilinear")(image))[0, :, :, 0]
    np.testing.assert_allclose(big[0], [0, 0.25, 0.75, 1], rtol=1e-6)
    np.testing.assert_allclose(big[:, 0], [0, 0.5, 1.5, 2], rtol=1e-6)
    np.testing.assert_allclose(big[1, 1], 0.75 * 0.75 * 0 + 0.75 * 0.25 * 1 + 0.25 * 0.75 * 2 + 0.25 * 0.25 * 3)


def test_upsampling_bilinear_channels_first_and_gradient(rng):
    x = rng.normal(size=(2, 3, 4, 2)).astype("float32")
    last = _np(UpSampling2D((2, 3), interpolation="bilinear")(x))
    first = _np(UpSampling2D((2, 3), interpolation="bilinear", data_format="channels_first")(np.moveaxis(x, -1, 1)))
    np.testing.assert_allclose(np.moveaxis(first, 1, -1), last, rtol=1e-5, atol=1e-6)
    xt = ops.convert_to_tensor(x)
    with plugnet.GradientTape() as tape:
        tape.watch(xt)
        total = ops.sum(UpSampling2D(2, interpolation="bilinear")(xt))
    # Every input pixel's weights sum to the number of outputs per input: 2 * 2.
    np.testing.assert_allclose(_np(tape.gradient(total, xt)), 4.0, rtol=1e-5)


def test_upsampling_shapes_and_errors():
    assert UpSampling2D((2, 3)).compute_output_shape((None, None, 4, 5)) == (None, None, 12, 5)
    assert UpSampling1D(2).compute_output_shape((None, 7, 3)) == (None, 14, 3)
    with pytest.raises(ValueError, match="interpolation"):
        UpSampling2D(interpolation="bicubic")
    with pytest.raises(ValueError, match=r"'up'.*rank 4.*\(2, 3\)"):
        UpSampling2D(name="up")(np.zeros((2, 3), "float32"))


# ---------------------------------------------------------------------------- ZeroPadding / Cropping


@pytest.mark.parametrize(
    "padding, pairs",
    [(1, ((1, 1), (1, 1))), ((1, 2), ((1, 1), (2, 2))), (((0, 1), (2, 3)), ((0, 1), (2, 3)))],
)
def test_zero_padding2d(padding, pairs, rng):
    x = rng.normal(size=(2, 3, 4, 2)).astype("float32")
    layer = ZeroPadding2D(padding)
    expected = np.pad(x, ((0, 0),) + pairs + ((0, 0),))
    np.testing.assert_array_equal(_np(layer(x)), expected)
    assert layer.padding == pairs
    assert layer.compute_output_shape((None, 3, 4, 2)) == (None,) + expected.shape[1:]
    first = _np(ZeroPadding2D(padding, data_format="channels_first")(np.moveaxis(x, -1, 1)))
    np.testing.assert_array_equal(np.moveaxis(first, 1, -1), expected)


def test_zero_padding_1d_3d(rng):
    x = rng.normal(size=(2, 3, 2)).astype("float32")
    np.testing.assert_array_equal(_np(ZeroPadding1D((1, 2))(x)), np.pad(x, ((0, 0), (1, 2), (0, 0))))
    volume = rng.normal(size=(1, 2, 2, 2, 1)).astype("float32")
    expected = np.pad(volume, ((0, 0), (1, 1), (0, 2), (1, 0), (0, 0)))
    np.testing.assert_array_equal(_np(ZeroPadding3D((1, (0, 2), (1, 0)))(volume)), expected)
    with pytest.raises(ValueError, match="padding"):
        ZeroPadding2D((1, 2, 3))


def test_zero_padding_gradient(rng):
    x = ops.convert_to_tensor(rng.normal(size=(1, 2, 2, 1)).astype("float32"))
    with plugnet.GradientTape() as tape:
        tape.watch(x)
        total = ops.sum(ops.square(ZeroPadding2D(1)(x)))
    np.testing.assert_allclose(_np(tape.gradient(total, x)), 2 * _np(x), rtol=1e-6)


def test_cropping(rng):
    x = rng.normal(size=(2, 6, 7, 3)).astype("float32")
    layer = Cropping2D(((1, 2), (0, 3)))
    np.testing.assert_array_equal(_np(layer(x)), x[:, 1:4, 0:4])
    assert layer.compute_output_shape((None, 6, 7, 3)) == (None, 3, 4, 3)
    assert layer.compute_output_shape((None, None, 7, 3)) == (None, None, 4, 3)
    np.testing.assert_array_equal(_np(Cropping2D(1)(x)), x[:, 1:-1, 1:-1])
    first = _np(Cropping2D(((1, 2), (0, 3)), data_format="channels_first")(np.moveaxis(x, -1, 1)))
    np.testing.assert_array_equal(np.moveaxis(first, 1, -1), x[:, 1:4, 0:4])
    steps = rng.normal(size=(2, 6, 3)).astype("float32")
    np.testing.assert_array_equal(_np(Cropping1D((2, 1))(steps)), steps[:, 2:5])
    volume = rng.normal(size=(1, 4, 4, 4, 1)).astype("float32")
    np.testing.assert_array_equal(_np(Cropping3D(1)(volume)), volume[:, 1:3, 1:3, 1:3])


def test_cropping_everything_is_a_clear_error():
    with pytest.raises(ValueError, match=r"'crop'.*size 6.*\(2, 6, 7, 3\)"):
        Cropping2D(((3, 3), (0, 0)), name="crop")(np.zeros((2, 6, 7, 3), "float32"))


# ---------------------------------------------------------------------------- Embedding


def test_embedding_lookup_and_shape(rng):
    layer = Embedding(10, 4)
    ids = rng.integers(0, 10, size=(3, 5))
    y = _np(layer(ids))
    table = layer.embeddings.numpy()
    assert table.shape == (10, 4) and np.abs(table).max() <= 0.05  # Keras's "uniform": U[-0.05, 0.05]
    np.testing.assert_array_equal(y, table[ids])
    assert y.dtype == np.float32
    assert layer.compute_output_shape((None, 5)) == (None, 5, 4)
    assert Embedding(10, 4)(Input((7,), dtype="int32")).shape == (None, 7, 4)


def test_embedding_accepts_float_ids_and_int32():
    layer = Embedding(5, 2, embeddings_initializer="identity")
    np.testing.assert_array_equal(_np(layer(np.array([[1.0, 3.0]]))), [[[0, 1], [0, 0]]])
    np.testing.assert_array_equal(_np(layer(np.array([[1, 0]], "int32"))), [[[0, 1], [1, 0]]])


def test_embedding_gradient_accumulates_repeated_ids(rng):
    layer = Embedding(6, 3)
    ids = np.array([[1, 4, 1], [1, 0, 5]])
    layer(ids)
    weights = rng.normal(size=(2, 3, 3)).astype("float32")
    with plugnet.GradientTape() as tape:
        total = ops.sum(ops.multiply(layer(ids), weights))
    grad = _np(tape.gradient(total, layer.embeddings))
    expected = np.zeros((6, 3), "float32")
    np.add.at(expected, ids, weights)
    np.testing.assert_allclose(grad, expected, rtol=1e-6)
    np.testing.assert_array_equal(grad[[2, 3]], 0)  # rows never looked up get no gradient


def test_embedding_trains_in_a_model(rng):
    ids = rng.integers(0, 8, size=(64, 4))
    labels = (ids == 3).any(axis=1).astype("float32")[:, None]
    model = Sequential([Input((4,), dtype="int32"), Embedding(8, 4), GlobalAveragePooling1D(),
                        Dense(1, activation="sigmoid")])
    model.compile(optimizer=plugnet.optimizers.Adam(0.05), loss="binary_crossentropy")
    history = model.fit(ids, labels, epochs=30, batch_size=64, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]


def test_embedding_mask_zero_and_initial_weights():
    table = np.arange(6, dtype="float32").reshape(3, 2)
    layer = Embedding(3, 2, mask_zero=True, weights=[table])
    ids = np.array([[2, 0, 1]])
    np.testing.assert_array_equal(_np(layer(ids)), table[ids])
    np.testing.assert_array_equal(_np(layer.compute_mask(ids)), [[True, False, True]])
    assert Embedding(3, 2).compute_mask(ids) is None


def test_embedding_errors():
    with pytest.raises(ValueError, match="input_dim"):
        Embedding(0, 3)
    with pytest.raises(Exception) as info:
        Embedding(4, 2, name="emb")(np.array([[1, 4]]))
    if isinstance(info.value, IndexError):  # backends whose take raises IndexError, as np.take does
        assert "'emb'" in str(info.value) and "[0, 4)" in str(info.value)


# ---------------------------------------------------------------------------- merging


@pytest.mark.parametrize(
    "cls, reference",
    [
        (Add, lambda xs: xs[0] + xs[1] + xs[2]),
        (Multiply, lambda xs: xs[0] * xs[1] * xs[2]),
        (Average, lambda xs: (xs[0] + xs[1] + xs[2]) / 3),
        (Maximum, lambda xs: np.maximum(np.maximum(xs[0], xs[1]), xs[2])),
        (Minimum, lambda xs: np.minimum(np.minimum(xs[0], xs[1]), xs[2])),
    ],
    ids=lambda v: getattr(v, "__name__", ""),
)
def test_elementwise_merges(cls, reference, rng):
    xs = [rng.normal(size=(2, 3, 4)).astype("float32") for _ in range(3)]
    np.testing.assert_allclose(_np(cls()(xs)), reference(xs), rtol=1e-5, atol=1e-6)
    # A size-1 axis broadcasts; a lower-rank input gains axes after the batch axis, as in Keras.
    mixed = [xs[0], xs[1][:, :1, :], xs[2][:, 0, :]]
    aligned = [mixed[0], mixed[1], mixed[2][:, None, :]]
    np.testing.assert_allclose(_np(cls()(mixed)), reference(aligned), rtol=1e-5, atol=1e-6)
    assert cls().compute_output_shape([(None, 3, 4), (None, 1, 4), (None, 4)]) == (None, 3, 4)


def test_subtract_takes_exactly_two(rng):
    a, b = rng.normal(size=(2, 2, 3)).astype("float32")
    np.testing.assert_allclose(_np(Subtract()([a, b])), a - b, rtol=1e-6)
    with pytest.raises(ValueError, match=r"'sub'.*exactly 2 input\(s\), got 3"):
        Subtract(name="sub")([a, b, a])


def test_concatenate(rng):
    a = rng.normal(size=(2, 3, 4)).astype("float32")
    b = rng.normal(size=(2, 3, 2)).astype("float32")
    c = rng.normal(size=(2, 1, 4)).astype("float32")
    np.testing.assert_array_equal(_np(Concatenate()([a, b])), np.concatenate([a, b], axis=-1))
    np.testing.assert_array_equal(_np(Concatenate(axis=1)([a, c])), np.concatenate([a, c], axis=1))
    assert Concatenate().compute_output_shape([(None, 3, 4), (None, 3, None)]) == (None, 3, None)
    assert Concatenate(axis=1).compute_output_shape([(None, 3, 4), (None, 1, 4)]) == (None, 4, 4)


def test_merge_errors_name_layer_and_shapes():
    with pytest.raises(ValueError, match=r"'adder'.*\(2, 3\), \(2, 4\)"):
        Add(name="adder")([np.zeros((2, 3), "float32"), np.zeros((2, 4), "float32")])
    with pytest.raises(ValueError, match=r"'cat'.*axis 1 has sizes 3 and 2.*\(2, 3, 4\), \(2, 2, 4\)"):
        Concatenate(name="cat")([np.zeros((2, 3, 4), "float32"), np.zeros((2, 2, 4), "float32")])
    with pytest.raises(ValueError, match=r"'cat2'.*same rank"):
        Concatenate(name="cat2")([np.zeros((2, 3), "float32"), np.zeros((2, 3, 1), "float32")])
    with pytest.raises(ValueError, match=r"'single'.*list of tensors.*\(2, 3\)"):
        Add(name="single")(np.zeros((2, 3), "float32"))
    layer = Multiply(name="mul")
    layer([np.ones((2, 3), "float32"), np.ones((2, 3), "float32")])
    with pytest.raises(ValueError, match=r"'mul'.*\(2, 3\), \(2, 5\)"):
        layer([np.ones((2, 3), "float32"), np.ones((2, 5), "float32")])  # checked on later calls too


def test_merging_in_a_functional_model(rng):
    a, b = Input((4,)), Input((4,))
    hidden = add_fn([Dense(3)(a), Dense(3)(b)])
    joined = concatenate_fn([hidden, a])
    assert hidden.shape == (None, 3) and joined.shape == (None, 7)
    with pytest.raises(ValueError, match=r"\(None, 3\), \(None, 4\)"):
        Add()([hidden, a])
    model = Model([a, b], joined)
    xa, xb = rng.normal(size=(2, 5, 4)).astype("float32")
    y = _np(model([xa, xb]))
    assert y.shape == (5, 7)
    np.testing.assert_allclose(y[:, 3:], xa, rtol=1e-6)


def test_merge_gradients(rng):
    a = ops.convert_to_tensor(rng.normal(size=(2, 3)).astype("float32"))
    b = ops.convert_to_tensor(rng.normal(size=(2, 3)).astype("float32"))
    with plugnet.GradientTape(persistent=True) as tape:
        tape.watch([a, b])
        product = ops.sum(Multiply()([a, b]))
        joined = ops.sum(ops.multiply(Concatenate()([a, b]), 2.0))
    da, db = tape.gradient(product, [a, b])
    np.testing.assert_allclose(_np(da), _np(b), rtol=1e-6)
    np.testing.assert_allclose(_np(db), _np(a), rtol=1e-6)
    np.testing.assert_allclose(_np(tape.gradient(joined, a)), 2.0)


# ---------------------------------------------------------------------------- config


@pytest.mark.parametrize(
    "layer",
    [
        ReLU(max_value=6.0, negative_slope=0.1, threshold=0.5), LeakyReLU(0.1), ELU(0.7), Softmax(axis=(1, 2)),
        UpSampling1D(3), UpSampling2D((2, 3), data_format="channels_first", interpolation="bilinear"),
        UpSampling3D(2), ZeroPadding1D((1, 2)), ZeroPadding2D(((1, 0), (2, 3))), ZeroPadding3D(2),
        Cropping1D(2), Cropping2D(((1, 0), (2, 3)), data_format="channels_first"), Cropping3D(),
        Embedding(10, 3, mask_zero=True, embeddings_regularizer="l2"),
        Add(), Subtract(), Multiply(), Average(), Maximum(), Minimum(), Concatenate(axis=1),
    ],
    ids=lambda layer: type(layer).__name__,
)
def test_config_round_trip(layer):
    config = layer.get_config()
    clone = plugnet.registry.deserialize(plugnet.registry.serialize(layer))
    assert type(clone) is type(layer) and clone.get_config() == config


def test_configs_use_keras_forms():
    assert ZeroPadding2D().get_config()["padding"] == ((1, 1), (1, 1))
    assert ZeroPadding1D().get_config()["padding"] == (1, 1)
    assert Cropping1D().get_config()["cropping"] == (1, 1)
    assert "data_format" not in Cropping1D().get_config() and "data_format" not in UpSampling1D().get_config()
    assert UpSampling1D().get_config()["size"] == 2
    assert UpSampling2D().get_config()["size"] == (2, 2)
