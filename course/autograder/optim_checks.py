"""Checks for update rules and learning-rate schedules against trajectories worked out by formula.

An update rule is ``rule(w, dw, state, **hyperparameters) -> (w, state)``; the check runs a few
steps with a fixed sequence of gradients, handing back whatever state the student returned (its
contents are the student's business), and compares each new ``w`` with the formula. Known wrong
formulas (no bias correction, a flipped sign, the exponential-average momentum, ...) are tried
too, so a failure can name the mistake.
"""

from __future__ import annotations

import functools
import math
from typing import Any, Callable, Iterator

import numpy as np

from .calling import StudentCall, as_float_array, function_name, unpack
from .compare import compare, fail_on_warnings, raise_mismatch
from .failures import CheckFailed, format_number, passed, student_facing
from .numeric import case_rng

Trajectory = Callable[[np.ndarray, list[np.ndarray], dict[str, float]], list[np.ndarray]]


def _steps(w: np.ndarray, grads: list[np.ndarray], step: Callable[[np.ndarray, np.ndarray, int], np.ndarray]) -> list[np.ndarray]:
    path = []
    for t, dw in enumerate(grads, start=1):
        w = step(w, dw, t)
        path.append(w)
    return path


def _sgd(w: np.ndarray, grads: list[np.ndarray], h: dict[str, float], sign: float = 1.0) -> list[np.ndarray]:
    return _steps(w, grads, lambda w, dw, t: w - sign * h["learning_rate"] * dw)


def _momentum(w: np.ndarray, grads: list[np.ndarray], h: dict[str, float], nesterov: bool = False, average: bool = False) -> list[np.ndarray]:
    rho, lr = h.get("momentum", 0.9), h["learning_rate"]
    velocity = np.zeros_like(w)
    path = []
    for dw in grads:
        velocity = rho * velocity + ((1 - rho) * dw if average else dw)
        w = w - lr * (dw + rho * velocity if nesterov else velocity)
        path.append(w)
    return path


def _adagrad(w: np.ndarray, grads: list[np.ndarray], h: dict[str, float], keep_history: bool = True) -> list[np.ndarray]:
    lr, eps = h["learning_rate"], h.get("eps", 1e-7)
    squares = np.zeros_like(w)
    path = []
    for dw in grads:
        squares = squares + dw**2 if keep_history else dw**2
        w = w - lr * dw / (np.sqrt(squares) + eps)
        path.append(w)
    return path


def _rmsprop(w: np.ndarray, grads: list[np.ndarray], h: dict[str, float], swapped: bool = False) -> list[np.ndarray]:
    lr, rho, eps = h["learning_rate"], h.get("decay_rate", 0.99), h.get("eps", 1e-8)
    average = np.zeros_like(w)
    path = []
    for dw in grads:
        average = (1 - rho) * average + rho * dw**2 if swapped else rho * average + (1 - rho) * dw**2
        w = w - lr * dw / (np.sqrt(average) + eps)
        path.append(w)
    return path


def _adam(w: np.ndarray, grads: list[np.ndarray], h: dict[str, float], bias_correction: bool = True, first_t: int = 1) -> list[np.ndarray]:
    lr, b1, b2, eps = h["learning_rate"], h.get("beta1", 0.9), h.get("beta2", 0.999), h.get("eps", 1e-8)
    m, v = np.zeros_like(w), np.zeros_like(w)
    path = []
    for t, dw in enumerate(grads, start=first_t):
        m = b1 * m + (1 - b1) * dw
        v = b2 * v + (1 - b2) * dw**2
        m_hat, v_hat = (m / (1 - b1**t), v / (1 - b2**t)) if bias_correction else (m, v)
        w = w - lr * m_hat / (np.sqrt(v_hat) + eps)
        path.append(w)
    return path


# Each rule: the right trajectory, then known wrong ones with the mistake they reveal.
_RULES: dict[str, tuple[Trajectory, list[tuple[Trajectory, str]]]] = {
    "sgd": (_sgd, [(functools.partial(_sgd, sign=-1.0), "the step goes uphill: subtract learning_rate * dw")]),
    "sgd_momentum": (
        _momentum,
        [
            (functools.partial(_momentum, average=True), "this is the exponential-average form (1 - rho) * dw, a rescaled learning rate; use v = rho * v + dw"),
            (functools.partial(_momentum, nesterov=True), "this is Nesterov's update; plain momentum steps along the velocity only"),
            (lambda w, g, h: _sgd(w, g, h), "the velocity is not carried from step to step: keep it in state and return it"),
        ],
    ),
    "nesterov_momentum": (
        functools.partial(_momentum, nesterov=True),
        [
            (_momentum, "this is plain momentum: Nesterov's step adds the look-ahead, dw + rho * v"),
            (lambda w, g, h: _sgd(w, g, {"learning_rate": h["learning_rate"] * (1 + h.get("momentum", 0.9))}), "the velocity is not carried from step to step: keep it in state and return it"),
        ],
    ),
    "adagrad": (
        _adagrad,
        [(functools.partial(_adagrad, keep_history=False), "the squared gradients must be summed over all steps (keep the sum in state)")],
    ),
    "rmsprop": (
        _rmsprop,
        [(functools.partial(_rmsprop, swapped=True), "decay_rate and 1 - decay_rate are swapped in the moving average of squared gradients")],
    ),
    "adam": (
        _adam,
        [
            (functools.partial(_adam, bias_correction=False), "the bias correction is missing: divide m by (1 - beta1**t) and v by (1 - beta2**t)"),
            (functools.partial(_adam, first_t=0), "the step count t starts at 0 in the bias correction; it must be 1 at the first step"),
            (functools.partial(_adam, first_t=2), "the step count t is increased twice, or starts at 1 before the first increment"),
        ],
    ),
}


@student_facing
def check_update_rule(
    rule: Callable[..., Any],
    kind: str,
    hyperparameters: dict[str, float],
    *,
    shape: tuple[int, ...] = (3, 4),
    steps: int = 5,
    seed: int = 0,
) -> None:
    """Run ``steps`` updates of ``rule(w, dw, state, **hyperparameters)`` and compare each ``w`` with the formula.

    ``kind`` names the rule: ``"sgd"``, ``"sgd_momentum"``, ``"nesterov_momentum"``, ``"adagrad"``,
    ``"rmsprop"`` or ``"adam"``. The state starts as ``{}`` and is whatever the rule returned.
    Example: ``check_update_rule(adam, "adam", {"learning_rate": 1e-2}, steps=4, seed=3)``.
    """
    if kind not in _RULES:
        raise ValueError(f"kind must be one of {', '.join(_RULES)}, got {kind!r}")
    check = function_name(rule)
    call = StudentCall(rule, check)
    rng = case_rng(seed)
    w0 = rng.standard_normal(shape)
    grads = [rng.standard_normal(shape) for _ in range(steps)]
    case = f"w {tuple(shape)}, {', '.join(f'{k}={v}' for k, v in hyperparameters.items())}, {steps} steps; seed {seed}"
    right, wrong = _RULES[kind]
    expected_path = right(w0, grads, hyperparameters)
    path = []
    w, state = w0, {}
    for t, dw in enumerate(grads, start=1):
        w, state = unpack(call(w, dw, state, **hyperparameters), check, ["w", "state"])
        w = as_float_array(w, check, f"w after step {t}", shape)
        if not isinstance(state, dict):
            raise CheckFailed(f"{check} must return (w, state) with state a dict, got {type(state).__name__} as state.", {"check": check})
        path.append(w)
    for t, (yours, expected) in enumerate(zip(path, expected_path), start=1):
        mismatch = compare(f"w after step {t}", yours, expected, tolerance=1e-6)
        if mismatch is not None:
            diagnosis = next(
                (mistake for trajectory, mistake in wrong if all(np.allclose(a, b, rtol=1e-6, atol=1e-12) for a, b in zip(path, trajectory(w0, grads, hyperparameters)))),
                None,
            )
            if diagnosis is None and t > 1:
                diagnosis = "the first step is right and later ones are not: check what the rule keeps in state and returns"
            raise_mismatch(check, mismatch, case=case, tolerance=1e-6, diagnosis=diagnosis)
    fail_on_warnings(check, call.warnings, case)
    passed(check, f"{steps} steps follow the {kind} update ({case}).")


# --- schedules -------------------------------------------------------------------------------------


def _step_decay(step: int, base_lr: float, decay: float = 0.1, every: int = 1) -> float:
    return base_lr * decay ** math.floor(step / every)


def _cosine_decay(step: int, base_lr: float, total_steps: int, final_lr: float = 0.0) -> float:
    progress = min(step, total_steps) / total_steps
    return final_lr + 0.5 * (base_lr - final_lr) * (1 + math.cos(math.pi * progress))


def _linear_decay(step: int, base_lr: float, total_steps: int, final_lr: float = 0.0) -> float:
    progress = min(step, total_steps) / total_steps
    return base_lr + (final_lr - base_lr) * progress


def _inverse_sqrt_decay(step: int, base_lr: float, hold_steps: int = 1) -> float:
    return base_lr if step <= hold_steps else base_lr / math.sqrt(step / hold_steps)


_SCHEDULES: dict[str, Callable[..., float]] = {
    "step_decay": _step_decay,
    "cosine_decay": _cosine_decay,
    "linear_decay": _linear_decay,
    "inverse_sqrt_decay": _inverse_sqrt_decay,
}


def _schedule_values(schedule: Callable[[int], Any], steps: list[int], check: str) -> Iterator[tuple[int, float]]:
    call = StudentCall(schedule, check)
    for step in steps:
        value = as_float_array(call(step), check, f"the rate at step {step}")
        if value.size != 1:
            raise CheckFailed(f"{check} must return one number per step, got shape {value.shape} at step {step}.", {"check": check})
        yield step, float(value.reshape(()))
    fail_on_warnings(check, call.warnings, f"steps {steps}")


def _compare_schedule(check: str, values: list[tuple[int, float]], expected: Callable[[int], float], case: str) -> None:
    for step, value in values:
        target = expected(step)
        if not math.isclose(value, target, rel_tol=1e-9, abs_tol=1e-12):
            raise CheckFailed(
                f"{check}: the learning rate at step {step} is {format_number(value)}, expected {format_number(target)}.\n"
                f"  Case: {case}.",
                {"check": check, "quantity": f"rate at step {step}", "yours": value, "expected": target},
            )


@student_facing
def check_schedule(schedule: Callable[..., Any], kind: str, hyperparameters: dict[str, Any], steps: list[int]) -> None:
    """Compare ``schedule(step, **hyperparameters)`` at each of ``steps`` with the formula for ``kind``.

    ``kind``: ``"step_decay"``, ``"cosine_decay"``, ``"linear_decay"`` or ``"inverse_sqrt_decay"``.
    Example: ``check_schedule(cosine_decay, "cosine_decay", {"base_lr": 0.1, "total_steps": 100}, [0, 25, 100, 150])``.
    """
    if kind not in _SCHEDULES:
        raise ValueError(f"kind must be one of {', '.join(_SCHEDULES)}, got {kind!r}")
    check = function_name(schedule)
    case = f"{', '.join(f'{k}={v}' for k, v in hyperparameters.items())}; steps {list(steps)}"
    values = list(_schedule_values(functools.partial(schedule, **hyperparameters), list(steps), check))
    _compare_schedule(check, values, functools.partial(_SCHEDULES[kind], **hyperparameters), case)
    passed(check, f"the rates match the {kind} formula ({case}).")


def halving_schedule(step: int, base_lr: float = 0.8) -> float:
    """A simple schedule to warm up in checks: ``base_lr / 2**step`` (module level, so it pickles)."""
    return base_lr / 2**step


@student_facing
def check_warmup(with_warmup: Callable[..., Any], warmup_steps: int = 4, steps: list[int] | None = None) -> None:
    """Check ``with_warmup(schedule, warmup_steps)``: linear from 0 to ``schedule(0)``, then ``schedule(step - warmup_steps)``."""
    check = function_name(with_warmup)
    steps = list(steps if steps is not None else range(0, warmup_steps + 4))
    warmed = StudentCall(with_warmup, check)(halving_schedule, warmup_steps)
    if not callable(warmed):
        raise CheckFailed(f"{check} must return a schedule (a function of the step), got {type(warmed).__name__}.", {"check": check})

    def expected(step: int) -> float:
        return halving_schedule(0) * step / warmup_steps if step < warmup_steps else halving_schedule(step - warmup_steps)

    case = f"schedule(step) = 0.8 / 2**step, warmup_steps={warmup_steps}; steps {steps}"
    values = list(_schedule_values(warmed, steps, check))
    _compare_schedule(check, values, expected, case)
    passed(check, f"the warmup ramps linearly and then follows the schedule ({case}).")
