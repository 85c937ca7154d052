"""Convolution layers against loop-based NumPy references computed with the layers' own weights.

Written backend-neutrally: results are read with ``ops.convert_to_numpy``.
"""

import itertools

import numpy as np
import pytest

import plugnet
from plugnet import ops
from plugnet.layers import (
    Conv1D,
    Conv1DTranspose,
    Conv2D,
    Conv2DTranspose,
    Conv3D,
    Dense,
    DepthwiseConv1D,
    DepthwiseConv2D,
    Flatten,
    Input,
    MaxPooling2D,
    SeparableConv1D,
    SeparableConv2D,
)
from plugnet.layers.naming import clear_session
from plugnet.models import Sequential

# Non-zero biases, so the tests see them.
BIAS = "random_normal"


def _np(x):
    return np.asarray(ops.convert_to_numpy(x))


def _to_last(x):
    return np.moveaxis(x, 1, -1)


def _to_first(x):
    return np.moveaxis(x, -1, 1)


# ---------------------------------------------------------------------------- references


def _same_before(n, k, s, d):
    """Padding before the input on one axis for 'same' (TensorFlow's rule: the odd element goes after)."""
    out = -(-n // s)
    return max((out - 1) * s + (k - 1) * d + 1 - n, 0) // 2


def ref_conv(x, kernel, strides=1, padding="valid", dilation=1, groups=1):
    """Channels-last N-d cross-correlation, one output position at a time."""
    n = x.ndim - 2
    window = kernel.shape[:n]
    strides = (strides,) * n if np.isscalar(strides) else tuple(strides)
    dilation = (dilation,) * n if np.isscalar(dilation) else tuple(dilation)
    spatial = x.shape[1:-1]
    if padding == "same":
        before = [_same_before(size, k, s, d) for size, k, s, d in zip(spatial, window, strides, dilation)]
        out_size = [-(-size // s) for size, s in zip(spatial, strides)]
    else:
        before = [0] * n
        out_size = [(size - (k - 1) * d - 1) // s + 1 for size, k, s, d in zip(spatial, window, strides, dilation)]
    padded = np.zeros((x.shape[0],) + tuple(
        max(b + size, (o - 1) * s + (k - 1) * d + 1) for b, size, o, s, k, d in
        zip(before, spatial, out_size, strides, window, dilation)
    ) + (x.shape[-1],))
    padded[(slice(None),) + tuple(slice(b, b + size) for b, size in zip(before, spatial))] = x
    cin = x.shape[-1] // groups
    cout = kernel.shape[-1] // groups
    out = np.zeros((x.shape[0],) + tuple(out_size) + (kernel.shape[-1],))
    for position in itertools.product(*(range(o) for o in out_size)):
        index = tuple(
            slice(p * s, p * s + (k - 1) * d + 1, d) for p, s, k, d in zip(position, strides, window, dilation)
        )
        patch = padded[(slice(None),) + index]  # (batch, *window, channels)
        for g in range(groups):
            part = patch[..., g * cin:(g + 1) * cin].reshape(x.shape[0], -1)
            weights = kernel[..., g * cout:(g + 1) * cout].reshape(-1, cout)
            out[(slice(None),) + position + (slice(g * cout, (g + 1) * cout),)] = part @ weights
    return out


def ref_conv_transpose(x, kernel, strides, padding, output_padding=None, dilation=1):
    """Scatter every input pixel through the kernel (``(*k, filters, in)``), then crop as TensorFlow does."""
    n = x.ndim - 2
    window = kernel.shape[:n]
    strides = (strides,) * n if np.isscalar(strides) else tuple(strides)
    dilation = (dilation,) * n if np.isscalar(dilation) else tuple(dilation)
    if output_padding is not None and np.isscalar(output_padding):
        output_padding = (output_padding,) * n
    lengths, befores = [], []
    for axis, (size, k, s, d) in enumerate(zip(x.shape[1:-1], window, strides, dilation)):
        extent = (k - 1) * d + 1
        if output_padding is None:
            length = size * s + max(extent - s, 0) if padding == "valid" else size * s
        else:
            pad = extent // 2 if padding == "same" else 0
            length = (size - 1) * s + extent - 2 * pad + output_padding[axis]
        lengths.append(length)
        befores.append(0 if padding == "valid" else max((size - 1) * s + extent - length, 0) // 2)
    full = np.zeros((x.shape[0],) + tuple(
        max((size - 1) * s + (k - 1) * d + 1, b + length)
        for size, s, k, d, b, length in zip(x.shape[1:-1], strides, window, dilation, befores, lengths)
    ) + (kernel.shape[-2],))
    for position in itertools.product(*(range(size) for size in x.shape[1:-1])):
        pixel = x[(slice(None),) + position]  # (batch, in)
        for tap in itertools.product(*(range(k) for k in window)):
            target = tuple(p * s + t * d for p, s, t, d in zip(position, strides, tap, dilation))
            full[(slice(None),) + target] += pixel @ kernel[tap].T
    return full[(slice(None),) + tuple(slice(b, b + length) for b, length in zip(befores, lengths))]


def ref_depthwise(x, kernel, strides=1, padding="valid", dilation=1):
    """Depthwise = a grouped conv with one group per channel, outputs ``c * multiplier + m``."""
    *window, channels, multiplier = kernel.shape
    grouped = kernel.reshape(tuple(window) + (1, channels * multiplier))
    return ref_conv(x, grouped, strides, padding, dilation, groups=channels)


def _weights(layer):
    return [_np(w) for w in layer.weights]


# ---------------------------------------------------------------------------- Conv1D / Conv2D / Conv3D


CONV2D_CASES = [
    dict(kernel_size=3),
    dict(kernel_size=(3, 2), strides=2, padding="same"),
    dict(kernel_size=3, strides=(2, 3), padding="valid"),
    dict(kernel_size=2, padding="same"),
    dict(kernel_size=3, dilation_rate=2, padding="same"),
    dict(kernel_size=(2, 3), dilation_rate=(1, 2)),
    dict(kernel_size=3, groups=2, padding="same"),
]


@pytest.mark.parametrize("args", CONV2D_CASES, ids=str)
def test_conv2d_matches_reference(args, rng):
    x = rng.normal(size=(2, 7, 9, 4)).astype("float32")  # odd sizes: 'same' pads unevenly
    layer = Conv2D(6, bias_initializer=BIAS, activation="tanh", **args)
    y = _np(layer(x))
    kernel, bias = _weights(layer)
    groups = args.get("groups", 1)
    assert kernel.shape == layer.kernel_size + (4 // groups, 6)
    expected = np.tanh(ref_conv(x, kernel, args.get("strides", 1), args.get("padding", "valid"),
                                args.get("dilation_rate", 1), groups) + bias)
    np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-5)
    assert layer.compute_output_shape((None, 7, 9, 4)) == (None,) + y.shape[1:]


@pytest.mark.parametrize("padding", ["valid", "same", "causal"])
@pytest.mark.parametrize("dilation", [1, 2])
def test_conv1d_matches_reference(padding, dilation, rng):
    x = rng.normal(size=(3, 11, 2)).astype("float32")
    layer = Conv1D(4, 3, padding=padding, dilation_rate=dilation, bias_initializer=BIAS)
    y = _np(layer(x))
    kernel, bias = _weights(layer)
    if padding == "causal":
        # Output t sees inputs t - 2 * dilation ... t only: pad on the left.
        left = np.zeros((3, 2 * dilation, 2), "float32")
        expected = ref_conv(np.concatenate([left, x], axis=1), kernel, 1, "valid", dilation) + bias
    else:
        expected = ref_conv(x, kernel, 1, padding, dilation) + bias
    np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-5)
    assert layer.compute_output_shape((None, 11, 2)) == (None,) + y.shape[1:]


def test_conv1d_causal_output_ignores_the_future(rng):
    layer = Conv1D(1, 4, padding="causal")
    x = rng.normal(size=(1, 10, 1)).astype("float32")
    changed = x.copy()
    changed[0, 6:] += 5.0
    np.testing.assert_allclose(_np(layer(x))[0, :6], _np(layer(changed))[0, :6], rtol=1e-6)


def test_conv3d_matches_reference(rng):
    x = rng.normal(size=(1, 5, 4, 6, 2)).astype("float32")
    layer = Conv3D(3, (2, 3, 2), strides=(1, 2, 2), padding="same", bias_initializer=BIAS)
    y = _np(layer(x))
    kernel, bias = _weights(layer)
    np.testing.assert_allclose(y, ref_conv(x, kernel, (1, 2, 2), "same") + bias, rtol=1e-4, atol=1e-5)
    assert y.shape == (1, 5, 2, 3, 3)


@pytest.mark.parametrize(
    "make, shape",
    [
        (lambda f: Conv2D(5, 3, strides=2, padding="same", data_format=f, bias_initializer=BIAS), (2, 7, 8, 3)),
        (lambda f: Conv1D(4, 3, padding="causal", data_format=f, bias_initializer=BIAS), (2, 9, 3)),
        (lambda f: Conv2DTranspose(4, 3, strides=2, data_format=f, bias_initializer=BIAS), (2, 4, 5, 3)),
        (lambda f: DepthwiseConv2D(3, depth_multiplier=2, data_format=f, bias_initializer=BIAS), (2, 6, 6, 3)),
        (lambda f: SeparableConv2D(4, 3, padding="same", data_format=f, bias_initializer=BIAS), (2, 6, 5, 3)),
    ],
    ids=["conv2d", "conv1d_causal", "conv2d_transpose", "depthwise", "separable"],
)
def test_channels_first_equals_transposed_channels_last(make, shape, rng):
    x = rng.normal(size=shape).astype("float32")
    last, first = make("channels_last"), make("channels_first")
    y_last = _np(last(x))
    first.build(_to_first(x).shape)
    first.set_weights(last.get_weights())  # the same kernel layout in both formats
    y_first = _np(first(_to_first(x)))
    np.testing.assert_allclose(_to_last(y_first), y_last, rtol=1e-4, atol=1e-5)
    assert first.compute_output_shape((None,) + _to_first(x).shape[1:]) == (None,) + y_first.shape[1:]


@pytest.mark.parametrize(
    "layer, input_shape, expected",
    [
        (Conv2D(3, 3), (None, 7, 9, 4), (None, 5, 7, 3)),
        (Conv2D(3, 3, strides=2), (None, 7, 9, 4), (None, 3, 4, 3)),
        (Conv2D(3, 3, strides=2, padding="same"), (None, 7, 9, 4), (None, 4, 5, 3)),
        (Conv2D(3, (3, 2), dilation_rate=2), (None, 7, 9, 4), (None, 3, 7, 3)),
        (Conv2D(3, 3, padding="same"), (None, None, 9, 4), (None, None, 9, 3)),
        (Conv2D(3, 3, data_format="channels_first"), (None, 4, 7, 9), (None, 3, 5, 7)),
        (Conv1D(2, 5, strides=3), (None, 17, 1), (None, 5, 2)),
        (Conv1D(2, 3, strides=2, padding="causal"), (None, 7, 1), (None, 4, 2)),
        (Conv3D(2, 2, strides=2), (None, 5, 6, 7, 1), (None, 2, 3, 3, 2)),
        (Conv2DTranspose(5, 3), (None, 7, 9, 4), (None, 9, 11, 5)),
        (Conv2DTranspose(5, 3, strides=2), (None, 7, 9, 4), (None, 15, 19, 5)),
        (Conv2DTranspose(5, 3, strides=2, padding="same"), (None, 7, 9, 4), (None, 14, 18, 5)),
        (Conv2DTranspose(5, 3, strides=2, padding="same", output_padding=1), (None, 7, 9, 4), (None, 14, 18, 5)),
        (Conv2DTranspose(5, 3, strides=2, output_padding=(0, 1)), (None, 7, 9, 4), (None, 15, 20, 5)),
        (Conv2DTranspose(5, 2, strides=2), (None, None, 3, 4), (None, None, 6, 5)),
        (Conv1DTranspose(2, 3, strides=2), (None, 5, 3), (None, 11, 2)),
        (DepthwiseConv2D(3, depth_multiplier=3, strides=2), (None, 7, 9, 4), (None, 3, 4, 12)),
        (SeparableConv2D(8, 3, padding="same"), (None, 7, 9, 4), (None, 7, 9, 8)),
        (SeparableConv1D(8, 3), (None, 7, 4), (None, 5, 8)),
    ],
    ids=lambda v: str(v) if isinstance(v, tuple) else type(v).__name__,
)
def test_compute_output_shape_follows_keras(layer, input_shape, expected):
    assert layer.compute_output_shape(input_shape) == expected
    concrete = tuple(2 if d is None else d for d in input_shape)
    y = layer(np.zeros(concrete, "float32"))
    assert ops.shape(y) == layer.compute_output_shape(concrete)


def test_symbolic_shapes_in_a_functional_graph():
    x = Input(shape=(None, 10, 3))
    y = Conv2D(4, 3, strides=2, padding="same")(x)
    assert y.shape == (None, None, 5, 4)
    z = Conv2DTranspose(2, 3, strides=2, padding="same")(y)
    assert z.shape == (None, None, 10, 2)


# ---------------------------------------------------------------------------- transposed, depthwise, separable


@pytest.mark.parametrize(
    "args",
    [
        dict(kernel_size=3),
        dict(kernel_size=3, strides=2),
        dict(kernel_size=(3, 2), strides=2, padding="same"),
        dict(kernel_size=3, strides=2, padding="same", output_padding=1),
        dict(kernel_size=3, strides=3, output_padding=(2, 1)),
        dict(kernel_size=2, dilation_rate=2, padding="same"),
    ],
    ids=str,
)
def test_conv2d_transpose_matches_reference(args, rng):
    x = rng.normal(size=(2, 3, 4, 3)).astype("float32")
    layer = Conv2DTranspose(2, bias_initializer=BIAS, **args)
    y = _np(layer(x))
    kernel, bias = _weights(layer)
    assert kernel.shape == layer.kernel_size + (2, 3)  # (*kernel_size, filters, input channels)
    expected = ref_conv_transpose(x, kernel, args.get("strides", 1), args.get("padding", "valid"),
                                  args.get("output_padding"), args.get("dilation_rate", 1)) + bias
    np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-5)


def test_conv_transpose_is_the_adjoint_of_conv(rng):
    # <conv(x), y> == <x, conv_transpose(y)> with the same kernel: the defining property.
    conv = Conv2D(3, 3, strides=2, padding="same", use_bias=False)
    x = rng.normal(size=(1, 8, 6, 2)).astype("float32")
    cx = _np(conv(x))
    transpose = Conv2DTranspose(2, 3, strides=2, padding="same", use_bias=False)
    transpose.build((None,) + cx.shape[1:])
    transpose.set_weights(conv.get_weights())
    y = rng.normal(size=cx.shape).astype("float32")
    ty = _np(transpose(y))
    assert ty.shape == x.shape
    np.testing.assert_allclose(np.sum(cx * y), np.sum(x * ty), rtol=1e-4)


def test_conv1d_transpose_matches_reference(rng):
    x = rng.normal(size=(2, 5, 3)).astype("float32")
    layer = Conv1DTranspose(4, 3, strides=2, padding="same", bias_initializer=BIAS)
    y = _np(layer(x))
    kernel, bias = _weights(layer)
    np.testing.assert_allclose(y, ref_conv_transpose(x, kernel, 2, "same") + bias, rtol=1e-4, atol=1e-5)
    assert y.shape == (2, 10, 4)


@pytest.mark.parametrize(
    "args",
    [dict(kernel_size=3), dict(kernel_size=3, depth_multiplier=2, strides=2, padding="same"),
     dict(kernel_size=(2, 3), dilation_rate=2)],
    ids=str,
)
def test_depthwise_conv2d_matches_reference(args, rng):
    x = rng.normal(size=(2, 7, 8, 3)).astype("float32")
    layer = DepthwiseConv2D(bias_initializer=BIAS, **args)
    y = _np(layer(x))
    kernel, bias = _weights(layer)
    multiplier = args.get("depth_multiplier", 1)
    assert kernel.shape == layer.kernel_size + (3, multiplier) and bias.shape == (3 * multiplier,)
    expected = ref_depthwise(x, kernel, args.get("strides", 1), args.get("padding", "valid"),
                             args.get("dilation_rate", 1)) + bias
    np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-5)
    # Each output channel sees only its own input channel.
    channel = np.zeros_like(x)
    channel[..., 1] = x[..., 1]
    only = _np(layer(channel)) - bias
    np.testing.assert_allclose(only[..., [c for c in range(3 * multiplier) if c // multiplier != 1]], 0, atol=1e-6)


def test_depthwise_conv1d_matches_reference(rng):
    x = rng.normal(size=(2, 9, 2)).astype("float32")
    layer = DepthwiseConv1D(3, depth_multiplier=3, padding="same", bias_initializer=BIAS)
    y = _np(layer(x))
    kernel, bias = _weights(layer)
    np.testing.assert_allclose(y, ref_depthwise(x, kernel, 1, "same") + bias, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("cls, shape", [(SeparableConv2D, (2, 7, 6, 3)), (SeparableConv1D, (2, 9, 3))])
def test_separable_conv_is_depthwise_then_pointwise(cls, shape, rng):
    x = rng.normal(size=shape).astype("float32")
    layer = cls(5, 3, strides=2, padding="same", depth_multiplier=2, bias_initializer=BIAS, activation="relu")
    y = _np(layer(x))
    depthwise, pointwise, bias = _weights(layer)
    rank = len(shape) - 2
    assert depthwise.shape == (3,) * rank + (3, 2) and pointwise.shape == (1,) * rank + (6, 5)
    expected = ref_depthwise(x, depthwise, 2, "same") @ pointwise.reshape(6, 5) + bias
    np.testing.assert_allclose(y, np.maximum(expected, 0), rtol=1e-4, atol=1e-5)
    assert [w.name for w in layer.weights] == ["depthwise_kernel", "pointwise_kernel", "bias"]


# ---------------------------------------------------------------------------- gradients


def test_small_conv_net_gradients_match_finite_differences(rng):
    kwargs = dict(dtype="float64")
    conv1 = Conv2D(3, 3, padding="same", activation="tanh", bias_initializer=BIAS, **kwargs)
    conv2 = Conv2D(2, 2, strides=2, activation="tanh", **kwargs)
    dense = Dense(1, **kwargs)
    # Every layer float64 (Flatten too: a float32 layer would cast back), so differences are exact enough.
    model = Sequential([Input((6, 6, 2), dtype="float64"), conv1, conv2, Flatten(**kwargs), dense])
    x = rng.normal(size=(3, 6, 6, 2))
    target = rng.normal(size=(3, 1))

    def loss_value():
        return ops.mean(ops.square(ops.subtract(model(x), target)))

    with plugnet.GradientTape() as tape:
        loss = loss_value()
    sources = [conv1.kernel, conv1.bias, conv2.kernel]
    grads = [_np(g) for g in tape.gradient(loss, sources)]
    eps = 1e-6
    for variable, grad in zip(sources, grads):
        base = variable.numpy()
        for flat in rng.choice(base.size, size=min(4, base.size), replace=False):
            index = np.unravel_index(flat, base.shape)
            values = []
            for step in (eps, -eps):
                shifted = base.copy()
                shifted[index] += step
                variable.assign(ops.convert_to_tensor(shifted, "float64"))
                values.append(float(_np(loss_value())))
            variable.assign(ops.convert_to_tensor(base, "float64"))
            numeric = (values[0] - values[1]) / (2 * eps)
            np.testing.assert_allclose(grad[index], numeric, rtol=1e-4, atol=1e-8)


def test_input_gradient_of_conv_transpose_and_depthwise(rng):
    x = ops.convert_to_tensor(rng.normal(size=(1, 3, 3, 2)), "float64")
    for layer in (Conv2DTranspose(2, 3, strides=2, dtype="float64"),
                  DepthwiseConv2D(2, depth_multiplier=2, dtype="float64")):
        with plugnet.GradientTape() as tape:
            tape.watch(x)
            total = ops.sum(ops.square(layer(x)))
        dx = _np(tape.gradient(total, x))
        base = _np(x)
        for index in [(0, 1, 1, 0), (0, 0, 2, 1)]:
            values = []
            for step in (1e-6, -1e-6):
                shifted = base.copy()
                shifted[index] += step
                values.append(float(np.sum(_np(layer(shifted)) ** 2)))
            np.testing.assert_allclose(dx[index], (values[0] - values[1]) / 2e-6, rtol=1e-5, atol=1e-8)


# ---------------------------------------------------------------------------- parameter counts, summary


def test_param_counts_follow_keras_formulas():
    clear_session()
    model = Sequential([
        Input((16, 16, 6)),
        Conv2D(8, 3),                                   # 3*3*6*8 + 8 = 440
        Conv2D(8, 3, groups=4, use_bias=False),         # 3*3*(8/4)*8 = 144
        DepthwiseConv2D(3, depth_multiplier=2),         # 3*3*8*2 + 16 = 160
        SeparableConv2D(12, 3, depth_multiplier=2),     # 3*3*16*2 + 32*12 + 12 = 684
        Conv2DTranspose(4, 2, strides=2),               # 2*2*4*12 + 4 = 196
    ])
    counts = [layer.count_params() for layer in model.layers]
    assert counts == [440, 144, 160, 684, 196]
    lines = []
    model.summary(print_fn=lines.append)
    assert any(line.startswith(" Total params: 1,624 ") for line in lines)
    rows = {line.split()[0]: line.split()[-1] for line in lines if line.startswith(" ") and "(" in line}
    assert rows["separable_conv2d"] == "684" and rows["conv2d_transpose"] == "196"
    conv1d = Conv1D(5, 4)
    conv1d.build((None, 10, 3))
    assert conv1d.count_params() == 4 * 3 * 5 + 5
    conv3d = Conv3D(2, 3)
    conv3d.build((None, 5, 5, 5, 4))
    assert conv3d.count_params() == 27 * 4 * 2 + 2


def test_conv_weights_are_glorot_uniform_in_keras_layout():
    layer = Conv2D(32, 3)
    layer.build((None, 8, 8, 16))
    kernel = layer.kernel.numpy()
    fan_in, fan_out = 9 * 16, 9 * 32
    limit = np.sqrt(6 / (fan_in + fan_out))
    assert kernel.shape == (3, 3, 16, 32)
    assert np.abs(kernel).max() <= limit and np.abs(kernel).max() > 0.9 * limit
    np.testing.assert_array_equal(layer.bias.numpy(), np.zeros(32))
    assert [w.name for w in layer.weights] == ["kernel", "bias"]


# ---------------------------------------------------------------------------- errors


def test_wrong_rank_and_channels_name_layer_and_shapes():
    layer = Conv2D(4, 3, name="encoder_conv")
    with pytest.raises(ValueError, match=r"'encoder_conv'.*rank 4.*\(2, 8, 8\)"):
        layer(np.zeros((2, 8, 8), "float32"))
    layer(np.zeros((2, 8, 8, 3), "float32"))
    with pytest.raises(ValueError, match=r"'encoder_conv'.*\(None, None, None, 3\).*\(2, 8, 8, 5\)"):
        layer(np.zeros((2, 8, 8, 5), "float32"))
    first = Conv2D(4, 3, data_format="channels_first", name="cf_conv")
    first(np.zeros((1, 3, 6, 6), "float32"))
    with pytest.raises(ValueError, match=r"'cf_conv'.*\(None, 3, None, None\).*\(1, 6, 6, 3\)"):
        first(np.zeros((1, 6, 6, 3), "float32"))


def test_window_larger_than_input_is_a_clear_error():
    with pytest.raises(ValueError, match=r"'big'.*\(5, 5\).*\(None, 4, 4, 1\)"):
        Conv2D(1, 5, name="big").compute_output_shape((None, 4, 4, 1))
    with pytest.raises(ValueError, match="'big2'"):
        Conv2D(1, 5, name="big2")(np.zeros((1, 4, 4, 1), "float32"))


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: Conv2D(0, 3), "filters"),
        (lambda: Conv2D(4, (3, 3, 3)), "kernel_size"),
        (lambda: Conv2D(4, 3, strides=0), "strides"),
        (lambda: Conv2D(4, 3, padding="full"), "padding"),
        (lambda: Conv2D(4, 3, padding="causal"), "padding"),
        (lambda: Conv2D(4, 3, data_format="NHWC"), "data_format"),
        (lambda: Conv2D(4, 3, strides=2, dilation_rate=2), "dilation_rate"),
        (lambda: Conv2D(6, 3, groups=4), "groups"),
        (lambda: Conv2DTranspose(4, 3, strides=2, output_padding=2), "output_padding"),
        (lambda: DepthwiseConv2D(3, depth_multiplier=0), "depth_multiplier"),
    ],
)
def test_bad_arguments(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_input_channels_not_divisible_by_groups():
    with pytest.raises(ValueError, match=r"input channels \(3\).*groups"):
        Conv2D(4, 3, groups=2)(np.zeros((1, 5, 5, 3), "float32"))


def test_regularizers_add_losses():
    layer = Conv2D(2, 3, kernel_regularizer=plugnet.regularizers.L2(0.1), bias_regularizer="l1",
                   bias_initializer="ones")
    layer.build((None, 5, 5, 3))
    kernel, bias = layer.get_weights()
    losses = [float(_np(value)) for value in layer.losses]
    np.testing.assert_allclose(losses, [0.1 * np.sum(kernel ** 2), 0.01 * np.sum(np.abs(bias))], rtol=1e-5)


# ---------------------------------------------------------------------------- config


@pytest.mark.parametrize(
    "layer",
    [
        Conv1D(3, 5, strides=2, padding="causal", dilation_rate=1, activation="relu", kernel_regularizer="l2"),
        Conv2D(4, (3, 2), padding="same", data_format="channels_first", groups=2, use_bias=False,
               kernel_initializer="he_normal"),
        Conv3D(2, 3, dilation_rate=2),
        Conv1DTranspose(3, 2, strides=2),
        Conv2DTranspose(4, 3, strides=2, padding="same", output_padding=1, activation="sigmoid"),
        DepthwiseConv1D(3, depth_multiplier=2),
        DepthwiseConv2D((3, 5), depth_multiplier=2, depthwise_regularizer="l1"),
        SeparableConv1D(4, 3),
        SeparableConv2D(8, 3, strides=2, pointwise_initializer="zeros"),
    ],
    ids=lambda layer: type(layer).__name__,
)
def test_config_round_trip(layer):
    config = layer.get_config()
    clone = type(layer).from_config(config)
    assert clone.get_config() == config
    assert plugnet.registry.get_registered(type(layer).__name__) is type(layer)
    restored = plugnet.registry.deserialize(plugnet.registry.serialize(layer))
    assert type(restored) is type(layer) and restored.get_config() == config
    assert config["kernel_size"] == layer.kernel_size and isinstance(config["strides"], tuple)


# ---------------------------------------------------------------------------- training


def test_small_cnn_learns_digits():
    datasets = pytest.importorskip("sklearn.datasets")
    digits = datasets.load_digits()
    x = (digits.images / 16.0).astype("float32")[..., None]
    y = digits.target
    order = np.random.default_rng(0).permutation(len(x))
    x, y = x[order], y[order]
    x_train, y_train, x_test, y_test = x[:1400], y[:1400], x[1400:], y[1400:]
    model = Sequential([
        Input((8, 8, 1)),
        Conv2D(8, 3, activation="relu"),
        MaxPooling2D(),
        Flatten(),
        Dense(10, activation="softmax"),
    ])
    model.compile(optimizer=plugnet.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=8, batch_size=32, verbose=0)
    _, accuracy = model.evaluate(x_test, y_test, verbose=0)
    assert accuracy >= 0.9
