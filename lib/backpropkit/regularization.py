"""Weight penalties: each returns ``(value, dw)``, the penalty added to the loss and its gradient.

``reg`` is the regularization strength (lambda). Penalize weights, not biases: a bias only
shifts a unit's output, and shrinking it does not make the function smoother.
"""

from __future__ import annotations

from typing import Any

from .backend import Array, check_array, check_finite, namespace, require_finite_number, require_same_backend


def l2_penalty(w: Array, reg: float) -> tuple[Array, Array]:
    """L2 penalty ``0.5 * reg * sum(w^2)`` and its gradient ``reg * w``.

    The 1/2 makes the gradient free of a factor 2. Shapes: w any shape -> value 0-d, dw like w.
    """
    _check_weights(w)
    _check_strength(reg, "reg")
    xp = namespace(w)
    ### BEGIN SOLUTION
    value = 0.5 * reg * xp.sum(w * w)
    dw = reg * w
    ### END SOLUTION
    return value, dw


def l1_penalty(w: Array, reg: float) -> tuple[Array, Array]:
    """L1 penalty ``reg * sum(|w|)`` and its (sub)gradient ``reg * sign(w)`` (0 where w is 0).

    L1 pushes small weights to exactly zero, giving sparse weights. Shapes: w any shape ->
    value 0-d, dw like w.
    """
    _check_weights(w)
    _check_strength(reg, "reg")
    xp = namespace(w)
    ### BEGIN SOLUTION
    value = reg * xp.sum(xp.abs(w))
    dw = reg * xp.sign(w)
    ### END SOLUTION
    return value, dw


def elastic_net_penalty(w: Array, reg: float, l1_ratio: float) -> tuple[Array, Array]:
    """Elastic net: ``l1_ratio * L1 + (1 - l1_ratio) * L2``, both of strength ``reg``.

    ``l1_ratio`` = 1 is pure L1 (:func:`l1_penalty`), 0 is pure L2 (:func:`l2_penalty`).
    Shapes: w any shape -> value 0-d, dw like w.
    """
    _check_weights(w)
    _check_strength(reg, "reg")
    _check_strength(l1_ratio, "l1_ratio")
    if l1_ratio > 1:
        raise ValueError(f"l1_ratio must lie in [0, 1] (the share of L1 in the mix), got {l1_ratio!r}")
    ### BEGIN SOLUTION
    l1_value, l1_dw = l1_penalty(w, reg)
    l2_value, l2_dw = l2_penalty(w, reg)
    value = l1_ratio * l1_value + (1 - l1_ratio) * l2_value
    dw = l1_ratio * l1_dw + (1 - l1_ratio) * l2_dw
    ### END SOLUTION
    return value, dw


def weight_decay(w: Array, dw: Array, reg: float) -> Array:
    """The gradient ``dw`` of the data loss plus the gradient of the L2 penalty: ``dw + reg * w``.

    This is L2 regularization applied in the update instead of in the loss: adding ``reg * w``
    to the gradient makes every step shrink the weights toward zero ("decay").
    Shapes: w and dw the same shape -> like w.
    """
    _check_weights(w)
    check_array(dw, "dw")
    if tuple(dw.shape) != tuple(w.shape):
        raise ValueError(f"dw has shape {tuple(dw.shape)} but w has shape {tuple(w.shape)}; they must match")
    _check_strength(reg, "reg")
    require_same_backend(w, dw)
    ### BEGIN SOLUTION
    decayed = dw + reg * w
    ### END SOLUTION
    return decayed


def _check_weights(w: Any) -> None:
    check_array(w, "w")
    check_finite(w, "w")


def _check_strength(value: Any, name: str) -> None:
    """Refuse anything but a finite non-negative number (a negative strength rewards large weights)."""
    require_finite_number(value, name)
    if value < 0:
        raise ValueError(f"{name} must be non-negative, got {value!r}")
