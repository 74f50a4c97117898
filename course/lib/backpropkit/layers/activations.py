"""Element-wise activations: ReLU, leaky ReLU, sigmoid and tanh.

Each forward keeps in its cache exactly what the local derivative needs: the input for ReLU and
leaky ReLU (the gradient depends on its sign), the output for sigmoid and tanh (their
derivatives are functions of the output, sigma' = sigma (1 - sigma) and tanh' = 1 - tanh^2).
Every backward returns ``dx``, the upstream gradient times the local derivative.
"""

from __future__ import annotations

from numbers import Real

from ..backend import Array, check_array, namespace
from ._checks import check_upstream


def relu_forward(x: Array) -> tuple[Array, Array]:
    """ReLU: ``out = max(x, 0)``.

    Shapes: x (any) -> out (same shape). Cache: x.
    """
    check_array(x, "x")
    xp = namespace(x)
    raise NotImplementedError('relu_forward is an exercise: write it in the notebook 03_backprop/layers.ipynb. The student edition of backpropkit leaves its reference answer out.')
    return out, x


def relu_backward(dout: Array, cache: Array) -> Array:
    """Backward pass of :func:`relu_forward`: the gradient flows only where ``x > 0``.

    Shapes: dout (same as x); cache x -> dx (same as x).
    """
    x = cache
    check_upstream(dout, x.shape)
    xp = namespace(dout, x)
    raise NotImplementedError('relu_backward is an exercise: write it in the notebook 03_backprop/layers.ipynb. The student edition of backpropkit leaves its reference answer out.')
    return dx


def leaky_relu_forward(x: Array, alpha: float = 0.01) -> tuple[Array, tuple]:
    """Leaky ReLU: ``out = x`` where ``x > 0``, ``alpha * x`` elsewhere.

    Shapes: x (any) -> out (same shape). Cache: (x, alpha).
    """
    check_array(x, "x")
    if isinstance(alpha, bool) or not isinstance(alpha, Real) or not 0 <= alpha < 1:
        raise ValueError(f"alpha must be a number in [0, 1), got {alpha!r}")
    xp = namespace(x)
    raise NotImplementedError('leaky_relu_forward is an exercise: write it in the notebook 03_backprop/layers.ipynb. The student edition of backpropkit leaves its reference answer out.')
    return out, (x, alpha)


def leaky_relu_backward(dout: Array, cache: tuple) -> Array:
    """Backward pass of :func:`leaky_relu_forward`: slope 1 where ``x > 0``, ``alpha`` elsewhere.

    Shapes: dout (same as x); cache (x, alpha) -> dx (same as x).
    """
    x, alpha = cache
    check_upstream(dout, x.shape)
    xp = namespace(dout, x)
    raise NotImplementedError('leaky_relu_backward is an exercise: write it in the notebook 03_backprop/layers.ipynb. The student edition of backpropkit leaves its reference answer out.')
    return dx


def sigmoid_forward(x: Array) -> tuple[Array, Array]:
    """Logistic sigmoid ``out = 1 / (1 + exp(-x))``, computed without overflow for large ``|x|``.

    ``exp(-|x|)`` never exceeds 1, so both branches below stay finite: for ``x >= 0`` the usual
    form, for ``x < 0`` the equivalent ``exp(x) / (1 + exp(x))``.

    Shapes: x (any) -> out (same shape). Cache: out.
    """
    check_array(x, "x")
    xp = namespace(x)
    raise NotImplementedError('sigmoid_forward is an exercise: write it in the notebook 03_backprop/layers.ipynb. The student edition of backpropkit leaves its reference answer out.')
    return out, out


def sigmoid_backward(dout: Array, cache: Array) -> Array:
    """Backward pass of :func:`sigmoid_forward`, using ``sigma'(x) = sigma(x) (1 - sigma(x))``.

    Shapes: dout (same as x); cache out -> dx (same as x).
    """
    out = cache
    check_upstream(dout, out.shape)
    namespace(dout, out)  # refuses arrays from two backends
    raise NotImplementedError('sigmoid_backward is an exercise: write it in the notebook 03_backprop/layers.ipynb. The student edition of backpropkit leaves its reference answer out.')
    return dx


def tanh_forward(x: Array) -> tuple[Array, Array]:
    """Hyperbolic tangent ``out = tanh(x)``.

    Shapes: x (any) -> out (same shape). Cache: out.
    """
    check_array(x, "x")
    xp = namespace(x)
    raise NotImplementedError('tanh_forward is an exercise: write it in the notebook 03_backprop/layers.ipynb. The student edition of backpropkit leaves its reference answer out.')
    return out, out


def tanh_backward(dout: Array, cache: Array) -> Array:
    """Backward pass of :func:`tanh_forward`, using ``tanh'(x) = 1 - tanh(x)^2``.

    Shapes: dout (same as x); cache out -> dx (same as x).
    """
    out = cache
    check_upstream(dout, out.shape)
    namespace(dout, out)  # refuses arrays from two backends
    raise NotImplementedError('tanh_backward is an exercise: write it in the notebook 03_backprop/layers.ipynb. The student edition of backpropkit leaves its reference answer out.')
    return dx
