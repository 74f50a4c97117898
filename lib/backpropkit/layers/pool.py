"""Max pooling with explicit loops: the version students write.

Each output value is the largest input in one ``pool_height x pool_width`` window, the windows
stepping ``stride`` pixels apart in every channel separately. Max routes the gradient: the whole
upstream gradient of a window goes to the input that won it, the others get nothing. When
several inputs tie for the maximum (common after a ReLU, where whole windows are 0), the
gradient goes to the first of them in row-major order of the window, the choice ``argmax``
makes; the fast version in ``pool_fast.py`` follows the same rule.
"""

from __future__ import annotations

from ..backend import Array, check_array, device_of, namespace, require_integer_at_least
from ._checks import check_upstream


def pool_output_shape(
    x_shape: tuple[int, ...], pool_height: int, pool_width: int, stride: int
) -> tuple[int, int]:
    """Return ``(H_out, W_out)`` for max pooling, or raise ValueError saying what does not fit.

    ``H_out = 1 + (H - pool_height) / stride`` must be a whole number, and likewise for widths.
    """
    for name, value in (("pool_height", pool_height), ("pool_width", pool_width), ("stride", stride)):
        require_integer_at_least(value, name, 1)
    _, _, height, width = x_shape
    sizes = []
    for name, size, window in (("height", height, pool_height), ("width", width, pool_width)):
        if window > size:
            raise ValueError(f"pool_{name} {window} is larger than the input {name} {size}")
        if (size - window) % stride != 0:
            raise ValueError(
                f"output {name} 1 + ({size} - {window}) / {stride} is not a whole number; "
                f"choose a window and stride that fit the input {name} exactly"
            )
        sizes.append(1 + (size - window) // stride)
    return sizes[0], sizes[1]


def max_pool_forward_naive(
    x: Array, pool_height: int = 2, pool_width: int = 2, stride: int = 2
) -> tuple[Array, tuple]:
    """Max pooling, one output value at a time.

    Shapes: x (N, C, H, W) -> out (N, C, H_out, W_out) with H_out = 1 + (H - pool_height) / stride
    and W_out = 1 + (W - pool_width) / stride.
    Cache: (x, pool_height, pool_width, stride).
    """
    check_array(x, "x", ndim=4)
    out_height, out_width = pool_output_shape(tuple(x.shape), pool_height, pool_width, stride)
    xp = namespace(x)
    num_images, channels, _, _ = x.shape
    ### BEGIN SOLUTION
    out = xp.zeros((num_images, channels, out_height, out_width), dtype=x.dtype, device=device_of(x))
    for n in range(num_images):
        for c in range(channels):
            for i in range(out_height):
                for j in range(out_width):
                    top, left = i * stride, j * stride
                    window = x[n, c, top : top + pool_height, left : left + pool_width]
                    out[n, c, i, j] = xp.max(window)
    ### END SOLUTION
    return out, (x, pool_height, pool_width, stride)


def max_pool_backward_naive(dout: Array, cache: tuple) -> Array:
    """Backward pass of :func:`max_pool_forward_naive`; ties go to the first maximum in the window.

    Shapes: dout (N, C, H_out, W_out); cache (x, pool_height, pool_width, stride)
    -> dx (N, C, H, W).
    """
    x, pool_height, pool_width, stride = cache
    out_height, out_width = pool_output_shape(tuple(x.shape), pool_height, pool_width, stride)
    num_images, channels, _, _ = x.shape
    check_upstream(dout, (num_images, channels, out_height, out_width))
    xp = namespace(dout, x)
    ### BEGIN SOLUTION
    dx = xp.zeros_like(x)
    for n in range(num_images):
        for c in range(channels):
            for i in range(out_height):
                for j in range(out_width):
                    top, left = i * stride, j * stride
                    window = x[n, c, top : top + pool_height, left : left + pool_width]
                    # argmax of the flattened window picks the first maximum in row-major order.
                    winner = int(xp.argmax(xp.reshape(window, (-1,))))
                    row, col = divmod(winner, pool_width)
                    # += because overlapping windows can pick the same input.
                    dx[n, c, top + row, left + col] += dout[n, c, i, j]
    ### END SOLUTION
    return dx
