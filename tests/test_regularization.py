"""Weight penalties return the right value and its gradient, and refuse meaningless strengths."""

from __future__ import annotations

import numpy as np
import pytest

from backpropkit.gradcheck import check_gradient
from backpropkit.regularization import elastic_net_penalty, l1_penalty, l2_penalty, weight_decay

PENALTIES = {
    "l2": lambda w: l2_penalty(w, 0.3),
    "l1": lambda w: l1_penalty(w, 0.3),
    "elastic net": lambda w: elastic_net_penalty(w, 0.3, 0.25),
}


def weights(seed: int = 0, shape: tuple[int, ...] = (4, 3)) -> np.ndarray:
    w = np.random.default_rng(seed).normal(size=shape)
    w[np.abs(w) < 1e-3] = 0.5  # keep L1's kink at 0 out of reach of the finite differences
    return w


def test_penalty_values_follow_their_definitions(backend) -> None:
    w = weights(seed=1)
    l1, l2 = np.sum(np.abs(w)), 0.5 * np.sum(w**2)

    assert float(l2_penalty(backend(w), 0.3)[0]) == pytest.approx(0.3 * l2)
    assert float(l1_penalty(backend(w), 0.3)[0]) == pytest.approx(0.3 * l1)
    assert float(elastic_net_penalty(backend(w), 0.3, 0.25)[0]) == pytest.approx(0.3 * (0.25 * l1 + 0.75 * l2))


@pytest.mark.parametrize("penalty", list(PENALTIES))
def test_penalty_gradients_match_numerical_ones(backend, penalty) -> None:
    w = backend(weights(seed=2, shape=(3, 2, 2)))
    value_and_grad = PENALTIES[penalty]

    result = check_gradient(lambda w: value_and_grad(w)[0], w, value_and_grad(w)[1], name="dw")

    assert result.passed, result.message


def test_l1_subgradient_is_zero_at_zero(backend) -> None:
    _, dw = l1_penalty(backend(np.array([-2.0, 0.0, 3.0])), 0.5)

    np.testing.assert_array_equal(backend.get(dw), [-0.5, 0.0, 0.5])


@pytest.mark.parametrize(("l1_ratio", "pure"), [(1.0, l1_penalty), (0.0, l2_penalty)])
def test_elastic_net_ends_are_pure_l1_and_pure_l2(backend, l1_ratio, pure) -> None:
    w = backend(weights(seed=3))

    value, dw = elastic_net_penalty(w, 0.7, l1_ratio)
    pure_value, pure_dw = pure(w, 0.7)

    assert float(value) == pytest.approx(float(pure_value))
    np.testing.assert_allclose(backend.get(dw), backend.get(pure_dw))


def test_weight_decay_adds_the_l2_gradient(backend) -> None:
    w, dw = weights(seed=4), weights(seed=5)

    decayed = weight_decay(backend(w), backend(dw), 0.1)

    np.testing.assert_allclose(backend.get(decayed), dw + backend.get(l2_penalty(backend(w), 0.1)[1]))


def test_zero_strength_means_no_penalty() -> None:
    w = weights(seed=6)
    for value, dw in (l2_penalty(w, 0.0), l1_penalty(w, 0), elastic_net_penalty(w, 0.0, 0.5)):
        assert float(value) == 0.0
        assert not np.any(dw)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda w: l2_penalty(w, -0.1), ValueError, "reg must be non-negative"),
        (lambda w: l1_penalty(w, float("nan")), TypeError, "reg must be a finite number"),
        (lambda w: l2_penalty(w, "0.1"), TypeError, "reg must be a finite number"),
        (lambda w: elastic_net_penalty(w, 0.1, 1.5), ValueError, r"l1_ratio must lie in \[0, 1\]"),
        (lambda w: elastic_net_penalty(w, 0.1, -0.5), ValueError, "l1_ratio must be non-negative"),
        (lambda w: weight_decay(w, w.T, 0.1), ValueError, r"dw has shape \(3, 4\) but w has shape \(4, 3\)"),
        (lambda w: weight_decay(w, w, -1.0), ValueError, "reg must be non-negative"),
        (lambda w: l2_penalty(w.astype(int), 0.1), TypeError, "w must hold floating-point"),
        (lambda w: l2_penalty(w * np.nan, 0.1), ValueError, "w holds 12 NaN"),
    ],
)
def test_bad_arguments_are_named(call, error, message) -> None:
    with pytest.raises(error, match=message):
        call(weights())
