"""Fast convolution: im2col, one matrix product, and col2im.

im2col copies every window of the padded input into one column of a matrix, so the whole
convolution becomes ``w_rows @ columns``, one large matrix product that BLAS (or cuBLAS) runs at
full speed. The backward pass is an affine layer's, followed by col2im, which adds each column of
the gradient back onto the pixels of its window. Both walk the ``HH * WW`` offsets of the filter:
the pixel that offset ``(di, dj)`` sees at every output position is one strided slice of the
padded input (``_windows.py``). The loop order is fixed, so the sums are deterministic, and the
same code runs on NumPy and CuPy.

Read the three public functions first; the tuned path at the end of the file is about memory
layout and speed only, not about what is computed.
"""

from __future__ import annotations

import math

from ..backend import Array, device_of, is_numpy_array, namespace
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
    x_padded = _padded_images_last(x, pad)  # (C, H + 2 pad, W + 2 pad, N)
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
    out_rows += xp.reshape(b, (num_filters, 1))  # in place: the product is a fresh array
    out = xp.reshape(out_rows, (num_filters, out_height, out_width, num_images))
    out = xp.permute_dims(out, (3, 0, 1, 2))
    return out, (columns, tuple(x.shape), w, stride, pad)


def conv_backward_fast(dout: Array, cache: tuple) -> tuple[Array, Array, Array]:
    """Backward pass of :func:`conv_forward_fast`: an affine layer's backward pass, then col2im.

    Shapes: dout (N, F, H_out, W_out); cache from :func:`conv_forward_fast`
    -> dx (N, C, H, W), dw (F, C, HH, WW), db (F,).
    """
    columns, x_shape, w, stride, pad = cache
    out_height, out_width = conv_output_shape(x_shape, tuple(w.shape), stride, pad)
    num_images, num_filters = x_shape[0], w.shape[0]
    check_upstream(dout, (num_images, num_filters, out_height, out_width))
    xp = namespace(dout, columns, w)
    # (F, H_out * W_out * N), the column order; free when dout came in the order out went out.
    dout_rows = xp.reshape(_images_last(dout), (num_filters, -1))
    db = xp.sum(dout_rows, axis=1)
    # dw_rows = dout_rows @ columns.T, computed as (columns @ dout_rows.T).T: BLAS runs this
    # order up to twice as fast, and the (C * HH * WW, F) result is small.
    dw = xp.reshape((columns @ dout_rows.T).T, tuple(w.shape))
    dx = _col2im_of_product(w, dout_rows, x_shape, out_height, out_width, stride, pad)
    return dx, dw, db


# ============================================================================================
# The tuned path: memory layout
# ============================================================================================
# The functions above hold the padded input and the columns with the image index last,
# (C, H, W, N): each offset's slice is then a long contiguous run (W_out * N values at stride 1)
# instead of rows of W_out, and copies in a fraction of the time. The column rows follow w, so the
# product needs no transpose, and the output keeps this order behind its (N, F, H_out, W_out)
# view, so the backward pass finds dout already in the order it needs.

# The tiled copy in _images_last: values per tile, and values gathered per step (256 KiB of
# float32: small enough to stay in cache and to reuse heap memory instead of fresh pages).
_TILE = 64
_STEP = 1 << 16


def _padded_images_last(x: Array, pad: int) -> Array:
    """``x`` (N, C, H, W) zero-padded, as (C, H + 2 pad, W + 2 pad, N); with no padding possibly a
    view of ``x``, so callers only read it."""
    xp = namespace(x)
    num_images, channels, height, width = x.shape
    x_moved = _images_last(x)
    if pad == 0:
        return x_moved
    x_padded = xp.zeros((channels, height + 2 * pad, width + 2 * pad, num_images), dtype=x.dtype, device=device_of(x))
    x_padded[:, pad : pad + height, pad : pad + width, :] = x_moved
    return x_padded


def _images_last(x: Array) -> Array:
    """``x`` (N, C, H, W) as (C, H, W, N): a view, or on NumPy a copy made tile by tile.

    Moving the image axis last is a transposing copy that reads one value from each image in
    turn. When an image's size is a multiple of a power of two, those values sit a power of two
    bytes apart and compete for the same few cache sets; NumPy's copy then runs 3 to 6 times
    slower than a plain one. Going through tiles of ``_TILE`` consecutive values avoids that: a
    few tiles at a time are gathered from every image, then each tile is transposed in cache.
    Other shapes, batches under 16 images (where the tiles measured no faster), and input
    already in (C, H, W, N) order get the view.
    """
    xp = namespace(x)
    moved = xp.permute_dims(x, (1, 2, 3, 0))
    num_images = x.shape[0]
    per_image = math.prod(x.shape[1:])
    if not (is_numpy_array(x) and x.flags.c_contiguous and per_image % _TILE == 0 and num_images >= 16):
        return moved
    num_tiles = per_image // _TILE
    tiles = xp.reshape(x, (num_images, num_tiles, _TILE))
    out = xp.empty((num_tiles, _TILE, num_images), dtype=x.dtype, device=device_of(x))
    tiles_per_step = max(1, _STEP // (num_images * _TILE))
    for first in range(0, num_tiles, tiles_per_step):
        step = tiles[:, first : first + tiles_per_step, :]
        # This reshape merges axes the permutation split apart, so it copies: (tiles, N, _TILE).
        gathered = xp.reshape(xp.permute_dims(step, (1, 0, 2)), (-1, num_images * _TILE))
        out[first : first + tiles_per_step, ...] = xp.permute_dims(
            xp.reshape(gathered, (-1, num_images, _TILE)), (0, 2, 1)
        )
    return xp.reshape(out, tuple(moved.shape))


def _col2im_of_product(
    w: Array, dout_rows: Array, x_shape: tuple, out_height: int, out_width: int, stride: int, pad: int
) -> Array:
    """col2im of the column gradient ``w_rows.T @ dout_rows``, without ever holding that whole
    (C * HH * WW, H_out * W_out * N) matrix (nine times the input for a 3x3 filter).

    The rows for the offsets (di, 0), (di, 1), ... of one kernel row come from one product (nine
    thin ones run BLAS far below speed when C is small), and each offset's block is added back
    onto the padded input gradient at once. Shapes: w (F, C, HH, WW), dout_rows
    (F, H_out * W_out * N) -> dx (N, C, H, W).
    """
    xp = namespace(dout_rows, w)
    num_images, channels, height, width = x_shape
    num_filters, _, kernel_height, kernel_width = w.shape
    dx_padded = xp.zeros(
        (channels, height + 2 * pad, width + 2 * pad, num_images), dtype=dout_rows.dtype, device=device_of(dout_rows)
    )
    for di in range(kernel_height):
        w_kernel_row = xp.reshape(xp.permute_dims(w[:, :, di, :], (2, 1, 0)), (kernel_width * channels, num_filters))
        block = xp.reshape(w_kernel_row @ dout_rows, (kernel_width, channels, out_height, out_width, num_images))
        for dj in range(kernel_width):
            rows, cols = offset_rows_cols(di, dj, out_height, out_width, stride)
            dx_padded[:, rows, cols, :] += block[dj, ...]
    dx = dx_padded[:, pad : pad + height, pad : pad + width, :]
    return xp.permute_dims(dx, (3, 0, 1, 2))
