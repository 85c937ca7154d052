"""The framework-free helpers every backend shares: argument checks (plugnet.plugins.nn_args) and
Python data conversion (plugnet.plugins.host_data)."""

import numpy as np
import pytest

import plugnet
from plugnet import ops
from plugnet.plugins.host_data import host_array, natural_array
from plugnet.plugins.nn_args import conv_groups, is_channels_first, noise_shape, transpose_geometry


@pytest.mark.parametrize("data_format, expected", [(None, False), ("channels_last", False), ("channels_first", True)])
def test_data_format_decides_the_layout(data_format, expected):
    assert is_channels_first("conv", (2, 5, 5, 3), data_format) is expected


@pytest.mark.parametrize("shape", [(2, 5), (1, 2, 3, 4, 5, 6), None])
def test_inputs_need_one_to_three_spatial_dims(shape):
    with pytest.raises(ValueError, match=r"max_pool: inputs must have shape \(batch, \*spatial, channels\)"):
        is_channels_first("max_pool", shape, "channels_last")


def test_an_unknown_data_format_is_named():
    with pytest.raises(ValueError, match=r"conv: `data_format` must be .* got 'NHWC'"):
        is_channels_first("conv", (2, 5, 5, 3), "NHWC")


def test_every_backend_reports_a_bad_rank_with_the_shared_message():
    x = np.zeros((2, 5), "float32")
    kernel = np.zeros((3, 1, 1), "float32")
    with pytest.raises(ValueError, match=r"conv: inputs must have shape .* got shape \(2, 5\)"):
        ops.conv(x, kernel)


@pytest.mark.parametrize(
    "size, kernel, stride, padding, output_padding, length, start",
    [
        (4, 3, 2, "valid", None, 9, 0),  # n * s + max(k - s, 0)
        (4, 3, 2, "same", None, 8, 0),  # n * s
        (4, 3, 1, "same", None, 4, 1),
        (4, 3, 2, "valid", 1, 10, 0),  # (n - 1) * s + k + output_padding
        (5, 4, 3, "same", 2, 14, 1),  # (n - 1) * s + k - 2 * (k // 2) + output_padding
    ],
)
def test_transpose_geometry_is_keras_output_length(size, kernel, stride, padding, output_padding, length, start):
    lengths, starts = transpose_geometry([size], [kernel], [stride], [1], padding, [output_padding])
    assert (lengths, starts) == ([length], [start])
    # The same length as the conv_transpose op gives on the active backend.
    x = np.ones((1, size, 1), "float32")
    out = ops.conv_transpose(x, np.ones((kernel, 1, 1), "float32"), strides=stride, padding=padding,
                             output_padding=output_padding)
    assert ops.shape(out)[1] == length


def test_noise_shape_takes_unset_dims_from_the_inputs():
    assert noise_shape("dropout", (4, 3, 2), None) == (4, 3, 2)
    assert noise_shape("dropout", (4, 3, 2), (None, 1, None)) == (4, 1, 2)
    with pytest.raises(ValueError, match=r"dropout: noise_shape \(4, 2, 2\) does not broadcast .* \(4, 3, 2\)"):
        noise_shape("dropout", (4, 3, 2), (4, 2, 2))
    with pytest.raises(ValueError, match="does not broadcast"):
        noise_shape("dropout", (4, 3, 2), (4, 3))


def test_every_backend_drops_along_the_noise_shape():
    x = np.ones((6, 5), "float32")
    out = ops.convert_to_numpy(plugnet.random.dropout(x, 0.5, noise_shape=(None, 1), seed=3))
    # One draw per row: each row is all kept (scaled by 2) or all dropped.
    for row in out:
        assert set(np.unique(row)) <= {0.0, 2.0} and len(np.unique(row)) == 1


@pytest.mark.parametrize(
    "data, dtype",
    [(1.5, "float32"), ([1, 2], "int32"), ([2**40], "int64"), ([], "float32"), (np.float64(2.0), "float32"),
     (np.array([True]), "bool")],
)
def test_python_data_gets_keras_dtypes(data, dtype):
    assert natural_array(data).dtype == np.dtype(dtype)
    # The active backend converts Python data the same way.
    if not isinstance(data, np.ndarray | np.generic):
        assert ops.dtype(ops.convert_to_tensor(data)) == dtype


@pytest.mark.parametrize(
    "shape, kernel, channels_first, depthwise, groups",
    [((2, 8, 8, 6), (3, 3, 6, 4), False, False, 1), ((2, 8, 8, 6), (3, 3, 2, 9), False, False, 3),
     ((2, 6, 8, 8), (3, 3, 3, 4), True, False, 2), ((2, 8, 8, 6), (3, 3, 6, 2), False, True, 6)],
)
def test_conv_groups_count_channel_groups(shape, kernel, channels_first, depthwise, groups):
    assert conv_groups("conv", shape, kernel, channels_first, depthwise) == groups


@pytest.mark.parametrize(
    "shape, kernel, depthwise, message",
    [((2, 8, 8, 6), (3, 6, 4), False, r"a kernel for 2-d inputs of shape \(2, 8, 8, 6\) must have rank 4"),
     ((2, 8, 8, 6), (3, 3, 4, 4), False, r"the inputs have 6 channels .* expects a multiple of 4 input channels"),
     ((2, 8, 8, 6), (3, 3, 3, 5), False, r"the inputs have 6 channels .* dividing its 5 output channels"),
     ((2, 8, 8, 6), (3, 3, 5, 2), True, r"the kernel \(3, 3, 5, 2\) expects 5 input channels, but the inputs have 6")],
)
def test_conv_groups_name_what_does_not_fit(shape, kernel, depthwise, message):
    with pytest.raises(ValueError, match="depthwise_conv: " + message if depthwise else "conv: " + message):
        conv_groups("depthwise_conv" if depthwise else "conv", shape, kernel, False, depthwise)


def test_every_backend_refuses_a_kernel_that_does_not_fit_the_inputs():
    x = np.zeros((1, 5, 5, 6), "float32")
    with pytest.raises(ValueError, match=r"conv: the inputs have 6 channels .* expects a multiple of 4"):
        ops.conv(x, np.zeros((3, 3, 4, 2), "float32"))
    with pytest.raises(ValueError, match=r"depthwise_conv: the kernel \(3, 3, 5, 1\) expects 5 input channels"):
        ops.depthwise_conv(x, np.zeros((3, 3, 5, 1), "float32"))


def test_host_array_keeps_numpy_dtypes_reads_in_a_given_dtype_and_refuses_strings():
    assert host_array("toy", np.arange(3, dtype="int64")).dtype == np.int64
    assert host_array("toy", np.float64(1.5)).dtype == np.float64
    assert host_array("toy", [1, 2], np.dtype("float16")).dtype == np.float16
    with pytest.raises(TypeError, match=r"The 'toy' backend cannot make a tensor of list \['a'\]"):
        host_array("toy", ["a"])


def test_every_backend_refuses_string_data_naming_itself():
    with pytest.raises(TypeError, match=f"The '{plugnet.backend.name()}' backend cannot"):
        ops.convert_to_tensor(["a", "b"])
