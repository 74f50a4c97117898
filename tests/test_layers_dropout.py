"""Inverted dropout: test mode, train-mode invariants, the mask in backward, seeds, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest

from _numgrad import assert_backward_matches_numerical
from backpropkit.backend import RandomState
from backpropkit.layers import dropout_backward, dropout_forward


def test_test_mode_is_the_identity(backend):
    x = np.random.default_rng(0).standard_normal((4, 5))
    out, cache = dropout_forward(backend(x), 0.3, train=False, rng=0)
    np.testing.assert_array_equal(backend.get(out), x)
    dout = np.random.default_rng(1).standard_normal((4, 5))
    np.testing.assert_array_equal(backend.get(dropout_backward(backend(dout), cache)), dout)


@pytest.mark.parametrize("keep_prob", [0.2, 0.5, 0.9])
def test_train_mode_keeps_or_scales_each_value(backend, keep_prob):
    x = np.random.default_rng(0).uniform(0.5, 2.0, size=(50, 40))
    out, _ = dropout_forward(backend(x), keep_prob, rng=3)
    out = backend.get(out)
    dropped = out == 0
    np.testing.assert_allclose(out[~dropped], x[~dropped] / keep_prob, rtol=1e-12)
    assert 0 < dropped.sum() < x.size


@pytest.mark.parametrize("keep_prob", [0.25, 0.8])
def test_train_mode_preserves_the_mean(keep_prob):
    # Each unit of ones becomes 1/p with probability p, else 0: mean 1, variance (1 - p) / p.
    size = 200_000
    out, _ = dropout_forward(np.ones(size), keep_prob, rng=11)
    tolerance = 5 * math.sqrt((1 - keep_prob) / keep_prob / size)
    assert abs(out.mean() - 1.0) < tolerance
    assert abs((out != 0).mean() - keep_prob) < 5 * math.sqrt(keep_prob * (1 - keep_prob) / size)


def test_backward_reuses_the_forward_mask(backend):
    x = np.random.default_rng(0).uniform(0.5, 2.0, size=(30, 20))
    out, cache = dropout_forward(backend(x), 0.6, rng=5)
    dout = np.random.default_rng(1).standard_normal(x.shape)
    dx = backend.get(dropout_backward(backend(dout), cache))
    kept = backend.get(out) != 0
    np.testing.assert_allclose(dx[kept], dout[kept] / 0.6, rtol=1e-12)
    assert np.all(dx[~kept] == 0)


def test_backward_matches_numerical_gradient_for_a_fixed_mask(backend):
    x = np.random.default_rng(0).standard_normal((3, 4, 5))
    assert_backward_matches_numerical(backend, dropout_forward, dropout_backward, [x], ["x"], keep_prob=0.7, rng=9)


def test_a_seed_reproduces_the_mask_and_a_state_moves_on(backend):
    x = backend(np.ones((20, 20)))
    first, _ = dropout_forward(x, 0.5, rng=42)
    again, _ = dropout_forward(x, 0.5, rng=42)
    other, _ = dropout_forward(x, 0.5, rng=43)
    np.testing.assert_array_equal(backend.get(first), backend.get(again))
    assert not np.array_equal(backend.get(first), backend.get(other))
    state = RandomState(42)
    draw_one, _ = dropout_forward(x, 0.5, rng=state)
    draw_two, _ = dropout_forward(x, 0.5, rng=state)
    np.testing.assert_array_equal(backend.get(draw_one), backend.get(first))
    assert not np.array_equal(backend.get(draw_one), backend.get(draw_two))


def test_keep_prob_one_keeps_everything(backend):
    x = np.random.default_rng(0).standard_normal((5, 6))
    out, _ = dropout_forward(backend(x), 1.0, rng=0)
    np.testing.assert_array_equal(backend.get(out), x)


def test_float32_stays_float32():
    out, cache = dropout_forward(np.ones((4, 4), dtype=np.float32), 0.5, rng=0)
    assert out.dtype == np.float32
    assert dropout_backward(np.ones((4, 4), dtype=np.float32), cache).dtype == np.float32


@pytest.mark.parametrize("keep_prob", [0, 0.0, -0.5, 1.5, float("nan"), "0.5", True])
def test_keep_prob_outside_zero_one_is_refused(keep_prob):
    with pytest.raises(ValueError, match=r"keep_prob must be a probability in \(0, 1\]"):
        dropout_forward(np.ones((2, 2)), keep_prob)


def test_bad_arrays_are_refused():
    with pytest.raises(TypeError, match="x must hold floating-point numbers"):
        dropout_forward(np.ones((2, 2), dtype=np.int64), 0.5)
    _, cache = dropout_forward(np.ones((2, 2)), 0.5, rng=0)
    with pytest.raises(ValueError, match="dout must have the shape of the forward output"):
        dropout_backward(np.ones((2, 3)), cache)
