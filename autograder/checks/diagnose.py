"""Name a mistake only when it is reproduced; otherwise state what is certain about a wrong answer.

A check lists the mistakes students make in the function it grades, each as a :class:`Mistake`
that builds the mistaken answer from the reference on the case's own inputs, and
:func:`recognized_mistake` names the one the student's answer reproduces. Without a match, the
generic functions here state facts only: a wrong shape (:func:`shape_mistake`) or what the wrong
values have in common with the expected ones (:func:`value_fact`), never a guess at the cause.
"""

from __future__ import annotations

import itertools
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
        summed, got_summed = _summed_axes(reduced_from, expected), _summed_axes(reduced_from, got)
        if summed and got_summed is not None and set(got_summed) < set(summed):
            missing = tuple(axis for axis in summed if axis not in got_summed)
            axes = f"axis {missing[0]}" if len(missing) == 1 else f"axes {missing}"
            also = " as well" if got_summed else ""
            return f" Likely mistake: a sum is missing (sum over {axes}{also}, to get shape {expected})."
    if tuple(n for n in got if n != 1) == tuple(n for n in expected if n != 1):
        return " Likely mistake: an extra or missing axis of length 1 (keepdims=True, or a reshape)."
    if sorted(got) == sorted(expected):
        return " Likely mistake: the axes are in the wrong order (a transpose or a wrong axis)."
    if int(np.prod(got)) == int(np.prod(expected)):
        return f" It has the right number of elements: reshape it to {expected}."
    return ""


def _summed_axes(full: tuple[int, ...], reduced: tuple[int, ...]) -> tuple[int, ...] | None:
    """The axes of ``full`` that a sum removes to leave ``reduced`` (the first that fit), or None."""
    removed = len(full) - len(reduced)
    for axes in itertools.combinations(range(len(full)), max(removed, 0)):
        if removed >= 0 and tuple(n for axis, n in enumerate(full) if axis not in axes) == tuple(reduced):
            return axes
    return None


def value_fact(
    yours: np.ndarray,
    expected: np.ndarray,
    compared: np.ndarray,
    *,
    batch_size: int | None = None,
) -> str | None:
    """A sentence stating what is certain about a wrong array, or None when nothing stands out.

    Facts only, never a guess at the cause: NaN or infinity, all zeros, exactly -1, 2, 1/2 or the
    batch size times the expected values, exactly transposed, or right everywhere except where the
    gradient is exactly 0. ``compared`` marks the elements to judge (e.g. away from kinks);
    ``batch_size`` lets a factor of exactly N or 1/N be stated as the batch size.
    """
    a = yours[compared]
    n = expected[compared]
    if a.size == 0:
        return None
    if not np.all(np.isfinite(a)):
        return "Yours contains NaN or infinity"
    scale = float(np.max(np.abs(n), initial=0.0))
    if scale == 0.0:
        return "It must be all zeros here, and yours is not"
    if not np.any(a):
        return "Yours is all zeros: is it computed and returned, not just initialized?"
    factor = _constant_factor(a, n)
    if factor is not None:
        return _factor_fact(factor, batch_size)
    if yours.ndim == 2 and yours.shape[0] == yours.shape[1] and yours.shape[0] > 1:
        if np.allclose(yours, expected.T, rtol=1e-5, atol=1e-8 * scale):
            return "Yours is exactly the transpose of the expected values: it is transposed"
    return _mask_fact(a, n, scale)


def _constant_factor(a: np.ndarray, n: np.ndarray) -> float | None:
    """c when ``a`` is (almost exactly) c times ``n`` with c != 1, else None."""
    c = float(np.dot(a, n) / np.dot(n, n))
    residual = np.linalg.norm(a - c * n) / max(np.linalg.norm(a), 1e-300)
    if residual < 1e-4 and abs(c - 1) > 1e-4:
        return c
    return None


def _close(value: float, target: float) -> bool:
    return abs(value - target) <= 1e-3 * abs(target)


def _factor_fact(c: float, batch_size: int | None) -> str | None:
    """The factor stated when it has a meaning (a sign, a batch size, a doubling); None for any other."""
    if _close(c, -1):
        return "Yours is exactly -1 times the expected values: the sign is flipped"
    if batch_size and batch_size > 1:
        if _close(c, batch_size):
            return f"Yours is exactly N = {batch_size} times the expected values: off by the batch size"
        if _close(c, 1 / batch_size):
            return f"Yours is exactly 1/N of the expected values (N = {batch_size}): off by the batch size"
        if _close(c, -batch_size) or _close(c, -1 / batch_size):
            return f"Yours is exactly -N or -1/N times the expected values (N = {batch_size}): the sign is flipped and it is off by the batch size"
    if _close(c, 2):
        return "Yours is exactly 2 times the expected values"
    if _close(c, 0.5):
        return "Yours is exactly half the expected values"
    return None


def _mask_fact(a: np.ndarray, n: np.ndarray, scale: float) -> str | None:
    """Where yours is wrong, when that is only where the gradient is exactly 0 (or only where it is not)."""
    zero = np.abs(n) <= 1e-10 * scale
    nonzero_where_zero = zero & (np.abs(a) > 1e-6 * scale)
    right = np.abs(a - n) <= 1e-5 * (np.abs(a) + np.abs(n) + 1e-3 * scale)
    wrong = ~right
    if nonzero_where_zero.any() and not np.any(wrong & ~zero):
        return (
            f"Yours is right everywhere except at {int(nonzero_where_zero.sum())} element(s) where the gradient "
            "is exactly 0 and yours is not"
        )
    zero_where_nonzero = ~zero & (np.abs(a) <= 1e-10 * scale)
    if zero_where_nonzero.any() and np.all(zero_where_nonzero == wrong & ~zero):
        if nonzero_where_zero.any():
            return "Yours is 0 exactly where the gradient is not, and nonzero where it is 0"
        return (
            f"Yours is 0 at {int(zero_where_nonzero.sum())} element(s) where the gradient is not, "
            "and right everywhere else"
        )
    if wrong.any() and wrong.mean() < 0.5:
        return f"Yours is right at {int(right.sum())} of {a.size} elements and wrong at the other {int(wrong.sum())}"
    return None
