"""A small, independent centered-difference gradient for the layer tests.

The tests measure numerical gradients on the host with NumPy in float64, whatever backend the
analytic backward pass runs on: the forward pass is the library's own, called on NumPy arrays.
Keeping this separate from ``backpropkit.gradcheck`` (which students write parts of) means a
layer test never depends on another graded function.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from backpropkit.backend import device_of, to_numpy

STEP = 1e-6
TOLERANCE = 1e-7


def numerical_gradient(f: Callable[[np.ndarray], Any], x: np.ndarray, dout: np.ndarray, h: float = STEP) -> np.ndarray:
    """Centered-difference gradient of ``sum(f(x) * dout)`` with respect to ``x`` (restored after)."""
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        original = x[index]
        x[index] = original + h
        plus = np.sum(to_numpy(f(x)) * dout)
        x[index] = original - h
        minus = np.sum(to_numpy(f(x)) * dout)
        x[index] = original
        grad[index] = (plus - minus) / (2 * h)
    return grad


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """``|a - b| / (|a| + |b|)`` over whole arrays (0 when both are zero)."""
    scale = np.linalg.norm(a) + np.linalg.norm(b)
    return float(np.linalg.norm(a - b) / scale) if scale > 0 else 0.0


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
            return forward(*args, **params)[0]

        numeric = numerical_gradient(f, host[position], dout)
        error = relative_error(to_numpy(analytic), numeric)
        assert error < TOLERANCE, f"d{name}: relative error {error:.2e} against the numerical gradient"
