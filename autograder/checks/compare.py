"""Compare one array the student produced with the expected one, and word the failure.

Every check ends here: an output against a reference, or a gradient against the numerical one.
The message names the quantity, the relative error, the worst element with both values, the
mistake when the check reproduced it (else a fact about the wrong values, when one stands out)
and the case; ``CheckFailed.details`` carries the same as data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from backpropkit.gradcheck import relative_error_array

from .diagnose import value_fact
from .failures import CheckFailed, format_index, format_number
from .numeric import ANALYTIC_TOLERANCE, normwise_error, worst


@dataclass(frozen=True)
class Mismatch:
    """What is wrong with one quantity: enough to write the message and draw the heat map."""

    quantity: str
    error: float
    index: tuple[int, ...]
    yours: np.ndarray
    expected: np.ndarray
    errors: np.ndarray
    fact: str | None  # what is certain about the wrong values (diagnose.value_fact), never a guessed cause


def compare(
    quantity: str,
    yours: np.ndarray,
    expected: np.ndarray,
    *,
    compared: np.ndarray | None = None,
    tolerance: float,
    batch_size: int | None = None,
) -> Mismatch | None:
    """None when ``yours`` matches ``expected`` within ``tolerance`` (relative), else a Mismatch.

    Raises CheckFailed when ``compared`` leaves no element to compare (an empty array, or every
    element screened out): agreement on nothing is not agreement.
    """
    if compared is None:
        compared = np.ones(expected.shape, dtype=bool)
    if not np.any(compared):
        raise CheckFailed(
            f"{quantity}: the check could not compare a single element of it with the expected values, "
            "and a check that compares nothing fails.",
            {"quantity": quantity, "diagnosis": "nothing compared"},
        )
    errors = relative_error_array(np.asarray(yours, dtype=np.float64), np.asarray(expected, dtype=np.float64), compared)
    error, index = worst(errors)
    if error <= tolerance:
        return None
    fact = value_fact(yours, expected, compared, batch_size=batch_size)
    return Mismatch(quantity, error, index, yours, expected, errors, fact)


def raise_mismatch(
    check: str,
    mismatch: Mismatch,
    *,
    case: str,
    tolerance: float,
    expected_label: str = "expected",
    diagnosis: str | None = None,
    also_wrong: list[str] | None = None,
    note: str | None = None,
) -> None:
    """Raise CheckFailed describing ``mismatch``.

    ``diagnosis`` is a mistake the check reproduced (it goes on the "Likely mistake" line the class
    page groups by); without one, the mismatch's fact about the values, if any, is stated instead.
    """
    where = format_index(mismatch.quantity, mismatch.index)
    lines = [
        f"{check}: {mismatch.quantity} is wrong (relative error {mismatch.error:.1e}, tolerance {tolerance:.0e}).",
        f"  Largest error at {where}: yours {format_number(float(mismatch.yours[mismatch.index]))}, "
        f"{expected_label} {format_number(float(mismatch.expected[mismatch.index]))}.",
    ]
    if diagnosis:
        lines.append(f"  Likely mistake: {diagnosis}.")
    elif mismatch.fact:
        lines.append(f"  {mismatch.fact}.")
    if also_wrong:
        lines.append(f"  Also wrong: {', '.join(also_wrong)}.")
    if note:
        lines.append(f"  {note}")
    lines.append(f"  Case: {case}.")
    raise CheckFailed(
        "\n".join(lines),
        {
            "check": check,
            "quantity": mismatch.quantity,
            "relative_error": mismatch.errors,
            "worst_index": mismatch.index,
            "yours": mismatch.yours,
            "expected": mismatch.expected,
            "diagnosis": diagnosis or mismatch.fact,
        },
    )


def warnings_note(warnings: list[str]) -> str | None:
    """A sentence listing the warnings the student's code raised, or None."""
    if not warnings:
        return None
    return f"Your code warned: {'; '.join(warnings[:2])}."


def fail_on_warnings(check: str, warnings: list[str], case: str) -> None:
    """Fail a graded function that warned, even when its values are right.

    The rule, the same in a notebook and in the grader: a graded function runs without warnings on
    every case its checks try, the hidden ones included. A warning (overflow, division by zero, an
    invalid value) says the computation left the numbers float64 represents; the values may survive
    on this case (``1 / (1 + inf)`` is 0) and not on the next (``inf / inf`` is NaN).
    """
    if warnings:
        raise CheckFailed(
            f"{check}: the values are right, but your code warned: {'; '.join(warnings[:2])}.\n"
            f"  A graded function must run without warnings on every case, the hidden ones included: {_warning_fix(warnings[0])}.\n"
            f"  Case: {case}.",
            {"check": check, "diagnosis": "warnings"},
        )


def _warning_fix(warning: str) -> str:
    """How to get rid of one of NumPy's floating-point warnings, in a clause."""
    if "overflow" in warning:
        return ("an overflow means a number grew past float64's range; take exp only of numbers at most 0 "
                "(e.g. exp(-|x|)) or subtract the maximum first")
    if "divide by zero" in warning:
        return "a division by zero gives infinity; keep the denominator away from 0 (or pick the branch before dividing)"
    if "invalid value" in warning:
        return "an invalid value gives NaN (0 / 0, inf - inf, the log or sqrt of a negative number); find where it starts"
    return "find the line that warns and remove the cause"


def require_derived(check: str, grads: dict[str, np.ndarray], expected: list[np.ndarray], case: str) -> None:
    """Fail a gradient that agrees with the numerical one but not with the exact derivative to rounding.

    Every derived backward pass (any layout, loops or vectorized, any summation order) agrees with
    the reference backward to within ``ANALYTIC_TOLERANCE`` of the gradient's scale; a finite
    difference of a function that is not linear in the differentiated input leaves more (see
    ``numeric.ANALYTIC_TOLERANCE`` for the measured margins).
    """
    for (name, gradient), exact in zip(grads.items(), expected):
        error = normwise_error(gradient, exact)
        if error > ANALYTIC_TOLERANCE:
            raise CheckFailed(
                f"{check}: d{name} agrees with the numerical gradient but not with the exact derivative "
                f"(error {error:.1e} of its scale, where any derived backward pass agrees to {ANALYTIC_TOLERANCE:.0e}).\n"
                "  Likely mistake: the gradient is approximated (finite differences of a forward pass, or float32 "
                "arithmetic). A backward pass must be derived, not differenced: this one earns no points.\n"
                f"  Case: {case}.",
                {"check": check, "quantity": f"d{name}", "diagnosis": "not derived"},
            )
