"""Fast max pooling: one strided slice per window offset instead of one loop per window.

For a window offset ``(di, dj)``, the strided slice ``x[:, :, di::stride, dj::stride]`` (cut to
H_out x W_out) holds, for every output pixel at once, the input that sits at that offset of its
window. The forward pass takes the element-wise maximum over the ``pool_height * pool_width``
slices and records which offset holds each window's maximum, the first one in row-major order
when several tie (the rule of ``max_pool_backward_naive``); the backward pass sends ``dout`` to
that offset of each window.

The same code serves windows that tile the input (pool size equal to the stride), windows that
overlap (stride smaller than the window) and windows with gaps between them. Reshaping the input
to ``(N, C, H_out, pool_height, W_out, pool_width)`` and reducing over two axes, the other
classic trick, gives the same numbers but measured several times slower on NumPy, whose
reductions over two non-adjacent axes are slow (see benchmarks/bench_conv_pool.py).
"""

from __future__ import annotations

from ..backend import Array, check_array, device_of, namespace
from ._checks import check_upstream
from ._windows import offset_slice
from .pool import pool_output_shape


def max_pool_forward_fast(
    x: Array, pool_height: int = 2, pool_width: int = 2, stride: int = 2
) -> tuple[Array, tuple]:
    """Max pooling by strided slices; same result as ``max_pool_forward_naive``.

    Shapes: x (N, C, H, W) -> out (N, C, H_out, W_out) with H_out = 1 + (H - pool_height) / stride
    and W_out = 1 + (W - pool_width) / stride.
    Cache: (winner (N, C, H_out, W_out), the row-major offset in its window of each maximum,
    int8 (int32 for windows over 127 pixels); shape of x; pool_height; pool_width; stride).
    """
    check_array(x, "x", ndim=4)
    out_height, out_width = pool_output_shape(tuple(x.shape), pool_height, pool_width, stride)
    xp = namespace(x)
    # windows[offset]: the input at that row-major offset of every window, shaped like out.
    windows = [
        x[offset_slice(row, col, out_height, out_width, stride)]
        for row in range(pool_height)
        for col in range(pool_width)
    ]
    # One pass over the offsets in row-major order keeps the running maximum and where it came
    # from; a later offset takes over only when strictly greater, so the first maximum wins ties.
    # The winner is the last offset that took over, i.e. the largest ``offset * took_over``:
    # a cast, a product and a maximum, several times faster than ``where`` (which branches).
    index_dtype = xp.int8 if len(windows) <= 127 else xp.int32  # small indices, less memory traffic
    out = windows[0]
    winner = xp.zeros(tuple(out.shape), dtype=index_dtype, device=device_of(x))
    for offset, candidate in enumerate(windows[1:], start=1):
        took_over = xp.astype(candidate > out, index_dtype)
        out = xp.maximum(out, candidate)
        winner = xp.maximum(winner, took_over * offset)
    if len(windows) == 1:  # 1x1 windows: return a copy, never a view of x
        out = xp.asarray(out, copy=True)
    return out, (winner, tuple(x.shape), pool_height, pool_width, stride)


def max_pool_backward_fast(dout: Array, cache: tuple) -> Array:
    """Backward pass of :func:`max_pool_forward_fast`; ties go to the first maximum in the window.

    Shapes: dout (N, C, H_out, W_out); cache from :func:`max_pool_forward_fast` -> dx (N, C, H, W).
    """
    winner, x_shape, pool_height, pool_width, stride = cache
    check_upstream(dout, tuple(winner.shape))
    xp = namespace(dout, winner)
    out_height, out_width = winner.shape[2], winner.shape[3]
    # Disjoint windows write each input pixel at most once; overlapping ones must add. Windows
    # that tile x exactly write every pixel once, so dx needs no zeroing first.
    disjoint = stride >= pool_height and stride >= pool_width
    tiles_exactly = (
        stride == pool_height == pool_width
        and out_height * stride == x_shape[2]
        and out_width * stride == x_shape[3]
    )
    allocate = xp.empty if tiles_exactly else xp.zeros
    dx = allocate(x_shape, dtype=dout.dtype, device=device_of(dout))
    for offset in range(pool_height * pool_width):
        row, col = divmod(offset, pool_width)
        pixels = offset_slice(row, col, out_height, out_width, stride)
        routed = dout * xp.astype(winner == offset, dout.dtype)
        if disjoint:
            dx[pixels] = routed
        else:
            dx[pixels] += routed
    return dx
