"""Convolution (strictly, cross-correlation) with explicit loops: the version students write.

Each output value is one filter laid over one window of the zero-padded input:

    out[n, f, i, j] = b[f] + sum over c, di, dj of
                      x_padded[n, c, i * stride + di, j * stride + dj] * w[f, c, di, dj]

The same filter slides over every position (parameter sharing), so in the backward pass each
weight collects gradient from every window it touched, and each input pixel collects gradient
from every window that covered it. The fast version in ``conv_fast.py`` computes the same thing
with one matrix product; both share :func:`conv_output_shape`, which checks the geometry.
"""

from __future__ import annotations

from ..backend import Array, check_array, device_of, namespace, require_integer_at_least, require_same_backend
from ._checks import check_upstream


def conv_output_shape(
    x_shape: tuple[int, ...], w_shape: tuple[int, ...], stride: int, pad: int
) -> tuple[int, int]:
    """Return ``(H_out, W_out)`` for a convolution, or raise ValueError saying what does not fit.

    ``H_out = 1 + (H + 2 pad - HH) / stride`` must be a whole number, and likewise for widths.
    """
    require_integer_at_least(stride, "stride", 1)
    require_integer_at_least(pad, "pad", 0)
    _, channels, height, width = x_shape
    _, filter_channels, kernel_height, kernel_width = w_shape
    if filter_channels != channels:
        raise ValueError(
            f"channel mismatch: x has {channels} channels but the filters in w expect "
            f"{filter_channels} (x {tuple(x_shape)}, w {tuple(w_shape)})"
        )
    sizes = []
    for name, size, kernel in (("height", height, kernel_height), ("width", width, kernel_width)):
        padded = size + 2 * pad
        if kernel > padded:
            raise ValueError(
                f"kernel {name} {kernel} is larger than the padded input {name} {padded} "
                f"({size} + 2 * pad {pad})"
            )
        if (padded - kernel) % stride != 0:
            raise ValueError(
                f"output {name} 1 + ({size} + 2 * {pad} - {kernel}) / {stride} is not a whole "
                f"number; change pad or stride so that the filter windows fit the input exactly"
            )
        sizes.append(1 + (padded - kernel) // stride)
    return sizes[0], sizes[1]


def check_conv_inputs(x: Array, w: Array, b: Array, stride: int, pad: int) -> tuple[int, int]:
    """Check the arrays and geometry of a convolution; return ``(H_out, W_out)``."""
    check_array(x, "x", ndim=4)
    check_array(w, "w", ndim=4)
    check_array(b, "b", ndim=1)
    if b.shape[0] != w.shape[0]:
        raise ValueError(f"b must have one entry per filter ({w.shape[0]}), got shape {tuple(b.shape)}")
    require_same_backend(x, w, b)
    return conv_output_shape(tuple(x.shape), tuple(w.shape), stride, pad)


def zero_pad(x: Array, pad: int) -> Array:
    """Surround each image with ``pad`` rows and columns of zeros.

    Shapes: x (N, C, H, W) -> (N, C, H + 2 pad, W + 2 pad).
    """
    require_integer_at_least(pad, "pad", 0)
    if pad == 0:
        return x
    xp = namespace(x)
    n, c, h, w = x.shape
    padded = xp.zeros((n, c, h + 2 * pad, w + 2 * pad), dtype=x.dtype, device=device_of(x))
    padded[:, :, pad : pad + h, pad : pad + w] = x
    return padded


def conv_forward_naive(x: Array, w: Array, b: Array, stride: int = 1, pad: int = 0) -> tuple[Array, tuple]:
    """Convolve a batch of images with a bank of filters, one output value at a time.

    Shapes: x (N, C, H, W), w (F, C, HH, WW), b (F,) -> out (N, F, H_out, W_out) with
    H_out = 1 + (H + 2 pad - HH) / stride and W_out = 1 + (W + 2 pad - WW) / stride.
    Cache: (x, w, b, stride, pad).
    """
    out_height, out_width = check_conv_inputs(x, w, b, stride, pad)
    xp = namespace(x, w, b)
    num_images, _, _, _ = x.shape
    num_filters, _, kernel_height, kernel_width = w.shape
    ### BEGIN SOLUTION
    x_padded = zero_pad(x, pad)
    out = xp.zeros((num_images, num_filters, out_height, out_width), dtype=x.dtype, device=device_of(x))
    for n in range(num_images):
        for f in range(num_filters):
            for i in range(out_height):
                for j in range(out_width):
                    top, left = i * stride, j * stride
                    window = x_padded[n, :, top : top + kernel_height, left : left + kernel_width]
                    out[n, f, i, j] = xp.sum(window * w[f, ...]) + b[f]
    ### END SOLUTION
    return out, (x, w, b, stride, pad)


def conv_backward_naive(dout: Array, cache: tuple) -> tuple[Array, Array, Array]:
    """Backward pass of :func:`conv_forward_naive`.

    Shapes: dout (N, F, H_out, W_out); cache (x, w, b, stride, pad)
    -> dx (N, C, H, W), dw (F, C, HH, WW), db (F,).
    """
    x, w, b, stride, pad = cache
    out_height, out_width = conv_output_shape(tuple(x.shape), tuple(w.shape), stride, pad)
    num_images, _, height, width = x.shape
    num_filters, _, kernel_height, kernel_width = w.shape
    check_upstream(dout, (num_images, num_filters, out_height, out_width))
    xp = namespace(dout, x, w)
    ### BEGIN SOLUTION
    x_padded = zero_pad(x, pad)
    dx_padded = xp.zeros_like(x_padded)
    dw = xp.zeros_like(w)
    db = xp.sum(dout, axis=(0, 2, 3))
    for n in range(num_images):
        for f in range(num_filters):
            for i in range(out_height):
                for j in range(out_width):
                    top, left = i * stride, j * stride
                    rows = slice(top, top + kernel_height)
                    cols = slice(left, left + kernel_width)
                    # The window fed out[n, f, i, j]: route the gradient back along both factors.
                    dw[f, ...] += dout[n, f, i, j] * x_padded[n, :, rows, cols]
                    dx_padded[n, :, rows, cols] += dout[n, f, i, j] * w[f, ...]
    dx = dx_padded[:, :, pad : pad + height, pad : pad + width]
    ### END SOLUTION
    return dx, dw, db
