"""The check of notebook 3's hand-written backward pass through the two-layer sigmoid network.

It is :func:`layer_checks.check_backward` with the network's parameters as the inputs, plus the
mistakes students make when they backpropagate a whole network by hand: each is the reference
backward pass with that one slip, computed on the same cache and upstream gradient, and a failure
names it only when the student's gradients reproduce it. The mistakes are built from the
instructor's reference (:mod:`autograder.references`), so the student edition names none.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

import numpy as np

from .calling import StudentCall, as_float_array, function_name, unpack
from .diagnose import Mistake, recognized_mistake
from .failures import student_facing
from .layer_checks import InputSpec, run_backward_check
from .numeric import case_rng, make_inputs

try:
    from .. import references
except ImportError:  # the student edition and the grading sandbox ship without the references
    references = None

PARAMETERS = ["W1", "b1", "W2", "b2"]
_BIAS_PENALTY = "the penalty is added to a bias gradient: biases are not penalized, so db1 and db2 get no (reg / m) term"


def _gradients(cache: tuple, dJ: float, *, delta2: np.ndarray | None = None, hidden_derivative: bool = True, penalty: float | None = None) -> list[np.ndarray]:
    """(dW1, db1, dW2, db2) of the network, with the slips the keyword arguments describe."""
    X, Y, A, Y_hat, W1, W2, reg = cache
    m = X.shape[0]
    delta2 = dJ * (Y_hat - Y) / m if delta2 is None else delta2
    penalty = reg / m if penalty is None else penalty
    dA = delta2 @ W2.T
    delta1 = dA * A * (1.0 - A) if hidden_derivative else dA
    return [X.T @ delta1 + dJ * penalty * W1, delta1.sum(axis=0), A.T @ delta2 + dJ * penalty * W2, delta2.sum(axis=0)]


def _mistakes(cache: tuple, dJ: float) -> list[Mistake]:
    X, Y, A, Y_hat, W1, W2, reg = cache
    m = X.shape[0]
    right = _gradients(cache, dJ)
    delta2 = dJ * (Y_hat - Y) / m

    def with_bias_terms(db1_term: np.ndarray | float, db2_term: np.ndarray | float) -> list[np.ndarray]:
        dW1, db1, dW2, db2 = right
        return [dW1, db1 + db1_term, dW2, db2 + db2_term]

    column_penalty1, column_penalty2 = dJ * reg / m * W1.sum(axis=0), dJ * reg / m * W2.sum(axis=0)
    constant_penalty = dJ * reg / m
    return [
        Mistake(
            "the hidden layer's sigmoid derivative is missing: delta1 = (delta2 @ W2.T) * A * (1 - A)",
            lambda: _gradients(cache, dJ, hidden_derivative=False),
        ),
        Mistake(
            "the output sigmoid's derivative Y_hat * (1 - Y_hat) is multiplied in: with cross-entropy it cancels, "
            "and delta2 = (Y_hat - Y) / m",
            lambda: _gradients(cache, dJ, delta2=delta2 * Y_hat * (1 - Y_hat)),
        ),
        Mistake(_BIAS_PENALTY, lambda: with_bias_terms(column_penalty1, column_penalty2)),
        Mistake(_BIAS_PENALTY, lambda: with_bias_terms(column_penalty1, 0.0)),
        Mistake(_BIAS_PENALTY, lambda: with_bias_terms(0.0, column_penalty2)),
        Mistake(_BIAS_PENALTY, lambda: with_bias_terms(constant_penalty, constant_penalty)),
        Mistake(_BIAS_PENALTY, lambda: with_bias_terms(constant_penalty, 0.0)),
        Mistake(_BIAS_PENALTY, lambda: with_bias_terms(0.0, constant_penalty)),
        Mistake("the penalty's gradient is missing: add (reg / m) * W to dW1 and dW2", lambda: _gradients(cache, dJ, penalty=0.0)),
        Mistake("the penalty's gradient is reg * W: the penalty is reg / (2m) * sum(W**2), so its gradient is (reg / m) * W", lambda: _gradients(cache, dJ, penalty=reg)),
        Mistake("delta2 is not divided by m: the cost is the mean over the m examples, delta2 = (Y_hat - Y) / m", lambda: _gradients(cache, dJ, delta2=delta2 * m)),
        Mistake("delta2 has the wrong sign: it is (Y_hat - Y) / m, prediction minus target", lambda: _gradients(cache, dJ, delta2=-delta2)),
    ]


def _diagnose(backward: Callable[..., Any], inputs: InputSpec, params: dict[str, Any], seed: int) -> Callable[[str], str | None]:
    """The mistake, among the known ones, that the student's gradients reproduce on the check's own case."""

    def diagnosis(quantity: str) -> str | None:
        reference = references.layer_reference("two_layer_net_backward") if references is not None else None
        if reference is None:
            return None
        arrays = make_inputs(inputs, seed)
        out, cache = reference.forward(*arrays.values(), **params)
        dJ = case_rng(seed + 1).standard_normal(np.shape(out))
        check = function_name(backward)
        returned = unpack(StudentCall(backward, check)(dJ, cache), check, [f"d{name}" for name in PARAMETERS])
        yours = [as_float_array(value, check, f"d{name}") for name, value in zip(PARAMETERS, returned)]
        return recognized_mistake(yours, _mistakes(cache, float(dJ)))

    return diagnosis


@student_facing
def check_two_layer_net_backward(
    two_layer_net_forward: Callable[..., Any],
    two_layer_net_backward: Callable[..., Any],
    inputs: InputSpec,
    params: Mapping[str, Any],
    *,
    seed: int = 0,
    name: str | None = None,
) -> None:
    """Check ``two_layer_net_backward(dJ, cache) -> (dW1, db1, dW2, db2)`` numerically, as check_backward does.

    ``inputs`` maps X, Y, W1, b1, W2, b2 to shapes or values and ``params`` holds ``reg``.
    Example: ``check_two_layer_net_backward(two_layer_net_forward, two_layer_net_backward,
    {"X": (5, 4), "Y": [[1, 0], ...], "W1": (4, 3), "b1": (3,), "W2": (3, 2), "b2": (2,)}, {"reg": 0.1})``.
    """
    params = dict(params)
    run_backward_check(
        two_layer_net_forward, two_layer_net_backward, inputs, params, seed=seed, name=name, wrt=PARAMETERS,
        extra_diagnosis=_diagnose(two_layer_net_backward, inputs, params, seed),
    )
