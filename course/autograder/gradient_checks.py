"""Checks for notebook 1: numerical gradients, relative error, and the scalar autograd ``Value``.

The functions handed to the student's numerical gradient are defined at module level (not as
lambdas), so they can be pickled to another process, and their derivatives are known exactly.
"""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from backpropkit import gradcheck

from .calling import StudentCall, as_float_array, function_name
from .compare import compare, fail_on_warnings, raise_mismatch
from .failures import CheckFailed, format_number, passed, seed_words, student_facing
from .numeric import case_rng


def sum_of_cubes(x: np.ndarray) -> float:
    return float(np.sum(x**3))


def sum_of_x_sin_x(x: np.ndarray) -> float:
    return float(np.sum(x * np.sin(x)))


def log_sum_exp(x: np.ndarray) -> float:
    return float(np.log(np.sum(np.exp(x))))


def squared_row_norms(x: np.ndarray) -> np.ndarray:
    """Sum of squares over the last axis: an output with fewer dimensions than the input."""
    return np.sum(x**2, axis=-1)


_SCALAR_FUNCTIONS: list[tuple[Callable[[np.ndarray], float], Callable[[np.ndarray], np.ndarray], str]] = [
    (sum_of_cubes, lambda x: 3 * x**2, "sum(x**3)"),
    (sum_of_x_sin_x, lambda x: np.sin(x) + x * np.cos(x), "sum(x * sin(x))"),
    (log_sum_exp, lambda x: np.exp(x - np.logaddexp.reduce(x, axis=None)), "log(sum(exp(x)))"),
]

_ARRAY_FUNCTIONS: list[tuple[Callable[[np.ndarray], np.ndarray], Callable[[np.ndarray, np.ndarray], np.ndarray], str]] = [
    (np.tanh, lambda x, dout: (1 - np.tanh(x) ** 2) * dout, "tanh(x)"),
    (squared_row_norms, lambda x, dout: 2 * x * dout[..., None], "sum(x**2, axis=-1)"),
]


def _one_sided(f: Callable[[np.ndarray], float], x: np.ndarray, h: float) -> np.ndarray:
    """The forward difference (f(x + h) - f(x)) / h: what a common mistake computes."""
    grad = np.zeros_like(x)
    base = f(x)
    for index in np.ndindex(x.shape):
        shifted = x.copy()
        shifted[index] += h
        grad[index] = (f(shifted) - base) / h
    return grad


@student_facing
def check_numerical_gradient(numerical_gradient: Callable[..., Any], shape: tuple[int, ...] = (3, 4), *, seed: int = 0) -> None:
    """Compare ``numerical_gradient(f, x)`` with exact derivatives of three functions at a random ``x``.

    Centered differences with h = 1e-5 agree with the exact gradient to about 1e-9; a forward
    difference only to about 1e-5, and is recognized.
    """
    check = function_name(numerical_gradient)
    call = StudentCall(numerical_gradient, check)
    x = case_rng(seed).standard_normal(shape)
    for f, derivative, label in _SCALAR_FUNCTIONS:
        case = f"f(x) = {label}, x {tuple(shape)}; {seed_words(seed)}"
        result = as_float_array(call(f, x), check, "the gradient", x.shape)
        mismatch = compare("gradient", result, derivative(x), tolerance=1e-7)
        if mismatch is not None:
            diagnosis = None
            if np.allclose(result, _one_sided(f, x, 1e-5), rtol=1e-4, atol=1e-8):
                diagnosis = "this is the forward difference (f(x + h) - f(x)) / h, whose error shrinks like h; use the centered difference (f(x + h) - f(x - h)) / 2h"
            raise_mismatch(check, mismatch, case=case, tolerance=1e-7, expected_label="exact", diagnosis=diagnosis)
    fail_on_warnings(check, call.warnings, f"x {tuple(shape)}")
    passed(check, f"matches the exact gradients of {len(_SCALAR_FUNCTIONS)} functions (x {tuple(shape)}; {seed_words(seed)}).")


@student_facing
def check_numerical_gradient_upstream(
    numerical_gradient_upstream: Callable[..., Any], shape: tuple[int, ...] = (3, 4), *, seed: int = 0
) -> None:
    """Compare ``numerical_gradient_upstream(f, x, dout)`` with exact gradients of ``sum(f(x) * dout)``."""
    check = function_name(numerical_gradient_upstream)
    call = StudentCall(numerical_gradient_upstream, check)
    rng = case_rng(seed)
    x = rng.standard_normal(shape)
    for f, gradient, label in _ARRAY_FUNCTIONS:
        dout = rng.standard_normal(np.shape(f(x)))
        case = f"f(x) = {label}, x {tuple(shape)}, dout {dout.shape}; {seed_words(seed)}"
        result = as_float_array(call(f, x, dout), check, "the gradient", x.shape)
        mismatch = compare("gradient", result, gradient(x, dout), tolerance=1e-7)
        if mismatch is not None:
            diagnosis = None
            if np.allclose(result, gradient(x, np.ones_like(dout)), rtol=1e-5):
                diagnosis = "dout is ignored: differentiate sum(f(x) * dout), not sum(f(x))"
            raise_mismatch(check, mismatch, case=case, tolerance=1e-7, expected_label="exact", diagnosis=diagnosis)
    fail_on_warnings(check, call.warnings, f"x {tuple(shape)}")
    passed(check, f"matches the exact gradients of sum(f(x) * dout) for {len(_ARRAY_FUNCTIONS)} functions (x {tuple(shape)}; {seed_words(seed)}).")


@student_facing
def check_relative_error(relative_error: Callable[..., Any], *, seed: int = 0) -> None:
    """Check ``relative_error(a, b)`` against the rule every check judges by (``gradcheck.relative_error_array``):
    the max over elements of ``|a - b| / max(|a| + |b|, floor)``, the floor a thousandth of the largest ``|a| + |b|``."""
    check = function_name(relative_error)
    call = StudentCall(relative_error, check)
    rng = case_rng(seed)
    a = rng.standard_normal((3, 4))
    b = a + 1e-3 * rng.standard_normal((3, 4)) * np.abs(a)
    cases = [
        ("a = [1, 2], b = [1, 2.2]", np.array([1.0, 2.0]), np.array([1.0, 2.2])),
        ("two equal arrays", a, a.copy()),
        (f"a, b (3, 4) close to each other; {seed_words(seed)}", a, b),
        (f"1000 * a, 1000 * b (scale-free); {seed_words(seed)}", 1000 * a, 1000 * b),
        ("a = b = [0, 0, 1]", np.array([0.0, 0.0, 1.0]), np.array([0.0, 0.0, 1.0])),
        ("a = [1e-6, 1], b = [3e-6, 1] (an element tiny next to the other)", np.array([1e-6, 1.0]), np.array([3e-6, 1.0])),
    ]
    for label, first, second in cases:
        value = as_float_array(call(first, second), check, "the relative error")
        if value.size != 1:
            raise CheckFailed(f"{check} must return one number (the largest error), got shape {value.shape}.\n  Case: {label}.", {"check": check})
        value = float(value.reshape(()))
        errors = gradcheck.relative_error_array(first, second)
        expected = float(np.max(errors))
        if not math.isclose(value, expected, rel_tol=1e-9, abs_tol=1e-15):
            difference, magnitude = np.abs(first - second), np.abs(first) + np.abs(second)
            if math.isnan(value):
                mistake = "two zeros give 0 / 0: guard the denominator with the floor"
            elif math.isclose(value, float(np.mean(errors)), rel_tol=1e-9):
                mistake = "this is the mean over the elements; take the largest one"
            elif math.isclose(value, float(np.max(difference / np.maximum(magnitude, gradcheck.TINY))), rel_tol=1e-9):
                mistake = ("the floor of the denominator is a thousandth of the largest |a| + |b| (SCALE_FLOOR times it), "
                           "not just TINY: an element tiny next to the others is judged against the array's scale")
            elif math.isclose(value, float(np.max(difference / np.maximum(np.abs(first), np.abs(second)))), rel_tol=1e-9):
                mistake = "divide by |a| + |b|, not by the larger of the two"
            elif math.isclose(value, float(np.max(difference)), rel_tol=1e-9):
                mistake = "this is the absolute error; divide by |a| + |b| to make it scale-free"
            else:
                mistake = None
            raise CheckFailed(
                f"{check}: returned {format_number(value)}, expected {format_number(expected)}."
                + (f"\n  Likely mistake: {mistake}." if mistake else "")
                + f"\n  Case: {label}.",
                {"check": check, "yours": value, "expected": expected, "diagnosis": mistake},
            )
    fail_on_warnings(check, call.warnings, "relative_error cases")
    passed(check, f"right on {len(cases)} cases, including two zeros, a rescaling and a tiny element.")


# --- the scalar autograd Value ----------------------------------------------------------------------

# Each rule: a label, how to build it from two Values, its value from two floats, and the hint.
_VALUE_RULES: list[tuple[str, Callable[[Any, Any], Any], Callable[[float, float], float], str]] = [
    ("a + b", lambda a, b: a + b, lambda a, b: a + b, "addition hands the upstream gradient to both inputs unchanged"),
    ("a * b", lambda a, b: a * b, lambda a, b: a * b, "multiplication swaps: a gets b * upstream, b gets a * upstream"),
    ("a ** 3", lambda a, b: a**3, lambda a, b: a**3, "d(a**n)/da = n * a**(n - 1)"),
    ("a ** -2", lambda a, b: a**-2, lambda a, b: a**-2, "d(a**n)/da = n * a**(n - 1), also for negative n"),
    ("a.exp()", lambda a, b: a.exp(), lambda a, b: math.exp(a), "d exp(a)/da = exp(a), the output itself"),
    ("a.tanh()", lambda a, b: a.tanh(), lambda a, b: math.tanh(a), "d tanh(a)/da = 1 - tanh(a)**2"),
    ("a.sigmoid()", lambda a, b: a.sigmoid(), lambda a, b: 1 / (1 + math.exp(-a)), "d sigmoid(a)/da = sigmoid(a) * (1 - sigmoid(a))"),
    ("a.relu()", lambda a, b: a.relu(), lambda a, b: max(a, 0.0), "d relu(a)/da = 1 where a > 0, else 0"),
]


def _derivatives(f: Callable[[float, float], float], a: float, b: float) -> tuple[float, float]:
    """The partial derivatives of ``f`` at ``(a, b)``, by the library's centered differences."""
    da, db = gradcheck.numerical_gradient(lambda point: f(float(point[0]), float(point[1])), np.array([a, b]))
    return float(da), float(db)


def _number(value: Any, owner: str, what: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise CheckFailed(f"{owner}: {what} is {type(value).__name__}, expected a number.", {"check": owner}) from None


def _check_rule(Value: Callable[..., Any], label: str, build: Callable, plain: Callable, hint: str, a_value: float, b_value: float, upstream: float) -> None:
    owner = f"Value: {label}"
    a, b = StudentCall(Value, "Value")(a_value), StudentCall(Value, "Value")(b_value)
    out = StudentCall(build, owner)(a, b)
    expected_data = plain(a_value, b_value)
    data = _number(out.data, owner, "out.data")
    if not math.isclose(data, expected_data, rel_tol=1e-9):
        raise CheckFailed(f"{owner}: out.data is {format_number(data)}, expected {format_number(expected_data)} (a = {a_value:.4g}, b = {b_value:.4g}).", {"check": owner})
    out.grad = upstream
    StudentCall(out._backward, f"the backward rule of {label}")()
    da, db = _derivatives(plain, a_value, b_value)
    for name, node, exact in (("a", a, da * upstream), ("b", b, db * upstream)):
        grad = _number(node.grad, owner, f"{name}.grad")
        if not math.isclose(grad, exact, rel_tol=1e-6, abs_tol=1e-9):
            forgot = math.isclose(grad * upstream, exact, rel_tol=1e-6, abs_tol=1e-9) and exact != 0
            mistake = "multiply the local derivative by the upstream gradient out.grad" if forgot else hint
            raise CheckFailed(
                f"{owner}: after out.grad = {upstream:.4g} and out._backward(), {name}.grad is {format_number(grad)}, "
                f"expected {format_number(exact)}.\n  Likely mistake: {mistake}.\n"
                f"  Case: a = {a_value:.4g}, b = {b_value:.4g}.",
                {"check": owner, "quantity": f"{name}.grad", "yours": grad, "expected": exact, "diagnosis": mistake},
            )


@student_facing
def check_value_rules(Value: Callable[..., Any], *, seed: int = 0) -> None:
    """Check each operation's local backward rule on its own: set ``out.grad``, run ``out._backward()``.

    This grades every rule independently of the traversal in ``backward()``; the upstream
    gradient is not 1, so a forgotten ``* out.grad`` shows.
    """
    rng = case_rng(seed)
    magnitudes = rng.uniform(0.5, 2.0, 2)
    upstream = float(rng.uniform(1.5, 3.0))
    points = [(float(magnitudes[0]), -float(magnitudes[1])), (-float(magnitudes[0]), float(magnitudes[1]))]
    for label, build, plain, hint in _VALUE_RULES:
        for a_value, b_value in points:  # a positive and a negative a: relu's two sides
            _check_rule(Value, label, build, plain, hint, a_value, b_value, upstream)
    passed("Value", f"the local backward rules of {len(_VALUE_RULES)} operations are right.")


@student_facing
def check_value_lecture_example(Value: Callable[..., Any]) -> None:
    """The lecture's graph f = (x + y) * z at x = -2, y = 5, z = -4: df/dx = df/dy = -4, df/dz = 3."""
    make = StudentCall(Value, "Value")
    x, y, z = make(-2.0), make(5.0), make(-4.0)
    f = (x + y) * z
    StudentCall(f.backward, "Value.backward")()
    expected = {"x": -4.0, "y": -4.0, "z": 3.0}
    for name, node in (("x", x), ("y", y), ("z", z)):
        grad = _number(node.grad, "Value.backward", f"{name}.grad")
        if not math.isclose(grad, expected[name], rel_tol=1e-12):
            raise CheckFailed(
                f"Value.backward: in f = (x + y) * z at x = -2, y = 5, z = -4, d f/d{name} is {format_number(grad)}, "
                f"expected {format_number(expected[name])}.\n"
                "  Hint: f.backward() must set f.grad = 1, then run each node's rule from f back to the inputs.",
                {"check": "Value.backward", "quantity": f"{name}.grad", "yours": grad, "expected": expected[name]},
            )
    passed("Value.backward", "(x + y) * z at (-2, 5, -4) gives gradients (-4, -4, 3).")


def _graphs(Value: Callable[..., Any], t: float) -> list[tuple[str, Callable[[], tuple[Any, Any]], Callable[[float], float]]]:
    """Graphs where a node feeds several others: right only with += and a topological order."""

    def reused() -> tuple[Any, Any]:
        a = Value(t)
        return a * a + a, a

    def diamond() -> tuple[Any, Any]:
        a = Value(t)
        b = a * 2.0
        c = b + a
        return (b * c) * (c + 1.0), a

    def chain() -> tuple[Any, Any]:
        a = Value(t)
        out = a
        for _ in range(6):
            out = out * 0.5 + a
        return out, a

    def diamond_value(v: float) -> float:
        b, c = 2 * v, 3 * v
        return b * c * (c + 1)

    def chain_value(v: float) -> float:
        out = v
        for _ in range(6):
            out = out * 0.5 + v
        return out

    return [
        ("a * a + a (a node used three times)", reused, lambda v: v * v + v),
        ("b = 2a, c = b + a, f = (b * c) * (c + 1) (paths of different lengths)", diamond, diamond_value),
        ("a chain of six steps out = 0.5 * out + a", chain, chain_value),
    ]


@student_facing
def check_value_backward(Value: Callable[..., Any], *, seed: int = 0) -> None:
    """Check the traversal in ``backward()`` on graphs where nodes are reused and paths differ in length."""
    t = float(case_rng(seed).uniform(0.5, 1.5))
    for label, build, plain in _graphs(StudentCall(Value, "Value"), t):
        out, a = StudentCall(build, "building the graph")()
        StudentCall(out.backward, "Value.backward")()
        grad = _number(a.grad, "Value.backward", "a.grad")
        exact = (plain(t + 1e-6) - plain(t - 1e-6)) / 2e-6
        if not math.isclose(grad, exact, rel_tol=1e-6):
            raise CheckFailed(
                f"Value.backward: for {label} at a = {t:.4g}, a.grad is {format_number(grad)}, expected {format_number(exact)}.\n"
                "  Likely mistake: a node's rule ran before every node using it had added its share "
                "(visit the nodes in reverse topological order), or a rule uses = where += belongs.",
                {"check": "Value.backward", "quantity": "a.grad", "yours": grad, "expected": exact},
            )
    passed("Value.backward", "gradients accumulate and flow in topological order on three graphs.")
