"""Flatten: turn a batch of images (or any stack of arrays) into a batch of vectors.

It sits between the convolutional part of a network and its affine layers. Backward only
restores the shape, since flattening moves no numbers.
"""

from __future__ import annotations

import math

from ..backend import Array, check_array, namespace
from ._checks import check_upstream


def flatten_forward(x: Array) -> tuple[Array, tuple[int, ...]]:
    """Reshape each example into one row.

    Shapes: x (N, d1, d2, ...) -> out (N, D) with D = d1 * d2 * ... (D = 1 when x is (N,)).
    Cache: the shape of x.
    """
    check_array(x, "x")
    if x.ndim < 1:
        raise ValueError(f"x must have a batch dimension (N, ...), got a scalar of shape {tuple(x.shape)}")
    xp = namespace(x)
    features = math.prod(x.shape[1:])
    out = xp.reshape(x, (x.shape[0], features))
    return out, tuple(x.shape)


def flatten_backward(dout: Array, cache: tuple[int, ...]) -> Array:
    """Backward pass of :func:`flatten_forward`: reshape the gradient back to the input's shape.

    Shapes: dout (N, D); cache the shape of x -> dx (same shape as x).
    """
    x_shape = cache
    check_upstream(dout, (x_shape[0], math.prod(x_shape[1:])))
    xp = namespace(dout)
    return xp.reshape(dout, x_shape)
