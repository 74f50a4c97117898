"""Gradient checking: compare an analytic gradient with one measured by finite differences.

A backward pass is right when its gradient matches the slope of the forward pass measured
numerically. The centered difference

    df/dx_i  ~  (f(x + h e_i) - f(x - h e_i)) / 2h

has error O(h^2) (a one-sided difference has O(h)), so h = 1e-5 in float64 leaves about 1e-10
of truncation error and about 2e-11 |f| of rounding error (machine epsilon times |f|, divided by
h): far below any real mistake, except on gradient elements that are themselves that small,
which :func:`check_gradient` therefore does not count (see :data:`NOISE_FACTOR`).

The instruments, from small to large:

- :func:`numerical_gradient` of a scalar function ``f(x)``, and
  :func:`numerical_gradient_upstream` of an array-valued one, i.e. the gradient of
  ``sum(f(x) * dout)``: exactly what a layer's backward pass returns for the upstream ``dout``.
  Both perturb every element of ``x`` in place and restore it exactly.
- :func:`numerical_gradient_sampled` measures only a seeded random sample of elements, and
  :func:`directional_derivative` the slope along one direction: both for inputs too large to
  perturb element by element.
- :func:`relative_error` (one number) and :func:`relative_error_array` (one per element): the
  one rule by which every gradient of the course is judged, here and by the autograder alike.
- :func:`check_gradient` compares one analytic gradient with a numerical one and returns a
  :class:`GradCheckResult` that says in words what is wrong and where; :func:`check_layer` runs
  a layer's forward and backward passes and checks every gradient in one call.

Every instrument refuses float32/float16 and integer inputs: see :func:`require_float64`.
Student mistakes (a wrong shape, NaN, a missing gradient) become failed results, never
exceptions; misuse of the instruments themselves (bad arguments) raises a clear error.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

import numpy as np

from .backend import (
    Array,
    RandomState,
    check_array,
    device_of,
    is_real_number,
    namespace,
    require_positive_integer,
    to_numpy,
)

DEFAULT_STEP = 1e-5
# A correct float64 gradient of a smooth function typically agrees to 1e-8 or better; a real
# mistake (a transpose, a missing factor, a sign) gives errors of 1e-2 to 1. Functions with kinks
# (ReLU, max) may need a looser tolerance when a perturbation crosses the kink.
FLOAT64_TOLERANCE = 1e-7
# The relative error divides by |a| + |b|, but never by less than SCALE_FLOOR times the largest
# |a| + |b| of the array: an element tiny next to its neighbours carries their rounding error, which
# divided by its own size would fail a correct gradient. TINY floors the denominator of two arrays
# of exact zeros, which then compare as equal.
SCALE_FLOOR = 1e-3
TINY = 1e-12
# A centered difference cannot resolve differences in f below about (rounding error of f) / h.
# check_gradient ignores elements whose analytic and numerical values differ by less than
# NOISE_FACTOR * machine epsilon * |f| / h: small gradient elements of a large loss (a softmax
# over a big batch) would otherwise fail for no fault of the gradient.
NOISE_FACTOR = 10.0
# A failing element is probed for a kink (see _crosses_kink) only when at most this many fail:
# kinks are rare, so many failures mean a wrong gradient, and each probe costs 3 evaluations.
MAX_KINK_PROBES = 20
# One-sided slopes that differ by more than KINK_JUMP (relative) reveal a kink; a smooth function
# keeps them within about h |f''| / |f'|, so an analytic value within ONE_SIDED_TOLERANCE of one
# of them is right on that side.
KINK_JUMP = 1e-2
ONE_SIDED_TOLERANCE = 1e-4
METHODS = ("auto", "full", "sampled", "directions")


def require_float64(x: Any, name: str = "x") -> None:
    """Refuse anything but a float64 array, explaining why low precision cannot be checked.

    A centered difference subtracts two nearly equal values of ``f``. In float32 each carries a
    rounding error of about 1e-7 of its size; divided by 2h = 2e-5 that is an error of about
    1e-2 in the derivative, as large as the mistakes the check is meant to find.
    """
    check_array(x, name, floating=False)
    xp = namespace(x)
    if xp.isdtype(x.dtype, "integral") or x.dtype == xp.bool:
        raise TypeError(
            f"{name} has dtype {x.dtype}: a step of h = 1e-5 would be rounded away. "
            f"Gradient checks need float64; cast first, e.g. {name}.astype(np.float64)"
        )
    if x.dtype != xp.float64:
        raise TypeError(
            f"{name} has dtype {x.dtype}, but gradient checks need float64: finite differences "
            f"subtract two nearly equal values of f, and in {x.dtype} their rounding error divided "
            f"by the tiny step 2h swamps the derivative itself. Cast first, e.g. "
            f"{name}.astype(np.float64)"
        )


def every_index(shape: tuple[int, ...]) -> Iterator[tuple[int, ...]]:
    """Every index of an array of ``shape``, in row-major order (one empty tuple for a 0-d array)."""
    return itertools.product(*(range(n) for n in shape))


# --- Numerical gradients -------------------------------------------------------------------


def numerical_gradient(f: Callable[[Array], Any], x: Array, h: float = DEFAULT_STEP) -> Array:
    """Centered-difference gradient of a scalar function ``f`` at ``x``.

    Shapes: x any shape (float64) -> gradient of the same shape, namespace and device as ``x``.
    ``f(x)`` must return a number (a Python float or a 0-d array). Each element of ``x`` is
    perturbed in place and restored exactly, so ``f`` may also read ``x`` through a closure.
    Costs 2 * x.size evaluations of ``f``.
    """
    require_float64(x, "x")
    _require_step(h)
    _require_scalar(f(x))
    xp = namespace(x)
    ### BEGIN SOLUTION
    grad = xp.zeros_like(x)
    for index in every_index(x.shape):
        original = float(x[index])
        x[index] = original + h
        f_plus = float(f(x))
        x[index] = original - h
        f_minus = float(f(x))
        x[index] = original
        grad[index] = (f_plus - f_minus) / (2 * h)
    ### END SOLUTION
    return grad


def numerical_gradient_upstream(
    f: Callable[[Array], Array], x: Array, dout: Array, h: float = DEFAULT_STEP
) -> Array:
    """Centered-difference gradient of ``sum(f(x) * dout)`` with respect to ``x``.

    This is what a layer's backward pass computes from the upstream gradient ``dout``, so it
    checks backward passes: ``numerical_gradient_upstream(lambda x: relu_forward(x)[0], x, dout)``.
    Shapes: x any shape (float64); f(x) and dout the same shape as each other -> gradient shaped
    like ``x``, on its namespace and device. Costs 2 * x.size evaluations of ``f``.
    """
    require_float64(x, "x")
    require_float64(dout, "dout")
    _require_step(h)
    _require_same_shape(f(x), "f(x)", dout, "dout")
    xp = namespace(x, dout)
    ### BEGIN SOLUTION
    grad = xp.zeros_like(x)
    for index in every_index(x.shape):
        original = float(x[index])
        x[index] = original + h
        out_plus = xp.asarray(f(x), copy=True)  # a copy: f may return a view of x
        x[index] = original - h
        out_minus = xp.asarray(f(x), copy=True)
        x[index] = original
        grad[index] = xp.sum((out_plus - out_minus) * dout) / (2 * h)
    ### END SOLUTION
    return grad


def numerical_gradient_sampled(
    f: Callable[[Array], Any],
    x: Array,
    num_samples: int,
    *,
    dout: Array | None = None,
    h: float = DEFAULT_STEP,
    seed: int | RandomState | None = 0,
) -> Array:
    """Centered differences at ``num_samples`` randomly chosen elements of ``x`` only.

    ``f`` is scalar-valued, or array-valued when ``dout`` is given (then the gradient is that of
    ``sum(f(x) * dout)``). Returns an array shaped like ``x`` that holds the numerical partial
    derivative at the sampled elements and NaN everywhere else. The same ``seed`` samples the
    same elements. Costs 2 * num_samples evaluations of ``f``.
    """
    require_float64(x, "x")
    _require_step(h)
    _output_scale(f, x, dout)
    return _numerical_gradient_at(f, x, sample_indices(x.shape, num_samples, seed), dout, h)


def sample_indices(
    shape: tuple[int, ...], num_samples: int, seed: int | RandomState | np.random.Generator | None = 0
) -> list[tuple[int, ...]]:
    """``num_samples`` distinct indices of an array of ``shape`` (all of them when it is smaller), sorted.

    ``seed`` is a seed, or the generator to draw from (the autograder passes the one its case comes from).
    """
    require_positive_integer(num_samples, "num_samples")
    size = math.prod(shape)
    if isinstance(seed, np.random.Generator):
        rng = seed
    else:
        rng = (seed if isinstance(seed, RandomState) else RandomState(seed)).numpy
    chosen = rng.choice(size, size=min(num_samples, size), replace=False)
    return [_unravel(int(flat), shape) for flat in sorted(chosen)]


def directional_derivative(
    f: Callable[[Array], Any],
    x: Array,
    direction: Array,
    *,
    dout: Array | None = None,
    h: float = DEFAULT_STEP,
) -> float:
    """Centered-difference slope of ``f`` at ``x`` along ``direction``: (F(x + h u) - F(x - h u)) / 2h.

    ``F`` is ``f`` when it is scalar-valued, ``sum(f(x) * dout)`` when ``dout`` is given. A correct
    analytic gradient ``g`` satisfies ``sum(g * u) ~ directional_derivative(f, x, u)``: one check of
    every element at once, for 2 evaluations of ``f``. ``x`` is changed in place and restored
    exactly. Shapes: direction like x.
    """
    require_float64(x, "x")
    require_float64(direction, "direction")
    _require_same_shape(direction, "direction", x, "x")
    _require_step(h)
    _output_scale(f, x, dout)
    return float(_centered_difference(f, x, ..., h, dout, direction=direction))


# --- Relative error ------------------------------------------------------------------------


def relative_error(a: Array, b: Array) -> float:
    """The largest elementwise relative error ``|a - b| / max(|a| + |b|, floor)``, as a float.

    ``floor`` is ``SCALE_FLOOR`` (a thousandth) of the largest ``|a| + |b|``, and at least ``TINY``:
    an element tiny next to the others is judged against the array's scale. Scale-free: 1e-7 means
    the two agree to about seven digits whether the gradients are of size 1e-3 or 1e3. Two exact
    zeros count as equal. The maximum of :func:`relative_error_array`, the autograder's rule.
    Shapes: a and b the same (any) shape.
    """
    check_array(a, "a")
    check_array(b, "b")
    _require_same_shape(a, "a", b, "b")
    if math.prod(a.shape) == 0:
        return 0.0
    xp = namespace(a, b)
    ### BEGIN SOLUTION
    magnitude = xp.abs(a) + xp.abs(b)
    floor = xp.maximum(SCALE_FLOOR * xp.max(magnitude), TINY)
    worst = xp.max(xp.abs(a - b) / xp.maximum(magnitude, floor))
    ### END SOLUTION
    return float(worst)


def relative_error_array(a: Array, b: Array, compared: np.ndarray | None = None) -> np.ndarray:
    """Elementwise relative errors ``|a - b| / max(|a| + |b|, floor)`` as a NumPy array.

    The rule of :func:`relative_error`, element by element: ``floor`` is ``SCALE_FLOOR`` of the
    largest finite ``|a| + |b|`` among the ``compared`` elements (all by default), at least
    ``TINY``. An element where either value is NaN or infinite has an infinite error; elements
    outside ``compared`` are NaN (not compared). The autograder judges every gradient and output
    by these errors, and its heat maps show them. Shapes: a, b and compared the same shape.
    """
    check_array(a, "a")
    check_array(b, "b")
    _require_same_shape(a, "a", b, "b")
    a, b = np.asarray(to_numpy(a), dtype=np.float64), np.asarray(to_numpy(b), dtype=np.float64)
    compared = np.ones(a.shape, dtype=bool) if compared is None else np.asarray(compared, dtype=bool)
    magnitude = np.abs(a) + np.abs(b)
    finite = np.isfinite(magnitude)
    floor = max(SCALE_FLOOR * float(np.max(magnitude, where=compared & finite, initial=0.0)), TINY)
    with np.errstate(invalid="ignore"):
        errors = np.abs(a - b) / np.maximum(magnitude, floor)
    errors[~finite] = np.inf
    errors[~compared] = np.nan
    return errors


# --- Structured checks ---------------------------------------------------------------------


@dataclass(frozen=True)
class GradCheckResult:
    """The outcome of comparing one analytic gradient with a numerical one.

    ``error`` is the worst relative error and ``index`` where it sits: an element index for the
    "full" and "sampled" methods, ``(k,)`` for the k-th random direction of "directions".
    ``analytic`` and ``numerical`` are the two values compared there (for "directions", the two
    slopes along that direction). ``passed`` means every error is at most ``tolerance``, not
    counting values whose absolute difference is below ``noise``, the rounding noise of the
    finite differences (see :data:`NOISE_FACTOR`; ``uncounted`` says how many of them exceed the
    tolerance), nor the ``kinks`` elements where
    the step crossed a kink and ``analytic`` matches the slope on the side of x (methods "full"
    and "sampled"). ``problem`` names a mistake that
    is not a size of error (a wrong shape, NaN, no gradient at all); then ``error`` is inf.

    The arrays (NumPy, for plots and diagnoses) hold, for "full" and "sampled", the analytic
    and numerical gradients and the elementwise relative errors, shaped like the input, NaN
    where an element was not sampled; for "directions", one entry per direction.
    """

    name: str
    passed: bool
    error: float
    index: tuple[int, ...] | None
    analytic: float
    numerical: float
    tolerance: float
    method: str
    problem: str | None = None
    noise: float = 0.0
    uncounted: int = 0
    kinks: int = 0
    errors: np.ndarray | None = field(default=None, compare=False, repr=False)
    analytic_values: np.ndarray | None = field(default=None, compare=False, repr=False)
    numerical_values: np.ndarray | None = field(default=None, compare=False, repr=False)

    @property
    def message(self) -> str:
        """One sentence a student can act on."""
        if self.problem is not None:
            return f"{self.name}: {self.problem}"
        where = f"along random direction {self.index[0]}" if self.method == "directions" else f"at index {self.index}"
        values = f"(analytic {self.analytic:.6g}, numerical {self.numerical:.6g})"
        if self.passed:
            message = f"{self.name}: passed, worst relative error {self.error:.1e} {where} {values}; tolerance {self.tolerance:.0e}"
            if self.uncounted:
                message += (
                    f"; {self.uncounted} value(s) whose relative error exceeds the tolerance differ by less "
                    f"than {self.noise:.0e}, the rounding noise of the finite differences, and were not counted"
                )
            if self.kinks:
                message += (
                    f"; {self.kinks} value(s) where the step h crossed a kink of the function (such as "
                    "ReLU at 0), which spoils the numerical value there, were not counted"
                )
            return message
        return f"{self.name}: relative error {self.error:.1e} {where} {values}; tolerance {self.tolerance:.0e}"

    def __str__(self) -> str:
        return self.message

    def __bool__(self) -> bool:
        return self.passed


def check_gradient(
    f: Callable[[Array], Any],
    x: Array,
    analytic: Any,
    *,
    name: str = "gradient",
    dout: Array | None = None,
    method: str = "auto",
    h: float = DEFAULT_STEP,
    tolerance: float | None = None,
    num_samples: int = 20,
    num_directions: int = 5,
    max_full_size: int = 1000,
    seed: int | None = 0,
) -> GradCheckResult:
    """Compare the ``analytic`` gradient of ``f`` at ``x`` with a numerical one.

    ``f`` is scalar-valued, or array-valued with ``dout`` given (then the gradient checked is
    that of ``sum(f(x) * dout)``, as a backward pass returns it). ``method`` is "full" (every
    element), "sampled" (``num_samples`` random elements), "directions" (``num_directions``
    random unit directions) or "auto" ("full" up to ``max_full_size`` elements, else "sampled").
    ``tolerance`` defaults to :data:`FLOAT64_TOLERANCE`; ``seed`` fixes the samples and
    directions. Shapes: analytic like x.
    """
    require_float64(x, "x")
    if dout is not None:
        require_float64(dout, "dout")
    method = _resolve_method(method, x, max_full_size)
    tolerance = FLOAT64_TOLERANCE if tolerance is None else _require_tolerance(tolerance)

    scale = _output_scale(f, x, dout)
    problem = _analytic_problem(analytic, x, name)
    if problem is not None:
        return _failed(name, problem, tolerance, method)
    analytic = np.array(to_numpy(analytic), dtype=np.float64)
    bad = ~np.isfinite(analytic)
    if bad.any():
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        return _failed(
            name,
            f"the analytic gradient holds {int(bad.sum())} NaN or infinite value(s), the first at "
            f"index {first}; look for a division by zero or an overflowing exp",
            tolerance, method, analytic_values=analytic,
        )

    analytic_values, numerical_values, checked = _measure(
        f, x, analytic, dout, method, h, num_samples, num_directions, seed
    )
    if not (math.isfinite(scale) and np.isfinite(numerical_values[checked]).all()):
        return _failed(
            name,
            "the function itself gives NaN or infinity near x, so no numerical gradient can be "
            "measured; check the forward pass",
            tolerance, method, analytic_values=analytic_values, numerical_values=numerical_values,
        )
    errors = relative_error_array(analytic_values, numerical_values, checked)
    arrays = {"errors": errors, "analytic_values": analytic_values, "numerical_values": numerical_values}
    noise = NOISE_FACTOR * float(np.finfo(np.float64).eps) * scale / h
    if not checked.any():  # an empty input has nothing to get wrong
        return GradCheckResult(
            name=name, passed=True, error=0.0, index=None, analytic=0.0, numerical=0.0,
            tolerance=tolerance, method=method, noise=noise, **arrays,
        )

    # Judge only the values that differ by more than the rounding noise, and not those where the
    # finite difference straddled a kink; report the worst of those judged.
    within_noise = checked & (np.abs(analytic_values - numerical_values) <= noise)
    at_kink = np.zeros(checked.shape, dtype=bool)
    failing = np.argwhere(checked & ~within_noise & (errors > tolerance))
    if method != "directions" and len(failing) <= MAX_KINK_PROBES:
        for index in (tuple(int(i) for i in row) for row in failing):
            at_kink[index] = _crosses_kink(f, x, index, h, dout, float(analytic_values[index]))
    judged = checked & ~within_noise & ~at_kink
    worst = _argmax_index(np.where(judged if judged.any() else checked & ~at_kink, errors, -1.0))
    return GradCheckResult(
        name=name,
        passed=not judged.any() or bool(np.max(errors[judged]) <= tolerance),
        error=float(errors[worst]),
        index=worst,
        analytic=float(analytic_values[worst]),
        numerical=float(numerical_values[worst]),
        tolerance=tolerance,
        method=method,
        noise=noise,
        uncounted=int(np.sum(within_noise & (errors > tolerance))),
        kinks=int(at_kink.sum()),
        **arrays,
    )


def check_layer(
    forward: Callable[..., tuple[Any, Any]],
    backward: Callable[[Array, Any], Any],
    inputs: dict[str, Array],
    params: dict[str, Any] | None = None,
    *,
    seed: int | None = 0,
    method: str = "auto",
    h: float = DEFAULT_STEP,
    tolerance: float | None = None,
    num_samples: int = 20,
    num_directions: int = 5,
    max_full_size: int = 1000,
) -> dict[str, GradCheckResult]:
    """Check every gradient of a layer's backward pass numerically, in one call.

    Runs ``out, cache = forward(**inputs, **params)``, draws a random upstream gradient ``dout``
    shaped like ``out`` (from ``seed``), runs ``backward(dout, cache)`` and checks the gradient
    for each input against the numerical gradient of ``sum(forward(...)[0] * dout)``.

    ``inputs`` maps the forward's argument names to float64 arrays, in the order backward
    returns their gradients (a single array when there is one input). ``params`` holds the
    other keyword arguments (stride, pad, keep_prob, ...); forward must be deterministic, so
    pass a fixed seed to random layers (e.g. ``rng=0`` for dropout). The inputs are copied, so
    the caller's arrays are never touched. Returns one result per input, keyed by input name
    and named "d" + name (``results["w"].name == "dw"``). See :func:`check_gradient` for the
    other arguments.

    Example: ``check_layer(affine_forward, affine_backward, {"x": x, "w": w, "b": b})``.
    """
    params = {} if params is None else dict(params)
    if not isinstance(inputs, dict) or not inputs:
        raise TypeError("inputs must be a non-empty dict mapping argument names to arrays, e.g. {'x': x}")
    clash = sorted(set(inputs) & set(params))
    if clash:
        raise ValueError(f"{', '.join(clash)} appear(s) in both inputs and params; give each argument once")
    for key, value in inputs.items():
        require_float64(value, key)
    inputs = {key: namespace(value).asarray(value, copy=True) for key, value in inputs.items()}

    returned = forward(**inputs, **params)
    if not isinstance(returned, (tuple, list)) or len(returned) != 2:
        raise TypeError(f"forward must return a pair (out, cache), got {type(returned).__name__}")
    out, cache = returned
    if not hasattr(out, "shape") or not hasattr(out, "dtype") or not namespace(out).isdtype(out.dtype, "real floating"):
        raise TypeError(f"forward must return a floating-point array as out, got {getattr(out, 'dtype', type(out).__name__)}")
    dout = RandomState(seed).normal(tuple(out.shape), like=out)
    grads = backward(dout, cache)
    if not isinstance(grads, (tuple, list)):
        grads = (grads,)
    # Copy the gradients to the host now: the numerical checks below perturb the inputs, which a
    # returned gradient could share memory with.
    grads = [np.array(to_numpy(g)) if hasattr(g, "shape") else g for g in grads]

    if len(grads) != len(inputs):
        problem = (
            f"backward returned {len(grads)} gradient(s) but the layer has {len(inputs)} input(s) "
            f"({', '.join(inputs)}); return one gradient per input, in that order"
        )
        tolerance = FLOAT64_TOLERANCE if tolerance is None else _require_tolerance(tolerance)
        return {key: _failed(f"d{key}", problem, tolerance, _resolve_method(method, x, max_full_size)) for key, x in inputs.items()}

    results = {}
    for key, grad in zip(inputs, grads):

        def output_of(value: Array, key: str = key) -> Array:
            return forward(**{**inputs, key: value}, **params)[0]

        results[key] = check_gradient(
            output_of, inputs[key], grad, name=f"d{key}", dout=dout, method=method, h=h,
            tolerance=tolerance, num_samples=num_samples, num_directions=num_directions,
            max_full_size=max_full_size, seed=seed,
        )
    return results


# --- Helpers -------------------------------------------------------------------------------


def _measure(
    f: Callable, x: Array, analytic: np.ndarray, dout: Array | None, method: str, h: float,
    num_samples: int, num_directions: int, seed: int | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The analytic and numerical values that ``method`` compares, and a mask of those measured.

    "full" and "sampled" give gradients shaped like ``x`` (the numerical one NaN where not
    sampled); "directions" gives the two slopes along each of ``num_directions`` directions.
    """
    if method == "directions":
        analytic_slopes, numerical_slopes = _directional_slopes(f, x, analytic, dout, h, num_directions, seed)
        return analytic_slopes, numerical_slopes, np.ones(num_directions, dtype=bool)
    measured = np.ones(analytic.shape, dtype=bool)
    if method == "sampled":
        indices = sample_indices(tuple(x.shape), num_samples, seed)
        numerical = _numerical_gradient_at(f, x, indices, dout, h)
        measured[...] = False
        for index in indices:
            measured[index] = True
    elif dout is None:
        numerical = numerical_gradient(f, x, h)
    else:
        numerical = numerical_gradient_upstream(f, x, dout, h)
    return analytic, np.array(to_numpy(numerical), dtype=np.float64), measured


def _directional_slopes(
    f: Callable, x: Array, analytic: np.ndarray, dout: Array | None, h: float, count: int, seed: int | None
) -> tuple[np.ndarray, np.ndarray]:
    """Analytic and numerical slopes along ``count`` seeded random unit directions."""
    require_positive_integer(count, "num_directions")
    xp = namespace(x)
    rng = RandomState(seed)
    analytic_slopes, numerical_slopes = np.empty(count), np.empty(count)
    for k in range(count):
        direction = rng.normal(tuple(x.shape), like=x)
        direction = direction / xp.sqrt(xp.sum(direction * direction))
        analytic_slopes[k] = float(np.sum(analytic * to_numpy(direction)))
        numerical_slopes[k] = directional_derivative(f, x, direction, dout=dout, h=h)
    return analytic_slopes, numerical_slopes


def _output_scale(f: Callable, x: Array, dout: Array | None) -> float:
    """The size of what the finite differences subtract: ``|f(x)|``, or ``sum(|f(x) * dout|)``.

    Evaluating ``f`` once here also refuses a scalar/array mismatch with a clear message.
    """
    out = f(x)
    if dout is None:
        _require_scalar(out)
        return abs(float(out))
    require_float64(dout, "dout")
    _require_same_shape(out, "f(x)", dout, "dout")
    xp = namespace(x, dout)
    return float(xp.sum(xp.abs(out * dout)))


def _numerical_gradient_at(f: Callable, x: Array, indices: list[tuple[int, ...]], dout: Array | None, h: float) -> Array:
    """The numerical gradient at ``indices`` only, NaN elsewhere; shaped like ``x``, on its device."""
    xp = namespace(x)
    grad = xp.full(x.shape, math.nan, dtype=x.dtype, device=device_of(x))
    for index in indices:
        grad[index] = _centered_difference(f, x, index, h, dout)
    return grad


def _centered_difference(
    f: Callable, x: Array, index: Any, h: float, dout: Array | None, direction: Array | None = None
) -> Any:
    """``(F(x + h e) - F(x - h e)) / 2h`` with ``F`` = f, or ``sum(f * dout)`` when dout is given.

    ``e`` is the unit vector of element ``index``, or ``direction`` (with ``index`` = ``...``).
    The outputs are subtracted before they are weighted by ``dout``: outputs that do not depend
    on the perturbed element then cancel exactly instead of adding rounding noise.
    """
    step = h if direction is None else h * direction
    out_plus = _output_shifted(f, x, index, step, dout)
    out_minus = _output_shifted(f, x, index, -step, dout)
    return _weighted(out_plus - out_minus, dout) / (2 * h)


def _crosses_kink(f: Callable, x: Array, index: tuple[int, ...], h: float, dout: Array | None, analytic: float) -> bool:
    """True when ``f`` has a kink (ReLU at 0, a max changing hands) within ``h`` of ``x[index]``.

    Then the slopes from x to x + h and from x - h to x disagree, the centered difference
    averages the two sides, and it is the measurement that is wrong, not ``analytic``, provided
    ``analytic`` matches one of the two sides (the one ``x`` lies on).
    """
    center = _output_shifted(f, x, index, 0.0, dout)
    slope_after = float(_weighted(_output_shifted(f, x, index, h, dout) - center, dout)) / h
    slope_before = float(_weighted(center - _output_shifted(f, x, index, -h, dout), dout)) / h
    sides_disagree = _relative(slope_after, slope_before) > KINK_JUMP
    matches_one_side = min(_relative(analytic, slope_after), _relative(analytic, slope_before)) < ONE_SIDED_TOLERANCE
    return sides_disagree and matches_one_side


def _output_shifted(f: Callable, x: Array, index: Any, shift: Any, dout: Array | None) -> Any:
    """``f`` at ``x`` with ``x[index]`` shifted by ``shift``; ``x`` is restored exactly, even when ``f`` raises.

    A float for scalar ``f``; otherwise a copy of the output array (``f`` may return a view of ``x``).
    """
    xp = namespace(x)
    original = xp.asarray(x[index], copy=True)
    try:
        x[index] = original + shift
        return float(f(x)) if dout is None else xp.asarray(f(x), copy=True)
    finally:
        x[index] = original


def _weighted(difference: Any, dout: Array | None) -> Any:
    """A difference of outputs as a difference of F: itself for scalar f, ``sum(difference * dout)`` else."""
    return difference if dout is None else namespace(difference).sum(difference * dout)


def _relative(a: float, b: float) -> float:
    return abs(a - b) / max(abs(a) + abs(b), TINY)


def _analytic_problem(analytic: Any, x: Array, name: str) -> str | None:
    """Why ``analytic`` cannot be compared with a gradient for ``x`` at all, or None."""
    if analytic is None:
        return "no gradient was returned (got None); did the function end without returning it?"
    if not hasattr(analytic, "shape") or not hasattr(analytic, "dtype"):
        return f"the gradient must be an array, got {type(analytic).__name__}"
    if tuple(analytic.shape) != tuple(x.shape):
        return (
            f"the gradient has shape {tuple(analytic.shape)} but its input has shape {tuple(x.shape)}; "
            "a gradient always has the shape of what it is the gradient of"
        )
    dtype = to_numpy(analytic).dtype
    if not np.issubdtype(dtype, np.floating):
        return f"the gradient has dtype {analytic.dtype}; it must hold floating-point numbers"
    if dtype != np.float64:
        return f"the gradient has dtype {analytic.dtype}; the inputs are float64, so compute it in float64 too"
    return None


def _failed(name: str, problem: str, tolerance: float, method: str, **arrays: Any) -> GradCheckResult:
    return GradCheckResult(
        name=name, passed=False, error=math.inf, index=None, analytic=math.nan, numerical=math.nan,
        tolerance=tolerance, method=method, problem=problem, **arrays,
    )


def _resolve_method(method: str, x: Array, max_full_size: int) -> str:
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    if method == "auto":
        return "full" if math.prod(x.shape) <= max_full_size else "sampled"
    return method


def _require_scalar(value: Any) -> None:
    if hasattr(value, "shape") and tuple(value.shape) != ():
        raise ValueError(
            f"f(x) must return a single number, got an array of shape {tuple(value.shape)}; "
            "for an array-valued f, pass the upstream gradient dout as well"
        )
    if not hasattr(value, "shape") and not isinstance(value, (int, float)):
        raise TypeError(f"f(x) must return a number, got {type(value).__name__}")


def _require_same_shape(a: Any, a_name: str, b: Any, b_name: str) -> None:
    check_array(a, a_name, floating=False)
    if tuple(a.shape) != tuple(b.shape):
        raise ValueError(f"{a_name} has shape {tuple(a.shape)} but {b_name} has shape {tuple(b.shape)}; they must match")


def _require_step(h: float) -> None:
    if not is_real_number(h) or not 0 < h < 1:
        raise ValueError(f"h must be a small positive step such as 1e-5, got {h!r}")


def _require_tolerance(tolerance: float) -> float:
    if not is_real_number(tolerance) or not tolerance > 0:
        raise ValueError(f"tolerance must be a positive number such as 1e-7, got {tolerance!r}")
    return float(tolerance)


def _argmax_index(values: np.ndarray) -> tuple[int, ...]:
    return tuple(int(i) for i in np.unravel_index(int(np.argmax(values)), values.shape))


def _unravel(flat: int, shape: tuple[int, ...]) -> tuple[int, ...]:
    """The row-major index of element number ``flat`` of an array of ``shape``."""
    index = []
    for n in reversed(shape):
        flat, position = divmod(flat, n)
        index.append(position)
    return tuple(reversed(index))
