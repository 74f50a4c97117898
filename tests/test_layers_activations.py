"""ReLU, leaky ReLU, sigmoid, tanh and flatten: gradients, values and input errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from _numgrad import assert_backward_matches_numerical
from backpropkit.layers import (
    flatten_backward,
    flatten_forward,
    leaky_relu_backward,
    leaky_relu_forward,
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
