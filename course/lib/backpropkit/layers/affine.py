"""Affine (fully connected) layer: ``out = x @ w + b``."""

from __future__ import annotations

from ..backend import Array, check_array, namespace, require_same_backend


def affine_forward(x: Array, w: Array, b: Array) -> tuple[Array, tuple]:
    """Compute ``out = x @ w + b``.

    Shapes: x (N, D), w (D, M), b (M,) -> out (N, M).
    Cache: (x, w), the inputs backward needs.
    """
    check_array(x, "x", ndim=2)
    check_array(w, "w", ndim=2)
    check_array(b, "b", ndim=1)
    if x.shape[1] != w.shape[0]:
        raise ValueError(
            f"x has {x.shape[1]} features per example but w expects {w.shape[0]} "
            f"(x {tuple(x.shape)}, w {tuple(w.shape)}); flatten images first"
        )
    if b.shape[0] != w.shape[1]:
        raise ValueError(f"b must have {w.shape[1]} entries to match w {tuple(w.shape)}, got {tuple(b.shape)}")
    require_same_backend(x, w, b)
    out = x @ w + b
    return out, (x, w)


def affine_backward(dout: Array, cache: tuple) -> tuple[Array, Array, Array]:
    """Backward pass of :func:`affine_forward`.

    Shapes: dout (N, M); cache (x (N, D), w (D, M)) -> dx (N, D), dw (D, M), db (M,).
    """
    x, w = cache
    xp = namespace(dout, x, w)
    raise NotImplementedError('affine_backward is an exercise: write it in the notebook 03_backprop/1_layers.ipynb. The student edition of backpropkit leaves its reference answer out.')
    return dx, dw, db
