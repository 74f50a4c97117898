"""Losses return the right value and the gradient of that value, stably, on every backend."""

from __future__ import annotations

import numpy as np
import pytest

from backpropkit.gradcheck import check_gradient
from backpropkit.losses import binary_cross_entropy_loss, mse_loss, softmax_loss, svm_loss, svm_loss_loops

CLASS_LOSSES = [softmax_loss, svm_loss_loops, svm_loss]

# The worked example of the lecture notes: three images, classes (cat, car, frog).
LECTURE_SCORES = np.array([[3.2, 5.1, -1.7], [1.3, 4.9, 2.0], [2.2, 2.5, -3.1]])
LECTURE_LABELS = np.array([0, 1, 2])


def random_problem(seed: int, num_examples: int = 6, num_classes: int = 4) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.normal(size=(num_examples, num_classes)), rng.integers(0, num_classes, size=num_examples)


def loss_of(loss_fn, *args) -> float:
    return float(loss_fn(*args)[0])


@pytest.mark.parametrize("svm", [svm_loss_loops, svm_loss])
def test_hinge_loss_reproduces_the_lecture_example(backend, svm) -> None:
    per_image = [
        loss_of(svm, backend(LECTURE_SCORES[i : i + 1]), backend(LECTURE_LABELS[i : i + 1])) for i in range(3)
    ]

    assert per_image == pytest.approx([2.9, 0.0, 12.9])
    assert loss_of(svm, backend(LECTURE_SCORES), backend(LECTURE_LABELS)) == pytest.approx(5.27, abs=5e-3)


def test_loop_and_vectorized_hinge_losses_agree(backend) -> None:
    scores, y = random_problem(seed=1, num_examples=8, num_classes=5)

    loop_loss, loop_grad = svm_loss_loops(backend(scores), backend(y), margin=0.7)
    fast_loss, fast_grad = svm_loss(backend(scores), backend(y), margin=0.7)

    assert float(fast_loss) == pytest.approx(float(loop_loss))
    np.testing.assert_allclose(backend.get(fast_grad), backend.get(loop_grad), atol=1e-12)


def test_the_margin_is_the_width_of_the_hinge() -> None:
    scores = np.array([[2.0, 1.5]])
    labels = np.array([0])  # the wrong class trails the right one by 0.5

    assert loss_of(svm_loss, scores, labels, 0.0) == 0.0
    assert loss_of(svm_loss, scores, labels, 1.0) == pytest.approx(0.5)


@pytest.mark.parametrize("loss_fn", CLASS_LOSSES)
def test_class_loss_gradients_match_numerical_ones(backend, loss_fn) -> None:
    scores, y = random_problem(seed=2)
    scores, y = backend(scores), backend(y)

    _, dscores = loss_fn(scores, y)
    result = check_gradient(lambda s: loss_fn(s, y)[0], scores, dscores, name="dscores")

    assert result.passed, result.message


def test_softmax_loss_of_equal_scores_is_log_of_the_number_of_classes(backend) -> None:
    scores = np.zeros((5, 10))

    assert loss_of(softmax_loss, backend(scores), backend(np.arange(5))) == pytest.approx(np.log(10))


def test_softmax_loss_is_stable_for_huge_scores(backend) -> None:
    # pytest turns RuntimeWarnings (overflow in exp) into errors for the whole suite.
    scores, y = random_problem(seed=3)
    shift = np.array([[1e4], [-1e4], [0.0], [5e3], [1e4], [-3e3]])

    loss, dscores = softmax_loss(backend(scores + shift), backend(y))
    reference_loss, reference_grad = softmax_loss(backend(scores), backend(y))

    assert np.isfinite(float(loss))
    assert float(loss) == pytest.approx(float(reference_loss))
    np.testing.assert_allclose(backend.get(dscores), backend.get(reference_grad), atol=1e-12)


def test_softmax_gradient_is_probabilities_minus_one_hot_over_the_batch() -> None:
    scores, y = random_problem(seed=4)
    probs = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    onehot = np.eye(scores.shape[1])[y]

    _, dscores = softmax_loss(scores, y)

    np.testing.assert_allclose(dscores, (probs - onehot) / len(y), atol=1e-12)
    np.testing.assert_allclose(dscores.sum(axis=1), 0.0, atol=1e-12)


@pytest.mark.parametrize("label_dtype", [np.float64, np.int64])
def test_binary_cross_entropy_matches_its_definition_and_gradient(backend, label_dtype) -> None:
    rng = np.random.default_rng(5)
    logits, y = rng.normal(size=7) * 3, rng.integers(0, 2, size=7).astype(label_dtype)
    probs = 1 / (1 + np.exp(-logits))

    loss, dlogits = binary_cross_entropy_loss(backend(logits), backend(y))
    result = check_gradient(
        lambda z: binary_cross_entropy_loss(z, backend(y))[0], backend(logits.copy()), dlogits, name="dlogits"
    )

    assert float(loss) == pytest.approx(np.mean(-y * np.log(probs) - (1 - y) * np.log(1 - probs)))
    assert result.passed, result.message


def test_binary_cross_entropy_is_stable_for_huge_logits(backend) -> None:
    logits = np.array([800.0, -800.0, 800.0, -800.0])
    y = np.array([1.0, 0.0, 0.0, 1.0])  # two confident right answers, two confident wrong ones

    loss, dlogits = binary_cross_entropy_loss(backend(logits), backend(y))

    assert float(loss) == pytest.approx(800.0 * 2 / 4)
    np.testing.assert_allclose(backend.get(dlogits), [0.0, 0.0, 0.25, -0.25])


def test_mse_loss_and_gradient(backend) -> None:
    rng = np.random.default_rng(6)
    pred, target = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))

    loss, dpred = mse_loss(backend(pred), backend(target))
    result = check_gradient(lambda p: mse_loss(p, backend(target))[0], backend(pred.copy()), dpred, name="dpred")

    assert float(loss) == pytest.approx(np.mean((pred - target) ** 2))
    assert result.passed, result.message


@pytest.mark.parametrize("loss_fn", CLASS_LOSSES)
@pytest.mark.parametrize(
    ("scores", "labels", "message"),
    [
        (np.zeros(3), np.zeros(3, dtype=int), "scores must have 2 dimensions"),
        (np.zeros((2, 3), dtype=int), np.zeros(2, dtype=int), "scores must hold floating-point"),
        (np.zeros((2, 3)), np.zeros(2), "y must hold integer class labels"),
        (np.zeros((2, 3)), np.zeros(3, dtype=int), r"y must have shape \(2,\)"),
        (np.zeros((2, 3)), np.array([0, 3]), r"labels outside 0..2"),
        (np.array([[0.0, np.nan, 1.0]]), np.zeros(1, dtype=int), "scores holds 1 NaN"),
        (np.zeros((0, 3)), np.zeros(0, dtype=int), "no examples"),
    ],
)
def test_class_losses_name_the_bad_argument(loss_fn, scores, labels, message) -> None:
    with pytest.raises((TypeError, ValueError), match=message):
        loss_fn(scores, labels)


def test_hinge_losses_refuse_a_negative_margin() -> None:
    scores, y = random_problem(seed=7)
    for svm in (svm_loss_loops, svm_loss):
        with pytest.raises(ValueError, match="margin must be a non-negative number"):
            svm(scores, y, margin=-1.0)


def test_binary_cross_entropy_and_mse_name_the_bad_argument() -> None:
    with pytest.raises(ValueError, match="y must hold only 0s and 1s"):
        binary_cross_entropy_loss(np.zeros(3), np.array([0.0, 1.0, 2.0]))
    with pytest.raises(ValueError, match=r"y has shape \(2,\) but logits has shape \(3,\)"):
        binary_cross_entropy_loss(np.zeros(3), np.zeros(2))
    with pytest.raises(ValueError, match="logits holds 1 NaN"):
        binary_cross_entropy_loss(np.array([0.0, np.nan]), np.zeros(2))
    with pytest.raises(ValueError, match=r"pred has shape \(2,\) but target has shape \(3,\)"):
        mse_loss(np.zeros(2), np.zeros(3))
