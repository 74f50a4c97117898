"""Loss functions: each returns ``(loss, dscores)``, the mean loss over the batch and its gradient.

``dscores`` has the shape of the scores and already includes the 1/N of the mean, so it is the
upstream gradient that the last layer's backward pass takes.
"""

from __future__ import annotations

from typing import Any

from .backend import Array, check_array, check_finite, check_labels, device_of, is_real_number, namespace


def softmax_loss(scores: Array, y: Array) -> tuple[Array, Array]:
    """Softmax cross-entropy: the mean over the batch of ``-log p[i, y[i]]``, ``p = softmax(scores)``.

    Shapes: scores (N, C) float, y (N,) integer labels in 0..C-1 -> loss 0-d, dscores (N, C).
    The gradient is ``(p - onehot(y)) / N``. Subtracting each row's maximum before ``exp``
    changes no probability but keeps ``exp`` from overflowing on large scores.
    """
    _check_scores(scores, y)
    xp = namespace(scores, y)
    num_examples, num_classes = scores.shape
    classes = xp.arange(num_classes, device=device_of(scores))
    raise NotImplementedError('softmax_loss is an exercise: write it in the notebook 02_linear_classifiers/1_linear_classifiers.ipynb. The student edition of backpropkit leaves its reference answer out.')
    return loss, dscores


def svm_loss_loops(scores: Array, y: Array, margin: float = 1.0) -> tuple[Array, Array]:
    """Multiclass hinge (SVM) loss with explicit loops, the version to write first.

    For example i with correct class y[i]: ``sum over j != y[i] of max(0, s[j] - s[y[i]] + margin)``,
    averaged over the batch. Each class j whose margin is violated adds +1 to dscores[i, j] and
    -1 to dscores[i, y[i]] (before the 1/N).
    Shapes: scores (N, C) float, y (N,) integer labels -> loss 0-d, dscores (N, C).
    """
    _check_scores(scores, y)
    _check_margin(margin)
    xp = namespace(scores, y)
    num_examples, num_classes = scores.shape
    raise NotImplementedError('svm_loss_loops is an exercise: write it in the notebook 02_linear_classifiers/1_linear_classifiers.ipynb. The student edition of backpropkit leaves its reference answer out.')
    return loss, dscores


def svm_loss(scores: Array, y: Array, margin: float = 1.0) -> tuple[Array, Array]:
    """Multiclass hinge (SVM) loss, vectorized: the same numbers as :func:`svm_loss_loops`.

    Shapes: scores (N, C) float, y (N,) integer labels -> loss 0-d, dscores (N, C).
    """
    _check_scores(scores, y)
    _check_margin(margin)
    xp = namespace(scores, y)
    num_examples, num_classes = scores.shape
    classes = xp.arange(num_classes, device=device_of(scores))
    raise NotImplementedError('svm_loss is an exercise: write it in the notebook 02_linear_classifiers/1_linear_classifiers.ipynb. The student edition of backpropkit leaves its reference answer out.')
    return loss, dscores


def binary_cross_entropy_loss(logits: Array, y: Array) -> tuple[Array, Array]:
    """Binary cross-entropy of a sigmoid output, averaged over all elements.

    With ``p = sigmoid(z)``, each element costs ``-y log p - (1 - y) log(1 - p)``, which equals
    ``max(z, 0) - z y + log(1 + exp(-|z|))``: a form with no overflow for any ``z``.
    The gradient is ``(sigmoid(z) - y) / size``.
    Shapes: logits any shape (e.g. (N,)) float, y the same shape holding 0s and 1s (float or
    integer) -> loss 0-d, dlogits like logits.
    """
    check_array(logits, "logits")
    check_finite(logits, "logits")
    xp = namespace(logits, y)
    _check_binary_targets(y, logits)
    y = xp.astype(y, logits.dtype)
    size = logits.size
    raise NotImplementedError('binary_cross_entropy_loss is an exercise: write it in the notebook 02_linear_classifiers/1_linear_classifiers.ipynb. The student edition of backpropkit leaves its reference answer out.')
    return loss, dlogits


def mse_loss(pred: Array, target: Array) -> tuple[Array, Array]:
    """Mean squared error: the mean over all elements of ``(pred - target)^2``.

    Shapes: pred and target the same (any) shape, float -> loss 0-d, dpred like pred,
    equal to ``2 (pred - target) / size``.
    """
    check_array(pred, "pred")
    check_array(target, "target")
    if tuple(pred.shape) != tuple(target.shape):
        raise ValueError(f"pred has shape {tuple(pred.shape)} but target has shape {tuple(target.shape)}; they must match")
    check_finite(pred, "pred")
    check_finite(target, "target")
    xp = namespace(pred, target)
    size = pred.size
    raise NotImplementedError('mse_loss is an exercise: write it in the notebook 02_linear_classifiers/1_linear_classifiers.ipynb. The student edition of backpropkit leaves its reference answer out.')
    return loss, dpred


def _check_scores(scores: Any, y: Any) -> None:
    check_array(scores, "scores", ndim=2)
    check_finite(scores, "scores")
    check_labels(y, "y", scores.shape[0], scores.shape[1])
    if scores.shape[0] == 0:
        raise ValueError("scores holds no examples (shape (0, C)); the mean loss of an empty batch is undefined")


def _check_margin(margin: Any) -> None:
    if not is_real_number(margin) or not margin >= 0:
        raise ValueError(f"margin must be a non-negative number such as 1.0, got {margin!r}")


def _check_binary_targets(y: Any, logits: Array) -> None:
    if not hasattr(y, "shape") or not hasattr(y, "dtype"):
        raise TypeError(f"y must be an array of 0s and 1s, got {type(y).__name__}")
    if tuple(y.shape) != tuple(logits.shape):
        raise ValueError(f"y has shape {tuple(y.shape)} but logits has shape {tuple(logits.shape)}; they must match")
    xp = namespace(y)
    if logits.size and not bool(xp.all((y == 0) | (y == 1))):
        raise ValueError("y must hold only 0s and 1s (the two classes), got other values")
