"""Checks for notebook 1: numerical gradients, relative error, and the scalar autograd ``Value``.

The functions handed to the student's numerical gradient are defined at module level (not as
lambdas), so they can be pickled to another process, and their derivatives are known exactly.
"""

from __future__ import annotations

import functools
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


def squared_norm_squared(x: np.ndarray) -> float:
    """(sum(x**2) + 1)**2: every element's derivative depends on every other element."""
    return float((np.sum(x**2) + 1) ** 2)


def squared_row_norms(x: np.ndarray) -> np.ndarray:
    """Sum of squares over the last axis: an output with fewer dimensions than the input."""
    return np.sum(x**2, axis=-1)


def scaled_by_squared_norm(x: np.ndarray) -> np.ndarray:
    """x * sum(x**2): every output depends on every input."""
    return x * np.sum(x**2)


_SCALAR_FUNCTIONS: list[tuple[Callable[[np.ndarray], float], Callable[[np.ndarray], np.ndarray], str]] = [
    (sum_of_cubes, lambda x: 3 * x**2, "sum(x**3)"),
    (sum_of_x_sin_x, lambda x: np.sin(x) + x * np.cos(x), "sum(x * sin(x))"),
    (log_sum_exp, lambda x: np.exp(x - np.logaddexp.reduce(x, axis=None)), "log(sum(exp(x)))"),
    (squared_norm_squared, lambda x: 4 * x * (np.sum(x**2) + 1), "(sum(x**2) + 1)**2"),
]

_ARRAY_FUNCTIONS: list[tuple[Callable[[np.ndarray], np.ndarray], Callable[[np.ndarray, np.ndarray], np.ndarray], str]] = [
    (np.tanh, lambda x, dout: (1 - np.tanh(x) ** 2) * dout, "tanh(x)"),
    (squared_row_norms, lambda x, dout: 2 * x * dout[..., None], "sum(x**2, axis=-1)"),
    (scaled_by_squared_norm, lambda x, dout: dout * np.sum(x**2) + 2 * x * np.sum(dout * x), "x * sum(x**2)"),
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


def _weighted_sum(f: Callable[[np.ndarray], np.ndarray], dout: np.ndarray, x: np.ndarray) -> float:
    """sum(f(x) * dout): the scalar whose gradient numerical_gradient_upstream computes."""
    return float(np.sum(f(x) * dout))


def _centered(f: Callable[[np.ndarray], float], x: np.ndarray, h: float, *, restored: bool = True) -> np.ndarray:
    """Centered differences; ``restored=False`` leaves each element at x - h, as a common mistake does."""
    x = x.copy()
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        original = x[index]
        x[index] = original + h
        f_plus = f(x)
        x[index] = original - h
        grad[index] = (f_plus - f(x)) / (2 * h)
        if restored:
            x[index] = original
    return grad


def _numerical_gradient_mistake(f: Callable[[np.ndarray], float], x: np.ndarray, result: np.ndarray) -> str | None:
    """The mistake whose answer ``result`` reproduces, each rebuilt on the same ``f`` and ``x``; else None."""
    forward, centered = _one_sided(f, x, 1e-5), _centered(f, x, 1e-5)
    mistakes = [
        (forward, "this is the forward difference (f(x + h) - f(x)) / h, whose error shrinks like h; use the centered difference (f(x + h) - f(x - h)) / 2h"),
        (forward / 2, "x is nudged to x + h and then back to x instead of to x - h, so this is (f(x + h) - f(x)) / 2h"),
        (2 * centered, "divides by h, but the centered difference spans x - h to x + h: divide by 2h"),
        (_centered(f, x, 1e-5, restored=False), "x is not restored after each nudge: put the original value back (x[index] = original) before the next element"),
    ]
    for mistaken, mistake in mistakes:
        # Nearer to the mistaken answer than a hundredth of its distance from the right one: these
        # mistakes differ from the right answer, and from each other, by as little as h.
        gap = np.max(np.abs(mistaken - centered))
        if gap > 1e-9 * np.max(np.abs(centered)) and np.max(np.abs(result - mistaken)) <= 0.01 * gap:
            return mistake
    return None


@student_facing
def check_numerical_gradient(numerical_gradient: Callable[..., Any], shape: tuple[int, ...] = (3, 4), *, seed: int = 0) -> None:
    """Compare ``numerical_gradient(f, x)`` with exact derivatives of four functions at a random ``x``.

    Centered differences with h = 1e-5 agree with the exact gradient to about 1e-9, except where
    the derivative is tiny next to the truncation error h**2 (sum(x**3) at x near 0), so an answer
    equal to the centered difference with h = 1e-5 passes too. A forward difference agrees only to
    about 1e-5, and is recognized.
    """
    check = function_name(numerical_gradient)
    call = StudentCall(numerical_gradient, check)
    x = case_rng(seed).standard_normal(shape)
    for f, derivative, label in _SCALAR_FUNCTIONS:
        case = f"f(x) = {label}, x {tuple(shape)}; {seed_words(seed)}"
        result = as_float_array(call(f, x), check, "the gradient", x.shape)
        mismatch = compare("gradient", result, derivative(x), tolerance=1e-7)
        if mismatch is not None and compare("gradient", result, _centered(f, x, 1e-5), tolerance=1e-9) is None:
            mismatch = None  # the centered difference itself: where the derivative is tiny, h**2 shows
        if mismatch is not None:
            diagnosis = _numerical_gradient_mistake(f, x, result)
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
            if np.allclose(result, gradient(x, np.ones_like(dout)), rtol=1e-5):
                diagnosis = "dout is ignored: differentiate sum(f(x) * dout), not sum(f(x))"
            else:
                weighted = functools.partial(_weighted_sum, f, dout)
                diagnosis = _numerical_gradient_mistake(weighted, x, result)
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


# The mistakes each rule is tested for: the mistake and the local derivatives (d/da, d/db) it gives.
_RULE_MISTAKES: dict[str, list[tuple[str, Callable[[float, float], tuple[float, float]]]]] = {
    "a * b": [("each input gets its own value times the upstream gradient: multiplication swaps, "
               "a gets b * out.grad and b gets a * out.grad", lambda a, b: (a, b))],
    "a ** 3": [("the exponent is not lowered: d(a**n)/da is n * a**(n - 1), not n * a**n", lambda a, b: (3 * a**3, 0.0)),
               ("the factor n is missing: d(a**n)/da is n * a**(n - 1)", lambda a, b: (a**2, 0.0))],
    "a ** -2": [("the exponent is not lowered: d(a**n)/da is n * a**(n - 1), not n * a**n", lambda a, b: (-2 * a**-2, 0.0)),
                ("the factor n is missing: d(a**n)/da is n * a**(n - 1)", lambda a, b: (a**-3, 0.0))],
    "a.exp()": [("d exp(a)/da is exp(a), the output out.data, not the input a", lambda a, b: (a, 0.0))],
    "a.tanh()": [("1 - tanh(a)**2 is computed from the input a instead of the output tanh(a) (out.data)",
                  lambda a, b: (1 - a**2, 0.0))],
    "a.sigmoid()": [("sigmoid(a) * (1 - sigmoid(a)) is computed from the input a instead of the output (out.data)",
                     lambda a, b: (a * (1 - a), 0.0))],
    "a.relu()": [("the gate is missing: relu passes the upstream gradient only where a > 0", lambda a, b: (1.0, 0.0)),
                 ("the gate is reversed: relu passes the upstream gradient where a > 0, not where a < 0",
                  lambda a, b: (float(a < 0), 0.0))],
}


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
        raise CheckFailed(
            f"{owner}: out.data is {format_number(data)}, expected {format_number(expected_data)} (a = {a_value:.4g}, b = {b_value:.4g}).",
            {"check": owner, "quantity": "out.data", "yours": data, "expected": expected_data},
        )
    out.grad = upstream
    StudentCall(out._backward, f"the backward rule of {label}")()
    da, db = _derivatives(plain, a_value, b_value)
    for name, node, exact in (("a", a, da * upstream), ("b", b, db * upstream)):
        grad = _number(node.grad, owner, f"{name}.grad")
        if not math.isclose(grad, exact, rel_tol=1e-6, abs_tol=1e-9):
            mistaken = [("multiply the local derivative by the upstream gradient out.grad", (da, db))]
            mistaken += [(text, tuple(d * upstream for d in local(a_value, b_value))) for text, local in _RULE_MISTAKES.get(label, [])]
            which = "ab".index(name)
            mistake = next((text for text, grads in mistaken if math.isclose(grad, grads[which], rel_tol=1e-6, abs_tol=1e-9)), None)
            raise CheckFailed(
                f"{owner}: after out.grad = {upstream:.4g} and out._backward(), {name}.grad is {format_number(grad)}, "
                f"expected {format_number(exact)}.\n" + (f"  Likely mistake: {mistake}.\n" if mistake else f"  Hint: {hint}.\n")
                + f"  Case: a = {a_value:.4g}, b = {b_value:.4g}.",
                {"check": owner, "quantity": f"{name}.grad", "yours": grad, "expected": exact, "diagnosis": mistake},
            )


def _check_rule_cases(Value: Callable[..., Any], label: str, build: Callable, plain: Callable, hint: str, seed: int) -> None:
    """One rule at a positive and a negative ``a`` (relu's two sides), with an upstream gradient that is not 1."""
    rng = case_rng(seed)
    magnitudes = rng.uniform(0.5, 2.0, 2)
    upstream = float(rng.uniform(1.5, 3.0))
    for a_value, b_value in ((float(magnitudes[0]), -float(magnitudes[1])), (-float(magnitudes[0]), float(magnitudes[1]))):
        _check_rule(Value, label, build, plain, hint, a_value, b_value, upstream)


@student_facing
def check_value_rules(Value: Callable[..., Any], *, seed: int = 0) -> None:
    """Check each operation's local backward rule on its own: set ``out.grad``, run ``out._backward()``.

    This grades every rule independently of the traversal in ``backward()``; the upstream
    gradient is not 1, so a forgotten ``* out.grad`` shows.
    """
    for label, build, plain, hint in _VALUE_RULES:
        _check_rule_cases(Value, label, build, plain, hint, seed)
    passed("Value", f"the local backward rules of {len(_VALUE_RULES)} operations are right.")


@student_facing
def check_value_lecture_example(Value: Callable[..., Any]) -> None:
    """The lecture's graph f = (x + y) * z at x = -2, y = 5, z = -4: df/dx = df/dy = -4, df/dz = 3.

    Only run, not judged, when the rule of + or * gives wrong values on its own: that mistake
    costs the rules' points.
    """
    make = StudentCall(Value, "Value")
    x, y, z = make(-2.0), make(5.0), make(-4.0)
    f = StudentCall(lambda: (x + y) * z, "Value: (x + y) * z")()
    StudentCall(f.backward, "Value.backward")()
    wrong = _wrong_rules(Value, seed=0) & {"+", "*"}
    if wrong:
        passed("Value.backward", f"the lecture example ran; its gradients were not judged: the rules of "
               f"{', '.join(sorted(wrong))} give wrong values on their own (see the rules' check).")
        return
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


# --- graphs through the whole Value: the traversal, the operators, and nodes with several consumers ---


class _Reference:
    """The instructor's Value on plain floats: the expected gradients of a graph, and mistaken ones.

    ``assigning`` names a backward rule ("+", "*", "**", "exp", "tanh", "sigmoid", "relu") that uses
    ``=`` where ``+=`` belongs; ``backward(in_input_order=True)`` runs the rules from the inputs to
    the output, ``backward(seeded=False)`` forgets to set the output's grad to 1.
    Recomputing a graph with such a mistake tells whether a student's gradients are that mistake's.
    """

    def __init__(self, data: float, children: tuple[_Reference, ...] = (), op: str = "", *, assigning: str | None = None) -> None:
        self.data = float(data)
        self.grad = 0.0
        self.children = children
        self.op = op
        self.assigning = assigning
        self._backward: Callable[[], None] = lambda: None

    def _node(self, data: float, children: tuple[_Reference, ...], op: str) -> _Reference:
        return _Reference(data, children, op, assigning=self.assigning)

    def _value(self, x: Any) -> _Reference:
        return x if isinstance(x, _Reference) else self._node(x, (), "")

    def _pass_on(self, node: _Reference, share: float, rule: str) -> None:
        if rule == self.assigning:
            node.grad = share
        else:
            node.grad += share

    def _unary(self, data: float, rule: str, local: Callable[[_Reference], float]) -> _Reference:
        out = self._node(data, (self,), rule)
        out._backward = lambda: self._pass_on(self, local(out) * out.grad, rule)
        return out

    def __add__(self, other: Any) -> _Reference:
        other = self._value(other)
        out = self._node(self.data + other.data, (self, other), "+")

        def _backward() -> None:
            self._pass_on(self, out.grad, "+")
            self._pass_on(other, out.grad, "+")

        out._backward = _backward
        return out

    def __mul__(self, other: Any) -> _Reference:
        other = self._value(other)
        out = self._node(self.data * other.data, (self, other), "*")

        def _backward() -> None:
            self._pass_on(self, other.data * out.grad, "*")
            self._pass_on(other, self.data * out.grad, "*")

        out._backward = _backward
        return out

    def __pow__(self, exponent: float) -> _Reference:
        return self._unary(self.data**exponent, "**", lambda out: exponent * self.data ** (exponent - 1))

    def __neg__(self) -> _Reference:
        return self * -1

    def __sub__(self, other: Any) -> _Reference:
        return self + (-self._value(other))

    def __truediv__(self, other: Any) -> _Reference:
        return self * self._value(other) ** -1

    def __radd__(self, other: float) -> _Reference:
        return self + other

    def __rsub__(self, other: float) -> _Reference:
        return self._value(other) - self

    def __rmul__(self, other: float) -> _Reference:
        return self * other

    def __rtruediv__(self, other: float) -> _Reference:
        return self._value(other) / self

    def exp(self) -> _Reference:
        return self._unary(math.exp(self.data), "exp", lambda out: out.data)

    def tanh(self) -> _Reference:
        return self._unary(math.tanh(self.data), "tanh", lambda out: 1.0 - out.data**2)

    def sigmoid(self) -> _Reference:
        return self._unary(1 / (1 + math.exp(-self.data)), "sigmoid", lambda out: out.data * (1.0 - out.data))

    def relu(self) -> _Reference:
        return self._unary(max(self.data, 0.0), "relu", lambda out: float(self.data > 0))

    def graph(self) -> list[_Reference]:
        """Every node this one depends on, each after its children (a topological order)."""
        order: list[_Reference] = []
        visited: set[int] = set()

        def visit(node: _Reference) -> None:
            if id(node) not in visited:
                visited.add(id(node))
                for child in node.children:
                    visit(child)
                order.append(node)

        visit(self)
        return order

    def backward(self, *, in_input_order: bool = False, seeded: bool = True) -> None:
        order = self.graph()
        self.grad = 1.0 if seeded else 0.0
        for node in order if in_input_order else reversed(order):
            node._backward()

    def rules(self) -> set[str]:
        """The backward rules this graph runs."""
        return {node.op for node in self.graph() if node.op}


# A graph: a label ({c} stands for the number c), how to build it from two inputs a and b and a
# number c, and where to look when it is wrong (the methods that compute it).
_Graph = tuple[str, Callable[[Any, Any, float], Any], str]

_OPERATORS: list[_Graph] = [
    ("a + b", lambda a, b, c: a + b, "__add__"),
    ("a * b", lambda a, b, c: a * b, "__mul__"),
    ("a ** 3", lambda a, b, c: a**3, "__pow__"),
    ("a ** -2", lambda a, b, c: a**-2, "__pow__"),
    ("-a", lambda a, b, c: -a, "__neg__"),
    ("a - b", lambda a, b, c: a - b, "__sub__"),
    ("a / b", lambda a, b, c: a / b, "__truediv__"),
    ("a + {c}", lambda a, b, c: a + c, "__add__ with a number"),
    ("{c} + a", lambda a, b, c: c + a, "__radd__"),
    ("a - {c}", lambda a, b, c: a - c, "__sub__ with a number"),
    ("{c} - a", lambda a, b, c: c - a, "__rsub__"),
    ("a * {c}", lambda a, b, c: a * c, "__mul__ with a number"),
    ("{c} * a", lambda a, b, c: c * a, "__rmul__"),
    ("a / {c}", lambda a, b, c: a / c, "__truediv__ with a number"),
    ("{c} / a", lambda a, b, c: c / a, "__rtruediv__"),
    ("a.exp()", lambda a, b, c: a.exp(), "exp"),
    ("a.tanh()", lambda a, b, c: a.tanh(), "tanh"),
    ("a.sigmoid()", lambda a, b, c: a.sigmoid(), "sigmoid"),
    ("a.relu()", lambda a, b, c: a.relu(), "relu"),
]


def _shared(graph: _Graph) -> _Graph:
    """The operation used twice, and ``a`` feeding three consumers: two through the operation, one ``+``.

    Whatever order a valid traversal picks, one of the operation's rules runs after another
    consumer of ``a`` has added its share, so ``=`` in that rule loses a share.
    """
    label, build, where = graph

    def build_shared(a: Any, b: Any, c: float) -> Any:
        return build(a, b, c) + build(a, b, c) + a

    return f"f = ({label}) + ({label}) + a", build_shared, where


def _traversal_graphs() -> list[_Graph]:
    """Graphs where a node feeds several others: right only with += and a topological order."""

    def diamond(a: Any, b: Any, c: float) -> Any:
        doubled = a * 2.0
        total = doubled + a
        return (doubled * total) * (total + 1.0)

    def chain(a: Any, b: Any, c: float) -> Any:
        out = a
        for _ in range(6):
            out = out * 0.5 + a
        return out

    return [
        ("a * a + a (a node used three times)", lambda a, b, c: a * a + a, "Value.backward"),
        ("b = 2a, c = b + a, f = (b * c) * (c + 1) (paths of different lengths)", diamond, "Value.backward"),
        ("a chain of six steps out = 0.5 * out + a", chain, "Value.backward"),
    ]


def _wrong_rules(Value: Callable[..., Any], seed: int) -> set[str]:
    """The rules that give wrong values on their own, on ``check_value_rules``' cases for ``seed``.

    Graphs through them are only run, not judged: that mistake already costs the rules' points.
    A rule that raises (one not written yet) is not among them, so its graphs fail here too.
    """
    wrong = set()
    for label, build, plain, hint in _VALUE_RULES:
        try:
            _check_rule_cases(Value, label, build, plain, hint, seed)
        except CheckFailed as failure:
            if "quantity" in failure.details:
                wrong.add(build(_Reference(1.0), _Reference(-1.0)).op)
    return wrong


def _mistake_in(graph: _Graph, a_value: float, b_value: float, c: float, yours: dict[str, float]) -> str | None:
    """The mistake whose gradients ``yours`` reproduces, recomputed on the same graph; else None."""
    label, build, where = graph
    hypotheses = [(f"uses = where += belongs in the backward rule of {rule}, so a node that feeds several "
                   "others keeps the last one's share instead of the sum", {"assigning": rule}, {})
                  for rule in ("+", "*", "**", "exp", "tanh", "sigmoid", "relu")]
    hypotheses.append(("backward() runs the rules from the inputs to the output: run them in reverse "
                       "topological order, from the output back to the inputs", {}, {"in_input_order": True}))
    hypotheses.append(("backward() never sets the output's grad to 1 (d f/d f) before running the rules",
                       {}, {"seeded": False}))
    for mistake, settings, order in hypotheses:
        a, b = _Reference(a_value, **settings), _Reference(b_value, **settings)
        build(a, b, c).backward(**order)
        mistaken = {"a": a.grad, "b": b.grad}
        if all(math.isclose(yours[name], mistaken[name], rel_tol=1e-8, abs_tol=1e-10) for name in yours):
            return mistake
    return None


def _check_graph(Value: Callable[..., Any], graph: _Graph, a_value: float, b_value: float, c: float, *, judged: bool = True) -> None:
    """Build ``graph`` from the student's Values, run their ``backward()``, compare data and gradients.

    Not ``judged``: only build it and run ``backward()``, which must not fail.
    """
    label, build, where = graph
    shown = label.format(c=format_number(c))
    make = StudentCall(Value, "Value")
    a, b = make(a_value), make(b_value)
    out = StudentCall(build, f"Value: {shown}")(a, b, c)
    StudentCall(out.backward, "Value.backward")()
    if not judged:
        return
    ra, rb = _Reference(a_value), _Reference(b_value)
    expected_out = build(ra, rb, c)
    expected_out.backward()
    case = f"a = {a_value:.4g}, b = {b_value:.4g}"
    data = _number(out.data, where, "out.data")
    if not math.isclose(data, expected_out.data, rel_tol=1e-9, abs_tol=1e-12):
        raise CheckFailed(
            f"Value: {shown} gives data {format_number(data)}, expected {format_number(expected_out.data)}.\n"
            f"  Where: {where}, which computes it.\n  Case: {case}.",
            {"check": "Value", "quantity": "data", "yours": data, "expected": expected_out.data},
        )
    yours = {"a": _number(a.grad, "Value.backward", "a.grad"), "b": _number(b.grad, "Value.backward", "b.grad")}
    expected = {"a": ra.grad, "b": rb.grad}
    for name in ("a", "b"):
        if not math.isclose(yours[name], expected[name], rel_tol=1e-8, abs_tol=1e-10):
            mistake = _mistake_in(graph, a_value, b_value, c, yours)
            if mistake is None:
                mistake = (f"a node's rule ran before every node using it had added its share, or a rule "
                           f"uses = where += belongs; the rules of {', '.join(sorted(expected_out.rules()))} "
                           f"pass on their own, so look at {where} and at backward()")
            raise CheckFailed(
                f"Value.backward: for {shown}, after f.backward(), {name}.grad is {format_number(yours[name])}, "
                f"expected {format_number(expected[name])}.\n  Likely mistake: {mistake}.\n  Case: {case}.",
                {"check": "Value.backward", "quantity": f"{name}.grad", "yours": yours[name],
                 "expected": expected[name], "diagnosis": mistake},
            )


def _graphs_to_judge(graphs: list[_Graph], wrong: set[str]) -> tuple[list[_Graph], list[_Graph]]:
    """(the graphs to judge, the graphs only to run): those that run a rule in ``wrong`` are only run."""
    judged, only_run = [], []
    for graph in graphs:
        rules = graph[1](_Reference(1.0), _Reference(-1.0), 2.0).rules()
        (only_run if rules & wrong else judged).append(graph)
    return judged, only_run


def _not_judged_note(only_run: list[_Graph], wrong: set[str]) -> str:
    if not only_run:
        return ""
    return (f" The gradients of {len(only_run)} graphs through the rules of {', '.join(sorted(wrong))}, which give "
            "wrong values on their own (see the rules' check), were not judged.")


@student_facing
def check_value_backward(Value: Callable[..., Any], *, seed: int = 0) -> None:
    """Check the traversal in ``backward()`` on graphs where nodes are reused and paths differ in length.

    Graphs through a rule that gives wrong values on its own are run but not judged: that costs
    the rules' points.
    """
    t = float(case_rng(seed).uniform(0.5, 1.5))
    wrong = _wrong_rules(Value, seed)
    judged, only_run = _graphs_to_judge(_traversal_graphs(), wrong)
    for graph in judged + only_run:
        _check_graph(Value, graph, t, 0.0, 0.0, judged=graph in judged)
    _check_backward_starts_from_zero(Value, t)
    passed("Value.backward", f"gradients accumulate and flow in topological order on {len(judged)} graphs."
           + _not_judged_note(only_run, wrong))


def _check_backward_starts_from_zero(Value: Callable[..., Any], t: float) -> None:
    """A second ``backward()`` on the same graph must give the same gradients, not add to them:
    the docstring promises it, and the notebook's training loop relies on it."""
    make = StudentCall(Value, "Value")
    a = make(t)
    out = StudentCall(lambda node: node * node + node, "Value: a * a + a")(a)
    run = StudentCall(out.backward, "Value.backward")
    run()
    first = _number(a.grad, "Value.backward", "a.grad")
    run()
    second = _number(a.grad, "Value.backward", "a.grad")
    if not math.isclose(second, first, rel_tol=1e-12, abs_tol=1e-12):
        mistake = ("backward() adds to the gradients left by the previous call: set every node's grad to 0 "
                   "before seeding out.grad = 1")
        raise CheckFailed(
            f"Value.backward: calling f.backward() twice on f = a * a + a at a = {t:.4g} changed a.grad from "
            f"{format_number(first)} to {format_number(second)}.\n  Likely mistake: {mistake}.",
            {"check": "Value.backward", "quantity": "a.grad", "yours": second, "expected": first, "diagnosis": mistake},
        )


@student_facing
def check_value_operators(Value: Callable[..., Any], *, seed: int = 0) -> None:
    """Every operator of ``Value`` through ``backward()``: alone, and used twice with ``a`` feeding three nodes.

    Covers the operators built from others (``-``, ``/``, negation, numbers on either side:
    ``2 - a``, ``2 / a``), whose data and gradients only show through a whole graph, and each
    backward rule where a node has several consumers, so ``=`` in place of ``+=`` shows. Graphs
    through a rule that gives wrong values on its own are run but not judged: that costs the
    rules' points.
    """
    rng = case_rng(seed)
    magnitudes = rng.uniform(0.5, 2.0, 2)
    c = float(np.round(rng.uniform(1.5, 3.0), 2))
    points = [(float(magnitudes[0]), -float(magnitudes[1])), (-float(magnitudes[0]), float(magnitudes[1]))]
    wrong = _wrong_rules(Value, seed)
    alone, alone_only_run = _graphs_to_judge(_OPERATORS, wrong)
    shared, shared_only_run = _graphs_to_judge([_shared(graph) for graph in _OPERATORS], wrong)
    for graph in alone + alone_only_run:
        for a_value, b_value in points:
            _check_graph(Value, graph, a_value, b_value, c, judged=graph in alone)
    for graph in shared + shared_only_run:
        _check_graph(Value, graph, *points[0], c, judged=graph in shared)  # a > 0: relu lets both uses through
    passed("Value", f"{len(alone)} operators are right alone, {len(shared)} with a node used several times."
           + _not_judged_note(alone_only_run + shared_only_run, wrong))
