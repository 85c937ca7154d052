"""Convolution and pooling beyond the conformance cases: Keras's output shapes,
conv_transpose as conv's adjoint, dtypes, larger inputs, errors."""

import gc

import numpy as np
import pytest

import plugnet
from plugnet import ops
from plugnet.plugins.conformance import cases_nn


def _np(x):
    return np.asarray(ops.convert_to_numpy(x))


def _f32(*shape, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, shape).astype(np.float32)


@pytest.mark.parametrize(
    "x_shape, kernel_shape, kwargs, expected",
    [
        ((1, 7, 7, 1), (3, 3, 1, 5), {}, (1, 5, 5, 5)),
        ((1, 7, 7, 1), (3, 3, 1, 5), {"padding": "same"}, (1, 7, 7, 5)),
        ((1, 7, 7, 1), (3, 3, 1, 5), {"strides": 2}, (1, 3, 3, 5)),
        ((1, 7, 7, 1), (3, 3, 1, 5), {"strides": 2, "padding": "same"}, (1, 4, 4, 5)),
        ((1, 8, 8, 1), (2, 2, 1, 5), {"strides": 3, "padding": "same"}, (1, 3, 3, 5)),
        ((1, 7, 7, 1), (3, 3, 1, 5), {"dilation_rate": 2}, (1, 3, 3, 5)),
        ((1, 9, 6, 1), (3, 2, 1, 5), {"strides": (2, 1), "dilation_rate": (1, 2)}, (1, 4, 4, 5)),
        ((2, 3, 9, 6), (3, 2, 3, 4), {"data_format": "channels_first", "padding": "same"}, (2, 4, 9, 6)),
        ((2, 10, 3), (4, 3, 2), {"strides": 3}, (2, 3, 2)),
        ((2, 10, 3), (4, 3, 2), {"strides": 3, "padding": "same"}, (2, 4, 2)),
        ((1, 5, 6, 7, 2), (3, 3, 3, 2, 4), {"padding": "valid"}, (1, 3, 4, 5, 4)),
    ],
)
def test_conv_output_shapes_follow_keras(x_shape, kernel_shape, kwargs, expected):
    assert ops.shape(ops.conv(_f32(*x_shape), _f32(*kernel_shape), **kwargs)) == expected


@pytest.mark.parametrize(
    "x_shape, kernel_shape, kwargs, expected",
    [
        ((1, 3, 3, 2), (3, 3, 4, 2), {"strides": 2}, (1, 7, 7, 4)),
        ((1, 3, 3, 2), (3, 3, 4, 2), {"strides": 2, "padding": "same"}, (1, 6, 6, 4)),
        ((1, 3, 3, 2), (3, 3, 4, 2), {"strides": 2, "padding": "same", "output_padding": 1}, (1, 6, 6, 4)),
        ((1, 3, 3, 2), (3, 3, 4, 2), {"strides": 2, "padding": "same", "output_padding": 0}, (1, 5, 5, 4)),
        ((1, 3, 3, 2), (3, 3, 4, 2), {"strides": 2, "output_padding": 1}, (1, 8, 8, 4)),
        ((1, 3, 3, 2), (4, 4, 4, 2), {"strides": 2, "padding": "same"}, (1, 6, 6, 4)),
        ((1, 3, 3, 2), (2, 2, 4, 2), {"strides": 3}, (1, 9, 9, 4)),
        ((1, 3, 3, 2), (3, 3, 4, 2), {"dilation_rate": 2}, (1, 7, 7, 4)),
        ((1, 2, 3, 4), (3, 2, 5, 2), {"strides": (2, 3), "data_format": "channels_first"}, (1, 5, 7, 12)),
        ((2, 5, 3), (3, 2, 3), {"strides": 2, "padding": "same", "output_padding": 1}, (2, 10, 2)),
    ],
)
def test_conv_transpose_output_shapes_follow_keras(x_shape, kernel_shape, kwargs, expected):
    assert ops.shape(ops.conv_transpose(_f32(*x_shape), _f32(*kernel_shape), **kwargs)) == expected


@pytest.mark.parametrize(
    "x_shape, kwargs, expected",
    [
        ((1, 7, 7, 3), {"pool_size": 2}, (1, 3, 3, 3)),
        ((1, 7, 7, 3), {"pool_size": 2, "padding": "same"}, (1, 4, 4, 3)),
        ((1, 7, 7, 3), {"pool_size": 3, "strides": 1}, (1, 5, 5, 3)),
        ((1, 3, 8, 6), {"pool_size": (2, 3), "data_format": "channels_first"}, (1, 3, 4, 2)),
        ((2, 11, 4), {"pool_size": 3, "strides": 2, "padding": "same"}, (2, 6, 4)),
    ],
)
def test_pool_output_shapes_follow_keras(x_shape, kwargs, expected):
    assert ops.shape(ops.max_pool(_f32(*x_shape), **kwargs)) == expected
    assert ops.shape(ops.average_pool(_f32(*x_shape), **kwargs)) == expected


@pytest.mark.parametrize(
    "strides, padding, output_padding", [(1, "valid", None), (2, "same", None), (2, "same", 1), (3, "valid", 2)]
)
def test_conv_transpose_is_the_adjoint_of_conv(strides, padding, output_padding):
    # <conv(x, w), y> == <x, conv_transpose(y, w)> whenever the shapes line up.
    w = _f32(3, 3, 2, 4, seed=1).astype(np.float64)
    y = _f32(2, 4, 3, 4, seed=2).astype(np.float64)
    x_back = _np(ops.conv_transpose(y, w, strides, padding, output_padding))
    x = _f32(*x_back.shape, seed=3).astype(np.float64)
    out = _np(ops.conv(x, w, strides, padding))
    assert out.shape == y.shape
    np.testing.assert_allclose(np.sum(out * y), np.sum(x * x_back), rtol=1e-10)


@pytest.mark.parametrize("kwargs", [{}, {"strides": 2, "padding": "same"}, {"dilation_rate": 2, "padding": "same"}])
def test_larger_conv_matches_the_loop_reference(kwargs):
    x, w = _f32(3, 15, 14, 8, seed=4), _f32(3, 3, 8, 16, seed=5)
    want = cases_nn.conv_reference(x.astype(np.float64), w.astype(np.float64), **kwargs)
    np.testing.assert_allclose(_np(ops.conv(x, w, **kwargs)), want, rtol=1e-4, atol=1e-4)


def test_larger_grouped_and_depthwise_conv_match_the_loop_reference():
    x = _f32(2, 12, 11, 6, seed=6)
    w = _f32(3, 3, 2, 9, seed=7)  # three groups of two input channels
    want = cases_nn.conv_reference(x.astype(np.float64), w.astype(np.float64), padding="same")
    np.testing.assert_allclose(_np(ops.conv(x, w, padding="same")), want, rtol=1e-4, atol=1e-4)
    d = _f32(5, 5, 6, 2, seed=8)
    want = cases_nn.depthwise_conv_reference(x.astype(np.float64), d.astype(np.float64), strides=2, padding="same")
    np.testing.assert_allclose(_np(ops.depthwise_conv(x, d, strides=2, padding="same")), want, rtol=1e-4, atol=1e-4)


def test_larger_pools_match_the_loop_reference():
    x = _f32(4, 13, 12, 5, seed=9).astype(np.float64)
    for kwargs in ({"pool_size": 2}, {"pool_size": 3, "strides": 2, "padding": "same"}):
        np.testing.assert_allclose(_np(ops.max_pool(x, **kwargs)), cases_nn.max_pool_reference(x, **kwargs))
        np.testing.assert_allclose(_np(ops.average_pool(x, **kwargs)), cases_nn.average_pool_reference(x, **kwargs))


def test_channels_first_is_channels_last_transposed():
    x, w = _f32(2, 9, 8, 3, seed=10), _f32(3, 3, 3, 4, seed=11)
    last = _np(ops.conv(x, w, 2, "same"))
    first = _np(ops.conv(np.moveaxis(x, -1, 1), w, 2, "same", "channels_first"))
    np.testing.assert_allclose(first, np.moveaxis(last, -1, 1), rtol=1e-6, atol=1e-6)


def _grads(fn, *arrays):
    tensors = [ops.convert_to_tensor(a) for a in arrays]
    with plugnet.GradientTape() as tape:
        tape.watch(tensors)
        out = fn(*tensors)
        loss = ops.sum(out[0] if isinstance(out, (list, tuple)) else out)
    return out, tape.gradient(loss, tensors)


@pytest.mark.parametrize(
    "fn, shapes",
    [
        (lambda x, w: ops.conv(x, w, 2, "same"), [(2, 6, 6, 3), (3, 3, 3, 4)]),
        (lambda x, w: ops.depthwise_conv(x, w, 1, "same"), [(2, 6, 6, 3), (3, 3, 3, 2)]),
        (lambda x, w: ops.conv_transpose(x, w, 2, "same"), [(2, 3, 3, 4), (3, 3, 2, 4)]),
        (lambda x: ops.max_pool(x, 2), [(2, 6, 6, 3)]),
        (lambda x: ops.average_pool(x, 3, 2, "same"), [(2, 6, 6, 3)]),
        (lambda x: ops.moments(x, [0, 1, 2]), [(2, 6, 6, 3)]),
    ],
)
def test_float32_stays_float32_forward_and_backward(fn, shapes):
    arrays = [_f32(*s, seed=i) for i, s in enumerate(shapes)]
    out, grads = _grads(fn, *arrays)
    for o in out if isinstance(out, (list, tuple)) else [out]:
        assert ops.dtype(o) == "float32"
    for a, g in zip(arrays, grads):
        assert _np(g).dtype == np.float32 and _np(g).shape == a.shape


def test_max_pool_ties_send_the_gradient_to_the_first_maximum():
    x = np.ones((1, 4, 4, 1), np.float32)
    _, (grad,) = _grads(lambda t: ops.max_pool(t, 2), x)
    want = np.zeros((4, 4), np.float32)
    want[::2, ::2] = 1  # the top-left element of every 2x2 window
    np.testing.assert_array_equal(_np(grad)[0, :, :, 0], want)


def test_max_pool_ties_after_the_first_tap_go_to_the_earliest_one():
    # One 2x2 window per case: the maximum 5 at some taps (row-major order).
    windows = [[[0, 5], [5, 5]], [[0, 1], [5, 5]], [[1, 0], [0, 5]], [[5, 1], [1, 5]]]
    x = np.array(windows, np.float32)[..., None]
    _, (grad,) = _grads(lambda t: ops.max_pool(t, 2), x)
    want = np.zeros((4, 2, 2), np.float32)
    want[0, 0, 1] = want[1, 1, 0] = want[2, 1, 1] = want[3, 0, 0] = 1
    np.testing.assert_array_equal(_np(grad)[..., 0], want)


def test_max_pool_overlapping_windows_accumulate_gradients():
    x = np.zeros((1, 3, 3, 1), np.float32)
    x[0, 1, 1, 0] = 5.0  # the center is the maximum of all four 2x2 windows
    _, (grad,) = _grads(lambda t: ops.max_pool(t, 2, 1), x)
    assert _np(grad)[0, 1, 1, 0] == 4.0 and _np(grad).sum() == 4.0


def test_average_pool_same_padding_averages_only_real_elements():
    x = np.ones((1, 5, 5, 1), np.float32)
    np.testing.assert_allclose(_np(ops.average_pool(x, 3, 2, "same")), np.ones((1, 3, 3, 1)))


def test_moments_are_numerically_sane_for_large_offsets():
    x = (1e4 + _f32(1000, seed=12)).astype(np.float32)
    mean, var = ops.moments(x, [0])
    np.testing.assert_allclose(_np(var), np.var(x.astype(np.float64)), rtol=1e-3)
    assert _np(var) >= 0


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: ops.conv(_f32(1, 5, 5, 3), _f32(3, 3, 2, 4)), "channels"),
        (lambda: ops.conv(_f32(1, 5, 5, 3), _f32(3, 3, 3)), "rank"),
        (lambda: ops.conv(_f32(1, 2, 2, 3), _f32(3, 3, 3, 4)), "larger than"),
        (lambda: ops.conv(_f32(1, 5, 5, 3), _f32(3, 3, 3, 4), padding="full"), "padding"),
        (lambda: ops.conv(_f32(1, 5, 5, 3), _f32(3, 3, 3, 4), strides=(1, 2, 1)), "strides"),
        (lambda: ops.conv(_f32(1, 5, 5, 3), _f32(3, 3, 3, 4), data_format="NHWC"), "data_format"),
        (lambda: ops.depthwise_conv(_f32(1, 5, 5, 3), _f32(3, 3, 2, 1)), "input channels"),
        (lambda: ops.conv_transpose(_f32(1, 5, 5, 3), _f32(3, 3, 2, 4)), "kernel"),
        (lambda: ops.max_pool(_f32(5, 3), 2), "spatial"),
    ],
)
def test_bad_arguments_raise_clear_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.skipif(plugnet.backend.active().name != "numpy", reason="the NumPy backend's im2col cache")
def test_conv_releases_its_cached_columns_with_its_output():
    from plugnet.backends.numpy import autograd

    before = len(autograd._saved)
    x, w = _f32(2, 6, 6, 3), plugnet.Variable(_f32(3, 3, 3, 4, seed=1))
    with plugnet.GradientTape() as tape:
        loss = ops.sum(ops.conv(x, w))
    assert len(autograd._saved) == before + 1
    (grad,) = tape.gradient(loss, [w])
    del tape, loss
    gc.collect()
    assert len(autograd._saved) == before
    # The gradient of sum(conv) for a kernel tap is the sum of the inputs that tap sees.
    want = np.stack([x[:, i:i + 4, j:j + 4].sum(axis=(0, 1, 2)) for i in range(3) for j in range(3)])
    np.testing.assert_allclose(_np(grad), np.repeat(want.reshape(3, 3, 3, 1), 4, axis=-1), rtol=1e-5)
