"""The autograd's checks: every operator and every rule where a node has several consumers.

Each mistaken ``Value`` below is the library's with one method rewritten as a student might.
"""

from __future__ import annotations

import math

import pytest

from autograder import checks
from autograder.checks import CheckFailed
from backpropkit import autograd


def failure(check, *args, **kwargs) -> CheckFailed:
    with pytest.raises(CheckFailed) as caught:
        check(*args, **kwargs)
    return caught.value


class AssigningTanh(autograd.Value):
    """tanh whose rule assigns its gradient instead of adding it."""

    def tanh(self):
        out = AssigningTanh(math.tanh(self.data), (self,), "tanh")

        def _backward():
            self.grad = (1.0 - out.data**2) * out.grad

        out._backward = _backward
        return out


class SwappedRsub(autograd.Value):
    """``2 - a`` computed as ``a - 2``."""

    def __rsub__(self, other):
        return self - other


class WrongTanh(autograd.Value):
    """tanh's local derivative taken as 1 - a**2, from the input instead of the output."""

    def tanh(self):
        out = WrongTanh(math.tanh(self.data), (self,), "tanh")

        def _backward():
            self.grad += (1.0 - self.data**2) * out.grad

        out._backward = _backward
        return out


def backward_in_input_order(self):
    """A backward pass that runs the rules from the inputs to the output."""
    order, visited = [], set()

    def visit(node):
        if node not in visited:
            visited.add(node)
            for child in node.children:
                visit(child)
            order.append(node)

    visit(self)
    for node in order:
        node.grad = 0.0
    self.grad = 1.0
    for node in order:
        node._backward()


def test_the_library_value_passes_every_operator_and_graph():
    checks.check_value_operators(autograd.Value, seed=3)
    checks.check_value_backward(autograd.Value, seed=3)


def test_an_assigning_unary_rule_is_named_with_its_operator():
    message = str(failure(checks.check_value_operators, AssigningTanh, seed=1))
    assert "uses = where += belongs in the backward rule of tanh" in message
    checks.check_value_rules(AssigningTanh, seed=1)  # on its own the rule is right: one deduction


def test_a_broken_reflected_operator_is_named():
    message = str(failure(checks.check_value_operators, SwappedRsub, seed=1))
    assert "- a gives data" in message and "__rsub__" in message


def test_a_rule_wrong_on_its_own_costs_the_rules_check_only():
    failure(checks.check_value_rules, WrongTanh, seed=1)
    checks.check_value_operators(WrongTanh, seed=1)
    checks.check_value_backward(WrongTanh, seed=1)


def test_rules_run_in_input_order_are_named(monkeypatch):
    monkeypatch.setattr(autograd.Value, "backward", backward_in_input_order)  # every node's, not a subclass's
    message = str(failure(checks.check_value_backward, autograd.Value, seed=1))
    assert "runs the rules from the inputs to the output" in message
