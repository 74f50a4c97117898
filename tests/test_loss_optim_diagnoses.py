"""Diagnoses of the loss, penalty, update-rule, schedule and two-layer-network checks.

A mistake is named only when the student's answer reproduces it: each planted mistake below must
be named by its own description and by no other, and correct alternatives must pass. The last
tests grade planted notebooks through ``bpk-grade check``, where the student's code runs in its
own process: an update rule that changes its inputs in place must fail there too.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest

from autograder import checks, references
from autograder.checks import CheckFailed
from backpropkit import losses, optim, regularization, schedules

ROOT = Path(__file__).resolve().parents[1]


def message_of(check, *args, **kwargs) -> str:
    with pytest.raises(CheckFailed) as caught:
        check(*args, **kwargs)
    return str(caught.value)


def named(name: str, function):
    """``function`` under the name a test cell would look it up by."""
    function.__name__ = name
    return function


# --- losses ----------------------------------------------------------------------------------------


def svm_correct_class_minus_one(scores, y):
    loss, dscores = losses.svm_loss(scores, y)
    rows = np.arange(len(y))
    dscores = dscores.copy()
    dscores[rows, y] = -1.0 / len(y)
    return loss, dscores


def svm_counting_correct_class(scores, y):
    loss, dscores = losses.svm_loss(scores, y)
    return loss + 1.0, dscores


def softmax_without_correct_class_term(scores, y):
    loss, dscores = losses.softmax_loss(scores, y)
    onehot = np.eye(scores.shape[1])[y]
    return loss, dscores + onehot / len(y)


def softmax_over_the_batch(scores, y):
    probs = np.exp(scores - scores.max(axis=0)) / np.exp(scores - scores.max(axis=0)).sum(axis=0)
    onehot = np.eye(scores.shape[1])[y]
    return -np.mean(np.log(probs[np.arange(len(y)), y])), (probs - onehot) / len(y)


def softmax_without_max_shift(scores, y):
    probs = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    onehot = np.eye(scores.shape[1])[y]
    return -np.mean(np.log(probs[np.arange(len(y)), y])), (probs - onehot) / len(y)


def bce_with_logits_for_probabilities(logits, y):
    loss, _ = losses.binary_cross_entropy_loss(logits, y)
    return loss, (logits - y) / logits.size


def bce_with_sigmoid_derivative(logits, y):
    loss, dlogits = losses.binary_cross_entropy_loss(logits, y)
    probs = 1 / (1 + np.exp(-logits))
    return loss, dlogits * probs * (1 - probs)


def mse_without_factor_two(pred, target):
    loss, dpred = losses.mse_loss(pred, target)
    return loss, dpred / 2


def mse_over_rows(pred, target):
    diff = pred - target
    return np.sum(diff**2) / pred.shape[0], 2 * diff / pred.shape[0]


LOSS_MISTAKES = [
    (checks.check_svm_loss, (6, 4), svm_correct_class_minus_one, "minus the number of classes whose margin is violated"),
    (checks.check_svm_lecture_example, (), svm_counting_correct_class, "includes the correct class"),
    (checks.check_softmax_loss, (5, 4), softmax_without_correct_class_term, "-1 at the correct class is missing"),
    (checks.check_softmax_loss, (5, 4), softmax_over_the_batch, "normalized over the batch"),
    (checks.check_softmax_loss, (5, 4), softmax_without_max_shift, "subtract each row's maximum"),
    (checks.check_binary_cross_entropy_loss, (8,), bce_with_logits_for_probabilities, "uses the logits"),
    (checks.check_binary_cross_entropy_loss, (8,), bce_with_sigmoid_derivative, "sigmoid's derivative"),
    (checks.check_mse_loss, ((6, 3),), mse_without_factor_two, "factor 2 is missing"),
    (checks.check_mse_loss, ((6, 3),), mse_over_rows, "mean is taken over the rows"),
]


@pytest.mark.parametrize("check, args, loss, phrase", LOSS_MISTAKES, ids=[entry[2].__name__ for entry in LOSS_MISTAKES])
def test_loss_mistakes_are_named_only_when_reproduced(check, args, loss, phrase):
    message = message_of(check, loss, *args, seed=3) if args else message_of(check, loss)
    assert phrase in message
    others = [other for _, _, _, other in LOSS_MISTAKES if other != phrase and other in message]
    assert not others, message


def test_a_wrong_loss_gradient_of_no_known_kind_is_located_but_not_named():
    def noisy_softmax(scores, y):
        loss, dscores = losses.softmax_loss(scores, y)
        return loss, dscores + 0.01 * np.cos(np.arange(dscores.size)).reshape(dscores.shape)

    message = message_of(checks.check_softmax_loss, noisy_softmax, 5, 4, seed=1)
    assert "dscores is wrong" in message and "Largest error at dscores[" in message
    assert "Likely mistake" not in message


def test_valid_loss_alternatives_pass():
    def svm_with_mask_matrix(scores, y):
        rows = np.arange(len(y))
        margins = np.maximum(0, scores - scores[rows, y][:, None] + 1.0)
        margins[rows, y] = 0
        mask = (margins > 0).astype(float)
        mask[rows, y] = -mask.sum(axis=1)
        return margins.sum() / len(y), mask / len(y)

    def softmax_via_logsumexp(scores, y):
        log_norm = np.logaddexp.reduce(scores, axis=1, keepdims=True)
        probs = np.exp(scores - log_norm)
        probs[np.arange(len(y)), y] -= 1
        return float(np.mean(log_norm[:, 0] - scores[np.arange(len(y)), y])), probs / len(y)

    checks.check_svm_loss(svm_with_mask_matrix, 7, 5, seed=2)
    checks.check_softmax_loss(softmax_via_logsumexp, 6, 4, seed=2)


# --- penalties -------------------------------------------------------------------------------------


def l1_dividing_by_abs(w, reg):
    return reg * np.abs(w).sum(), reg * w / np.abs(w)


def l1_plus_one_at_zero(w, reg):
    return reg * np.abs(w).sum(), reg * np.where(w >= 0, 1.0, -1.0)


def l1_with_l2_gradient(w, reg):
    return reg * np.abs(w).sum(), reg * w


def l2_doubled(w, reg):
    return 0.5 * reg * np.sum(w * w), 2 * reg * w


def elastic_net_swapped(w, reg, l1_ratio):
    l1_value, l1_dw = regularization.l1_penalty(w, reg)
    l2_value, l2_dw = regularization.l2_penalty(w, reg)
    return (1 - l1_ratio) * l1_value + l1_ratio * l2_value, (1 - l1_ratio) * l1_dw + l1_ratio * l2_dw


PENALTY_MISTAKES = [
    (checks.check_l1_penalty, l1_dividing_by_abs, "NaN where w is exactly 0"),
    (checks.check_l1_penalty, l1_plus_one_at_zero, "not +1 or -1"),
    (checks.check_l1_penalty, l1_with_l2_gradient, "(the L2 gradient)"),
    (checks.check_l2_penalty, l2_doubled, "dw is 2 * reg * w"),
    (checks.check_elastic_net_penalty, elastic_net_swapped, "are swapped"),
]


@pytest.mark.parametrize("check, penalty, phrase", PENALTY_MISTAKES, ids=[entry[1].__name__ for entry in PENALTY_MISTAKES])
def test_penalty_mistakes_are_named(check, penalty, phrase):
    assert phrase in message_of(check, penalty, seed=7)


def test_penalty_checks_include_exact_zeros_and_accept_any_sign_function():
    """Without exact zeros in the case, w / |w| would pass: the NaN sits where no probe looks."""

    def l1_with_nested_where(w, reg):
        return reg * np.abs(w).sum(), reg * np.where(w > 0, 1.0, np.where(w < 0, -1.0, 0.0))

    checks.check_l1_penalty(l1_with_nested_where, (5, 2), 2.5, seed=71)
    checks.check_elastic_net_penalty(regularization.elastic_net_penalty, (5, 2), 1.5, 0.8, seed=81)
    for seed in range(5):
        with pytest.raises(CheckFailed):
            checks.check_l1_penalty(l1_dividing_by_abs, (2,), seed=seed)


def test_weight_decay_mistakes_are_named():
    def subtracted(w, dw, reg):
        return dw - reg * w

    assert "decay term is subtracted" in message_of(checks.check_weight_decay, subtracted, reg=0.5)


# --- update rules ----------------------------------------------------------------------------------


def momentum_with_flipped_velocity(w, dw, state, *, learning_rate, momentum=0.9):
    velocity = momentum * state.get("velocity", np.zeros_like(w)) - dw
    return w - learning_rate * velocity, {"velocity": velocity}


def nesterov_as_plain_momentum(w, dw, state, *, learning_rate, momentum=0.9):
    return optim.sgd_momentum(w, dw, state, learning_rate=learning_rate, momentum=momentum)


def adam_correcting_only_m(w, dw, state, *, learning_rate, beta1=0.9, beta2=0.999, eps=1e-8):
    t = state.get("t", 0) + 1
    m = beta1 * state.get("m", np.zeros_like(w)) + (1 - beta1) * dw
    v = beta2 * state.get("v", np.zeros_like(w)) + (1 - beta2) * dw * dw
    return w - learning_rate * (m / (1 - beta1**t)) / (np.sqrt(v) + eps), {"m": m, "v": v, "t": t}


def adam_forgetting_t(w, dw, state, *, learning_rate, beta1=0.9, beta2=0.999, eps=1e-8):
    next_w, new_state = optim.adam(w, dw, state, learning_rate=learning_rate, beta1=beta1, beta2=beta2, eps=eps)
    del new_state["t"]
    return next_w, new_state


def rmsprop_eps_inside(w, dw, state, *, learning_rate, decay_rate=0.99, eps=1e-8):
    squares = decay_rate * state.get("grad_squared", np.zeros_like(w)) + (1 - decay_rate) * dw * dw
    return w - learning_rate * dw / np.sqrt(squares + eps), {"grad_squared": squares}


RULE_MISTAKES = [
    (momentum_with_flipped_velocity, "sgd_momentum", {"learning_rate": 0.1}, "velocity's sign is flipped"),
    (nesterov_as_plain_momentum, "nesterov_momentum", {"learning_rate": 0.1}, "this is plain momentum"),
    (adam_correcting_only_m, "adam", {"learning_rate": 0.01}, "only m is bias-corrected"),
    (adam_forgetting_t, "adam", {"learning_rate": 0.01}, "t is not incremented"),
    (rmsprop_eps_inside, "rmsprop", {"learning_rate": 0.1, "decay_rate": 0.5, "eps": 1e-4}, "inside the square root"),
]


@pytest.mark.parametrize("rule, kind, settings, phrase", RULE_MISTAKES, ids=[entry[0].__name__ for entry in RULE_MISTAKES])
def test_update_rule_mistakes_are_named_only_when_reproduced(rule, kind, settings, phrase):
    message = message_of(checks.check_update_rule, rule, kind, settings, steps=4, seed=2)
    assert phrase in message
    assert not [other for *_, other in RULE_MISTAKES if other != phrase and other in message], message


def test_a_rule_that_changes_its_inputs_in_place_fails_where_it_does_so():
    def sgd_in_place(w, dw, state, *, learning_rate):
        w -= learning_rate * dw
        return w, {}

    def momentum_updating_its_velocity_in_place(w, dw, state, *, learning_rate, momentum=0.9):
        velocity = state.get("velocity", np.zeros_like(w))
        velocity *= momentum
        velocity += dw
        return w - learning_rate * velocity, {"velocity": velocity}

    message = message_of(checks.check_update_rule, sgd_in_place, "sgd", {"learning_rate": 0.1})
    assert "changes its input in place" in message and "w -= learning_rate * dw" in message
    message = message_of(checks.check_update_rule, momentum_updating_its_velocity_in_place, "sgd_momentum", {"learning_rate": 0.1})
    assert "changes its input in place" in message


def test_valid_rule_forms_pass():
    def momentum_velocity_holds_the_step(w, dw, state, *, learning_rate, momentum=0.9):
        velocity = momentum * state.get("velocity", np.zeros_like(w)) - learning_rate * dw
        return w + velocity, {"velocity": velocity}

    def adam_in_place_on_copies(w, dw, state, *, learning_rate, beta1=0.9, beta2=0.999, eps=1e-8):
        t = state.get("t", 0) + 1
        m = state.get("m", np.zeros_like(w)).copy()
        v = state.get("v", np.zeros_like(w)).copy()
        m *= beta1
        m += (1 - beta1) * dw
        v *= beta2
        v += (1 - beta2) * dw**2
        next_w = w.copy()
        next_w -= learning_rate * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps)
        return next_w, {"m": m, "v": v, "t": t}

    checks.check_update_rule(momentum_velocity_holds_the_step, "sgd_momentum", {"learning_rate": 0.05, "momentum": 0.5}, seed=91)
    checks.check_update_rule(adam_in_place_on_copies, "adam", {"learning_rate": 0.001, "beta1": 0.5, "beta2": 0.9}, steps=6, seed=131)
    checks.check_update_rule(optim.adagrad, "adagrad", {"learning_rate": 0.5, "eps": 1e-4}, steps=6, seed=111)


# --- schedules -------------------------------------------------------------------------------------


def test_schedule_mistakes_are_named():
    def step_decay_from_one(step, *, base_lr, decay=0.1, every):
        return base_lr * decay ** ((step + 1) // every)

    def inverse_sqrt_without_hold(step, *, base_lr, hold_steps=1):
        return base_lr / math.sqrt(max(step, hold_steps))

    message = message_of(checks.check_schedule, step_decay_from_one, "step_decay", {"base_lr": 1.0, "every": 3}, [0, 1, 2, 3, 5, 6, 30])
    assert "counted from 1" in message
    message = message_of(
        checks.check_schedule, inverse_sqrt_without_hold, "inverse_sqrt_decay", {"base_lr": 1.0, "hold_steps": 16}, [0, 8, 16, 64, 400]
    )
    assert "hold_steps is missing" in message


def test_warmup_mistakes_are_named():
    def ramp_from_first_step(schedule, warmup_steps):
        return lambda step: schedule(0) * (step + 1) / warmup_steps if step < warmup_steps else schedule(step - warmup_steps)

    def not_shifted(schedule, warmup_steps):
        return lambda step: schedule(0) * step / warmup_steps if step < warmup_steps else schedule(step)

    assert "ramp starts at the first step" in message_of(checks.check_warmup, ramp_from_first_step)
    assert "schedule is not shifted" in message_of(checks.check_warmup, not_shifted)
    checks.check_warmup(schedules.with_warmup, warmup_steps=10, steps=[0, 3, 9, 10, 11, 15])


# --- the two-layer network -------------------------------------------------------------------------

TWO_LAYER_INPUTS = {
    "X": (7, 2), "Y": [[1], [0], [0], [1], [1], [0], [1]], "W1": (2, 6), "b1": (6,), "W2": (6, 1), "b2": (1,),
}


def two_layer_pair():
    definitions = references._notebook_definitions("03_backprop/2_two_layer_net.ipynb")
    return definitions["two_layer_net_forward"], definitions["two_layer_net_backward"]


def test_two_layer_net_mistakes_are_named():
    forward, backward = two_layer_pair()

    def bias_penalty(dJ, cache):
        dW1, db1, dW2, db2 = backward(dJ, cache)
        X, Y, A, Y_hat, W1, W2, reg = cache
        return dW1, db1, dW2, db2 + dJ * reg / X.shape[0] * W2.sum(axis=0)

    def hidden_derivative_forgotten(dJ, cache):
        X, Y, A, Y_hat, W1, W2, reg = cache
        m = X.shape[0]
        delta2 = dJ * (Y_hat - Y) / m
        delta1 = delta2 @ W2.T
        return X.T @ delta1 + dJ * reg / m * W1, delta1.sum(axis=0), A.T @ delta2 + dJ * reg / m * W2, delta2.sum(axis=0)

    for mistake, phrase in ((bias_penalty, "penalty is added to a bias gradient"), (hidden_derivative_forgotten, "sigmoid derivative is missing")):
        message = message_of(
            checks.check_two_layer_net_backward, forward, named("two_layer_net_backward", mistake), TWO_LAYER_INPUTS, {"reg": 2.0}, seed=142
        )
        assert phrase in message and "constant factor" not in message, message
    checks.check_two_layer_net_backward(forward, backward, TWO_LAYER_INPUTS, {"reg": 2.0}, seed=142)


# --- the real path: the student's code in its own process ------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("label", ["sgd/in_place", "two_layer_net_backward/bias_penalty_db2"])
def test_planted_bugs_are_named_by_bpk_grade_check(tmp_path, label):
    sys.path.insert(0, str(ROOT / "tests" / "accuracy"))
    from bugs_losses_optim import BUGS
    from corpus import write_course

    from autograder.grading.self_check import check_notebook

    bug = next(bug for bug in BUGS if bug.label == label)
    result, hidden_tests_used = check_notebook(write_course(bug, tmp_path), ROOT / "solutions")
    failing = [test for test in result.tests if test.points < test.max_points]
    assert hidden_tests_used and failing and result.points < result.max_points
    assert any(bug.mistake in "\n".join([*test.messages, test.failure or "", test.reason or ""]) for test in failing)
