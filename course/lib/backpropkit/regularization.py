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
    raise NotImplementedError('l2_penalty is an exercise: write it in the notebook 02_linear_classifiers/1_linear_classifiers.ipynb. The student edition of backpropkit leaves its reference answer out.')
    return value, dw


def l1_penalty(w: Array, reg: float) -> tuple[Array, Array]:
    """L1 penalty ``reg * sum(|w|)`` and its (sub)gradient ``reg * sign(w)`` (0 where w is 0).

    L1 pushes small weights to exactly zero, giving sparse weights. Shapes: w any shape ->
    value 0-d, dw like w.
    """
    _check_weights(w)
    _check_strength(reg, "reg")
    xp = namespace(w)
    raise NotImplementedError('l1_penalty is an exercise: write it in the notebook 02_linear_classifiers/1_linear_classifiers.ipynb. The student edition of backpropkit leaves its reference answer out.')
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
    raise NotImplementedError('elastic_net_penalty is an exercise: write it in the notebook 02_linear_classifiers/1_linear_classifiers.ipynb. The student edition of backpropkit leaves its reference answer out.')
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
    raise NotImplementedError('weight_decay is an exercise: write it in the notebook 05_regularization/1_dropout.ipynb. The student edition of backpropkit leaves its reference answer out.')
    return decayed


def _check_weights(w: Any) -> None:
    check_array(w, "w")
    check_finite(w, "w")


def _check_strength(value: Any, name: str) -> None:
    """Refuse anything but a finite non-negative number (a negative strength rewards large weights)."""
    require_finite_number(value, name)
    if value < 0:
        raise ValueError(f"{name} must be non-negative, got {value!r}")
