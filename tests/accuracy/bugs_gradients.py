"""Planted bugs of notebook 01: the numerical gradients, relative error and the autograd ``Value``.

Each bug is the solution's definition with one realistic edit (``_edited``: one snippet replaced,
so the rest stays the instructor's), and the phrase the grader's message must contain.
"""

from __future__ import annotations

import ast
import json

from corpus import SOLUTIONS, PlantedBug

GRADIENTS = "01_gradients/1_gradients.ipynb"
AUTOGRAD = "01_gradients/2_autograd.ipynb"


def _solution(notebook: str, function: str) -> str:
    """The solution's top-level definition of ``function`` in ``notebook``'s answer cells."""
    cells = json.loads((SOLUTIONS / notebook).read_text(encoding="utf-8"))["cells"]
    for cell in cells:
        if cell["cell_type"] != "code" or not cell["metadata"].get("nbgrader", {}).get("solution"):
            continue
        source = "".join(cell["source"])
        for node in ast.parse(source).body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name == function:
                return "\n".join(source.splitlines()[node.lineno - 1 : node.end_lineno])
    raise KeyError(f"no answer cell of {notebook} defines {function}")


def _edited(notebook: str, function: str, old: str, new: str) -> str:
    """The solution of ``function`` with the one occurrence of ``old`` replaced by ``new``."""
    source = _solution(notebook, function)
    if source.count(old) != 1:
        raise ValueError(f"{function}: {old!r} occurs {source.count(old)} times in the solution, expected once")
    return source.replace(old, new)


def _bug(label: str, notebook: str, function: str, old: str, new: str, mistake: str) -> PlantedBug:
    return PlantedBug(f"{function}/{label}", notebook, function, _edited(notebook, function, old, new), mistake)


_CENTERED = "        x[index] = original - h\n        f_minus = float(f(x))\n        x[index] = original\n        grad[index] = (f_plus - f_minus) / (2 * h)"

BUGS: list[PlantedBug] = [
    # numerical_gradient
    _bug("forward_difference", GRADIENTS, "numerical_gradient", _CENTERED,
         "        x[index] = original\n        grad[index] = (f_plus - float(f(x))) / h", "forward difference"),
    _bug("divides_by_h", GRADIENTS, "numerical_gradient", "(f_plus - f_minus) / (2 * h)", "(f_plus - f_minus) / h",
         "divide by 2h"),
    _bug("never_restored", GRADIENTS, "numerical_gradient", "        x[index] = original\n        grad", "        grad",
         "not restored"),
    _bug("back_to_x_not_x_minus_h", GRADIENTS, "numerical_gradient", "x[index] = original - h", "x[index] = original",
         "instead of to x - h"),
    # numerical_gradient_upstream
    _bug("ignores_dout", GRADIENTS, "numerical_gradient_upstream", "xp.sum((out_plus - out_minus) * dout)",
         "xp.sum(out_plus - out_minus)", "dout is ignored"),
    _bug("divides_by_h", GRADIENTS, "numerical_gradient_upstream", "/ (2 * h)", "/ h", "divide by 2h"),
    _bug("never_restored", GRADIENTS, "numerical_gradient_upstream", "        x[index] = original\n        grad", "        grad",
         "not restored"),
    # relative_error
    _bug("mean", GRADIENTS, "relative_error", "worst = xp.max(", "worst = xp.mean(", "mean over the elements"),
    _bug("no_floor", GRADIENTS, "relative_error", "xp.abs(a - b) / xp.maximum(magnitude, floor)",
         "xp.abs(a - b) / magnitude", "0 / 0"),
    _bug("larger_of_the_two", GRADIENTS, "relative_error", "magnitude = xp.abs(a) + xp.abs(b)",
         "magnitude = xp.maximum(xp.abs(a), xp.abs(b))", "not by the larger of the two"),
    _bug("absolute", GRADIENTS, "relative_error", "xp.abs(a - b) / xp.maximum(magnitude, floor)",
         "xp.abs(a - b)", "absolute error"),
    _bug("tiny_floor_only", GRADIENTS, "relative_error", "floor = xp.maximum(SCALE_FLOOR * xp.max(magnitude), TINY)",
         "floor = TINY", "TINY"),
    # Value: the backward rules
    _bug("tanh_assigns", AUTOGRAD, "Value", "self.grad += (1.0 - out.data**2) * out.grad",
         "self.grad = (1.0 - out.data**2) * out.grad", "uses = where += belongs in the backward rule of tanh"),
    _bug("relu_assigns", AUTOGRAD, "Value", "self.grad += (self.data > 0) * out.grad",
         "self.grad = (self.data > 0) * out.grad", "uses = where += belongs in the backward rule of relu"),
    _bug("pow_assigns", AUTOGRAD, "Value", "self.grad += exponent", "self.grad = exponent",
         "uses = where += belongs in the backward rule of **"),
    _bug("mul_assigns", AUTOGRAD, "Value",
         "self.grad += other.data * out.grad\n            other.grad += self.data * out.grad",
         "self.grad = other.data * out.grad\n            other.grad = self.data * out.grad",
         "uses = where += belongs in the backward rule of *"),
    _bug("tanh_of_input", AUTOGRAD, "Value", "(1.0 - out.data**2)", "(1.0 - self.data**2)",
         "computed from the input a instead of the output tanh(a)"),
    _bug("sigmoid_of_input", AUTOGRAD, "Value", "out.data * (1.0 - out.data) * out.grad",
         "self.data * (1.0 - self.data) * out.grad", "from the input a instead of the output"),
    _bug("mul_not_swapped", AUTOGRAD, "Value", "self.grad += other.data * out.grad", "self.grad += self.data * out.grad",
         "multiplication swaps"),
    _bug("pow_exponent_not_lowered", AUTOGRAD, "Value", "self.data ** (exponent - 1)", "self.data**exponent",
         "the exponent is not lowered"),
    _bug("relu_without_upstream", AUTOGRAD, "Value", "(self.data > 0) * out.grad", "float(self.data > 0)",
         "multiply the local derivative by the upstream gradient"),
    # Value: the traversal and the operators built from others
    _bug("rules_in_input_order", AUTOGRAD, "Value", "for node in reversed(order):", "for node in order:",
         "runs the rules from the inputs to the output"),
    _bug("output_grad_never_seeded", AUTOGRAD, "Value", "        self.grad = 1.0\n", "",
         "never sets the output's grad to 1"),
    _bug("rsub_swapped", AUTOGRAD, "Value", "return as_value(other) - self", "return self - other", "__rsub__"),
    _bug("rtruediv_swapped", AUTOGRAD, "Value", "return as_value(other) / self", "return self / other", "__rtruediv__"),
]
