"""The mistakes students make in each graded layer, as hypotheses a check can test.

Each hypothesis builds, from the instructor's reference on the case's own inputs, the answer a
student with that one mistake would return; the check names the mistake only when the student's
answer reproduces it (:func:`autograder.checks.diagnose.recognized_mistake`). Where the mistaken
answer cannot be made from the reference's outputs (a loop one short, windows that ignore the
stride), a small mistaken variant of the reference loop computes it.

Instructor-only, like :mod:`autograder.references`: the variants below are nearly the answers, so
the student edition leaves this package out (:mod:`autograder.release.edition`), and there the
checks report what is wrong without naming a mistake.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..checks import oracles
from ..checks.diagnose import Mistake


@dataclass(frozen=True)
class LayerCase:
    """One backward case: the inputs in argument order, the parameters, the upstream gradient,
    and the reference forward's output and reference backward's gradients (in return order)."""

    inputs: tuple[np.ndarray, ...]
    params: dict[str, Any]
    dout: np.ndarray
    out: np.ndarray
    expected: tuple[np.ndarray, ...]


def backward_mistakes(backward: str, case: LayerCase) -> list[Mistake]:
    """The hypotheses for the graded backward pass named ``backward`` (none for other names)."""
    hypotheses = _BACKWARD.get(backward)
    return hypotheses(case) if hypotheses else []


def forward_mistakes(oracle: str, inputs: tuple[np.ndarray, ...], params: dict[str, Any]) -> list[Mistake]:
    """The hypotheses for a forward pass checked against the oracle named ``oracle``."""
    hypotheses = _FORWARD.get(oracle)
    return hypotheses(inputs, params) if hypotheses else []


# --- affine and activations ----------------------------------------------------------------------


def _affine_backward(case: LayerCase) -> list[Mistake]:
    x, _, _ = case.inputs
    dx, dw, db = case.expected
    dout, batch = case.dout, x.shape[0]
    return [
        Mistake("db is not summed over the batch: it is the first row of dout (use dout.sum(axis=0))", lambda: (dx, dw, dout[0])),
        Mistake("dw is not summed over the batch: it comes from the first example only (use x.T @ dout)",
                lambda: (dx, np.outer(x[0], dout[0]), db)),
        Mistake("db is averaged over the batch: sum dout over axis 0, the layer takes no mean", lambda: (dx, dw, db / batch)),
        Mistake("dw is divided by the batch size: x.T @ dout already sums over the batch, and only the loss takes a mean",
                lambda: (dx, dw / batch, db)),
        Mistake("dw is transposed (x.T @ dout, not its transpose)", lambda: (dx, dw.T, db)),
    ]


def _relu_backward(case: LayerCase) -> list[Mistake]:
    (x,), dout = case.inputs, case.dout
    return [
        Mistake("a missing mask: dx equals dout everywhere, but ReLU passes the gradient only where x > 0", lambda: (dout,)),
        Mistake("the mask is inverted: the gradient must flow where x > 0 and be 0 elsewhere", lambda: (dout * (x <= 0),)),
        Mistake("dx is dout times the output max(x, 0); ReLU's local gradient is the 0/1 mask (x > 0)",
                lambda: (dout * np.maximum(x, 0),)),
    ]


def _leaky_relu_backward(case: LayerCase) -> list[Mistake]:
    (x,), dout = case.inputs, case.dout
    alpha = case.params.get("alpha", 0.01)
    mistakes = [
        Mistake("the negative side is alpha, not alpha * dout: multiply the slope by dout on both sides",
                lambda: (np.where(x > 0, dout, alpha),)),
        Mistake("the negative side's gradient is 0: leaky ReLU passes alpha * dout where x <= 0",
                lambda: (np.where(x > 0, dout, 0.0),)),
        Mistake("the two slopes are swapped: 1 where x > 0, alpha elsewhere", lambda: (np.where(x > 0, alpha * dout, dout),)),
    ]
    if alpha != 0.01:
        mistakes.append(Mistake("it uses alpha = 0.01 instead of the alpha kept in the cache",
                                lambda: (np.where(x > 0, dout, 0.01 * dout),)))
    return mistakes


def _sigmoid_backward(case: LayerCase) -> list[Mistake]:
    (x,), dout, out = case.inputs, case.dout, case.out
    twice = oracles.sigmoid(out)
    missing_factor = "a factor of the derivative is missing: sigmoid'(x) = out * (1 - out)"
    return [
        Mistake("the formula out * (1 - out) is applied to the input x: it needs the OUTPUT out = sigmoid(x) (cache it in forward)",
                lambda: (dout * x * (1 - x),)),
        Mistake("the sigmoid is applied twice: the cache already holds out = sigmoid(x), so use out * (1 - out) directly",
                lambda: (dout * twice * (1 - twice),)),
        Mistake(missing_factor, lambda: (dout * (1 - out),)),
        Mistake(missing_factor, lambda: (dout * out,)),
    ]


def _tanh_backward(case: LayerCase) -> list[Mistake]:
    (x,), dout, out = case.inputs, case.dout, case.out
    return [
        Mistake("the formula 1 - out**2 is applied to the input x: it needs the OUTPUT out = tanh(x) (cache it in forward)",
                lambda: (dout * (1 - x**2),)),
        Mistake("tanh is applied twice: the cache already holds out = tanh(x), so use 1 - out**2 directly",
                lambda: (dout * (1 - np.tanh(out) ** 2),)),
        Mistake("the local gradient is 1 - out; tanh'(x) = 1 - out**2", lambda: (dout * (1 - out),)),
        Mistake("the local gradient is (1 - out)**2; tanh'(x) = 1 - out**2 (square out, not the difference)",
                lambda: (dout * (1 - out) ** 2,)),
    ]


# --- batch normalization -------------------------------------------------------------------------


def _batchnorm_backward(case: LayerCase) -> list[Mistake]:
    x, gamma, _ = case.inputs
    dx, dgamma, dbeta = case.expected
    dout, eps = case.dout, case.params.get("eps", 1e-5)
    axes = (0,) if x.ndim == 2 else (0, 2, 3)
    per_feature = (1, -1) if x.ndim == 2 else (1, -1, 1, 1)
    count = x.size // x.shape[1]
    inv_std = 1 / np.sqrt(x.var(axis=axes, keepdims=True) + eps)
    x_hat = (x - x.mean(axis=axes, keepdims=True)) * inv_std
    dx_hat = dout * gamma.reshape(per_feature)
    mean_term = dx_hat.sum(axis=axes, keepdims=True)
    variance_term = x_hat * (dx_hat * x_hat).sum(axis=axes, keepdims=True)
    return [
        Mistake("dx treats the batch mean and variance as constants (dx = dout * gamma / std): both depend on x, "
                "which adds two terms", lambda: (dx_hat * inv_std, dgamma, dbeta)),
        Mistake("dx misses the term from the batch mean (- sum of dx_hat over the batch)",
                lambda: (inv_std / count * (count * dx_hat - variance_term), dgamma, dbeta)),
        Mistake("dx misses the term from the batch variance (- x_hat * sum of dx_hat * x_hat over the batch)",
                lambda: (inv_std / count * (count * dx_hat - mean_term), dgamma, dbeta)),
        Mistake("dx is missing the factor gamma (dx_hat = dout * gamma)",
                lambda: (dx / gamma.reshape(per_feature), dgamma, dbeta)),
        Mistake("dgamma is missing the factor x_hat (dgamma sums dout * x_hat)", lambda: (dx, dbeta, dbeta)),
        Mistake("dgamma and dbeta are swapped", lambda: (dx, dbeta, dgamma)),
    ]


# --- convolution ---------------------------------------------------------------------------------


def _conv_backward_variant(
    x: np.ndarray,
    w: np.ndarray,
    dout: np.ndarray,
    stride: int,
    pad: int,
    *,
    step: int | None = None,
    rows_short: int = 0,
    cols_short: int = 0,
    db_in_loop: bool = False,
    dw_from_unpadded: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The loop of the notebook's conv backward with one mistake: windows ``step`` apart (the
    stride ignored), loops ``rows_short``/``cols_short`` short (with db summed in the same loop or
    not), or dw read from the unpadded x (broadcasting as a student's loop does; it may raise)."""
    step = stride if step is None else step
    x_padded = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dx_padded, dw = np.zeros_like(x_padded), np.zeros_like(w)
    db = np.zeros(w.shape[0]) if db_in_loop else dout.sum(axis=(0, 2, 3))
    num_images, num_filters, out_height, out_width = dout.shape
    kernel_height, kernel_width = w.shape[2:]
    source = x if dw_from_unpadded else x_padded
    for n in range(num_images):
        for f in range(num_filters):
            for i in range(out_height - rows_short):
                for j in range(out_width - cols_short):
                    rows = slice(i * step, i * step + kernel_height)
                    cols = slice(j * step, j * step + kernel_width)
                    dw[f] += dout[n, f, i, j] * source[n, :, rows, cols]
                    dx_padded[n, :, rows, cols] += dout[n, f, i, j] * w[f]
                    if db_in_loop:
                        db[f] += dout[n, f, i, j]
    height, width = x.shape[2:]
    return dx_padded[:, :, pad : pad + height, pad : pad + width], dw, db


def _conv_backward(case: LayerCase) -> list[Mistake]:
    x, w, _ = case.inputs
    dout, stride, pad = case.dout, case.params.get("stride", 1), case.params.get("pad", 0)

    def variant(**mistake: Any) -> Callable[[], tuple]:
        return lambda: _conv_backward_variant(x, w, dout, stride, pad, **mistake)

    one_short = ("the loops over output positions stop one short (range(out_height - 1) or range(out_width - 1)): "
                 "the last row or column of outputs sends no gradient")
    mistakes = [
        Mistake(one_short, variant(rows_short=rows, cols_short=cols, db_in_loop=db_in_loop))
        for rows, cols in ((1, 1), (1, 0), (0, 1))
        for db_in_loop in (False, True)
    ]
    if pad > 0:
        mistakes.append(Mistake("dw is taken from the unpadded input: the windows come from the zero-padded x, as in forward",
                                variant(dw_from_unpadded=True)))
    if stride > 1:
        mistakes.append(Mistake("the windows ignore the stride (top = i instead of i * stride)", variant(step=1)))
    return mistakes


def _conv_forward(inputs: tuple[np.ndarray, ...], params: dict[str, Any]) -> list[Mistake]:
    x, w, b = inputs
    stride, pad = params.get("stride", 1), params.get("pad", 0)
    out_height, out_width = oracles.conv(x, w, b, stride, pad).shape[2:]
    mistakes = [
        Mistake("the bias is not added (out[n, f, i, j] needs + b[f])", lambda: oracles.conv(x, w, np.zeros_like(b), stride, pad)),
        Mistake("the filter is flipped: the layer cross-correlates (window * w, no flip)",
                lambda: oracles.conv(x, w[:, :, ::-1, ::-1], b, stride, pad)),
    ]
    if stride > 1:
        mistakes.append(Mistake("the windows ignore the stride (top = i instead of i * stride)",
                                lambda: oracles.conv(x, w, b, 1, pad)[:, :, :out_height, :out_width]))
    return mistakes


# --- max pooling ---------------------------------------------------------------------------------


def _pool_backward_variant(
    x: np.ndarray,
    dout: np.ndarray,
    pool_height: int,
    pool_width: int,
    stride: int,
    *,
    route: str = "argmax",
    offset: bool = True,
) -> np.ndarray:
    """The loop of the notebook's pool backward with one mistake: windows ``stride`` apart as given
    (pass 1 for a stride ignored), the gradient routed to the first maximum ("argmax"), to every
    element ("every") or spread evenly ("spread"), the maximum's position taken within the window
    without adding its corner (``offset=False``)."""
    dx = np.zeros_like(x)
    num_images, channels, out_height, out_width = dout.shape
    for n in range(num_images):
        for c in range(channels):
            for i in range(out_height):
                for j in range(out_width):
                    top, left = i * stride, j * stride
                    rows, cols = slice(top, top + pool_height), slice(left, left + pool_width)
                    if route == "every":
                        dx[n, c, rows, cols] += dout[n, c, i, j]
                    elif route == "spread":
                        dx[n, c, rows, cols] += dout[n, c, i, j] / (pool_height * pool_width)
                    else:
                        row, col = divmod(int(np.argmax(x[n, c, rows, cols])), pool_width)
                        if offset:
                            row, col = top + row, left + col
                        dx[n, c, row, col] += dout[n, c, i, j]
    return dx


def _pool_backward(case: LayerCase) -> list[Mistake]:
    (x,), dout = case.inputs, case.dout
    pool_height, pool_width = case.params.get("pool_height", 2), case.params.get("pool_width", 2)
    stride = case.params.get("stride", 2)

    def variant(window_stride: int = stride, **mistake: Any) -> Callable[[], tuple]:
        return lambda: (_pool_backward_variant(x, dout, pool_height, pool_width, window_stride, **mistake),)

    mistakes = [
        Mistake("every element of the window gets the gradient; only the window's maximum does (the first one on ties)",
                variant(route="every")),
        Mistake("the gradient is spread evenly over the window (average pooling); max pooling sends it all to the maximum",
                variant(route="spread")),
        Mistake("the maximum's position within the window is used without adding the window's corner (top + row, left + col)",
                variant(offset=False)),
    ]
    if stride > 1:
        mistakes.append(Mistake("the windows ignore the stride (top = i instead of i * stride)", variant(window_stride=1)))
    return mistakes


def _pool_forward(inputs: tuple[np.ndarray, ...], params: dict[str, Any]) -> list[Mistake]:
    (x,) = inputs
    pool_height, pool_width, stride = params.get("pool_height", 2), params.get("pool_width", 2), params.get("stride", 2)
    out_height, out_width = oracles.max_pool(x, pool_height, pool_width, stride).shape[2:]
    windows = sliding_window_view(x, (pool_height, pool_width), axis=(2, 3))[:, :, ::stride, ::stride]
    mistakes = [Mistake("each window is averaged; max pooling keeps its largest value", lambda: windows.mean(axis=(-2, -1)))]
    if stride > 1:
        mistakes.append(Mistake("the windows ignore the stride (top = i instead of i * stride)",
                                lambda: oracles.max_pool(x, pool_height, pool_width, 1)[:, :, :out_height, :out_width]))
    return mistakes


# --- forward passes of the activations -----------------------------------------------------------


def _leaky_relu_forward(inputs: tuple[np.ndarray, ...], params: dict[str, Any]) -> list[Mistake]:
    (x,) = inputs
    alpha = params.get("alpha", 0.01)
    mistakes = [
        Mistake("the negative side returns alpha; it must be alpha * x", lambda: np.where(x > 0, x, alpha)),
        Mistake("the two sides are swapped: x where x > 0, alpha * x elsewhere", lambda: np.where(x > 0, alpha * x, x)),
    ]
    if alpha != 0.01:
        mistakes.append(Mistake("it uses alpha = 0.01 instead of the alpha passed in", lambda: oracles.leaky_relu(x, 0.01)))
    return mistakes


def _sigmoid_forward(inputs: tuple[np.ndarray, ...], params: dict[str, Any]) -> list[Mistake]:
    (x,) = inputs
    return [Mistake("the sign in the exponent is flipped: sigmoid(x) = 1 / (1 + exp(-x))", lambda: oracles.sigmoid(-x))]


_BACKWARD: dict[str, Callable[[LayerCase], list[Mistake]]] = {
    "affine_backward": _affine_backward,
    "relu_backward": _relu_backward,
    "leaky_relu_backward": _leaky_relu_backward,
    "sigmoid_backward": _sigmoid_backward,
    "tanh_backward": _tanh_backward,
    "batchnorm_backward": _batchnorm_backward,
    "conv_backward_naive": _conv_backward,
    "max_pool_backward_naive": _pool_backward,
}

_FORWARD: dict[str, Callable[[tuple[np.ndarray, ...], dict[str, Any]], list[Mistake]]] = {
    "leaky_relu": _leaky_relu_forward,
    "sigmoid": _sigmoid_forward,
    "conv": _conv_forward,
    "max_pool": _pool_forward,
}
