"""Fast convolution: im2col, one matrix product, and col2im.

im2col copies every window of the padded input into one column of a matrix, so the whole
convolution becomes ``w_rows @ columns``, a single large matrix product that BLAS (or cuBLAS)
runs at full speed. The copy is done with one strided slice per kernel offset ``(di, dj)``:
``x_padded[:, :, di::stride, dj::stride]`` (cut to H_out x W_out) is, for every output position at
once, the input pixel that the offset ``(di, dj)`` of the filter sees. col2im is the reverse
walk, adding each slice of the column gradient back onto the padded input gradient; because
the loop runs over the ``HH * WW`` offsets in a fixed order, the sums are deterministic, and no
``as_strided`` view or scatter-add is needed, so the same code runs on NumPy and CuPy.

Columns are laid out as ``(C, HH, WW, N, H_out, W_out)``: the rows of the matrix follow the
layout of ``w`` and the columns the layout of the output, so neither side needs a transpose
before the product.
"""

from __future__ import annotations

from ..backend import Array, device_of, namespace
from ._checks import check_upstream
from ._windows import offset_slice
from .conv import check_conv_inputs, conv_output_shape, zero_pad


def im2col(x: Array, kernel_height: int, kernel_width: int, stride: int, pad: int) -> Array:
    """Gather every filter window of ``x`` into one column.

    Shapes: x (N, C, H, W) -> columns (C * HH * WW, N * H_out * W_out); column
    ``(n, i, j)`` (in row-major order) holds the window under output pixel ``(i, j)`` of image n.
    """
    xp = namespace(x)
    num_images, channels, height, width = x.shape
    out_height = 1 + (height + 2 * pad - kernel_height) // stride
    out_width = 1 + (width + 2 * pad - kernel_width) // stride
    x_padded = zero_pad(x, pad)
    columns = xp.empty(
        (channels, kernel_height, kernel_width, num_images, out_height, out_width),
        dtype=x.dtype,
        device=device_of(x),
    )
    for di in range(kernel_height):
        for dj in range(kernel_width):
            seen = x_padded[offset_slice(di, dj, out_height, out_width, stride)]
            columns[:, di, dj, ...] = xp.permute_dims(seen, (1, 0, 2, 3))
    return xp.reshape(columns, (channels * kernel_height * kernel_width, num_images * out_height * out_width))


def col2im(
    columns: Array, x_shape: tuple[int, ...], kernel_height: int, kernel_width: int, stride: int, pad: int
) -> Array:
    """Add each column back onto the pixels of its window: the adjoint of :func:`im2col`.

    Shapes: columns (C * HH * WW, N * H_out * W_out) -> x-shaped (N, C, H, W). Pixels covered by
    several windows receive the sum of their contributions.
    """
    xp = namespace(columns)
    num_images, channels, height, width = x_shape
    out_height = 1 + (height + 2 * pad - kernel_height) // stride
    out_width = 1 + (width + 2 * pad - kernel_width) // stride
    columns = xp.reshape(columns, (channels, kernel_height, kernel_width, num_images, out_height, out_width))
    # Accumulate channel-major, matching the columns, so each addition reads and writes in order.
    padded = xp.zeros(
        (channels, num_images, height + 2 * pad, width + 2 * pad), dtype=columns.dtype, device=device_of(columns)
    )
    for di in range(kernel_height):
        for dj in range(kernel_width):
            padded[offset_slice(di, dj, out_height, out_width, stride)] += columns[:, di, dj, ...]
    return xp.permute_dims(padded[:, :, pad : pad + height, pad : pad + width], (1, 0, 2, 3))


def conv_forward_fast(x: Array, w: Array, b: Array, stride: int = 1, pad: int = 0) -> tuple[Array, tuple]:
    """Convolution by im2col and one matrix product; same result as ``conv_forward_naive``.

    Shapes: x (N, C, H, W), w (F, C, HH, WW), b (F,) -> out (N, F, H_out, W_out) with
    H_out = 1 + (H + 2 pad - HH) / stride and W_out = 1 + (W + 2 pad - WW) / stride.
    Cache: (columns (C * HH * WW, N * H_out * W_out), shape of x, w, stride, pad).
    """
    out_height, out_width = check_conv_inputs(x, w, b, stride, pad)
    xp = namespace(x, w, b)
    num_images = x.shape[0]
    num_filters, _, kernel_height, kernel_width = w.shape
    columns = im2col(x, kernel_height, kernel_width, stride, pad)
    w_rows = xp.reshape(w, (num_filters, -1))
    out = xp.reshape(w_rows @ columns, (num_filters, num_images, out_height, out_width))
    out = xp.permute_dims(out, (1, 0, 2, 3)) + xp.reshape(b, (1, num_filters, 1, 1))
    return out, (columns, tuple(x.shape), w, stride, pad)


def conv_backward_fast(dout: Array, cache: tuple) -> tuple[Array, Array, Array]:
    """Backward pass of :func:`conv_forward_fast`: two matrix products and col2im.

    Shapes: dout (N, F, H_out, W_out); cache from :func:`conv_forward_fast`
    -> dx (N, C, H, W), dw (F, C, HH, WW), db (F,).
    """
    columns, x_shape, w, stride, pad = cache
    out_height, out_width = conv_output_shape(x_shape, tuple(w.shape), stride, pad)
    num_filters, _, kernel_height, kernel_width = w.shape
    check_upstream(dout, (x_shape[0], num_filters, out_height, out_width))
    xp = namespace(dout, columns, w)
    # dout in two layouts, each one contiguous copy of a small array: (F, N*H_out*W_out) feeds
    # the column gradient, (N*H_out*W_out, F) lets the weight gradient's long sum run over rows.
    dout_by_filter = xp.reshape(xp.permute_dims(dout, (1, 0, 2, 3)), (num_filters, -1))
    dout_by_pixel = xp.reshape(xp.permute_dims(dout, (0, 2, 3, 1)), (-1, num_filters))
    db = xp.sum(dout_by_pixel, axis=0)
    dw = xp.reshape((columns @ dout_by_pixel).T, tuple(w.shape))
    dcolumns = xp.reshape(w, (num_filters, -1)).T @ dout_by_filter
    dx = col2im(dcolumns, x_shape, kernel_height, kernel_width, stride, pad)
    return dx, dw, db
