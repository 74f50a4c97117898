"""Batch normalization: statistics, running averages, gradients in both modes, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from _numgrad import assert_backward_matches_numerical
from backpropkit.layers import batchnorm_backward, batchnorm_forward

# No (2, D) batch: two values normalize to -1 and +1 whatever x is, so dx is almost exactly zero
# and no relative error can measure it.
SHAPES = [(5, 4), (3, 2), (3, 2, 4, 3), (1, 3, 2, 2)]


def parameters(shape, seed=7):
    # Not seed 0: the upstream gradient is drawn from seed 0, and a dout equal to the normalized x
    # would have a gradient of almost exactly zero, which no relative error can measure.
    rng = np.random.default_rng(seed)
    features = shape[1]
    x = rng.standard_normal(shape) * 3.0 + 2.0
    return x, rng.uniform(0.5, 2.0, features), rng.standard_normal(features)


@pytest.mark.parametrize("shape", SHAPES)
def test_train_mode_gradients_match_numerical(backend, shape):
    x, gamma, beta = parameters(shape)
    assert_backward_matches_numerical(
        backend, batchnorm_forward, batchnorm_backward, [x, gamma, beta], ["x", "gamma", "beta"]
    )


@pytest.mark.parametrize("shape", SHAPES)
def test_test_mode_gradients_match_numerical(backend, shape):
    x, gamma, beta = parameters(shape)
    features = shape[1]
    on_host = {"mean": np.linspace(-1, 1, features), "var": np.linspace(0.5, 2, features)}
    on_backend = {key: backend(value) for key, value in on_host.items()}

    def forward(x, gamma, beta):
        # The numerical gradient calls this with NumPy arrays, the analytic pass with backend ones.
        running = on_host if isinstance(x, np.ndarray) else on_backend
        return batchnorm_forward(x, gamma, beta, train=False, running=running)

    assert_backward_matches_numerical(backend, forward, batchnorm_backward, [x, gamma, beta], ["x", "gamma", "beta"])


@pytest.mark.parametrize("shape", [(64, 3), (8, 3, 4, 4)])
def test_train_mode_output_has_the_statistics_of_gamma_and_beta(backend, shape):
    x, gamma, beta = parameters(shape)
    out, _ = batchnorm_forward(backend(x), backend(gamma), backend(beta))
    out = backend.get(out)
    axes = (0,) if out.ndim == 2 else (0, 2, 3)
    np.testing.assert_allclose(out.mean(axis=axes), beta, atol=1e-10)
    np.testing.assert_allclose(out.std(axis=axes), gamma, rtol=1e-4)  # eps shrinks it slightly


def test_running_averages_follow_the_momentum_and_drive_test_mode(backend):
    x, gamma, beta = parameters((16, 3), seed=3)
    running = {"mean": backend(np.zeros(3)), "var": backend(np.ones(3))}
    batchnorm_forward(backend(x), backend(gamma), backend(beta), running=running, momentum=0.75)
    np.testing.assert_allclose(backend.get(running["mean"]), 0.25 * x.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(backend.get(running["var"]), 0.75 + 0.25 * x.var(axis=0), rtol=1e-12)
    single = x[:1]
    out, _ = batchnorm_forward(backend(single), backend(gamma), backend(beta), train=False, running=running)
    mean, var = backend.get(running["mean"]), backend.get(running["var"])
    np.testing.assert_allclose(backend.get(out), gamma * (single - mean) / np.sqrt(var + 1e-5) + beta, rtol=1e-12)


def test_bad_input_is_refused():
    x, gamma, beta = parameters((4, 3))
    with pytest.raises(ValueError, match=r"gamma must have shape \(3,\)"):
        batchnorm_forward(x, np.ones(4), beta)
    with pytest.raises(ValueError, match="test mode .* needs running statistics"):
        batchnorm_forward(x, gamma, beta, train=False)
    with pytest.raises(ValueError, match='running must hold "mean" and "var"; "var" is missing'):
        batchnorm_forward(x, gamma, beta, running={"mean": np.zeros(3)})
    with pytest.raises(ValueError, match="momentum must be in"):
        batchnorm_forward(x, gamma, beta, momentum=1.0)
    with pytest.raises(ValueError, match="at least 2 values per feature"):
        batchnorm_forward(x[:1], gamma, beta)
    with pytest.raises(ValueError, match="x must have 2 or 4 dimensions"):
        batchnorm_forward(np.ones((2, 3, 4)), gamma, beta)
    with pytest.raises(TypeError, match="x must hold floating-point numbers"):
        batchnorm_forward(np.ones((4, 3), dtype=np.int64), gamma, beta)
    _, cache = batchnorm_forward(x, gamma, beta)
    with pytest.raises(ValueError, match="dout must have the shape of the forward output"):
        batchnorm_backward(np.ones((3, 4)), cache)
