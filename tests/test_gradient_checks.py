"""Notebook 1's checks name the mistake they see, and only when a rebuilt mistaken answer matches.

Each mistaken ``Value`` below is the library's with one method rewritten as a student might; the
autograd's checks cover every operator and every rule where a node has several consumers.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from autograder import checks
from autograder.checks import CheckFailed
from backpropkit import autograd
from backpropkit.gradcheck import every_index


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


def backward_without_clearing(self):
    """A backward pass that seeds and runs the rules but never clears the grads of an earlier call."""
    order, visited = [], set()

    def visit(node):
        if node not in visited:
            visited.add(node)
            for child in node.children:
                visit(child)
            order.append(node)

    visit(self)
    self.grad = 1.0
    for node in reversed(order):
        node._backward()


def test_a_backward_that_keeps_old_gradients_is_named(monkeypatch):
    monkeypatch.setattr(autograd.Value, "backward", backward_without_clearing)
    message = str(failure(checks.check_value_backward, autograd.Value, seed=1))
    assert "adds to the gradients left by the previous call" in message


def test_a_wrong_local_rule_is_named_when_its_answer_matches():
    message = str(failure(checks.check_value_rules, WrongTanh, seed=1))
    assert "Likely mistake: 1 - tanh(a)**2 is computed from the input a instead of the output" in message


def divided_by_h(f, x, h=1e-5):
    grad = np.zeros_like(x)
    for index in every_index(x.shape):
        original = x[index]
        x[index] = original + h
        f_plus = f(x)
        x[index] = original - h
        f_minus = f(x)
        x[index] = original
        grad[index] = (f_plus - f_minus) / h
    return grad


def never_restored(f, x, h=1e-5):
    grad = np.zeros_like(x)
    for index in every_index(x.shape):
        original = x[index]
        x[index] = original + h
        f_plus = f(x)
        x[index] = original - h
        grad[index] = (f_plus - f(x)) / (2 * h)
    return grad


def never_restored_upstream(f, x, dout, h=1e-5):
    grad = np.zeros_like(x)
    for index in every_index(x.shape):
        original = x[index]
        x[index] = original + h
        out_plus = f(x).copy()
        x[index] = original - h
        grad[index] = np.sum((out_plus - f(x)) * dout) / (2 * h)
    return grad


@pytest.mark.parametrize("mistaken, mistake", [
    (divided_by_h, "divide by 2h"),
    (never_restored, "x is not restored after each nudge"),
])
def test_numerical_gradient_mistakes_are_named(mistaken, mistake):
    assert mistake in str(failure(checks.check_numerical_gradient, mistaken, (2, 3), seed=1))


def test_an_upstream_gradient_that_never_restores_x_is_named():
    message = str(failure(checks.check_numerical_gradient_upstream, never_restored_upstream, (3, 4), seed=2))
    assert "x is not restored after each nudge" in message


class MultiplicationNotSwapped(autograd.Value):
    def __mul__(self, other):
        other = autograd.as_value(other)
        out = MultiplicationNotSwapped(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += self.data * out.grad
            other.grad += other.data * out.grad

        out._backward = _backward
        return out


def test_a_wrong_multiplication_rule_costs_the_rules_check_only():
    assert "multiplication swaps" in str(failure(checks.check_value_rules, MultiplicationNotSwapped, seed=1))
    checks.check_value_lecture_example(MultiplicationNotSwapped)
    checks.check_value_backward(MultiplicationNotSwapped, seed=1)
    checks.check_value_operators(MultiplicationNotSwapped, seed=1)


def test_a_right_numerical_gradient_passes_where_the_derivative_is_tiny():
    """At seed 7 the one element of x is near 0, where 3x**2 is smaller than the truncation error h**2 allows."""
    from backpropkit import gradcheck

    checks.check_numerical_gradient(gradcheck.numerical_gradient, (1,), seed=7)


def unanswered(name):
    def stub(*args, **kwargs):
        raise NotImplementedError(f"{name}: write your answer here")

    return stub


def test_an_unanswered_value_fails_every_graph_check(monkeypatch):
    monkeypatch.setattr(autograd.Value, "backward", unanswered("Value.backward"))
    monkeypatch.setattr(autograd.Value, "__mul__", unanswered("Value.__mul__"))
    for check in (checks.check_value_backward, checks.check_value_operators):
        assert "implement" in str(failure(check, autograd.Value, seed=1))
    assert "implement" in str(failure(checks.check_value_lecture_example, autograd.Value))


def test_graphs_through_a_wrong_rule_still_need_a_backward_that_runs(monkeypatch):
    monkeypatch.setattr(autograd.Value, "backward", unanswered("Value.backward"))
    monkeypatch.setattr(autograd.Value, "__mul__", MultiplicationNotSwapped.__mul__)
    message = str(failure(checks.check_value_backward, autograd.Value, seed=1))
    assert "implement Value.backward" in message
