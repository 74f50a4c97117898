"""Activations: ReLU, leaky ReLU, sigmoid, tanh and ELU element-wise, and maxout.

Each element-wise forward keeps in its cache exactly what the local derivative needs: the input
for ReLU, leaky ReLU and ELU (the gradient depends on its sign), the output for sigmoid and tanh
(their derivatives are functions of the output, sigma' = sigma (1 - sigma) and
tanh' = 1 - tanh^2). Every element-wise backward returns ``dx``, the upstream gradient times the
local derivative.

Maxout is not element-wise: each unit takes the largest of k affine pieces of the whole input,
so it has weights of its own and its backward returns ``(dx, dw, db)``.
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
    raise NotImplementedError('relu_forward is an exercise: write it in the notebook 03_backprop/1_layers.ipynb. The student edition of backpropkit leaves its reference answer out.')
    return out, x


def relu_backward(dout: Array, cache: Array) -> Array:
    """Backward pass of :func:`relu_forward`: the gradient flows only where ``x > 0``.

    Shapes: dout (same as x); cache x -> dx (same as x).
    """
    x = cache
    check_upstream(dout, x.shape)
    xp = namespace(dout, x)
    raise NotImplementedError('relu_backward is an exercise: write it in the notebook 03_backprop/1_layers.ipynb. The student edition of backpropkit leaves its reference answer out.')
    return dx


def leaky_relu_forward(x: Array, alpha: float = 0.01) -> tuple[Array, tuple]:
    """Leaky ReLU: ``out = x`` where ``x > 0``, ``alpha * x`` elsewhere.

    Shapes: x (any) -> out (same shape). Cache: (x, alpha).
    """
    check_array(x, "x")
    if isinstance(alpha, bool) or not isinstance(alpha, Real) or not 0 <= alpha < 1:
        raise ValueError(f"alpha must be a number in [0, 1), got {alpha!r}")
    xp = namespace(x)
    raise NotImplementedError('leaky_relu_forward is an exercise: write it in the notebook 03_backprop/1_layers.ipynb. The student edition of backpropkit leaves its reference answer out.')
    return out, (x, alpha)


def leaky_relu_backward(dout: Array, cache: tuple) -> Array:
    """Backward pass of :func:`leaky_relu_forward`: slope 1 where ``x > 0``, ``alpha`` elsewhere.

    Shapes: dout (same as x); cache (x, alpha) -> dx (same as x).
    """
    x, alpha = cache
    check_upstream(dout, x.shape)
    xp = namespace(dout, x)
    raise NotImplementedError('leaky_relu_backward is an exercise: write it in the notebook 03_backprop/1_layers.ipynb. The student edition of backpropkit leaves its reference answer out.')
    return dx


def sigmoid_forward(x: Array) -> tuple[Array, Array]:
    """Logistic sigmoid ``out = 1 / (1 + exp(-x))``, computed without overflow for large ``|x|``.

    ``exp(-|x|)`` never exceeds 1, so both branches below stay finite: for ``x >= 0`` the usual
    form, for ``x < 0`` the equivalent ``exp(x) / (1 + exp(x))``.

    Shapes: x (any) -> out (same shape). Cache: out.
    """
    check_array(x, "x")
    xp = namespace(x)
    raise NotImplementedError('sigmoid_forward is an exercise: write it in the notebook 03_backprop/1_layers.ipynb. The student edition of backpropkit leaves its reference answer out.')
    return out, out


def sigmoid_backward(dout: Array, cache: Array) -> Array:
    """Backward pass of :func:`sigmoid_forward`, using ``sigma'(x) = sigma(x) (1 - sigma(x))``.

    Shapes: dout (same as x); cache out -> dx (same as x).
    """
    out = cache
    check_upstream(dout, out.shape)
    namespace(dout, out)  # refuses arrays from two backends
    raise NotImplementedError('sigmoid_backward is an exercise: write it in the notebook 03_backprop/1_layers.ipynb. The student edition of backpropkit leaves its reference answer out.')
    return dx


def tanh_forward(x: Array) -> tuple[Array, Array]:
    """Hyperbolic tangent ``out = tanh(x)``.

    Shapes: x (any) -> out (same shape). Cache: out.
    """
    check_array(x, "x")
    xp = namespace(x)
    raise NotImplementedError('tanh_forward is an exercise: write it in the notebook 03_backprop/1_layers.ipynb. The student edition of backpropkit leaves its reference answer out.')
    return out, out


def tanh_backward(dout: Array, cache: Array) -> Array:
    """Backward pass of :func:`tanh_forward`, using ``tanh'(x) = 1 - tanh(x)^2``.

    Shapes: dout (same as x); cache out -> dx (same as x).
    """
    out = cache
    check_upstream(dout, out.shape)
    namespace(dout, out)  # refuses arrays from two backends
    raise NotImplementedError('tanh_backward is an exercise: write it in the notebook 03_backprop/1_layers.ipynb. The student edition of backpropkit leaves its reference answer out.')
    return dx


def elu_forward(x: Array, alpha: float = 1.0) -> tuple[Array, tuple]:
    """ELU: ``out = x`` where ``x > 0``, ``alpha * (exp(x) - 1)`` elsewhere.

    The exponential is taken of ``min(x, 0)``: the positive side never uses it, and ``exp`` of a
    large positive input would overflow (with a warning) even though ``where`` discards it.

    Shapes: x (any) -> out (same shape). Cache: (x, alpha).
    """
    check_array(x, "x")
    if isinstance(alpha, bool) or not isinstance(alpha, Real) or not alpha > 0:
        raise ValueError(f"alpha must be a number > 0, got {alpha!r}")
    xp = namespace(x)
    raise NotImplementedError('elu_forward is an exercise: write it in the notebook 03_backprop/1_layers.ipynb. The student edition of backpropkit leaves its reference answer out.')
    return out, (x, alpha)


def elu_backward(dout: Array, cache: tuple) -> Array:
    """Backward pass of :func:`elu_forward`: slope 1 where ``x > 0``, ``alpha * exp(x)`` elsewhere.

    Shapes: dout (same as x); cache (x, alpha) -> dx (same as x).
    """
    x, alpha = cache
    check_upstream(dout, x.shape)
    xp = namespace(dout, x)
    raise NotImplementedError('elu_backward is an exercise: write it in the notebook 03_backprop/1_layers.ipynb. The student edition of backpropkit leaves its reference answer out.')
    return dx


def maxout_forward(x: Array, w: Array, b: Array) -> tuple[Array, tuple]:
    """Maxout: each output unit is the largest of k affine pieces, ``max_j (x @ w[j] + b[j])``.

    With k = 2 this is the notes' ``max(x W1 + b1, x W2 + b2)``; ReLU is the special case
    ``w[0] = 0, b[0] = 0`` and leaky ReLU ``w[0] = alpha * w[1], b[0] = alpha * b[1]``.

    Shapes: x (N, D), w (k, D, M), b (k, M) -> out (N, M).
    Cache: (x, w, b).
    """
    check_array(x, "x", ndim=2)
    check_array(w, "w", ndim=3)
    check_array(b, "b", ndim=2)
    pieces, inputs, units = w.shape
    if pieces == 0:
        raise ValueError(f"w must hold at least one piece along its first axis, got shape {tuple(w.shape)}")
    if x.shape[1] != inputs:
        raise ValueError(
            f"x has {x.shape[1]} features per example but w expects {inputs} "
            f"(x {tuple(x.shape)}, w {tuple(w.shape)}); flatten images first"
        )
    if tuple(b.shape) != (pieces, units):
        raise ValueError(f"b must have shape ({pieces}, {units}) to match w {tuple(w.shape)}, got {tuple(b.shape)}")
    xp = namespace(x, w, b)
    raise NotImplementedError('maxout_forward is an exercise: write it in the notebook 03_backprop/1_layers.ipynb. The student edition of backpropkit leaves its reference answer out.')
    return out, (x, w, b)


def maxout_backward(dout: Array, cache: tuple) -> tuple[Array, Array, Array]:
    """Backward pass of :func:`maxout_forward`: each unit's gradient flows through its winning piece.

    Max routes the gradient as in max pooling: the whole upstream gradient of an output goes to
    the piece that won it, the others get nothing. When pieces tie, it goes to the first of them
    (the lowest ``j``, the choice ``argmax`` makes).

    Shapes: dout (N, M); cache (x (N, D), w (k, D, M), b (k, M))
    -> dx (N, D), dw (k, D, M), db (k, M).
    """
    x, w, b = cache
    pieces, _, units = w.shape
    check_upstream(dout, (x.shape[0], units))
    xp = namespace(dout, x, w, b)
    raise NotImplementedError('maxout_backward is an exercise: write it in the notebook 03_backprop/1_layers.ipynb. The student edition of backpropkit leaves its reference answer out.')
    return dx, dw, db
