"""Checks for losses and weight penalties: the value against a reference, the gradient numerically.

A loss is ``loss(scores, y) -> (loss, dscores)`` and a penalty ``penalty(w, reg) -> (value, dw)``.
The value is compared with an independent computation (:mod:`autograder.checks.oracles`); the
gradient with centered differences of that same reference value, computed here, so a student's value
that changes from call to call cannot change or switch off what the gradient is judged by. Where the
instructor's references are at hand (:mod:`autograder.references`), the gradient must also agree
with the reference gradient to rounding, so a gradient computed by finite differences earns nothing.
Softmax and binary cross-entropy are also run on huge scores, where a form without the max shift
overflows.

A failure names a mistake only when the student's (value, gradient) reproduces the answer that
mistake gives, built from the reference answer on the same inputs (:class:`diagnose.Mistake`).
The references exist only where the instructor's are at hand (the grader, an instructor checkout),
so the student edition's checks say what is wrong and where, without naming a cause.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from . import oracles
from .calling import StudentCall, as_float_array, function_name, unpack
from .compare import compare, fail_on_warnings, raise_mismatch, require_derived, warnings_note
from .diagnose import Mistake, recognized_mistake
from .failures import CheckFailed, format_index, format_number, passed, student_facing
from .numeric import case_rng, numerical_gradient, sample_indices

try:
    from .. import references
except ImportError:  # the student edition and the grading sandbox ship without the references
    references = None


def _scalar(value: Any, owner: str, what: str, per_example: int | None = None) -> float:
    array = as_float_array(value, owner, what)
    if array.size != 1:
        hint = " (one per example: average them over the batch)" if per_example and array.shape[:1] == (per_example,) else ""
        raise CheckFailed(f"{owner}: {what} must be a single number, got an array of shape {array.shape}{hint}.", {"check": owner})
    return float(array.reshape(()))


# A loss's or penalty's known mistakes, built from the reference answer (value, gradient) on the case's inputs.
MistakesOf = Callable[[float, np.ndarray], list[Mistake]]


def _reference_answer(kind: str, arrays: dict[str, np.ndarray], settings: tuple[float, ...]) -> tuple[float, np.ndarray] | None:
    """The instructor's (value, gradient) of the loss or penalty ``kind`` (``"softmax_loss"``), or None without references."""
    reference = references.loss_reference(kind) if references is not None else None
    if reference is None:
        return None
    value, gradient = reference(*(array.copy() for array in arrays.values()), *settings)
    return float(value), np.asarray(gradient, dtype=np.float64)


def check_value_and_gradient(
    func: Callable[..., Any],
    arrays: dict[str, np.ndarray],
    oracle: Callable[..., float],
    *,
    kind: str,
    settings: tuple[float, ...] = (),
    wrt: str,
    value_name: str,
    case: str,
    batch_size: int | None = None,
    mistakes: MistakesOf | None = None,
    zero_at_zero: bool = False,
    tolerance: float = 1e-6,
    name: str | None = None,
    max_elements: int | None = 200,
    seed: int = 0,
) -> StudentCall:
    """Check ``func(*arrays, *settings) -> (value, d<wrt>)``: the value against ``oracle(*arrays, *settings)``
    and the gradient against centered differences of the oracle's value, then (where the references
    exist) against the reference gradient of ``kind`` (its name in the library) to rounding.
    Returns the call (for its warnings).

    ``mistakes(reference_value, reference_gradient)`` lists the known mistakes; a failure names the
    one the student's answer reproduces. ``zero_at_zero``: the gradient must be exactly 0 where the
    differentiated input is exactly 0 (the subgradient of a penalty at its kink).
    """
    check = function_name(func, name)
    call = StudentCall(func, check)
    expected_value = oracle(*arrays.values(), *settings)
    value, gradient = unpack(call(*arrays.values(), *settings), check, [value_name, f"d{wrt}"])
    value = _scalar(value, check, value_name, batch_size)
    gradient = as_float_array(gradient, check, f"d{wrt}", arrays[wrt].shape)
    reference = _reference_answer(kind, arrays, settings)

    def diagnosis() -> str | None:
        if reference is None or mistakes is None:
            return None
        return recognized_mistake((value, gradient), mistakes(*reference))

    if not np.isclose(value, expected_value, rtol=1e-7, atol=1e-12):
        mistake = diagnosis()
        note = warnings_note(call.warnings)
        raise CheckFailed(
            f"{check}: the {value_name} is {format_number(value)}, expected {format_number(expected_value)}."
            + (f"\n  Likely mistake: {mistake}." if mistake else "")
            + (f"\n  {note}" if note else "")
            + f"\n  Case: {case}.",
            {"check": check, "quantity": value_name, "yours": value, "expected": expected_value, "diagnosis": mistake},
        )
    _require_finite(check, f"d{wrt}", gradient, arrays[wrt] if zero_at_zero else None, case)
    if zero_at_zero:
        _require_zero_at_zero(check, wrt, gradient, arrays[wrt], case)

    def reference_value() -> float:
        return float(oracle(*arrays.values(), *settings))

    indices = sample_indices(arrays[wrt].shape, max_elements, seed)
    numerical = numerical_gradient(reference_value, arrays[wrt], indices)
    mismatch = compare(
        f"d{wrt}", gradient, numerical.gradient, compared=numerical.compared, tolerance=tolerance, batch_size=batch_size
    )
    if mismatch is not None:
        raise_mismatch(
            check, mismatch, case=case, tolerance=tolerance, expected_label="numerical",
            diagnosis=diagnosis(), note=warnings_note(call.warnings),
        )
    if reference is not None:
        require_derived(check, {wrt: gradient}, [reference[1]], case)
    return call


def _require_finite(check: str, quantity: str, gradient: np.ndarray, w: np.ndarray | None, case: str) -> None:
    """A gradient with NaN or infinity fails here: where a kink is screened out, the comparison would not see it.

    With ``w`` (a penalty's weights), NaN exactly where w == 0 is recognized as w / |w|.
    """
    bad = ~np.isfinite(gradient)
    if not bad.any():
        return
    first = tuple(int(i) for i in np.argwhere(bad)[0])
    mistake = None
    if w is not None and np.array_equal(bad, w == 0):
        mistake = (
            f"{quantity} is NaN where w is exactly 0 (w / |w| divides 0 by 0 there): "
            "use the subgradient sign(0) = 0, as np.sign(w) gives"
        )
    raise CheckFailed(
        f"{check}: {quantity} holds NaN or infinity at {int(bad.sum())} element(s), the first at "
        f"{format_index(quantity, first)}."
        + (f"\n  Likely mistake: {mistake}." if mistake else "")
        + f"\n  Case: {case}.",
        {"check": check, "quantity": quantity, "diagnosis": mistake},
    )


def _require_zero_at_zero(check: str, wrt: str, gradient: np.ndarray, w: np.ndarray, case: str) -> None:
    """At w == 0 |w| has a kink, so no numerical gradient judges it; the notebook fixes the subgradient 0 there."""
    wrong = (w == 0) & (gradient != 0)
    if not wrong.any():
        return
    first = tuple(int(i) for i in np.argwhere(wrong)[0])
    raise CheckFailed(
        f"{check}: where w is exactly 0, d{wrt} must be 0, but {format_index(f'd{wrt}', first)} is "
        f"{format_number(float(gradient[first]))} ({int(wrong.sum())} such element(s)).\n"
        "  Likely mistake: at w == 0 the notebook's subgradient is sign(0) = 0 (np.sign(0) is 0), not +1 or -1.\n"
        f"  Case: {case}.",
        {"check": check, "quantity": f"d{wrt}", "diagnosis": "subgradient at 0"},
    )


def _labels(num_examples: int, num_classes: int, seed: int) -> np.ndarray:
    labels = case_rng(seed + 100).integers(0, num_classes, num_examples)
    labels[: min(num_classes, num_examples)] = np.arange(min(num_classes, num_examples))  # every class appears
    return labels


def _classification_case(loss: Callable, num_examples: int, num_classes: int, seed: int, scale: float = 1.0) -> dict:
    scores = scale * case_rng(seed).standard_normal((num_examples, num_classes))
    return {"scores": scores, "y": _labels(num_examples, num_classes, seed)}


def _mean_mistakes(value: float, gradient: np.ndarray, n: int, what: str = "the batch") -> list[Mistake]:
    """Mistakes with the 1/N of a mean over ``n`` terms, and a flipped sign of the value."""
    mistakes = [Mistake("the loss's sign is flipped", lambda: (-value, gradient))]
    if n > 1:
        mistakes += [
            Mistake(f"the loss is summed over {what}: take the mean (divide the loss and its gradient by N = {n})", lambda: (n * value, n * gradient)),
            Mistake(f"the loss is summed over {what}: take the mean (divide by N = {n})", lambda: (n * value, gradient)),
            Mistake(f"the gradient is not divided by N = {n}: the loss is a mean, so its gradient carries the 1/N too", lambda: (value, n * gradient)),
            Mistake(f"it is divided by N = {n} twice", lambda: (value / n, gradient / n)),
            Mistake(f"the gradient is divided by N = {n} twice", lambda: (value, gradient / n)),
        ]
    return mistakes


def _svm_mistakes(scores: np.ndarray, y: np.ndarray) -> MistakesOf:
    n, rows = len(y), np.arange(len(y))

    def mistakes(value: float, gradient: np.ndarray) -> list[Mistake]:
        violations = -gradient[rows, y] * n  # the correct class gets -1/N per violating class
        minus_one_if_any, minus_one_always = gradient.copy(), gradient.copy()
        minus_one_if_any[rows, y] = -(violations > 0.5).astype(float) / n
        minus_one_always[rows, y] = -1.0 / n
        correct_class = (
            "the correct class's gradient is -1 per example; it must be minus the number of classes whose "
            "margin is violated (subtract 1 at y[i] for each violating j, e.g. -= 1 in the loop)"
        )
        return [
            Mistake(correct_class, lambda: (value, minus_one_if_any)),
            Mistake(correct_class, lambda: (value, minus_one_always)),
            Mistake("the sum includes the correct class j = y_i, which adds the margin 1 per example: skip it", lambda: (value + 1.0, gradient)),
            Mistake("the gradient's sign is flipped: +1 at each violating class j, minus their count at y[i]", lambda: (value, -gradient)),
            *_mean_mistakes(value, gradient, n),
        ]

    return mistakes


def _softmax_mistakes(scores: np.ndarray, y: np.ndarray) -> MistakesOf:
    n, rows = len(y), np.arange(len(y))
    onehot = np.zeros_like(scores)
    onehot[rows, y] = 1.0
    # softmax taken down each column (over the batch) instead of along each row
    column_probs = np.exp(scores - scores.max(axis=0)) / np.exp(scores - scores.max(axis=0)).sum(axis=0)

    def mistakes(value: float, gradient: np.ndarray) -> list[Mistake]:
        probs = gradient * n + onehot
        mistakes = [
            Mistake("the -1 at the correct class is missing: dscores is (p - onehot(y)) / N", lambda: (value, probs / n)),
            Mistake("the gradient's sign is flipped: dscores is (p - onehot(y)) / N", lambda: (value, -gradient)),
            *_mean_mistakes(value, gradient, n),
        ]
        if n > 1:
            mistakes.append(Mistake(
                "the softmax is normalized over the batch (axis 0): normalize each row over the classes (axis=1)",
                lambda: (float(-np.mean(np.log(column_probs[rows, y]))), (column_probs - onehot) / n),
            ))
        return mistakes

    return mistakes


def _bce_mistakes(logits: np.ndarray, y: np.ndarray) -> MistakesOf:
    size = logits.size

    def mistakes(value: float, gradient: np.ndarray) -> list[Mistake]:
        probs = gradient * size + y
        return [
            Mistake("the gradient's sign is flipped: dlogits is (sigmoid(z) - y) / N", lambda: (value, -gradient)),
            Mistake("the loss and its gradient have the wrong sign: the loss is -[y log p + (1 - y) log(1 - p)]", lambda: (-value, -gradient)),
            Mistake("the gradient uses the logits z where sigmoid(z) belongs: dlogits is (sigmoid(z) - y) / N", lambda: (value, (logits - y) / size)),
            Mistake(
                "the sigmoid's derivative p (1 - p) is multiplied in: with cross-entropy it cancels, and dlogits is (sigmoid(z) - y) / N",
                lambda: (value, probs * (1 - probs) * gradient),
            ),
            *_mean_mistakes(value, gradient, size, "the elements"),
        ]

    return mistakes


def _mse_mistakes(shape: tuple[int, ...]) -> MistakesOf:
    size = int(np.prod(shape))
    # averaged over one axis only: too large by size / (that axis's length)
    partial_means = {}
    for axis, label in ((0, "the rows (axis 0)"), (len(shape) - 1, "the last axis")):
        factor = size / shape[axis]
        if factor not in (1, size) and factor not in partial_means:
            partial_means[factor] = label

    def mistakes(value: float, gradient: np.ndarray) -> list[Mistake]:
        mistakes = [
            Mistake("a factor 2 is missing from the gradient: d/dpred of mean((pred - target)**2) is 2 (pred - target) / size", lambda: (value, gradient / 2)),
            Mistake("a factor 1/2 too many: this loss is the plain mean of squared errors, gradient 2 (pred - target) / size", lambda: (value / 2, gradient / 2)),
            Mistake("the gradient's sign is flipped: it is 2 (pred - target) / size", lambda: (value, -gradient)),
            *_mean_mistakes(value, gradient, size, "the elements"),
        ]
        for factor, label in partial_means.items():
            mistakes += [
                Mistake(f"the mean is taken over {label} only: average over all {size} elements", lambda f=factor: (value * f, gradient * f)),
                Mistake(f"the gradient is divided by the length of {label} only: divide by all {size} elements", lambda f=factor: (value, gradient * f)),
            ]
        return mistakes

    return mistakes


@student_facing
def check_svm_loss(svm_loss: Callable, num_examples: int = 5, num_classes: int = 4, *, seed: int = 0) -> None:
    """Check a multiclass hinge loss ``svm_loss(scores, y) -> (loss, dscores)`` (margin 1, mean over the batch)."""
    arrays = _classification_case(svm_loss, num_examples, num_classes, seed)
    case = f"scores ({num_examples}, {num_classes}), y ({num_examples},); seed {seed}"
    call = check_value_and_gradient(
        svm_loss, arrays, oracles.svm_loss, kind="svm_loss", wrt="scores", value_name="loss", case=case,
        batch_size=num_examples, mistakes=_svm_mistakes(**arrays), seed=seed,
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
    case = "the lecture example: scores [[3.2, 5.1, -1.7], [1.3, 4.9, 2.0], [2.2, 2.5, -3.1]], y [0, 1, 2]"
    call = check_value_and_gradient(
        svm_loss, arrays, oracles.svm_loss, kind="svm_loss", wrt="scores", value_name="loss", case=case,
        batch_size=3, mistakes=_svm_mistakes(**arrays),
    )
    fail_on_warnings(call.name, call.warnings, case)
    passed(call.name, "the lecture example gives (2.9 + 0 + 12.9) / 3 = 5.27, and dscores is right.")


@student_facing
def check_softmax_loss(softmax_loss: Callable, num_examples: int = 5, num_classes: int = 4, *, seed: int = 0) -> None:
    """Check ``softmax_loss(scores, y) -> (loss, dscores)`` (mean cross-entropy), also on huge scores."""
    arrays = _classification_case(softmax_loss, num_examples, num_classes, seed)
    case = f"scores ({num_examples}, {num_classes}), y ({num_examples},); seed {seed}"
    call = check_value_and_gradient(
        softmax_loss, arrays, oracles.softmax_loss, kind="softmax_loss", wrt="scores", value_name="loss", case=case,
        batch_size=num_examples, mistakes=_softmax_mistakes(**arrays), seed=seed,
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
    case = f"logits ({num_examples},), y ({num_examples},) of 0s and 1s; seed {seed}"
    call = check_value_and_gradient(
        bce_loss, arrays, oracles.binary_cross_entropy_loss, kind="binary_cross_entropy_loss", wrt="logits", value_name="loss", case=case,
        batch_size=num_examples, mistakes=_bce_mistakes(**arrays), seed=seed,
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
    size = int(np.prod(shape))
    case = f"pred {tuple(shape)}, target {tuple(shape)}; seed {seed}"
    call = check_value_and_gradient(
        mse_loss, arrays, oracles.mse_loss, kind="mse_loss", wrt="pred", value_name="loss", case=case, batch_size=size,
        mistakes=_mse_mistakes(tuple(shape)), seed=seed,
    )
    fail_on_warnings(call.name, call.warnings, case)
    passed(call.name, f"loss and dpred are right ({case}).")


def _weights_with_zeros(shape: tuple[int, ...], seed: int) -> np.ndarray:
    """Standard normal weights with about a fifth (at least one) set to exactly 0, where |w| has its kink."""
    rng = case_rng(seed)
    w = rng.standard_normal(shape)
    zeros = max(1, w.size // 5)
    w.reshape(-1)[rng.choice(w.size, zeros, replace=False)] = 0.0
    return w


def _scaling_mistakes(value: float, gradient: np.ndarray, reg: float) -> list[Mistake]:
    mistakes = [Mistake("the gradient's sign is flipped: the penalty's gradient points away from 0", lambda: (value, -gradient))]
    if reg not in (0, 1):
        mistakes += [
            Mistake("reg is not applied (the penalty and its gradient must be multiplied by reg)", lambda: (value / reg, gradient / reg)),
            Mistake("reg is not applied to the gradient (dw must be multiplied by reg too)", lambda: (value, gradient / reg)),
        ]
    return mistakes


def _l2_mistakes(w: np.ndarray, reg: float) -> MistakesOf:
    def mistakes(value: float, gradient: np.ndarray) -> list[Mistake]:
        return [
            Mistake("dw is 2 * reg * w: with the 1/2 in 0.5 * reg * sum(w**2) the gradient is reg * w", lambda: (value, 2 * gradient)),
            Mistake("the 1/2 in 0.5 * reg * sum(w**2) is missing from the value", lambda: (2 * value, gradient)),
            Mistake("the penalty is reg * sum(w**2): the notebook's is 0.5 * reg * sum(w**2), with gradient reg * w", lambda: (2 * value, 2 * gradient)),
            *_scaling_mistakes(value, gradient, reg),
        ]

    return mistakes


def _l1_mistakes(w: np.ndarray, reg: float) -> MistakesOf:
    def mistakes(value: float, gradient: np.ndarray) -> list[Mistake]:
        return [
            Mistake("dw is reg * w (the L2 gradient): the L1 gradient is reg * sign(w)", lambda: (value, reg * w)),
            Mistake("the value sums w instead of |w|: the penalty is reg * sum(|w|)", lambda: (reg * float(w.sum()), gradient)),
            *_scaling_mistakes(value, gradient, reg),
        ]

    return mistakes


def _elastic_net_mistakes(w: np.ndarray, reg: float, l1_ratio: float) -> MistakesOf:
    l1 = (reg * float(np.abs(w).sum()), reg * np.sign(w))
    l2 = (0.5 * reg * float(np.vdot(w, w)), reg * w)

    def mix(l1_weight: float, l2_weight: float, l2_factor: float = 1.0) -> tuple[float, np.ndarray]:
        return (
            l1_weight * l1[0] + l2_weight * l2_factor * l2[0],
            l1_weight * l1[1] + l2_weight * l2_factor * l2[1],
        )

    def mistakes(value: float, gradient: np.ndarray) -> list[Mistake]:
        mistakes = [
            Mistake("the L1 and L2 parts are not weighted: use l1_ratio * L1 + (1 - l1_ratio) * L2", lambda: mix(1.0, 1.0)),
            Mistake("the L2 part has no 1/2: it is 0.5 * reg * sum(w**2), gradient reg * w", lambda: mix(l1_ratio, 1 - l1_ratio, 2.0)),
            Mistake(
                "the L2 part's gradient is 2 * reg * w: with the 1/2 it is reg * w",
                lambda: (value, mix(l1_ratio, 1 - l1_ratio, 2.0)[1]),
            ),
            *_scaling_mistakes(value, gradient, reg),
        ]
        if l1_ratio != 0.5:
            mistakes.insert(0, Mistake(
                "l1_ratio and 1 - l1_ratio are swapped: l1_ratio weighs the L1 part", lambda: mix(1 - l1_ratio, l1_ratio)
            ))
        return mistakes

    return mistakes


def _penalty_check(
    penalty: Callable,
    kind: str,
    shape: tuple[int, ...],
    settings: tuple[float, ...],
    expected: Callable,
    mistakes: Callable[..., MistakesOf],
    seed: int,
    label: str,
) -> None:
    w = _weights_with_zeros(shape, seed)
    check = function_name(penalty)
    case = f"w {tuple(shape)} with exact zeros, {label}; seed {seed}"
    call = check_value_and_gradient(
        penalty, {"w": w}, expected, kind=kind, settings=settings, wrt="w", value_name="penalty", case=case,
        mistakes=mistakes(w, *settings), zero_at_zero=True, seed=seed,
    )
    fail_on_warnings(check, call.warnings, case)
    passed(check, f"the penalty and dw are right, also where w is exactly 0 ({case}).")


@student_facing
def check_l2_penalty(l2_penalty: Callable, shape: tuple[int, ...] = (4, 3), reg: float = 0.1, *, seed: int = 0) -> None:
    """Check ``l2_penalty(w, reg) -> (0.5 * reg * sum(w**2), dw)``."""
    _penalty_check(l2_penalty, "l2_penalty", shape, (reg,), oracles.l2_penalty, _l2_mistakes, seed, f"reg={reg}")


@student_facing
def check_l1_penalty(l1_penalty: Callable, shape: tuple[int, ...] = (4, 3), reg: float = 0.1, *, seed: int = 0) -> None:
    """Check ``l1_penalty(w, reg) -> (reg * sum(|w|), reg * sign(w))``, with sign(0) = 0 at exact zeros of w."""
    _penalty_check(l1_penalty, "l1_penalty", shape, (reg,), oracles.l1_penalty, _l1_mistakes, seed, f"reg={reg}")


@student_facing
def check_elastic_net_penalty(
    elastic_net_penalty: Callable, shape: tuple[int, ...] = (4, 3), reg: float = 0.1, l1_ratio: float = 0.3, *, seed: int = 0
) -> None:
    """Check ``elastic_net_penalty(w, reg, l1_ratio) -> (l1_ratio * L1 + (1 - l1_ratio) * L2, dw)``, with sign(0) = 0."""
    _penalty_check(
        elastic_net_penalty, "elastic_net_penalty", shape, (reg, l1_ratio), oracles.elastic_net_penalty, _elastic_net_mistakes, seed,
        f"reg={reg}, l1_ratio={l1_ratio}",
    )


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
        mistakes = [
            Mistake("the decay term is subtracted: the gradient of 0.5 * reg * w**2 is + reg * w", lambda: dw - reg * w),
            Mistake("a factor 2 too many on reg * w: the gradient of 0.5 * reg * w**2 is reg * w", lambda: dw + 2 * reg * w),
            Mistake("the data gradient dw is dropped: add reg * w to it", lambda: reg * w),
            Mistake("reg multiplies dw instead of w: the new gradient is dw + reg * w", lambda: dw + reg * dw),
        ]
        raise_mismatch(check, mismatch, case=case, tolerance=1e-10, diagnosis=recognized_mistake(result, mistakes))
    fail_on_warnings(check, call.warnings, case)
    passed(check, f"dw + reg * w is right ({case}).")
