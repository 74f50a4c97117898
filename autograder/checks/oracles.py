"""Independent reference computations that forward checks compare against.

Each is written differently from the library's solution on purpose (SciPy's correlation for a
convolution, NumPy's sliding windows for pooling, closed forms for activations, one einsum over
all pieces for maxout), so a check never compares the student's code with a copy of itself. A
check names one by string (``"relu"``), or passes its own function.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def affine(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.einsum("nd,dm->nm", x, w) + b


def relu(x: np.ndarray) -> np.ndarray:
    return np.where(x > 0, x, 0.0)


def leaky_relu(x: np.ndarray, alpha: float = 0.01) -> np.ndarray:
    return np.where(x > 0, x, alpha * x)


def sigmoid(x: np.ndarray) -> np.ndarray:
    return np.exp(-np.logaddexp(0.0, -x))  # 1 / (1 + e^-x) without overflow


def tanh(x: np.ndarray) -> np.ndarray:
    return np.tanh(x)


def elu(x: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0.0)))


def maxout_pieces(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Every piece of every unit, shape (k, N, M)."""
    return np.einsum("nd,kdm->knm", x, w) + b[:, None, :]


def maxout(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    return maxout_pieces(x, w, b).max(axis=0)


def maxout_routing(
    x: np.ndarray, w: np.ndarray, b: np.ndarray, dout: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Maxout's (dx, dw, db) with every output's gradient sent to its first winning piece."""
    winner = maxout_pieces(x, w, b).argmax(axis=0)
    routed = np.stack([np.where(winner == j, dout, 0.0) for j in range(len(w))])  # (k, N, M)
    dx = np.einsum("knm,kdm->nd", routed, w)
    dw = np.einsum("nd,knm->kdm", x, routed)
    return dx, dw, routed.sum(axis=1)


def flatten(x: np.ndarray) -> np.ndarray:
    return x.reshape(x.shape[0], -1)


def conv(x: np.ndarray, w: np.ndarray, b: np.ndarray, stride: int = 1, pad: int = 0) -> np.ndarray:
    """Cross-correlation of every image with every filter (SciPy), strided, plus the bias."""
    from scipy.signal import correlate  # imported here: scipy.signal takes a while to load

    padded = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out = np.stack(
        [
            np.stack([correlate(image, kernel, mode="valid")[0, ::stride, ::stride] for kernel in w])
            for image in padded
        ]
    )
    return out + b[None, :, None, None]


def max_pool(x: np.ndarray, pool_height: int = 2, pool_width: int = 2, stride: int = 2) -> np.ndarray:
    windows = sliding_window_view(x, (pool_height, pool_width), axis=(2, 3))[:, :, ::stride, ::stride]
    return windows.max(axis=(-2, -1))


def max_pool_routing(x: np.ndarray, pool_height: int, pool_width: int, stride: int, dout: np.ndarray) -> np.ndarray:
    """The max-pooling gradient with every window's gradient sent to its first maximum (row-major)."""
    windows = sliding_window_view(x, (pool_height, pool_width), axis=(2, 3))[:, :, ::stride, ::stride]
    n, c, out_h, out_w = windows.shape[:4]
    first = windows.reshape(n, c, out_h, out_w, -1).argmax(axis=-1)
    dx = np.zeros_like(x)
    for (i_n, i_c, i, j), winner in np.ndenumerate(first):
        row, col = divmod(int(winner), pool_width)
        dx[i_n, i_c, i * stride + row, j * stride + col] += dout[i_n, i_c, i, j]
    return dx


ORACLES: dict[str, Callable[..., np.ndarray]] = {
    "affine": affine,
    "relu": relu,
    "leaky_relu": leaky_relu,
    "sigmoid": sigmoid,
    "tanh": tanh,
    "elu": elu,
    "maxout": maxout,
    "flatten": flatten,
    "conv": conv,
    "max_pool": max_pool,
}


# --- losses and penalties (values only: gradients are always checked numerically) ----------------


def svm_loss(scores: np.ndarray, y: np.ndarray, margin: float = 1.0) -> float:
    correct = scores[np.arange(len(y)), y][:, None]
    hinge = np.maximum(0.0, scores - correct + margin)
    hinge[np.arange(len(y)), y] = 0.0
    return float(hinge.sum() / len(y))


def softmax_loss(scores: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean(np.logaddexp.reduce(scores, axis=1) - scores[np.arange(len(y)), y]))


def binary_cross_entropy_loss(logits: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean(np.logaddexp(0.0, logits) - y * logits))


def mse_loss(pred: np.ndarray, target: np.ndarray) -> float:
    return float(np.mean((pred - target) ** 2))


def l2_penalty(w: np.ndarray, reg: float) -> float:
    return 0.5 * reg * float(np.vdot(w, w))


def l1_penalty(w: np.ndarray, reg: float) -> float:
    return reg * float(np.abs(w).sum())


def elastic_net_penalty(w: np.ndarray, reg: float, l1_ratio: float) -> float:
    return l1_ratio * l1_penalty(w, reg) + (1 - l1_ratio) * l2_penalty(w, reg)
