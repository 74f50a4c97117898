"""The numerical side of a check: inputs from a seed, centered differences screened for kinks.

Everything here runs in float64 on NumPy, whatever the student's code does inside. The rules are
the library's, the ones students write in notebook 1 and check their own work with
(``backpropkit.gradcheck``): the step ``DEFAULT_STEP``, the relative error
(``relative_error_array``; ``relative_error`` is its maximum) and the sampling of large arrays
(``sample_indices``). What grading adds:

- the centered differences of :func:`numerical_gradient` also screen every probed element for a
  kink (ReLU at 0, a max that changes, a hinge) from the two one-sided differences they get for
  free and one shared evaluation at the centre; where the two disagree, the centered difference
  is not the derivative, and the element is left out of the comparison instead of failing a
  correct answer (``gradcheck.check_gradient`` spends three more evaluations on each element that
  fails, to the same end);
- every case is drawn from :func:`case_rng`, which the grader salts per student;
- :func:`normwise_error`, the tight comparison with the reference backward pass.
"""

from __future__ import annotations

import math
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import numpy as np

from backpropkit import gradcheck

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
    """Every index of ``shape``, or for arrays of more than ``limit`` elements a sample of ``limit``
    (``gradcheck.sample_indices``) drawn from the case's generator, so that it is salted too."""
    if limit is None or math.prod(shape) <= limit:
        return list(gradcheck.every_index(shape))
    return gradcheck.sample_indices(shape, limit, case_rng(seed))


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
    h: float = gradcheck.DEFAULT_STEP,
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
