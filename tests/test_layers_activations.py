"""ReLU, leaky ReLU, sigmoid, tanh, ELU, maxout and flatten: gradients, values and input errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from _numgrad import assert_backward_matches_numerical
from backpropkit.layers import (
    elu_backward,
    elu_forward,
    flatten_backward,
    flatten_forward,
    leaky_relu_backward,
    leaky_relu_forward,
    maxout_backward,
    maxout_forward,
    relu_backward,
    relu_forward,
    sigmoid_backward,
    sigmoid_forward,
    tanh_backward,
    tanh_forward,
)

ACTIVATIONS = {
    "relu": (relu_forward, relu_backward),
    "leaky_relu": (leaky_relu_forward, leaky_relu_backward),
    "sigmoid": (sigmoid_forward, sigmoid_backward),
    "tanh": (tanh_forward, tanh_backward),
    "elu": (elu_forward, elu_backward),
}


def away_from_zero(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    """Random values with |x| >= 0.1, so a finite difference never straddles ReLU's kink."""
    x = np.random.default_rng(seed).uniform(0.1, 3.0, size=shape)
    signs = np.random.default_rng(seed + 1).choice([-1.0, 1.0], size=shape)
    return x * signs


@pytest.mark.parametrize("name", list(ACTIVATIONS))
@pytest.mark.parametrize("shape", [(1, 5), (4, 3), (2, 3, 4, 5)])
def test_backward_matches_numerical_gradient(backend, name, shape):
    forward, backward = ACTIVATIONS[name]
    assert_backward_matches_numerical(backend, forward, backward, [away_from_zero(shape)], ["x"])


def test_leaky_relu_backward_uses_its_alpha(backend):
    x = away_from_zero((3, 4))
    assert_backward_matches_numerical(
        backend, leaky_relu_forward, leaky_relu_backward, [x], ["x"], alpha=0.2
    )


def test_forward_values_match_the_formulas(backend):
    x = np.array([[-2.0, -0.5, 0.0, 0.5, 3.0]])
    expected = {
        "relu": np.maximum(x, 0),
        "leaky_relu": np.where(x > 0, x, 0.01 * x),
        "sigmoid": 1 / (1 + np.exp(-x)),
        "tanh": np.tanh(x),
        "elu": np.where(x > 0, x, np.expm1(x)),
    }
    for name, (forward, _) in ACTIVATIONS.items():
        out, _ = forward(backend(x))
        np.testing.assert_allclose(backend.get(out), expected[name], rtol=1e-12, err_msg=name)


def test_sigmoid_is_stable_for_large_inputs(backend):
    x = np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow RuntimeWarning would fail the test
        out, cache = sigmoid_forward(backend(x))
        dx = sigmoid_backward(backend(np.ones(5)), cache)
    out = backend.get(out)
    assert np.all(np.isfinite(out)) and np.all(np.isfinite(backend.get(dx)))
    np.testing.assert_allclose(out, [0.0, np.exp(-50.0), 0.5, 1.0, 1.0], rtol=1e-12, atol=0)


def test_float32_stays_float32():
    x = away_from_zero((3, 4)).astype(np.float32)
    for name, (forward, backward) in ACTIVATIONS.items():
        out, cache = forward(x)
        dx = backward(np.ones_like(out), cache)
        assert out.dtype == np.float32 and dx.dtype == np.float32, name


@pytest.mark.parametrize("shape", [(1, 3, 4, 5), (6, 2), (3,)])
def test_flatten_round_trip_and_gradient(backend, shape):
    x = np.arange(np.prod(shape), dtype=float).reshape(shape)
    out, cache = flatten_forward(backend(x))
    assert tuple(out.shape) == (shape[0], int(np.prod(shape[1:])))
    np.testing.assert_array_equal(backend.get(out), x.reshape(shape[0], -1))
    assert_backward_matches_numerical(backend, flatten_forward, flatten_backward, [x], ["x"])


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_integer_input_is_refused(name):
    forward, _ = ACTIVATIONS[name]
    with pytest.raises(TypeError, match="x must hold floating-point numbers"):
        forward(np.arange(6).reshape(2, 3))


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_dout_of_the_wrong_shape_is_refused(name):
    forward, backward = ACTIVATIONS[name]
    _, cache = forward(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"dout must have the shape of the forward output \(2, 3\)"):
        backward(np.ones((3, 2)), cache)


def test_mixed_backends_are_refused():
    from backends import BACKENDS

    _, cache = relu_forward(np.ones((2, 3)))
    with pytest.raises(TypeError, match="different backends"):
        relu_backward(BACKENDS["strict-device1"](np.ones((2, 3))), cache)


def test_leaky_relu_refuses_a_bad_alpha():
    with pytest.raises(ValueError, match="alpha must be a number in"):
        leaky_relu_forward(np.ones(3), alpha=1.5)


def test_flatten_refuses_a_scalar_and_a_mismatched_dout():
    with pytest.raises(ValueError, match="x must have a batch dimension"):
        flatten_forward(np.ones(()))
    _, cache = flatten_forward(np.ones((2, 3, 4)))
    with pytest.raises(ValueError, match=r"dout must have the shape of the forward output \(2, 12\)"):
        flatten_backward(np.ones((2, 3, 4)), cache)


def test_elu_backward_uses_its_alpha(backend):
    x = away_from_zero((3, 4))
    assert_backward_matches_numerical(backend, elu_forward, elu_backward, [x], ["x"], alpha=0.5)


def test_elu_is_stable_for_large_inputs(backend):
    x = np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # exp(1000) would overflow with a RuntimeWarning
        out, cache = elu_forward(backend(x), alpha=2.0)
        dx = elu_backward(backend(np.ones(5)), cache)
    np.testing.assert_allclose(backend.get(out), [-2.0, 2.0 * np.expm1(-50.0), 0.0, 50.0, 1000.0], rtol=1e-12)
    np.testing.assert_allclose(backend.get(dx), [0.0, 2.0 * np.exp(-50.0), 2.0, 1.0, 1.0], rtol=1e-12, atol=0)


def test_elu_refuses_a_bad_alpha():
    with pytest.raises(ValueError, match="alpha must be a number > 0"):
        elu_forward(np.ones(3), alpha=0)


def maxout_inputs(pieces: int, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.standard_normal((5, 4)), rng.standard_normal((pieces, 4, 3)), rng.standard_normal((pieces, 3))]


@pytest.mark.parametrize("pieces", [1, 2, 3])
def test_maxout_backward_matches_numerical_gradient(backend, pieces):
    inputs = maxout_inputs(pieces, seed=pieces)
    assert_backward_matches_numerical(backend, maxout_forward, maxout_backward, inputs, ["x", "w", "b"])


def test_maxout_forward_is_the_largest_piece_and_contains_relu(backend):
    x, w, b = maxout_inputs(3)
    out, _ = maxout_forward(backend(x), backend(w), backend(b))
    expected = np.max(np.einsum("nd,kdm->knm", x, w) + b[:, None, :], axis=0)
    np.testing.assert_allclose(backend.get(out), expected, rtol=1e-12)
    # ReLU is maxout of two pieces, the first of them zero: max(0, x w + b)
    x, w, b = maxout_inputs(2)
    w[0], b[0] = 0.0, 0.0
    out, _ = maxout_forward(backend(x), backend(w), backend(b))
    np.testing.assert_allclose(backend.get(out), np.maximum(x @ w[1] + b[1], 0.0), rtol=1e-12)


def test_maxout_ties_send_the_gradient_to_the_first_piece(backend):
    x, w, b = maxout_inputs(3)
    w[2], b[2] = w[1], b[1]  # pieces 1 and 2 are identical: wherever they win, they tie
    w[0], b[0] = w[1], b[1]  # ... and piece 0 too, so every output is a three-way tie
    dout = np.random.default_rng(9).standard_normal((5, 3))
    _, cache = maxout_forward(backend(x), backend(w), backend(b))
    dx, dw, db = (backend.get(g) for g in maxout_backward(backend(dout), cache))
    np.testing.assert_allclose(dx, dout @ w[0].T, rtol=1e-12)
    np.testing.assert_allclose(dw[0], x.T @ dout, rtol=1e-12)
    np.testing.assert_allclose(db[0], dout.sum(axis=0), rtol=1e-12)
    assert not np.any(dw[1:]) and not np.any(db[1:])


def test_maxout_refuses_mismatched_shapes():
    x, w, b = maxout_inputs(2)
    with pytest.raises(ValueError, match="w must have 3 dimensions"):
        maxout_forward(x, w[0], b)
    with pytest.raises(ValueError, match="w must hold at least one piece"):
        maxout_forward(x, w[:0], b[:0])
    with pytest.raises(ValueError, match="x has 5 features per example but w expects 4"):
        maxout_forward(np.ones((2, 5)), w, b)
    with pytest.raises(ValueError, match=r"b must have shape \(2, 3\)"):
        maxout_forward(x, w, b[:, :2])
    _, cache = maxout_forward(x, w, b)
    with pytest.raises(ValueError, match=r"dout must have the shape of the forward output \(5, 3\)"):
        maxout_backward(np.ones((5, 2)), cache)
