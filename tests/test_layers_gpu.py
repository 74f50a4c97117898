"""Every layer on a real GPU: CuPy results and gradients equal the NumPy ones (skipped without one)."""

from __future__ import annotations

import numpy as np
import pytest

from backpropkit import layers
from backpropkit.backend import to_numpy

pytestmark = pytest.mark.gpu

RNG = np.random.default_rng(0)
IMAGES = RNG.standard_normal((2, 3, 7, 7))
FILTERS = RNG.standard_normal((4, 3, 3, 3))
BIASES = RNG.standard_normal(4)
ROWS, PIECES, PIECE_BIASES = RNG.standard_normal((5, 6)), RNG.standard_normal((3, 6, 4)), RNG.standard_normal((3, 4))

CASES = {
    "relu": (layers.relu_forward, layers.relu_backward, (IMAGES,), {}),
    "leaky_relu": (layers.leaky_relu_forward, layers.leaky_relu_backward, (IMAGES,), {}),
    "sigmoid": (layers.sigmoid_forward, layers.sigmoid_backward, (IMAGES,), {}),
    "tanh": (layers.tanh_forward, layers.tanh_backward, (IMAGES,), {}),
    "elu": (layers.elu_forward, layers.elu_backward, (IMAGES,), dict(alpha=0.5)),
    "maxout": (layers.maxout_forward, layers.maxout_backward, (ROWS, PIECES, PIECE_BIASES), {}),
    "flatten": (layers.flatten_forward, layers.flatten_backward, (IMAGES,), {}),
    "conv_naive": (layers.conv_forward_naive, layers.conv_backward_naive, (IMAGES, FILTERS, BIASES), dict(stride=2, pad=1)),
    "conv_fast": (layers.conv_forward_fast, layers.conv_backward_fast, (IMAGES, FILTERS, BIASES), dict(stride=2, pad=1)),
    "pool_naive": (layers.max_pool_forward_naive, layers.max_pool_backward_naive, (IMAGES,), dict(pool_height=3, pool_width=3, stride=2)),
    "pool_fast": (layers.max_pool_forward_fast, layers.max_pool_backward_fast, (IMAGES,), dict(pool_height=3, pool_width=3, stride=2)),
    "batchnorm": (layers.batchnorm_forward, layers.batchnorm_backward, (IMAGES, BIASES[:3] + 2.0, BIASES[:3]), {}),
}


@pytest.mark.parametrize("name", list(CASES))
def test_cupy_matches_numpy(name):
    import cupy

    forward, backward, inputs, params = CASES[name]
    host_out, host_cache = forward(*inputs, **params)
    gpu_out, gpu_cache = forward(*(cupy.asarray(a) for a in inputs), **params)
    assert isinstance(gpu_out, cupy.ndarray)
    np.testing.assert_allclose(to_numpy(gpu_out), host_out, rtol=1e-10, atol=1e-12)
    dout = np.random.default_rng(1).standard_normal(host_out.shape)
    host_grads = backward(dout, host_cache)
    gpu_grads = backward(cupy.asarray(dout), gpu_cache)
    host_grads = host_grads if isinstance(host_grads, tuple) else (host_grads,)
    gpu_grads = gpu_grads if isinstance(gpu_grads, tuple) else (gpu_grads,)
    for host, gpu in zip(host_grads, gpu_grads):
        assert isinstance(gpu, cupy.ndarray)
        np.testing.assert_allclose(to_numpy(gpu), host, rtol=1e-10, atol=1e-12)


def test_dropout_draws_its_mask_on_the_gpu():
    import cupy

    x = cupy.ones((50, 40))
    out, mask = layers.dropout_forward(x, 0.5, rng=3)
    assert isinstance(out, cupy.ndarray) and isinstance(mask, cupy.ndarray)
    values = set(np.unique(to_numpy(out)).tolist())
    assert values <= {0.0, 2.0} and len(values) == 2
