"""Update rules: one step of gradient descent and its refinements.

Every rule has the same shape, ``rule(w, dw, state, *, hyperparameters) -> (next_w, next_state)``:

- ``w`` is one parameter array and ``dw`` the gradient of the loss with respect to it (same shape);
- ``state`` is a dict the rule keeps between steps for this one parameter (``{}`` at the first
  step: a velocity, running averages, a step count);
- the rule returns a *new* array and a *new* dict; it never changes ``w`` or ``state`` in place,
  so a caller can keep the old values (to compare, to plot a trajectory, or to undo a step).

``weight_decay`` (every rule takes it, default 0) is L2 regularization folded into the gradient,
``dw + weight_decay * w``, as in the lecture notes ("add -alpha theta to the gradient"). For plain
SGD this is the same as shrinking the weights by ``learning_rate * weight_decay`` each step; for
the adaptive rules (AdaGrad, RMSProp, Adam) the decay is rescaled with the gradient, which is the
classic coupled form, not AdamW's decoupled one.

The graded part of each rule (what students write in the optimization notebook) sits between the
solution markers; reading the state and returning the results stay outside.

:func:`lbfgs_minimize`, full-batch L-BFGS through SciPy, is the one optimizer here that is not an
update rule: it runs to convergence on small problems, for comparison with the rules.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
from array_api_compat import is_numpy_array

from .backend import Array, check_array, namespace, require_finite_number, require_positive_integer, require_same_backend


def _check_step_inputs(w: Any, dw: Any, state: Any, **hyperparameters: float) -> None:
    """Clear errors for the mistakes a rule cannot recover from: shapes, types, bad settings."""
    check_array(w, "w")
    check_array(dw, "dw")
    if tuple(dw.shape) != tuple(w.shape):
        raise ValueError(f"dw must have the shape of w {tuple(w.shape)}, got {tuple(dw.shape)}")
    require_same_backend(w, dw)
    if not isinstance(state, dict):
        raise TypeError(f"state must be a dict (use {{}} at the first step), got {type(state).__name__}")
    for name, value in hyperparameters.items():
        require_finite_number(value, name)
        if value < 0:
            raise ValueError(f"{name} must be >= 0, got {value}")
    for name in ("momentum", "decay_rate", "beta1", "beta2"):
        if name in hyperparameters and not hyperparameters[name] < 1:
            raise ValueError(f"{name} must be in [0, 1), got {hyperparameters[name]}")


def _state_array(state: dict, key: str, w: Array) -> Array:
    """The array ``state[key]`` kept from the last step, or zeros like ``w`` at the first step."""
    if key not in state:
        return namespace(w).zeros_like(w)
    value = state[key]
    if tuple(getattr(value, "shape", ())) != tuple(w.shape):
        raise ValueError(
            f"state[{key!r}] has shape {tuple(getattr(value, 'shape', ()))} but w has {tuple(w.shape)}; "
            "each parameter needs its own state dict"
        )
    return value


def _with_weight_decay(w: Array, dw: Array, weight_decay: float) -> Array:
    """The gradient of ``loss + weight_decay / 2 * sum(w**2)``."""
    return dw if weight_decay == 0 else dw + weight_decay * w


def sgd(
    w: Array, dw: Array, state: dict, *, learning_rate: float, weight_decay: float = 0.0
) -> tuple[Array, dict]:
    """Vanilla stochastic gradient descent: ``w - learning_rate * dw``.

    Shapes: w and dw any shape (equal) -> next_w of that shape. State: none (returned empty).
    """
    _check_step_inputs(w, dw, state, learning_rate=learning_rate, weight_decay=weight_decay)
    dw = _with_weight_decay(w, dw, weight_decay)
    raise NotImplementedError('sgd is an exercise: write it in the notebook 04_optimization/1_update_rules.ipynb. The student edition of backpropkit leaves its reference answer out.')
    return next_w, {}


def sgd_momentum(
    w: Array,
    dw: Array,
    state: dict,
    *,
    learning_rate: float,
    momentum: float = 0.9,
    weight_decay: float = 0.0,
) -> tuple[Array, dict]:
    """SGD with momentum, the "velocity with friction" form.

    ``v = momentum * v + dw`` then ``w = w - learning_rate * v``: the velocity is a running sum of
    gradients that forgets old ones at rate ``momentum`` (rho, the friction; 0.9 or 0.99).

    Two other formulations appear in the notes and in other libraries:

    - velocity holding the step, ``v = rho * v - learning_rate * dw; w = w + v``: with a constant
      learning rate it gives exactly the same iterates (its v is -learning_rate times ours); they
      differ only when the learning rate changes during training;
    - an exponential average of gradients, ``p = mu * dw + (1 - mu) * p; w = w - learning_rate * p``:
      with ``rho = 1 - mu`` its p is ``mu`` times our v, so it is this rule with the learning rate
      scaled by ``mu``.

    Shapes: w, dw any shape -> next_w. State: ``velocity`` (shape of w, zeros at the first step).
    """
    _check_step_inputs(w, dw, state, learning_rate=learning_rate, momentum=momentum, weight_decay=weight_decay)
    dw = _with_weight_decay(w, dw, weight_decay)
    velocity = _state_array(state, "velocity", w)
    raise NotImplementedError('sgd_momentum is an exercise: write it in the notebook 04_optimization/1_update_rules.ipynb. The student edition of backpropkit leaves its reference answer out.')
    return next_w, {"velocity": velocity}


def nesterov_momentum(
    w: Array,
    dw: Array,
    state: dict,
    *,
    learning_rate: float,
    momentum: float = 0.9,
    weight_decay: float = 0.0,
) -> tuple[Array, dict]:
    """Nesterov momentum: step along the velocity, then correct with the gradient at the look-ahead.

    With the gradient taken at the current weights (as every rule here receives it), the look-ahead
    is written as ``v = momentum * v + dw`` then ``w = w - learning_rate * (dw + momentum * v)``:
    the step uses the velocity one step further than plain momentum does.

    Shapes: w, dw any shape -> next_w. State: ``velocity`` (shape of w, zeros at the first step).
    """
    _check_step_inputs(w, dw, state, learning_rate=learning_rate, momentum=momentum, weight_decay=weight_decay)
    dw = _with_weight_decay(w, dw, weight_decay)
    velocity = _state_array(state, "velocity", w)
    raise NotImplementedError('nesterov_momentum is an exercise: write it in the notebook 04_optimization/1_update_rules.ipynb. The student edition of backpropkit leaves its reference answer out.')
    return next_w, {"velocity": velocity}


def adagrad(
    w: Array,
    dw: Array,
    state: dict,
    *,
    learning_rate: float,
    eps: float = 1e-7,
    weight_decay: float = 0.0,
) -> tuple[Array, dict]:
    """AdaGrad: per-parameter steps scaled by the root of the sum of all squared gradients so far.

    ``g2 = g2 + dw**2`` then ``w = w - learning_rate * dw / (sqrt(g2) + eps)``. The sum only grows,
    so the steps shrink for good; RMSProp fixes that.

    Shapes: w, dw any shape -> next_w. State: ``grad_squared`` (shape of w).
    """
    _check_step_inputs(w, dw, state, learning_rate=learning_rate, eps=eps, weight_decay=weight_decay)
    dw = _with_weight_decay(w, dw, weight_decay)
    xp = namespace(w, dw)
    grad_squared = _state_array(state, "grad_squared", w)
    raise NotImplementedError('adagrad is an exercise: write it in the notebook 04_optimization/1_update_rules.ipynb. The student edition of backpropkit leaves its reference answer out.')
    return next_w, {"grad_squared": grad_squared}


def rmsprop(
    w: Array,
    dw: Array,
    state: dict,
    *,
    learning_rate: float,
    decay_rate: float = 0.99,
    eps: float = 1e-8,
    weight_decay: float = 0.0,
) -> tuple[Array, dict]:
    """RMSProp: AdaGrad with a leaky (exponentially decaying) average of squared gradients.

    ``g2 = decay_rate * g2 + (1 - decay_rate) * dw**2`` then
    ``w = w - learning_rate * dw / (sqrt(g2) + eps)``.

    Shapes: w, dw any shape -> next_w. State: ``grad_squared`` (shape of w).
    """
    _check_step_inputs(
        w, dw, state, learning_rate=learning_rate, decay_rate=decay_rate, eps=eps, weight_decay=weight_decay
    )
    dw = _with_weight_decay(w, dw, weight_decay)
    xp = namespace(w, dw)
    grad_squared = _state_array(state, "grad_squared", w)
    raise NotImplementedError('rmsprop is an exercise: write it in the notebook 04_optimization/1_update_rules.ipynb. The student edition of backpropkit leaves its reference answer out.')
    return next_w, {"grad_squared": grad_squared}


def adam(
    w: Array,
    dw: Array,
    state: dict,
    *,
    learning_rate: float,
    beta1: float = 0.9,
    beta2: float = 0.999,
    eps: float = 1e-8,
    weight_decay: float = 0.0,
) -> tuple[Array, dict]:
    """Adam: momentum on the gradient and RMSProp on its square, both with bias correction.

    At step t (1, 2, ...): ``m = beta1 * m + (1 - beta1) * dw``, ``v = beta2 * v + (1 - beta2) * dw**2``,
    ``m_hat = m / (1 - beta1**t)``, ``v_hat = v / (1 - beta2**t)``,
    ``w = w - learning_rate * m_hat / (sqrt(v_hat) + eps)``. The correction undoes the pull towards
    zero of averages that start at zero. Uncorrected, ``v`` is pulled down far more than ``m``, so
    the first steps come out too large: about ``sqrt(1 - beta2) / (1 - beta1)``, some 3 times, the
    size of a corrected step with the default betas.

    Shapes: w, dw any shape -> next_w. State: ``m``, ``v`` (shape of w) and ``t`` (steps taken).
    """
    _check_step_inputs(
        w, dw, state, learning_rate=learning_rate, beta1=beta1, beta2=beta2, eps=eps, weight_decay=weight_decay
    )
    dw = _with_weight_decay(w, dw, weight_decay)
    xp = namespace(w, dw)
    m = _state_array(state, "m", w)
    v = _state_array(state, "v", w)
    t = int(state.get("t", 0)) + 1
    raise NotImplementedError('adam is an exercise: write it in the notebook 04_optimization/1_update_rules.ipynb. The student edition of backpropkit leaves its reference answer out.')
    return next_w, {"m": m, "v": v, "t": t}


UPDATE_RULES = {
    "sgd": sgd,
    "sgd_momentum": sgd_momentum,
    "momentum": sgd_momentum,
    "nesterov": nesterov_momentum,
    "nesterov_momentum": nesterov_momentum,
    "adagrad": adagrad,
    "rmsprop": rmsprop,
    "adam": adam,
}


def get_update_rule(rule: str | Any) -> Any:
    """The update rule called ``rule`` (``"sgd"``, ``"momentum"``, ``"adam"``, ...), or ``rule`` itself
    when it is already a function (a student's own rule, for instance)."""
    if callable(rule):
        return rule
    if rule not in UPDATE_RULES:
        raise ValueError(f"unknown update rule {rule!r}; choose one of {', '.join(sorted(UPDATE_RULES))}")
    return UPDATE_RULES[rule]


def lbfgs_minimize(
    loss_and_grad: Callable[[np.ndarray], tuple[float, np.ndarray]],
    w0: np.ndarray,
    max_iter: int = 100,
    *,
    tol: float = 1e-9,
) -> Any:
    """Minimize a smooth full-batch loss with L-BFGS (SciPy's ``L-BFGS-B`` without bounds).

    ``loss_and_grad(w)`` takes an array shaped like ``w0`` and returns ``(loss, dw)``. Meant for
    small problems whose whole data set fits in one gradient (the notes: "if you can afford to do
    full batch updates then try out L-BFGS", with every source of noise such as dropout turned off).
    NumPy only: SciPy runs on the CPU.

    Returns SciPy's ``OptimizeResult``: ``x`` is the solution shaped like ``w0``, ``fun`` the loss,
    ``nit`` the iterations, plus ``path``, an array ``(nit + 1, *w0.shape)`` of the iterates starting
    at ``w0`` (for drawing the trajectory beside the other optimizers).
    """
    from scipy.optimize import minimize

    if not is_numpy_array(w0):
        raise TypeError(
            f"lbfgs_minimize runs through SciPy on the CPU and needs a NumPy w0, got {type(w0).__module__}."
            f"{type(w0).__name__}; move it with backend.to_numpy(w0) (and compute the loss in NumPy)"
        )
    if not callable(loss_and_grad):
        raise TypeError("loss_and_grad must be a function w -> (loss, dw)")
    require_positive_integer(max_iter, "max_iter")
    shape = w0.shape
    start = np.asarray(w0, dtype=np.float64).ravel()
    path = [start.copy()]

    def flat_loss_and_grad(flat_w: np.ndarray) -> tuple[float, np.ndarray]:
        loss, dw = loss_and_grad(flat_w.reshape(shape))
        dw = np.asarray(dw, dtype=np.float64)
        if dw.shape != shape:
            raise ValueError(f"loss_and_grad returned a gradient of shape {dw.shape}, expected {shape}")
        return float(loss), dw.ravel()

    result = minimize(
        flat_loss_and_grad,
        start,
        jac=True,
        method="L-BFGS-B",
        tol=tol,
        callback=lambda flat_w: path.append(np.array(flat_w)),
        options={"maxiter": max_iter},
    )
    result.x = result.x.reshape(shape)
    result.path = np.stack(path).reshape((len(path), *shape))
    return result
