"""A tiny scalar autograd: numbers that remember how they were computed.

Every arithmetic operation on :class:`Value` objects creates a new node that records its inputs
(``children``), what made it (``op``) and a small function that, given the gradient of the final
output with respect to this node (``out.grad``, the *upstream* gradient), adds each input's
share to that input's ``grad``: upstream times the local derivative, the chain rule.
:meth:`Value.backward` visits the nodes from the output back to the inputs in topological order,
so a node passes its gradient on only after every node that uses it has added to it.

    >>> x, y, z = Value(-2.0), Value(5.0), Value(-4.0)
    >>> f = (x + y) * z
    >>> f.backward()
    >>> x.grad, y.grad, z.grad
    (-4.0, -4.0, 3.0)

Within one backward pass gradients accumulate (``+=``): a node used twice receives the sum of
both paths' gradients, the multivariate chain rule.
"""

from __future__ import annotations

import math
from numbers import Real
from typing import Callable, Union

Number = Union[int, float]


class Value:
    """One scalar in a computational graph, with the gradient of the graph's output w.r.t. it."""

    def __init__(self, data: Number, children: tuple[Value, ...] = (), op: str = "", label: str = "") -> None:
        if isinstance(data, bool) or not isinstance(data, Real):
            raise TypeError(f"Value holds a real number, got {type(data).__name__}")
        self.data = float(data)
        self.grad = 0.0
        self.children = children
        self.op = op
        self.label = label
        self._backward: Callable[[], None] = lambda: None  # a leaf passes nothing on

    def __repr__(self) -> str:
        name = f"{self.label}: " if self.label else ""
        return f"Value({name}data={self.data:.6g}, grad={self.grad:.6g})"

    # --- Operations with two inputs --------------------------------------------------------

    def __add__(self, other: Value | Number) -> Value:
        other = as_value(other)
        out = Value(self.data + other.data, (self, other), "+")

        def _backward() -> None:
            # d(a + b)/da = d(a + b)/db = 1: addition hands the upstream gradient to both inputs.
            raise NotImplementedError('Value.__add__ is an exercise: write it in the notebook 01_gradients/2_autograd.ipynb. The student edition of backpropkit leaves its reference answer out.')

        out._backward = _backward
        return out

    def __mul__(self, other: Value | Number) -> Value:
        other = as_value(other)
        out = Value(self.data * other.data, (self, other), "*")

        def _backward() -> None:
            # d(a b)/da = b, d(a b)/db = a: multiplication swaps its inputs.
            raise NotImplementedError('Value.__mul__ is an exercise: write it in the notebook 01_gradients/2_autograd.ipynb. The student edition of backpropkit leaves its reference answer out.')

        out._backward = _backward
        return out

    def __pow__(self, exponent: Number) -> Value:
        if isinstance(exponent, Value) or isinstance(exponent, bool) or not isinstance(exponent, Real):
            raise TypeError("the exponent of a Value must be a plain number, e.g. x ** 2 or x ** -1")
        out = Value(self.data**exponent, (self,), f"**{exponent:g}")

        def _backward() -> None:
            # d(a^k)/da = k a^(k-1).
            raise NotImplementedError('Value.__pow__ is an exercise: write it in the notebook 01_gradients/2_autograd.ipynb. The student edition of backpropkit leaves its reference answer out.')

        out._backward = _backward
        return out

    # The rest of arithmetic is built from +, * and **, so it needs no backward rule of its own.

    def __neg__(self) -> Value:
        return self * -1

    def __sub__(self, other: Value | Number) -> Value:
        return self + (-as_value(other))

    def __truediv__(self, other: Value | Number) -> Value:
        return self * as_value(other) ** -1

    def __radd__(self, other: Number) -> Value:
        return self + other

    def __rsub__(self, other: Number) -> Value:
        return as_value(other) - self

    def __rmul__(self, other: Number) -> Value:
        return self * other

    def __rtruediv__(self, other: Number) -> Value:
        return as_value(other) / self

    # --- Functions of one input ------------------------------------------------------------

    def exp(self) -> Value:
        out = Value(math.exp(self.data), (self,), "exp")

        def _backward() -> None:
            # d(e^a)/da = e^a, the output itself.
            raise NotImplementedError('Value.exp is an exercise: write it in the notebook 01_gradients/2_autograd.ipynb. The student edition of backpropkit leaves its reference answer out.')

        out._backward = _backward
        return out

    def tanh(self) -> Value:
        out = Value(math.tanh(self.data), (self,), "tanh")

        def _backward() -> None:
            # d tanh(a)/da = 1 - tanh(a)^2.
            raise NotImplementedError('Value.tanh is an exercise: write it in the notebook 01_gradients/2_autograd.ipynb. The student edition of backpropkit leaves its reference answer out.')

        out._backward = _backward
        return out

    def sigmoid(self) -> Value:
        # Written so that exp never overflows: exp(-|a|) lies in (0, 1].
        decay = math.exp(-abs(self.data))
        out = Value(1.0 / (1.0 + decay) if self.data >= 0 else decay / (1.0 + decay), (self,), "sigmoid")

        def _backward() -> None:
            # d sigma(a)/da = sigma(a) (1 - sigma(a)).
            raise NotImplementedError('Value.sigmoid is an exercise: write it in the notebook 01_gradients/2_autograd.ipynb. The student edition of backpropkit leaves its reference answer out.')

        out._backward = _backward
        return out

    def relu(self) -> Value:
        out = Value(max(self.data, 0.0), (self,), "relu")

        def _backward() -> None:
            # d relu(a)/da = 1 where a > 0, else 0: the gate lets the gradient through or stops it.
            raise NotImplementedError('Value.relu is an exercise: write it in the notebook 01_gradients/2_autograd.ipynb. The student edition of backpropkit leaves its reference answer out.')

        out._backward = _backward
        return out

    # --- The backward pass -----------------------------------------------------------------

    def backward(self) -> None:
        """Fill in ``grad`` of every node this value depends on: d(self)/d(node).

        Orders the graph so that each node comes after all of its children (a topological
        order), clears every ``grad`` (so a second call gives the same gradients, not twice
        them), seeds ``self.grad = 1`` (d self / d self) and runs each node's backward rule from
        the output back to the inputs. The depth-first search is recursive, which limits graphs
        to chains of about a thousand nodes (Python's recursion limit).
        """
        raise NotImplementedError('Value.backward is an exercise: write it in the notebook 01_gradients/2_autograd.ipynb. The student edition of backpropkit leaves its reference answer out.')


def as_value(x: Value | Number) -> Value:
    """``x`` itself when it is a Value, else a new leaf holding the number ``x``."""
    return x if isinstance(x, Value) else Value(x)
