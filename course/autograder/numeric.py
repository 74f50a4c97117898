"""The numerical side of a check: inputs from a seed, centered differences, relative errors.

Everything here runs in float64 on NumPy, whatever the student's code does inside. The centered
difference also looks at the two one-sided differences it gets for free: when they disagree, a
kink of the function (ReLU at 0, a max that changes, a hinge) lies within h of the point, the
centered difference is not the derivative there, and that element is left out of the comparison
instead of failing a correct answer.

Why not ``backpropkit.gradcheck``, which students use? Its centered differences are the same,
but grading needs two things done differently. When grading, each evaluation is a round trip to
the student's process, so every probed element is screened for a kink from one shared
evaluation at the centre, where ``check_gradient`` probes the failing elements afterwards with
three more evaluations each. And a grade must not hinge on elements that are tiny next to the
rest of the array, so the relative error here is floored at a thousandth of the array's own
scale, where ``gradcheck`` uses a fixed ``TINY``.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import numpy as np

STEP = 1e-5  # h: truncation error ~h^2, rounding error ~1e-16/h; 1e-5 balances them in float64

# How close (normwise, see normwise_error) a gradient must come to the reference backward's. Derived
# gradients (loops, vectorized, einsum, im2col, staged or simplified algebra) measured at most
# 2.1e-15; finite differences at least 9e-12 (centered, h = 1e-5), 1.6e-13 (five-point) and
# 6.8e-14 (Richardson, order h^6) on every layer that is not linear in the input differentiated.
# tools/gradient_precision.py measures it; CONTRIBUTING.md "How a backward pass is graded" says more.
ANALYTIC_TOLERANCE = 3e-14


# Mixed into every seed a check draws its case from. None (the default, and always in a student's
# notebook) keeps the cases the seeds name; the grader sets it while a hidden test cell runs, so
# that hidden cases differ between students (see autograder/grading for where it comes from).
case_salt: ContextVar[int | None] = ContextVar("case_salt", default=None)


def case_rng(seed: int) -> np.random.Generator:
    """The random generator a check draws a case from: ``seed`` alone, or with the grader's salt."""
    salt = case_salt.get()
    return np.random.default_rng(seed if salt is None else [seed, salt])


def make_inputs(spec: Mapping[str, Any], seed: int) -> dict[str, np.ndarray]:
    """Float64 arrays for each named input: a shape (tuple) draws standard normals, a list or array is used as given."""
    rng = case_rng(seed)
    arrays = {}
    for name, value in spec.items():
        if isinstance(value, tuple) and all(isinstance(n, (int, np.integer)) for n in value):
            arrays[name] = rng.standard_normal(value)
        else:
            arrays[name] = np.array(value, dtype=np.float64)
    return arrays


def sample_indices(shape: tuple[int, ...], limit: int | None, seed: int) -> list[tuple[int, ...]]:
    """Every index of ``shape``, or a seeded random sample of ``limit`` of them for large arrays."""
    size = int(np.prod(shape))
    flat = np.arange(size)
    if limit is not None and size > limit:
        flat = np.sort(case_rng(seed).choice(size, limit, replace=False))
    return [tuple(int(i) for i in np.unravel_index(k, shape)) for k in flat]


@dataclass(frozen=True)
class NumericalGradient:
    """A numerical gradient and which of its elements can be trusted.

    ``gradient``: centered differences, NaN where not probed. ``compared``: elements probed, finite
    and away from kinks (the ones a check compares; a check that compares none fails).
    """

    gradient: np.ndarray
    compared: np.ndarray


def numerical_gradient(
    evaluate: Callable[[], Any],
    array: np.ndarray,
    indices: list[tuple[int, ...]],
    weights: np.ndarray | None = None,
    h: float = STEP,
) -> NumericalGradient:
    """Centered differences of ``sum(evaluate() * weights)`` with respect to elements of ``array``.

    ``evaluate`` reads ``array``, which is perturbed in place and restored exactly after each
    element; it returns an array shaped like ``weights`` (or a scalar when ``weights`` is None).
    The two outputs are subtracted before weighting, which keeps rounding noise small.
    """
    weights = np.ones(()) if weights is None else weights
    gradient = np.full(array.shape, np.nan)
    kink = np.zeros(array.shape)
    centre = np.asarray(evaluate(), dtype=np.float64)
    for index in indices:
        original = array[index]
        array[index] = original + h
        plus = np.asarray(evaluate(), dtype=np.float64)
        array[index] = original - h
        minus = np.asarray(evaluate(), dtype=np.float64)
        array[index] = original
        gradient[index] = float(np.sum((plus - minus) * weights)) / (2 * h)
        # A kink within h makes the one-sided slopes differ; their difference bounds the error.
        kink[index] = abs(float(np.sum(((plus - centre) - (centre - minus)) * weights))) / (2 * h)
    probed = np.isfinite(gradient)  # a forward that returns NaN or infinity on a probe tells nothing there
    scale = float(np.max(np.abs(gradient[probed]), initial=0.0))
    near_kink = probed & (kink > 1e-6 * max(scale, 1e-12))
    if near_kink.sum() > 0.25 * probed.sum():
        near_kink[:] = False  # too many to be kinks: a strongly curved function; compare all of them
    return NumericalGradient(gradient=gradient, compared=probed & ~near_kink)


def relative_errors(yours: np.ndarray, expected: np.ndarray, compared: np.ndarray | None = None) -> np.ndarray:
    """Elementwise ``|a - b| / max(|a| + |b|, floor)``, NaN outside ``compared``.

    The floor is 1e-3 of the largest ``|a| + |b|``: an element whose true value is tiny next to its
    neighbours is judged against their scale, so rounding noise on it does not fail a check.
    """
    if compared is None:
        compared = np.ones(expected.shape, dtype=bool)
    magnitude = np.abs(yours) + np.abs(expected)
    floor = max(1e-3 * float(np.max(np.where(compared, magnitude, 0.0), initial=0.0)), 1e-12)
    with np.errstate(invalid="ignore"):
        error = np.abs(yours - expected) / np.maximum(magnitude, floor)
    error = np.where(np.isfinite(yours), error, np.inf)
    return np.where(compared, error, np.nan)


def normwise_error(yours: np.ndarray, expected: np.ndarray) -> float:
    """``max |yours - expected|`` over the larger of the two arrays' largest magnitudes (0 when both are 0).

    Rounding in a valid computation is relative to the array's scale, not to each element, so an
    element that cancels to nearly zero does not magnify it the way an elementwise error would.
    """
    if yours.size == 0:
        return 0.0
    scale = max(float(np.max(np.abs(expected))), float(np.max(np.abs(yours))))
    if not np.isfinite(scale):
        return float("inf")
    return 0.0 if scale == 0 else float(np.max(np.abs(yours - expected))) / scale


def worst(errors: np.ndarray) -> tuple[float, tuple[int, ...]]:
    """The largest relative error and its index (NaN elements ignored)."""
    if errors.size == 0 or np.all(np.isnan(errors)):
        return 0.0, ()
    flat = int(np.nanargmax(errors))
    index = tuple(int(i) for i in np.unravel_index(flat, errors.shape))
    return float(errors[index]), index
