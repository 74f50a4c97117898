"""The scalar autograd gives the chain rule's gradients, summing them where a value forks."""

from __future__ import annotations

import math

import numpy as np
import pytest

from backpropkit.autograd import Value
from backpropkit.gradcheck import numerical_gradient


def gradients_of(expression, *numbers: float) -> list[float]:
    """Gradients of ``expression`` at ``numbers`` by the autograd."""
    leaves = [Value(n) for n in numbers]
    expression(*leaves).backward()
    return [leaf.grad for leaf in leaves]


def numerical_gradients_of(expression, *numbers: float) -> np.ndarray:
    """The same gradients by centered differences, for comparison."""
    return numerical_gradient(lambda p: expression(*(Value(float(n)) for n in p)).data, np.array(numbers))


def test_the_lecture_example() -> None:
    x, y, z = Value(-2.0), Value(5.0), Value(-4.0)

    f = (x + y) * z
    f.backward()

    assert f.data == -12.0
    assert (x.grad, y.grad, z.grad) == (-4.0, -4.0, 3.0)


def test_a_value_used_twice_receives_the_sum_of_both_gradients() -> None:
    a = Value(3.0)

    f = a * a + a  # df/da = 2a + 1
    f.backward()

    assert a.grad == 7.0


def test_the_sigmoid_gate_equals_its_circuit_of_primitive_gates() -> None:
    # f(w, x) = 1 / (1 + exp(-(w0 x0 + w1 x1 + w2))), once as one gate and once from +, *, exp, /.
    def as_one_gate(w0, x0, w1, x1, w2):
        return (w0 * x0 + w1 * x1 + w2).sigmoid()

    def as_circuit(w0, x0, w1, x1, w2):
        return 1 / (1 + (-(w0 * x0 + w1 * x1 + w2)).exp())

    point = (2.0, -1.0, -3.0, -2.0, -3.0)
    gate = gradients_of(as_one_gate, *point)
    circuit = gradients_of(as_circuit, *point)

    out = as_one_gate(*(Value(p) for p in point)).data
    local = out * (1 - out)  # sigma'(z) = sigma(z) (1 - sigma(z))
    assert gate == pytest.approx(circuit)
    assert gate == pytest.approx([local * point[1], local * point[0], local * point[3], local * point[2], local])


EXPRESSIONS = {
    "add and multiply": lambda a, b, c: a * b + c * a,
    "subtract and divide": lambda a, b, c: (a - b) / c - 2 / b,
    "powers": lambda a, b, c: a**3 + b**-2 - (c**2) ** 0.5,
    "tanh": lambda a, b, c: (a * b).tanh() * c,
    "sigmoid": lambda a, b, c: (a + b - c).sigmoid(),
    "exp": lambda a, b, c: (a * 0.5).exp() + b * c.exp(),
    "relu": lambda a, b, c: (a * b).relu() + (-c).relu() * 3,
    "neuron": lambda a, b, c: (a * 1.5 + b * -0.7 + c + 0.2).tanh() * (1 - a),
    "numbers on the left": lambda a, b, c: 3 - a + 2 * b + 1 / c,
}


@pytest.mark.parametrize("name", list(EXPRESSIONS))
def test_gradients_match_numerical_derivatives(name) -> None:
    expression = EXPRESSIONS[name]
    point = (0.8, -1.3, 1.7)

    np.testing.assert_allclose(
        gradients_of(expression, *point), numerical_gradients_of(expression, *point), rtol=1e-6, atol=1e-9
    )


def test_relu_stops_the_gradient_of_negative_inputs() -> None:
    assert gradients_of(lambda a: a.relu(), -2.0) == [0.0]
    assert gradients_of(lambda a: a.relu(), 2.0) == [1.0]


def test_sigmoid_does_not_overflow() -> None:
    low, high = Value(-1000.0).sigmoid(), Value(1000.0).sigmoid()

    assert low.data == 0.0 and high.data == 1.0
    assert gradients_of(lambda a: a.sigmoid(), -1000.0) == [0.0]


def test_a_second_backward_pass_gives_the_same_gradients() -> None:
    a, b = Value(2.0), Value(5.0)
    f = a * b + a
    f.backward()
    first = (a.grad, b.grad)

    f.backward()

    assert (a.grad, b.grad) == first == (6.0, 2.0)


def test_nodes_record_their_inputs_and_operation() -> None:
    a, b = Value(2.0, label="a"), Value(3.0, label="b")
    c = a * b

    assert c.children == (a, b)
    assert c.op == "*"
    assert "a: data=2" in repr(a)
    assert math.isclose((a**2).data, 4.0)


def test_bad_operands_are_refused() -> None:
    with pytest.raises(TypeError, match="exponent of a Value must be a plain number"):
        Value(2.0) ** Value(3.0)
    with pytest.raises(TypeError, match="Value holds a real number, got str"):
        Value("2")
