"""Layer gradients against the library's numerical gradient, on the host in float64.

The tests measure numerical gradients with NumPy in float64, whatever backend the analytic
backward pass runs on: the forward pass is the library's own, called on NumPy arrays. The
centered differences and the relative error are ``backpropkit.gradcheck``'s, the ones the
autograder judges students by.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from backpropkit.backend import device_of, to_numpy
from backpropkit.gradcheck import numerical_gradient_upstream, relative_error

TOLERANCE = 1e-7


def assert_backward_matches_numerical(
    backend: Any,
    forward: Callable[..., tuple[Any, Any]],
    backward: Callable[[Any, Any], Any],
    inputs: list[np.ndarray],
    names: list[str],
    seed: int = 0,
    **params: Any,
) -> None:
    """Run ``forward(*inputs, **params)`` and ``backward`` on ``backend`` and compare every gradient.

    ``backward`` returns one gradient per name in ``names`` (a bare array when there is one).
    Each gradient must live on the device of its input and match the centered difference.
    """
    host = [np.array(a, dtype=np.float64) for a in inputs]
    on_backend = [backend(a) for a in host]
    out, cache = forward(*on_backend, **params)
    dout = np.random.default_rng(seed).standard_normal(tuple(out.shape))
    grads = backward(backend(dout), cache)
    grads = grads if isinstance(grads, tuple) else (grads,)
    assert len(grads) >= len(names)
    for position, name in enumerate(names):
        analytic = grads[position]
        assert device_of(analytic) == device_of(on_backend[position]), f"d{name} is on the wrong device"
        assert tuple(analytic.shape) == host[position].shape, f"d{name} has shape {tuple(analytic.shape)}"

        def f(value: np.ndarray, position: int = position) -> Any:
            args = list(host)
            args[position] = value
            return to_numpy(forward(*args, **params)[0])

        numeric = numerical_gradient_upstream(f, host[position], dout)
        error = relative_error(np.asarray(to_numpy(analytic)), numeric)
        assert error < TOLERANCE, f"d{name}: relative error {error:.2e} against the numerical gradient"
