"""Convolution: naive gradients, naive against fast and SciPy, and geometry errors."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import correlate

from _numgrad import assert_backward_matches_numerical
from backpropkit.layers import (
    conv_backward_fast,
    conv_backward_naive,
    conv_forward_fast,
    conv_forward_naive,
    im2col,
)

# (N, C, H, W), (F, C, HH, WW), stride, pad: a batch of one, non-square images and kernels,
# stride 2, padding 0, 1 and 2.
GEOMETRIES = [
    ((1, 1, 4, 4), (1, 1, 3, 3), 1, 0),
    ((2, 3, 5, 4), (2, 3, 3, 2), 1, 1),
    ((2, 2, 5, 7), (3, 2, 3, 3), 2, 1),
    ((1, 2, 4, 3), (2, 2, 3, 3), 1, 2),
    ((2, 1, 6, 6), (2, 1, 2, 2), 2, 0),
]


def conv_inputs(x_shape, w_shape, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(x_shape), rng.standard_normal(w_shape), rng.standard_normal(w_shape[0])


@pytest.mark.parametrize("x_shape, w_shape, stride, pad", GEOMETRIES)
def test_naive_backward_matches_numerical_gradient(backend, x_shape, w_shape, stride, pad):
    x, w, b = conv_inputs(x_shape, w_shape)
    assert_backward_matches_numerical(
        backend, conv_forward_naive, conv_backward_naive, [x, w, b], ["x", "w", "b"], stride=stride, pad=pad
    )


@pytest.mark.parametrize("x_shape, w_shape, stride, pad", GEOMETRIES)
def test_fast_backward_matches_numerical_gradient(backend, x_shape, w_shape, stride, pad):
    x, w, b = conv_inputs(x_shape, w_shape, seed=1)
    assert_backward_matches_numerical(
        backend, conv_forward_fast, conv_backward_fast, [x, w, b], ["x", "w", "b"], stride=stride, pad=pad
    )


@pytest.mark.parametrize("x_shape, w_shape, stride, pad", GEOMETRIES + [((3, 4, 8, 6), (5, 4, 3, 3), 1, 1)])
def test_naive_and_fast_agree(backend, x_shape, w_shape, stride, pad):
    x, w, b = conv_inputs(x_shape, w_shape, seed=2)
    naive_out, naive_cache = conv_forward_naive(backend(x), backend(w), backend(b), stride, pad)
    fast_out, fast_cache = conv_forward_fast(backend(x), backend(w), backend(b), stride, pad)
    np.testing.assert_allclose(backend.get(fast_out), backend.get(naive_out), rtol=1e-10, atol=1e-12)
    dout = backend(np.random.default_rng(3).standard_normal(tuple(naive_out.shape)))
    for name, naive, fast in zip(
        ("dx", "dw", "db"), conv_backward_naive(dout, naive_cache), conv_backward_fast(dout, fast_cache)
    ):
        np.testing.assert_allclose(backend.get(fast), backend.get(naive), rtol=1e-10, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("forward", [conv_forward_naive, conv_forward_fast])
@pytest.mark.parametrize("x_shape, w_shape, stride, pad", GEOMETRIES)
def test_forward_agrees_with_scipy_correlate(forward, x_shape, w_shape, stride, pad):
    x, w, b = conv_inputs(x_shape, w_shape, seed=4)
    padded = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    # A 'valid' correlation of one (C, H, W) image with one (C, HH, WW) filter sums over channels.
    expected = np.array(
        [[correlate(image, f, mode="valid")[0, ::stride, ::stride] + bias for f, bias in zip(w, b)] for image in padded]
    )
    out, _ = forward(x, w, b, stride=stride, pad=pad)
    np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("x_shape, w_shape, stride, pad", GEOMETRIES)
def test_im2col_puts_each_window_in_its_documented_column(x_shape, w_shape, stride, pad):
    x, _, _ = conv_inputs(x_shape, w_shape)
    num_images, channels, _, _ = x_shape
    kernel_height, kernel_width = w_shape[2:]
    columns = im2col(x, kernel_height, kernel_width, stride, pad)
    x_padded = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out_height = 1 + (x_padded.shape[2] - kernel_height) // stride
    out_width = 1 + (x_padded.shape[3] - kernel_width) // stride
    assert columns.shape == (channels * kernel_height * kernel_width, out_height * out_width * num_images)
    for i in range(out_height):
        for j in range(out_width):
            for n in range(num_images):
                window = x_padded[n, :, i * stride : i * stride + kernel_height, j * stride : j * stride + kernel_width]
                np.testing.assert_array_equal(columns[:, (i * out_width + j) * num_images + n], window.ravel())


@pytest.mark.parametrize("pad", [0, 1])
def test_tiled_transpose_gives_the_same_numbers_as_a_plain_one(pad):
    """Batches of 16+ images whose size is a multiple of 64 values take a tiled copy on NumPy.

    (16, 8, 24, 24) needs two steps of tiles; the same values in another memory order take the
    plain transposing copy, and both must give identical results, and agree with the loops.
    """
    x, w, b = conv_inputs((16, 8, 24, 24), (4, 8, 3, 3), seed=4)
    out, cache = conv_forward_fast(x, w, b, stride=1, pad=pad)
    dout = np.random.default_rng(6).standard_normal(out.shape)  # C-contiguous: tiled too
    x_other_order = np.asfortranarray(x)
    dout_other_order = np.asfortranarray(dout)
    other_out, other_cache = conv_forward_fast(x_other_order, w, b, stride=1, pad=pad)
    np.testing.assert_array_equal(out, other_out)
    for tiled, plain in zip(conv_backward_fast(dout, cache), conv_backward_fast(dout_other_order, other_cache)):
        np.testing.assert_array_equal(tiled, plain)
    few = slice(0, 2)  # the loops on two images are enough to pin the values down
    naive_out, naive_cache = conv_forward_naive(x[few], w, b, stride=1, pad=pad)
    np.testing.assert_allclose(out[few], naive_out, rtol=1e-10, atol=1e-12)
    naive_dx = conv_backward_naive(dout[few], naive_cache)[0]
    np.testing.assert_allclose(conv_backward_fast(dout, cache)[0][few], naive_dx, rtol=1e-10, atol=1e-12)


def test_fast_conv_keeps_float32():
    x, w, b = (a.astype(np.float32) for a in conv_inputs((2, 3, 6, 6), (4, 3, 3, 3)))
    out, cache = conv_forward_fast(x, w, b, stride=1, pad=1)
    assert out.dtype == np.float32
    assert all(grad.dtype == np.float32 for grad in conv_backward_fast(np.ones_like(out), cache))


def test_fast_backward_is_deterministic():
    x, w, b = conv_inputs((2, 3, 7, 7), (4, 3, 3, 3))
    out, cache = conv_forward_fast(x, w, b, stride=1, pad=1)
    dout = np.random.default_rng(5).standard_normal(out.shape)
    first, second = conv_backward_fast(dout, cache), conv_backward_fast(dout, cache)
    for a, b_ in zip(first, second):
        np.testing.assert_array_equal(a, b_)


@pytest.mark.parametrize("forward", [conv_forward_naive, conv_forward_fast])
@pytest.mark.parametrize(
    "x_shape, w_shape, b_shape, stride, pad, error, message",
    [
        ((2, 3, 5, 5), (2, 4, 3, 3), (2,), 1, 0, ValueError, "channel mismatch: x has 3 channels but the filters in w expect 4"),
        ((2, 3, 6, 5), (2, 3, 3, 3), (2,), 2, 0, ValueError, r"output height 1 \+ \(6 \+ 2 \* 0 - 3\) / 2 is not a whole number"),
        ((2, 3, 5, 6), (2, 3, 3, 3), (2,), 2, 0, ValueError, "output width .* is not a whole number"),
        ((2, 3, 3, 3), (2, 3, 5, 5), (2,), 1, 0, ValueError, "kernel height 5 is larger than the padded input height 3"),
        ((2, 3, 5, 5), (2, 3, 3, 3), (2,), 0, 0, ValueError, "stride must be an integer >= 1, got 0"),
        ((2, 3, 5, 5), (2, 3, 3, 3), (2,), 1, -1, ValueError, "pad must be an integer >= 0, got -1"),
        ((2, 3, 5, 5), (2, 3, 3, 3), (2,), 1.5, 0, ValueError, "stride must be an integer"),
        ((2, 3, 5, 5), (2, 3, 3, 3), (3,), 1, 0, ValueError, r"b must have one entry per filter \(2\)"),
        ((3, 5, 5), (2, 3, 3, 3), (2,), 1, 0, ValueError, r"x must have 4 dimensions, got shape \(3, 5, 5\)"),
        ((2, 3, 5, 5), (3, 3, 3), (2,), 1, 0, ValueError, "w must have 4 dimensions"),
    ],
)
def test_geometry_that_does_not_fit_is_refused(forward, x_shape, w_shape, b_shape, stride, pad, error, message):
    with pytest.raises(error, match=message):
        forward(np.ones(x_shape), np.ones(w_shape), np.ones(b_shape), stride=stride, pad=pad)


@pytest.mark.parametrize("forward", [conv_forward_naive, conv_forward_fast])
def test_integer_images_and_mixed_backends_are_refused(forward):
    from backends import BACKENDS

    with pytest.raises(TypeError, match="x must hold floating-point numbers"):
        forward(np.ones((1, 1, 3, 3), dtype=np.uint8), np.ones((1, 1, 3, 3)), np.ones(1))
    strict = BACKENDS["strict-device1"]
    with pytest.raises(TypeError, match="different backends"):
        forward(np.ones((1, 1, 3, 3)), strict(np.ones((1, 1, 3, 3))), np.ones(1))


@pytest.mark.parametrize(
    "forward, backward", [(conv_forward_naive, conv_backward_naive), (conv_forward_fast, conv_backward_fast)]
)
def test_dout_of_the_wrong_shape_is_refused(forward, backward):
    _, cache = forward(np.ones((2, 1, 4, 4)), np.ones((3, 1, 3, 3)), np.ones(3), stride=1, pad=0)
    with pytest.raises(ValueError, match=r"dout must have the shape of the forward output \(2, 3, 2, 2\)"):
        backward(np.ones((2, 3, 4, 4)), cache)
