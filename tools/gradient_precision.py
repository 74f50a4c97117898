"""How close derived gradients and finite differences get to the reference backward.

Prints, per layer or loss, the largest normwise error (``autograder.checks.numeric.normwise_error``)
of valid alternatives (loops, vectorized, einsum, other summation orders, other algebra) and the
smallest of finite-difference "backward passes" (centered with h = 1e-4 .. 1e-6, one-sided,
five-point and Richardson stencils) against the reference analytic gradient, over several seeds.
``ANALYTIC_TOLERANCE`` must sit between the two columns:

    .venv/bin/python tools/gradient_precision.py
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from autograder.checks.numeric import ANALYTIC_TOLERANCE, normwise_error  # noqa: E402
from autograder.references import layer_reference, loss_reference  # noqa: E402

SEEDS = range(int(sys.argv[1]) if len(sys.argv) > 1 else 20)


# --- finite differences of f (a scalar function of one array), as a student might write them -------


def _stencil(f: Callable[[np.ndarray], float], x: np.ndarray, points: list[tuple[float, float]], h: float) -> np.ndarray:
    """sum(weight * f(x + offset * h)) / h for each element."""
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        total = 0.0
        for offset, weight in points:
            shifted = x.copy()
            shifted[index] += offset * h
            total += weight * f(shifted)
        grad[index] = total / h
    return grad


def centered(h: float):
    return lambda f, x: _stencil(f, x, [(1, 0.5), (-1, -0.5)], h)


def one_sided(h: float):
    return lambda f, x: _stencil(f, x, [(1, 1.0), (0, -1.0)], h)


def five_point(h: float):
    return lambda f, x: _stencil(f, x, [(-2, 1 / 12), (-1, -8 / 12), (1, 8 / 12), (2, -1 / 12)], h)


def richardson(h: float):
    """Two rounds of Richardson extrapolation on centered differences (error ~h^6)."""

    def gradient(f, x):
        d1, d2, d4 = (centered(step)(f, x) for step in (h, h / 2, h / 4))
        e1, e2 = (4 * d2 - d1) / 3, (4 * d4 - d2) / 3
        return (16 * e2 - e1) / 15

    return gradient


DIFFERENCES = {
    "centered h=1e-4": centered(1e-4),
    "centered h=1e-5": centered(1e-5),
    "centered h=1e-6": centered(1e-6),
    "one-sided h=1e-8": one_sided(1e-8),
    "five-point h=1e-3": five_point(1e-3),
    "five-point h=1e-2": five_point(1e-2),
    "richardson h=1e-2": richardson(1e-2),
    "richardson h=1e-1": richardson(1e-1),
}


# --- the cases: inputs, the reference gradient, and valid alternatives -------------------------------


def layer_case(backward_name: str, shapes: dict, params: dict, alternatives: dict, seed: int):
    """(reference gradients, {alternative: gradients}, {difference: gradients}) of one layer."""
    reference = layer_reference(backward_name)
    rng = np.random.default_rng(seed)
    arrays = {name: rng.standard_normal(shape) for name, shape in shapes.items()}
    out, cache = reference.forward(*arrays.values(), **params)
    dout = rng.standard_normal(np.shape(out))
    expected = reference.backward(dout, cache)
    expected = expected if isinstance(expected, tuple) else (expected,)
    valid = {label: alternative(dout, arrays, cache, params) for label, alternative in alternatives.items()}
    differenced = {}
    for label, difference in DIFFERENCES.items():
        grads = []
        for name in arrays:
            def f(value, name=name):
                inputs = dict(arrays, **{name: value})
                return float(np.sum(reference.forward(*inputs.values(), **params)[0] * dout))

            grads.append(difference(f, arrays[name]))
        differenced[label] = tuple(grads)
    return expected, valid, differenced


def loss_case(name: str, arrays: dict, settings: tuple, alternatives: dict):
    reference = loss_reference(name)
    _, expected = reference(*arrays.values(), *settings)
    first = next(iter(arrays))

    def f(value):
        return float(reference(*dict(arrays, **{first: value}).values(), *settings)[0])

    valid = {label: (alternative(*arrays.values(), *settings),) for label, alternative in alternatives.items()}
    differenced = {label: (difference(f, arrays[first]),) for label, difference in DIFFERENCES.items()}
    return (expected,), valid, differenced


def _affine_loops(dout, a, cache, params):
    x, w = a["x"], a["w"]
    dx, dw, db = np.zeros_like(x), np.zeros_like(w), np.zeros(w.shape[1])
    for n in range(x.shape[0]):
        for m in range(w.shape[1]):
            dx[n] += dout[n, m] * w[:, m]
            dw[:, m] += x[n] * dout[n, m]
            db[m] += dout[n, m]
    return dx, dw, db


def _affine_einsum(dout, a, cache, params):
    return np.einsum("nm,dm->nd", dout, a["w"]), np.einsum("nd,nm->dm", a["x"], dout), np.einsum("nm->m", dout)


def _sigmoid_from_x(dout, a, cache, params):
    s = 1 / (1 + np.exp(-a["x"]))
    return (dout * (s - s * s),)


def _tanh_from_x(dout, a, cache, params):
    return (dout / np.cosh(a["x"]) ** 2,)


def _batchnorm_staged(dout, a, cache, params):
    """The computational-graph backward, node by node (the other common derivation)."""
    x, gamma = a["x"], a["gamma"]
    eps = params.get("eps", 1e-5)
    n = x.shape[0]
    mu = x.mean(axis=0)
    xc = x - mu
    var = (xc**2).mean(axis=0)
    std = np.sqrt(var + eps)
    xhat = xc / std
    dbeta, dgamma = dout.sum(axis=0), (dout * xhat).sum(axis=0)
    dxhat = dout * gamma
    dstd = -(dxhat * xc).sum(axis=0) / std**2
    dvar = dstd / (2 * std)
    dxc = dxhat / std + 2 * xc * dvar / n
    dx = dxc - dxc.mean(axis=0)
    return dx, dgamma, dbeta


def _conv_loops(dout, a, cache, params):
    x, w = a["x"], a["w"]
    stride, pad = params["stride"], params["pad"]
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dxp, dw = np.zeros_like(xp), np.zeros_like(w)
    kh, kw = w.shape[2:]
    for n in range(x.shape[0]):
        for f in range(w.shape[0]):
            for i in range(dout.shape[2]):
                for j in range(dout.shape[3]):
                    window = (n, slice(None), slice(i * stride, i * stride + kh), slice(j * stride, j * stride + kw))
                    dxp[window] += w[f] * dout[n, f, i, j]
                    dw[f] += xp[window] * dout[n, f, i, j]
    dx = dxp[:, :, pad : pad + x.shape[2], pad : pad + x.shape[3]]
    return dx, dw, dout.sum(axis=(0, 2, 3))


def _conv_im2col(dout, a, cache, params):
    """The library's fast convolution (im2col, tiled matrix products): another summation order."""
    from backpropkit.layers.conv_fast import conv_backward_fast, conv_forward_fast

    _, fast_cache = conv_forward_fast(a["x"], a["w"], a["b"], **params)
    return conv_backward_fast(dout, fast_cache)


def _batchnorm_spatial_staged(dout, a, cache, params):
    """Spatial batchnorm through the (N*H*W, C) matrix form and the staged backward."""
    x = a["x"]
    n, c, h, w = x.shape
    rows = lambda t: t.transpose(0, 2, 3, 1).reshape(-1, c)  # noqa: E731
    dx, dgamma, dbeta = _batchnorm_staged(rows(dout), {"x": rows(x), "gamma": a["gamma"]}, None, params)
    return dx.reshape(n, h, w, c).transpose(0, 3, 1, 2), dgamma, dbeta


def _softmax_logsumexp(scores, y):
    p = np.exp(scores - np.logaddexp.reduce(scores, axis=1, keepdims=True))
    p[np.arange(len(y)), y] -= 1
    return p / len(y)


def _bce_expit(logits, y):
    return (np.exp(-np.logaddexp(0.0, -logits)) - y) / logits.size


def _svm_vectorized(scores, y, margin=1.0):
    n = len(y)
    margins = scores - scores[np.arange(n), y][:, None] + margin
    positive = (margins > 0).astype(float)
    positive[np.arange(n), y] = 0
    positive[np.arange(n), y] = -positive.sum(axis=1)
    return positive / n


def _two_layer_reordered(dout, a, cache, params):
    X, Y, A, Y_hat, W1, W2, reg = cache
    m = X.shape[0]
    delta2 = (Y_hat - Y) * (dout / m)
    dW2 = np.einsum("mh,mk->hk", A, delta2) + (dout * reg / m) * W2
    delta1 = (delta2 @ W2.T) * (A - A * A)
    dW1 = np.einsum("md,mh->dh", X, delta1) + (dout * reg / m) * W1
    return dW1, delta1.sum(axis=0), dW2, delta2.sum(axis=0)


def cases(seed: int):
    rng = np.random.default_rng(1000 + seed)
    yield "affine", layer_case("affine_backward", {"x": (4, 5), "w": (5, 3), "b": (3,)}, {},
                               {"loops": _affine_loops, "einsum": _affine_einsum}, seed)
    yield "sigmoid", layer_case("sigmoid_backward", {"x": (4, 5)}, {}, {"from x": _sigmoid_from_x}, seed)
    yield "tanh", layer_case("tanh_backward", {"x": (4, 5)}, {}, {"from x": _tanh_from_x}, seed)
    yield "batchnorm", layer_case("batchnorm_backward", {"x": (6, 4), "gamma": (4,), "beta": (4,)}, {"train": True},
                                  {"staged": _batchnorm_staged}, seed)
    yield "conv", layer_case("conv_backward_naive", {"x": (2, 2, 5, 5), "w": (3, 2, 3, 3), "b": (3,)},
                             {"stride": 2, "pad": 1}, {"loops": _conv_loops, "im2col": _conv_im2col}, seed)
    yield "spatial bn", layer_case("batchnorm_backward", {"x": (3, 2, 4, 5), "gamma": (2,), "beta": (2,)}, {"train": True},
                                   {"staged": _batchnorm_spatial_staged}, seed)
    two_layer = {"X": (4, 5), "W1": (5, 3), "b1": (3,), "W2": (3, 4), "b2": (4,)}
    reference = layer_reference("two_layer_net_backward")
    arrays = {name: rng.standard_normal(shape) for name, shape in two_layer.items()}
    Y = (rng.random((4, 4)) < 0.5).astype(float)

    def two_layer_forward(X, W1, b1, W2, b2, reg):
        return reference.forward(X, Y, W1, b1, W2, b2, reg=reg)

    # differentiate with respect to the parameters only, as the hidden tests do
    out, cache = two_layer_forward(*arrays.values(), reg=0.5)
    expected = reference.backward(1.0, cache)
    valid = {"reordered": _two_layer_reordered(1.0, arrays, cache, {})}
    differenced = {}
    for label, difference in DIFFERENCES.items():
        grads = []
        for name in ["W1", "b1", "W2", "b2"]:
            def f(value, name=name):
                return float(two_layer_forward(*dict(arrays, **{name: value}).values(), reg=0.5)[0])

            grads.append(difference(f, arrays[name]))
        differenced[label] = tuple(grads)
    yield "two_layer_net", (expected, valid, differenced)
    scores, y = rng.standard_normal((5, 4)), rng.integers(0, 4, 5)
    yield "softmax_loss", loss_case("softmax_loss", {"scores": scores, "y": y}, (), {"logsumexp": _softmax_logsumexp})
    yield "svm_loss", loss_case("svm_loss", {"scores": scores, "y": y}, (), {"vectorized": _svm_vectorized})
    logits, targets = 2 * rng.standard_normal(8), (rng.random(8) < 0.5).astype(float)
    yield "bce_loss", loss_case("binary_cross_entropy_loss", {"logits": logits, "y": targets}, (), {"expit": _bce_expit})
    w = rng.standard_normal((4, 3))
    yield "l1_penalty", loss_case("l1_penalty", {"w": w}, (0.1,), {"sign": lambda w, reg: reg * np.sign(w)})


def main() -> None:
    worst_valid: dict[str, float] = {}
    best_difference: dict[str, dict[str, float]] = {}
    for seed in SEEDS:
        for label, (expected, valid, differenced) in cases(seed):
            for grads in valid.values():
                error = max(normwise_error(np.asarray(g, float), np.asarray(e, float)) for g, e in zip(grads, expected))
                worst_valid[label] = max(worst_valid.get(label, 0.0), error)
            for method, grads in differenced.items():
                error = max(normwise_error(np.asarray(g, float), np.asarray(e, float)) for g, e in zip(grads, expected))
                best_difference.setdefault(label, {})
                best_difference[label][method] = min(best_difference[label].get(method, np.inf), error)
    print(f"ANALYTIC_TOLERANCE = {ANALYTIC_TOLERANCE:.0e}; normwise errors against the reference backward, {len(SEEDS)} seeds")
    print("worst valid alternative, then the best (smallest) error of each finite-difference method:")
    methods = list(DIFFERENCES)
    print(f"{'case':<15}{'valid':>9}" + "".join(f"{method.replace(' h=', ' '):>17}" for method in methods))
    for label in worst_valid:
        errors = "".join(f"{best_difference[label][method]:>17.1e}" for method in methods)
        print(f"{label:<15}{worst_valid[label]:>9.1e}{errors}")


if __name__ == "__main__":
    main()
