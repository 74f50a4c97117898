"""Checks for losses and weight penalties: the value against a reference, the gradient numerically.

A loss is ``loss(scores, y) -> (loss, dscores)`` and a penalty ``penalty(w, reg) -> (value, dw)``.
The value is compared with an independent computation (:mod:`autograder.oracles`); the gradient
with centered differences of that same reference value, computed here, so a student's value that
changes from call to call cannot change or switch off what the gradient is judged by. Where the
instructor's references are at hand (:mod:`autograder.references`), the gradient must also agree
with the reference gradient to rounding, so a gradient computed by finite differences earns
nothing. Softmax and binary cross-entropy are also run on huge scores, where a form without the
max shift overflows.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from . import oracles
from .calling import StudentCall, as_float_array, function_name, unpack
from .compare import compare, fail_on_warnings, raise_mismatch, require_derived, warnings_note
from .failures import CheckFailed, format_number, passed, student_facing
from .numeric import case_rng, numerical_gradient, sample_indices

try:
    from . import references
except ImportError:  # the student edition and the grading sandbox ship without the references
    references = None


def _scalar(value: Any, owner: str, what: str, per_example: int | None = None) -> float:
    array = as_float_array(value, owner, what)
    if array.size != 1:
        hint = " (one per example: average them over the batch)" if per_example and array.shape[:1] == (per_example,) else ""
        raise CheckFailed(f"{owner}: {what} must be a single number, got an array of shape {array.shape}{hint}.", {"check": owner})
    return float(array.reshape(()))


def _value_mistake(yours: float, alternatives: list[tuple[float, str]]) -> str | None:
    for value, mistake in alternatives:
        if np.isclose(yours, value, rtol=1e-6, atol=1e-12):
            return mistake
    return None


def check_value_and_gradient(
    func: Callable[..., Any],
    arrays: dict[str, np.ndarray],
    oracle: Callable[..., float],
    *,
    settings: tuple[float, ...] = (),
    wrt: str,
    value_name: str,
    case: str,
    batch_size: int | None = None,
    alternatives: list[tuple[float, str]] | None = None,
    tolerance: float = 1e-6,
    name: str | None = None,
    max_elements: int | None = 200,
    seed: int = 0,
) -> StudentCall:
    """Check ``func(*arrays, *settings) -> (value, d<wrt>)``: the value against ``oracle(*arrays, *settings)``
    and the gradient against centered differences of the oracle's value, then (where a reference
    exists) against the reference gradient to rounding. Returns the call (for its warnings).

    ``alternatives`` lists (wrong value, mistake) pairs that name a mistake when the value matches one.
    """
    check = function_name(func, name)
    call = StudentCall(func, check)
    expected_value = oracle(*arrays.values(), *settings)
    value, gradient = unpack(call(*arrays.values(), *settings), check, [value_name, f"d{wrt}"])
    value = _scalar(value, check, value_name, batch_size)
    gradient = as_float_array(gradient, check, f"d{wrt}", arrays[wrt].shape)
    if not np.isclose(value, expected_value, rtol=1e-7, atol=1e-12):
        mistake = _value_mistake(value, alternatives or [])
        note = warnings_note(call.warnings)
        raise CheckFailed(
            f"{check}: the {value_name} is {format_number(value)}, expected {format_number(expected_value)}."
            + (f"\n  Likely mistake: {mistake}." if mistake else "")
            + (f"\n  {note}" if note else "")
            + f"\n  Case: {case}.",
            {"check": check, "quantity": value_name, "yours": value, "expected": expected_value, "diagnosis": mistake},
        )

    def reference_value() -> float:
        return float(oracle(*arrays.values(), *settings))

    indices = sample_indices(arrays[wrt].shape, max_elements, seed)
    numerical = numerical_gradient(reference_value, arrays[wrt], indices)
    mismatch = compare(
        f"d{wrt}", gradient, numerical.gradient, compared=numerical.compared, tolerance=tolerance, batch_size=batch_size
    )
    if mismatch is not None:
        raise_mismatch(check, mismatch, case=case, tolerance=tolerance, expected_label="numerical", note=warnings_note(call.warnings))
    reference = references.loss_reference(function_name(func)) if references is not None else None
    if reference is not None:
        _, exact = reference(*(array.copy() for array in arrays.values()), *settings)
        require_derived(check, {wrt: gradient}, [np.asarray(exact, dtype=np.float64)], case)
    return call


def _labels(num_examples: int, num_classes: int, seed: int) -> np.ndarray:
    labels = case_rng(seed + 100).integers(0, num_classes, num_examples)
    labels[: min(num_classes, num_examples)] = np.arange(min(num_classes, num_examples))  # every class appears
    return labels


def _classification_case(loss: Callable, num_examples: int, num_classes: int, seed: int, scale: float = 1.0) -> dict:
    scores = scale * case_rng(seed).standard_normal((num_examples, num_classes))
    return {"scores": scores, "y": _labels(num_examples, num_classes, seed)}


def _mean_alternatives(expected: float, n: int) -> list[tuple[float, str]]:
    return [
        (expected * n, f"the loss is summed over the batch: take the mean (divide by N = {n})"),
        (expected / n, f"the loss is divided by N = {n} twice"),
        (-expected, "the sign is flipped"),
    ]


@student_facing
def check_svm_loss(svm_loss: Callable, num_examples: int = 5, num_classes: int = 4, *, seed: int = 0) -> None:
    """Check a multiclass hinge loss ``svm_loss(scores, y) -> (loss, dscores)`` (margin 1, mean over the batch)."""
    arrays = _classification_case(svm_loss, num_examples, num_classes, seed)
    expected = oracles.svm_loss(**arrays)
    case = f"scores ({num_examples}, {num_classes}), y ({num_examples},); seed {seed}"
    alternatives = [(expected + 1.0, "the sum includes the correct class j = y_i, which adds the margin 1 per example: skip it")]
    call = check_value_and_gradient(
        svm_loss, arrays, oracles.svm_loss, wrt="scores", value_name="loss", case=case,
        batch_size=num_examples, alternatives=alternatives + _mean_alternatives(expected, num_examples), seed=seed,
    )
    fail_on_warnings(call.name, call.warnings, case)
    passed(call.name, f"loss and dscores are right ({case}).")


@student_facing
def check_svm_lecture_example(svm_loss: Callable) -> None:
    """The lecture's three images (cat, car, frog): hinge losses 2.9, 0 and 12.9, mean 5.27."""
    arrays = {
        "scores": np.array([[3.2, 5.1, -1.7], [1.3, 4.9, 2.0], [2.2, 2.5, -3.1]]),
        "y": np.array([0, 1, 2]),
    }
    expected = (2.9 + 0.0 + 12.9) / 3
    case = "the lecture example: scores [[3.2, 5.1, -1.7], [1.3, 4.9, 2.0], [2.2, 2.5, -3.1]], y [0, 1, 2]"
    alternatives = [(expected + 1.0, "the sum includes the correct class j = y_i, which adds the margin 1 per example: skip it")]
    call = check_value_and_gradient(
        svm_loss, arrays, oracles.svm_loss, wrt="scores", value_name="loss", case=case,
        batch_size=3, alternatives=alternatives + _mean_alternatives(expected, 3),
    )
    fail_on_warnings(call.name, call.warnings, case)
    passed(call.name, "the lecture example gives (2.9 + 0 + 12.9) / 3 = 5.27, and dscores is right.")


@student_facing
def check_softmax_loss(softmax_loss: Callable, num_examples: int = 5, num_classes: int = 4, *, seed: int = 0) -> None:
    """Check ``softmax_loss(scores, y) -> (loss, dscores)`` (mean cross-entropy), also on huge scores."""
    arrays = _classification_case(softmax_loss, num_examples, num_classes, seed)
    expected = oracles.softmax_loss(**arrays)
    case = f"scores ({num_examples}, {num_classes}), y ({num_examples},); seed {seed}"
    call = check_value_and_gradient(
        softmax_loss, arrays, oracles.softmax_loss, wrt="scores", value_name="loss", case=case,
        batch_size=num_examples, alternatives=_mean_alternatives(expected, num_examples), seed=seed,
    )
    fail_on_warnings(call.name, call.warnings, case)
    _check_large_inputs(
        softmax_loss,
        _classification_case(softmax_loss, num_examples, num_classes, seed, scale=1000.0),
        oracles.softmax_loss,
        "exp overflows on large scores: subtract each row's maximum score before exp (softmax does not change)",
        f"scores ({num_examples}, {num_classes}) of size ~1000; seed {seed}",
    )
    passed(call.name, f"loss and dscores are right, and stable on scores of size 1000 ({case}).")


def _check_large_inputs(loss: Callable, arrays: dict, reference: Callable, mistake: str, case: str) -> None:
    """Huge inputs: the value must stay finite, right and warning-free."""
    check = function_name(loss)
    call = StudentCall(loss, check)
    value, gradient = unpack(call(*arrays.values()), check, ["loss", "gradient"])
    value = _scalar(value, check, "loss")
    gradient = as_float_array(gradient, check, "gradient", next(iter(arrays.values())).shape)
    expected = reference(*arrays.values())
    finite = np.isfinite(value) and np.all(np.isfinite(gradient))
    if not finite or call.warnings or not np.isclose(value, expected, rtol=1e-7):
        raise CheckFailed(
            f"{check}: on large inputs the loss is {format_number(value)} (expected {format_number(expected)})"
            + (f" and your code warned: {call.warnings[0]}" if call.warnings else "")
            + ("; the gradient holds NaN or infinity" if not np.all(np.isfinite(gradient)) else "")
            + f".\n  Likely mistake: {mistake}.\n  Case: {case}.",
            {"check": check, "diagnosis": mistake},
        )


@student_facing
def check_binary_cross_entropy_loss(bce_loss: Callable, num_examples: int = 8, *, seed: int = 0) -> None:
    """Check ``binary_cross_entropy_loss(logits, y) -> (loss, dlogits)`` (mean over elements), also on huge logits."""
    rng = case_rng(seed)
    arrays = {"logits": 2 * rng.standard_normal(num_examples), "y": (rng.random(num_examples) < 0.5).astype(float)}
    expected = oracles.binary_cross_entropy_loss(**arrays)
    case = f"logits ({num_examples},), y ({num_examples},) of 0s and 1s; seed {seed}"
    call = check_value_and_gradient(
        bce_loss, arrays, oracles.binary_cross_entropy_loss, wrt="logits", value_name="loss", case=case,
        batch_size=num_examples, alternatives=_mean_alternatives(expected, num_examples), seed=seed,
    )
    fail_on_warnings(call.name, call.warnings, case)
    huge = {"logits": np.array([-800.0, -40.0, 0.0, 40.0, 800.0, 800.0]), "y": np.array([1.0, 0.0, 1.0, 1.0, 0.0, 1.0])}
    _check_large_inputs(
        bce_loss,
        huge,
        oracles.binary_cross_entropy_loss,
        "log(sigmoid(z)) overflows or hits log(0) for large |z|: use a form that never exponentiates a large positive number",
        "logits [-800, -40, 0, 40, 800, 800], y [1, 0, 1, 1, 0, 1]",
    )
    passed(call.name, f"loss and dlogits are right, and stable for logits of +-800 ({case}).")


@student_facing
def check_mse_loss(mse_loss: Callable, shape: tuple[int, ...] = (6, 3), *, seed: int = 0) -> None:
    """Check ``mse_loss(pred, target) -> (loss, dpred)`` (mean of squared errors over all elements)."""
    rng = case_rng(seed)
    arrays = {"pred": rng.standard_normal(shape), "target": rng.standard_normal(shape)}
    expected = oracles.mse_loss(**arrays)
    size = int(np.prod(shape))
    case = f"pred {tuple(shape)}, target {tuple(shape)}; seed {seed}"
    alternatives = _mean_alternatives(expected, size) + [
        (expected / 2, "a factor 1/2 too many: this loss is the plain mean of squared errors"),
        (expected * size / shape[0], "the loss is averaged over the rows only: take the mean over all elements"),
    ]
    call = check_value_and_gradient(
        mse_loss, arrays, oracles.mse_loss, wrt="pred", value_name="loss", case=case, batch_size=size, alternatives=alternatives, seed=seed,
    )
    fail_on_warnings(call.name, call.warnings, case)
    passed(call.name, f"loss and dpred are right ({case}).")


def _penalty_check(penalty: Callable, shape: tuple[int, ...], settings: tuple[float, ...], expected: Callable, seed: int, label: str) -> None:
    w = case_rng(seed).standard_normal(shape)
    arrays: dict[str, Any] = {"w": w}
    check = function_name(penalty)
    case = f"w {tuple(shape)}, {label}; seed {seed}"
    value = expected(w, *settings)
    alternatives = [
        (2 * value, "a factor 2 too large (the 1/2 in 0.5 * reg * sum(w**2) is missing)"),
        (value / 2, "a factor 2 too small"),
    ]
    if settings[0] not in (0, 1):
        alternatives.append((value / settings[0], "reg is not applied (the penalty must be multiplied by reg)"))

    call = check_value_and_gradient(
        penalty, arrays, expected, settings=settings, wrt="w", value_name="penalty", case=case, alternatives=alternatives, seed=seed,
    )
    fail_on_warnings(check, call.warnings, case)
    passed(check, f"the penalty and dw are right ({case}).")


@student_facing
def check_l2_penalty(l2_penalty: Callable, shape: tuple[int, ...] = (4, 3), reg: float = 0.1, *, seed: int = 0) -> None:
    """Check ``l2_penalty(w, reg) -> (0.5 * reg * sum(w**2), dw)``."""
    _penalty_check(l2_penalty, shape, (reg,), oracles.l2_penalty, seed, f"reg={reg}")


@student_facing
def check_l1_penalty(l1_penalty: Callable, shape: tuple[int, ...] = (4, 3), reg: float = 0.1, *, seed: int = 0) -> None:
    """Check ``l1_penalty(w, reg) -> (reg * sum(|w|), dw)``."""
    _penalty_check(l1_penalty, shape, (reg,), oracles.l1_penalty, seed, f"reg={reg}")


@student_facing
def check_elastic_net_penalty(
    elastic_net_penalty: Callable, shape: tuple[int, ...] = (4, 3), reg: float = 0.1, l1_ratio: float = 0.3, *, seed: int = 0
) -> None:
    """Check ``elastic_net_penalty(w, reg, l1_ratio) -> (l1_ratio * L1 + (1 - l1_ratio) * L2, dw)``."""
    _penalty_check(elastic_net_penalty, shape, (reg, l1_ratio), oracles.elastic_net_penalty, seed, f"reg={reg}, l1_ratio={l1_ratio}")


@student_facing
def check_weight_decay(weight_decay: Callable, shape: tuple[int, ...] = (4, 3), reg: float = 0.1, *, seed: int = 0) -> None:
    """Check ``weight_decay(w, dw, reg) -> dw + reg * w`` (the gradient of the L2 term added to dw)."""
    rng = case_rng(seed)
    w, dw = rng.standard_normal(shape), rng.standard_normal(shape)
    check = function_name(weight_decay)
    call = StudentCall(weight_decay, check)
    case = f"w {tuple(shape)}, dw {tuple(shape)}, reg={reg}; seed {seed}"
    result = as_float_array(unpack(call(w, dw, reg), check, ["dw"])[0], check, "the new dw", w.shape)
    expected = dw + reg * w
    mismatch = compare("dw", result, expected, tolerance=1e-10)
    if mismatch is not None:
        diagnosis = None
        if np.allclose(result, dw - reg * w, rtol=1e-10):
            diagnosis = "the decay term is subtracted: the gradient of 0.5 * reg * w**2 is + reg * w"
        elif np.allclose(result, dw + 2 * reg * w, rtol=1e-10):
            diagnosis = "a factor 2 too many on reg * w"
        elif np.allclose(result, reg * w, rtol=1e-10):
            diagnosis = "the data gradient dw is dropped: add reg * w to it"
        raise_mismatch(check, mismatch, case=case, tolerance=1e-10, diagnosis=diagnosis)
    fail_on_warnings(check, call.warnings, case)
    passed(check, f"dw + reg * w is right ({case}).")
