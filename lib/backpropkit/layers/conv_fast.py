"""Fast convolution: im2col, one matrix product, and col2im.

im2col copies every window of the padded input into one column of a matrix, so the whole
convolution becomes ``w_rows @ columns``, a single large matrix product that BLAS (or cuBLAS)
runs at full speed. The copy is done with one strided slice per kernel offset ``(di, dj)``:
``x_padded[..., di::stride, dj::stride, ...]`` (cut to H_out x W_out) is, for every output
position at once, the input pixel that the offset ``(di, dj)`` of the filter sees. col2im is the
reverse walk, adding each slice of the column gradient back onto the padded input gradient;
because the loop runs over the ``HH * WW`` offsets in a fixed order, the sums are deterministic,
and no ``as_strided`` view or scatter-add is needed, so the same code runs on NumPy and CuPy.

Layout, chosen for speed:
- The padded input is held as (C, H, W, N), the image index last. An offset's slice then runs
  over long contiguous stretches (W_out * N values for stride 1) instead of rows of W_out, and
  copying it costs a fraction of the (N, C, H, W) version.
- Columns are (C, HH, WW, H_out, W_out, N): rows follow the layout of ``w``, so the product
  needs no transpose, and columns follow the padded input.
- The output keeps that memory order behind an (N, F, H_out, W_out) view; element-wise layers
  after it follow the same order, and the backward pass finds ``dout`` already in the order it
  needs.
- The backward pass computes the column gradient ``w_rows.T @ dout_rows`` one offset's block of
  rows at a time and adds each block back at once: col2im without ever holding the whole
  (C * HH * WW, H_out * W_out * N) matrix, nine times the input for a 3x3 filter.
"""

from __future__ import annotations

from ..backend import Array, device_of, namespace
from ._checks import check_upstream
from ._windows import offset_rows_cols
from .conv import check_conv_inputs, conv_output_shape


def im2col(x: Array, kernel_height: int, kernel_width: int, stride: int, pad: int) -> Array:
    """Gather every filter window of ``x`` into one column.

    Shapes: x (N, C, H, W) -> columns (C * HH * WW, H_out * W_out * N); column ``(i, j, n)`` (in
    row-major order) holds the window under output pixel ``(i, j)`` of image n.
    """
    xp = namespace(x)
    num_images, channels, height, width = x.shape
    out_height = 1 + (height + 2 * pad - kernel_height) // stride
    out_width = 1 + (width + 2 * pad - kernel_width) // stride
    x_padded = xp.zeros(
        (channels, height + 2 * pad, width + 2 * pad, num_images), dtype=x.dtype, device=device_of(x)
    )
    x_padded[:, pad : pad + height, pad : pad + width, :] = xp.permute_dims(x, (1, 2, 3, 0))
    columns = xp.empty(
        (channels, kernel_height, kernel_width, out_height, out_width, num_images),
        dtype=x.dtype,
        device=device_of(x),
    )
    for di in range(kernel_height):
        for dj in range(kernel_width):
            rows, cols = offset_rows_cols(di, dj, out_height, out_width, stride)
            columns[:, di, dj, ...] = x_padded[:, rows, cols, :]
    return xp.reshape(columns, (channels * kernel_height * kernel_width, -1))


def conv_forward_fast(x: Array, w: Array, b: Array, stride: int = 1, pad: int = 0) -> tuple[Array, tuple]:
    """Convolution by im2col and one matrix product; same result as ``conv_forward_naive``.

    Shapes: x (N, C, H, W), w (F, C, HH, WW), b (F,) -> out (N, F, H_out, W_out) with
    H_out = 1 + (H + 2 pad - HH) / stride and W_out = 1 + (W + 2 pad - WW) / stride.
    Cache: (columns (C * HH * WW, H_out * W_out * N), shape of x, w, stride, pad).
    """
    out_height, out_width = check_conv_inputs(x, w, b, stride, pad)
    xp = namespace(x, w, b)
    num_images = x.shape[0]
    num_filters, _, kernel_height, kernel_width = w.shape
    columns = im2col(x, kernel_height, kernel_width, stride, pad)
    out_rows = xp.reshape(w, (num_filters, -1)) @ columns
    out = xp.reshape(out_rows, (num_filters, out_height, out_width, num_images))
    out = xp.permute_dims(out, (3, 0, 1, 2)) + xp.reshape(b, (1, num_filters, 1, 1))
    return out, (columns, tuple(x.shape), w, stride, pad)


def conv_backward_fast(dout: Array, cache: tuple) -> tuple[Array, Array, Array]:
    """Backward pass of :func:`conv_forward_fast`: two matrix products, col2im fused with the second.

    Shapes: dout (N, F, H_out, W_out); cache from :func:`conv_forward_fast`
    -> dx (N, C, H, W), dw (F, C, HH, WW), db (F,).
    """
    columns, x_shape, w, stride, pad = cache
    out_height, out_width = conv_output_shape(x_shape, tuple(w.shape), stride, pad)
    num_images, channels, height, width = x_shape
    num_filters, _, kernel_height, kernel_width = w.shape
    check_upstream(dout, (num_images, num_filters, out_height, out_width))
    xp = namespace(dout, columns, w)
    # (F, H_out * W_out * N), the column order; free when dout came in the order out went out.
    dout_rows = xp.reshape(xp.permute_dims(dout, (1, 2, 3, 0)), (num_filters, -1))
    db = xp.sum(dout_rows, axis=1)
    # columns @ dout_rows.T, transposed after: BLAS runs this order up to twice as fast as
    # dout_rows @ columns.T, and the (C * HH * WW, F) result is small.
    dw = xp.reshape((columns @ dout_rows.T).T, tuple(w.shape))
    dx_padded = xp.zeros(
        (channels, height + 2 * pad, width + 2 * pad, num_images), dtype=dout.dtype, device=device_of(dout)
    )
    for di in range(kernel_height):
        for dj in range(kernel_width):
            # The rows of w_rows.T @ dout_rows that belong to offset (di, dj), added straight back.
            block = w[:, :, di, dj].T @ dout_rows
            rows, cols = offset_rows_cols(di, dj, out_height, out_width, stride)
            dx_padded[:, rows, cols, :] += xp.reshape(block, (channels, out_height, out_width, num_images))
    dx = dx_padded[:, pad : pad + height, pad : pad + width, :]
    return xp.permute_dims(dx, (3, 0, 1, 2)), dw, db
