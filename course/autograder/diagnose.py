"""Recognize the usual backpropagation mistakes from what the student's code returned.

Each function compares the student's array with the expected one and names the most likely
mistake in a sentence, or returns None (or "") when the pattern matches none of the known ones.
They only look at values, so they work on every layer, loss and rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable

import numpy as np

# How close an answer must come to a mistaken answer built from the reference for the mistake to be
# named: the same rounding margin a correct answer gets against the reference.
MATCH_TOLERANCE = 1e-6


@dataclass(frozen=True)
class Mistake:
    """A mistake students make, as a hypothesis to test rather than a guess.

    ``build`` computes, on the case's own inputs, the answer that the mistake would produce (an
    array, or a tuple/dict of arrays in the order the check compares them); ``description`` names
    the mistake in words a student can act on.
    """

    description: str
    build: Callable[[], Any]


def recognized_mistake(yours: Any, mistakes: Iterable[Mistake], *, tolerance: float = MATCH_TOLERANCE) -> str | None:
    """The description of the first mistake whose answer ``yours`` reproduces, or None.

    A mistake whose ``build`` raises, or whose answer has other shapes, is simply not this one.
    """
    for mistake in mistakes:
        try:
            mistaken = mistake.build()
        except Exception:  # a hypothesis that does not apply to this case
            continue
        if _same_answer(yours, mistaken, tolerance):
            return mistake.description
    return None


def _same_answer(yours: Any, mistaken: Any, tolerance: float) -> bool:
    if isinstance(mistaken, dict):
        if not isinstance(yours, dict) or yours.keys() != mistaken.keys():
            return False
        return all(_same_answer(yours[key], mistaken[key], tolerance) for key in mistaken)
    if isinstance(mistaken, (tuple, list)):
        if not isinstance(yours, (tuple, list)) or len(yours) != len(mistaken):
            return False
        return all(_same_answer(a, b, tolerance) for a, b in zip(yours, mistaken))
    a = np.asarray(yours, dtype=np.float64)
    b = np.asarray(mistaken, dtype=np.float64)
    if a.shape != b.shape or not np.all(np.isfinite(a)) or not np.all(np.isfinite(b)):
        return False
    scale = max(float(np.max(np.abs(b), initial=0.0)), float(np.max(np.abs(a), initial=0.0)))
    return scale == 0.0 or float(np.max(np.abs(a - b))) <= tolerance * scale


def shape_mistake(got: tuple[int, ...], expected: tuple[int, ...], reduced_from: tuple[int, ...] | None = None) -> str:
    """A sentence (with a leading space) explaining a wrong shape, or "".

    ``reduced_from`` is the shape the quantity is summed from (the upstream gradient's shape, for a
    bias gradient); with it, a sum over the wrong axis is recognized.
    """
    if len(got) == 2 and got == expected[::-1] and got != expected:
        return " Likely mistake: it is transposed (swap the factors of the matrix product, or use .T)."
    if reduced_from is not None:
        kept = [axis for axis in range(len(reduced_from)) if reduced_from[:axis] + reduced_from[axis + 1 :] == got]
        wanted = [axis for axis in range(len(reduced_from)) if reduced_from[:axis] + reduced_from[axis + 1 :] == expected]
        if kept and wanted:
            return f" Likely mistake: it sums over axis {kept[0]}; sum over axis {wanted[0]} instead."
        if got == reduced_from:
            return f" Likely mistake: a sum is missing (sum over the batch, axis 0, to get shape {expected})."
    if tuple(n for n in got if n != 1) == tuple(n for n in expected if n != 1):
        return " Likely mistake: an extra or missing axis of length 1 (keepdims=True, or a reshape)."
    if sorted(got) == sorted(expected):
        return " Likely mistake: the axes are in the wrong order (a transpose or a wrong axis)."
    if int(np.prod(got)) == int(np.prod(expected)):
        return f" It has the right number of elements: reshape it to {expected}."
    return ""


def value_mistake(
    yours: np.ndarray,
    expected: np.ndarray,
    compared: np.ndarray,
    *,
    batch_size: int | None = None,
) -> str | None:
    """The likely mistake behind a wrong array, or None when no known pattern fits.

    ``compared`` marks the elements to judge (e.g. away from kinks); ``batch_size`` lets an
    answer off by exactly N or 1/N be recognized as a forgotten or doubled mean over the batch.
    """
    a = yours[compared]
    n = expected[compared]
    if a.size == 0:
        return None
    if not np.all(np.isfinite(a)):
        return "it contains NaN or infinity (an overflow, a log of 0, or a division by 0?)"
    scale = float(np.max(np.abs(n), initial=0.0))
    if scale == 0.0:
        return "it must be all zeros here, but is not"
    if not np.any(a):
        return "it is all zeros: is it computed and returned (not just initialized)?"
    factor = _constant_factor(a, n)
    if factor is not None:
        return _factor_mistake(factor, batch_size)
    if yours.ndim == 2 and yours.shape[0] == yours.shape[1] and yours.shape[0] > 1:
        if np.allclose(yours, expected.T, rtol=1e-5, atol=1e-8 * scale):
            return "it is transposed (swap the factors of the matrix product, or use .T)"
    return _mask_mistake(a, n, scale)


def _constant_factor(a: np.ndarray, n: np.ndarray) -> float | None:
    """c when ``a`` is (almost exactly) c times ``n`` with c != 1, else None."""
    c = float(np.dot(a, n) / np.dot(n, n))
    residual = np.linalg.norm(a - c * n) / max(np.linalg.norm(a), 1e-300)
    if residual < 1e-4 and abs(c - 1) > 1e-4:
        return c
    return None


def _close(value: float, target: float) -> bool:
    return abs(value - target) <= 1e-3 * abs(target)


def _factor_mistake(c: float, batch_size: int | None) -> str:
    if _close(c, -1):
        return "the sign is flipped (yours is -1 times the expected values)"
    if batch_size and batch_size > 1:
        if _close(c, batch_size):
            return f"off by the batch size: yours is N = {batch_size} times too large (divide by N: the loss is a mean over the batch)"
        if _close(c, 1 / batch_size):
            return f"off by the batch size: yours is N = {batch_size} times too small (a division by N too many)"
        if _close(c, -batch_size) or _close(c, -1 / batch_size):
            return f"the sign is flipped and it is off by the batch size N = {batch_size}"
    if _close(c, 2):
        return "a factor of 2 too large (e.g. the derivative of 0.5 * reg * w**2 is reg * w)"
    if _close(c, 0.5):
        return "a factor of 2 too small"
    return f"off by a constant factor: yours is {c:.4g} times the expected values"


def _mask_mistake(a: np.ndarray, n: np.ndarray, scale: float) -> str | None:
    """Recognize a missing, inverted or too strict mask: right values except where the gradient is exactly 0."""
    zero = np.abs(n) <= 1e-10 * scale
    nonzero_where_zero = zero & (np.abs(a) > 1e-6 * scale)
    right = np.abs(a - n) <= 1e-5 * (np.abs(a) + np.abs(n) + 1e-3 * scale)
    wrong = ~right
    if nonzero_where_zero.any() and not np.any(wrong & ~zero):
        return (
            f"it is nonzero at {int(nonzero_where_zero.sum())} element(s) where the gradient is exactly 0 "
            "and right everywhere else: a missing mask (e.g. ReLU passes the gradient only where x > 0, "
            "max pooling only to the max of each window)"
        )
    zero_where_nonzero = ~zero & (np.abs(a) <= 1e-10 * scale)
    if zero_where_nonzero.any() and np.all(zero_where_nonzero == wrong & ~zero):
        if nonzero_where_zero.any():
            return "the mask is inverted: yours passes the gradient exactly where it should block it"
        return (
            f"it is 0 at {int(zero_where_nonzero.sum())} element(s) where the gradient is not: "
            "the mask blocks too much (check the condition and which array it is computed from)"
        )
    if wrong.any() and wrong.mean() < 0.5:
        return f"it is right at {int(right.sum())} of {a.size} elements and wrong at the other {int(wrong.sum())}"
    return None
