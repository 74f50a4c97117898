"""Max pooling: gradients, naive against fast, the tie rule, and geometry errors."""

from __future__ import annotations

import numpy as np
import pytest

from _numgrad import assert_backward_matches_numerical
from backpropkit.layers import (
    max_pool_backward_fast,
    max_pool_backward_naive,
    max_pool_forward_fast,
    max_pool_forward_naive,
)

PAIRS = {
    "naive": (max_pool_forward_naive, max_pool_backward_naive),
    "fast": (max_pool_forward_fast, max_pool_backward_fast),
}

# (N, C, H, W), pool_height, pool_width, stride: windows that tile, overlap, leave gaps, are
# not square, and a batch of one.
GEOMETRIES = [
    ((2, 3, 4, 4), 2, 2, 2),
    ((1, 2, 6, 4), 2, 2, 2),
    ((2, 2, 5, 5), 3, 3, 2),
    ((1, 2, 4, 5), 2, 3, 1),
    ((2, 1, 7, 7), 2, 2, 5),
    ((1, 1, 3, 6), 3, 2, 2),
]


def distinct_values(shape, seed=0):
    """Values 0.01 or more apart, so a finite difference never changes which input is largest."""
    size = int(np.prod(shape))
    return np.random.default_rng(seed).permutation(size).reshape(shape) * 0.01 - size * 0.005


@pytest.mark.parametrize("kind", list(PAIRS))
@pytest.mark.parametrize("shape, pool_height, pool_width, stride", GEOMETRIES)
def test_backward_matches_numerical_gradient(backend, kind, shape, pool_height, pool_width, stride):
    forward, backward = PAIRS[kind]
    assert_backward_matches_numerical(
        backend,
        forward,
        backward,
        [distinct_values(shape)],
        ["x"],
        pool_height=pool_height,
        pool_width=pool_width,
        stride=stride,
    )


@pytest.mark.parametrize("shape, pool_height, pool_width, stride", GEOMETRIES)
def test_naive_and_fast_agree_even_with_ties(backend, shape, pool_height, pool_width, stride):
    # Rounded ReLU outputs: many zeros and repeated values, so most windows hold ties.
    x = np.maximum(np.round(np.random.default_rng(1).standard_normal(shape), 1), 0.0)
    naive_out, naive_cache = max_pool_forward_naive(backend(x), pool_height, pool_width, stride)
    fast_out, fast_cache = max_pool_forward_fast(backend(x), pool_height, pool_width, stride)
    np.testing.assert_array_equal(backend.get(fast_out), backend.get(naive_out))
    dout = backend(np.random.default_rng(2).standard_normal(tuple(naive_out.shape)))
    np.testing.assert_allclose(
        backend.get(max_pool_backward_fast(dout, fast_cache)),
        backend.get(max_pool_backward_naive(dout, naive_cache)),
        rtol=1e-12,
        atol=1e-15,
    )


@pytest.mark.parametrize("kind", list(PAIRS))
def test_a_tie_sends_the_whole_gradient_to_the_first_maximum(backend, kind):
    forward, backward = PAIRS[kind]
    x = np.array(
        [
            [0.0, 0.0, 1.0, 3.0],
            [0.0, 0.0, 3.0, 2.0],
            [5.0, 2.0, 4.0, 4.0],
            [1.0, 5.0, 4.0, 4.0],
        ]
    ).reshape(1, 1, 4, 4)
    out, cache = forward(backend(x), 2, 2, 2)
    np.testing.assert_array_equal(backend.get(out)[0, 0], [[0.0, 3.0], [5.0, 4.0]])
    dx = backend.get(backward(backend(np.array([[[[1.0, 2.0], [3.0, 4.0]]]])), cache))[0, 0]
    expected = np.zeros((4, 4))
    expected[0, 0] = 1.0  # all four zero: the top-left one
    expected[0, 3] = 2.0  # 3 at (0, 3) and (1, 2): (0, 3) comes first in row-major order
    expected[2, 0] = 3.0  # 5 at (2, 0) and (3, 1)
    expected[2, 2] = 4.0  # all four equal to 4
    np.testing.assert_array_equal(dx, expected)


@pytest.mark.parametrize("kind", list(PAIRS))
def test_overlapping_windows_add_their_gradients(backend, kind):
    forward, backward = PAIRS[kind]
    x = np.zeros((1, 1, 3, 3))
    x[0, 0, 1, 1] = 1.0  # the centre wins all four overlapping 2x2 windows
    out, cache = forward(backend(x), 2, 2, 1)
    dx = backend.get(backward(backend(np.ones((1, 1, 2, 2))), cache))
    assert dx[0, 0, 1, 1] == 4.0 and dx.sum() == 4.0


def test_fast_pool_keeps_float32():
    x = distinct_values((2, 3, 4, 4)).astype(np.float32)
    out, cache = max_pool_forward_fast(x)
    assert out.dtype == np.float32
    assert max_pool_backward_fast(np.ones_like(out), cache).dtype == np.float32


@pytest.mark.parametrize("kind", list(PAIRS))
@pytest.mark.parametrize(
    "shape, params, message",
    [
        ((1, 1, 5, 4), dict(pool_height=2, pool_width=2, stride=2), r"output height 1 \+ \(5 - 2\) / 2 is not a whole number"),
        ((1, 1, 4, 5), dict(pool_height=2, pool_width=2, stride=2), "output width .* is not a whole number"),
        ((1, 1, 2, 4), dict(pool_height=3, pool_width=2, stride=1), "pool_height 3 is larger than the input height 2"),
        ((1, 1, 4, 4), dict(pool_height=2, pool_width=2, stride=0), "stride must be an integer >= 1, got 0"),
        ((1, 1, 4, 4), dict(pool_height=0, pool_width=2, stride=2), "pool_height must be an integer >= 1"),
        ((1, 1, 4, 4), dict(pool_height=2, pool_width=2.0, stride=2), "pool_width must be an integer >= 1"),
        ((4, 4), dict(), r"x must have 4 dimensions, got shape \(4, 4\)"),
    ],
)
def test_geometry_that_does_not_fit_is_refused(kind, shape, params, message):
    forward, _ = PAIRS[kind]
    with pytest.raises(ValueError, match=message):
        forward(np.ones(shape), **params)


@pytest.mark.parametrize("kind", list(PAIRS))
def test_integer_input_and_a_mismatched_dout_are_refused(kind):
    forward, backward = PAIRS[kind]
    with pytest.raises(TypeError, match="x must hold floating-point numbers"):
        forward(np.ones((1, 1, 4, 4), dtype=np.int32))
    _, cache = forward(np.ones((1, 2, 4, 4)))
    with pytest.raises(ValueError, match=r"dout must have the shape of the forward output \(1, 2, 2, 2\)"):
        backward(np.ones((1, 2, 4, 4)), cache)
