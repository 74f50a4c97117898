"""Checks for update rules and learning-rate schedules against trajectories worked out by formula.

An update rule is ``rule(w, dw, state, **hyperparameters) -> (w, state)``; the check runs a few
steps with a fixed sequence of gradients, handing back whatever state the student returned (its
contents are the student's business), and compares each new ``w`` with the formula. The arrays
it hands over (``w``, ``dw`` and the state's arrays) are read-only, so a rule that changes its
inputs in place (``w -= ...``) fails where it does so, in the notebook and in the grader alike.

A failure names a mistake only when the student's answer reproduces it: each known mistake is
the formula with that one slip (no bias correction, a flipped sign, plain momentum for
Nesterov's, ...), run on the same inputs (:class:`diagnose.Mistake`).
"""

from __future__ import annotations

import functools
import math
from typing import Any, Callable, Iterator

import numpy as np

from .calling import StudentCall, as_float_array, function_name, unpack
from .compare import compare, fail_on_warnings, raise_mismatch
from .diagnose import Mistake, recognized_mistake
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


def _momentum(
    w: np.ndarray,
    grads: list[np.ndarray],
    h: dict[str, float],
    nesterov: bool = False,
    average: bool = False,
    sign: float = 1.0,
    friction_sign: float = 1.0,
) -> list[np.ndarray]:
    rho, lr = h.get("momentum", 0.9), h["learning_rate"]
    velocity = np.zeros_like(w)
    path = []
    for dw in grads:
        velocity = friction_sign * rho * velocity + ((1 - rho) * dw if average else dw)
        w = w - sign * lr * (dw + rho * velocity if nesterov else velocity)
        path.append(w)
    return path


def _adagrad(w: np.ndarray, grads: list[np.ndarray], h: dict[str, float], keep_history: bool = True, eps_inside: bool = False) -> list[np.ndarray]:
    lr, eps = h["learning_rate"], h.get("eps", 1e-7)
    squares = np.zeros_like(w)
    path = []
    for dw in grads:
        squares = squares + dw**2 if keep_history else dw**2
        w = w - lr * dw / (np.sqrt(squares + eps) if eps_inside else np.sqrt(squares) + eps)
        path.append(w)
    return path


def _rmsprop(
    w: np.ndarray, grads: list[np.ndarray], h: dict[str, float], swapped: bool = False, no_one_minus: bool = False, eps_inside: bool = False
) -> list[np.ndarray]:
    lr, rho, eps = h["learning_rate"], h.get("decay_rate", 0.99), h.get("eps", 1e-8)
    average = np.zeros_like(w)
    path = []
    for dw in grads:
        if swapped:
            average = (1 - rho) * average + rho * dw**2
        else:
            average = rho * average + (1.0 if no_one_minus else 1 - rho) * dw**2
        w = w - lr * dw / (np.sqrt(average + eps) if eps_inside else np.sqrt(average) + eps)
        path.append(w)
    return path


def _adam(
    w: np.ndarray,
    grads: list[np.ndarray],
    h: dict[str, float],
    correct_m: bool = True,
    correct_v: bool = True,
    first_t: int = 1,
    t_increments: bool = True,
    eps_inside: bool = False,
    raw_gradient: bool = False,
) -> list[np.ndarray]:
    lr, b1, b2, eps = h["learning_rate"], h.get("beta1", 0.9), h.get("beta2", 0.999), h.get("eps", 1e-8)
    m, v = np.zeros_like(w), np.zeros_like(w)
    path = []
    for step, dw in enumerate(grads):
        t = first_t + step if t_increments else first_t
        m = b1 * m + (1 - b1) * dw
        v = b2 * v + (1 - b2) * dw**2
        m_hat = m / (1 - b1**t) if correct_m else m
        v_hat = v / (1 - b2**t) if correct_v else v
        numerator = dw if raw_gradient else m_hat
        w = w - lr * numerator / (np.sqrt(v_hat + eps) if eps_inside else np.sqrt(v_hat) + eps)
        path.append(w)
    return path


_EPS_INSIDE = "eps is added inside the square root: the notebook's formula divides by sqrt(G) + eps"
_NOT_CARRIED = "the velocity is not carried from step to step: keep it in state and return it"

# Each rule: the right trajectory, then the mistaken ones, each with the mistake it reproduces.
_RULES: dict[str, tuple[Trajectory, list[tuple[Trajectory, str]]]] = {
    "sgd": (
        _sgd,
        [
            (functools.partial(_sgd, sign=-1.0), "the step goes uphill: subtract learning_rate * dw"),
            (lambda w, g, h: _steps(w, g, lambda w, dw, t: w - dw), "the learning rate is not applied: w - learning_rate * dw"),
        ],
    ),
    "sgd_momentum": (
        _momentum,
        [
            (functools.partial(_momentum, sign=-1.0), "the velocity's sign is flipped: the step goes uphill (v = rho * v + dw, then w = w - learning_rate * v)"),
            (functools.partial(_momentum, friction_sign=-1.0), "the old velocity is subtracted: v = rho * v + dw"),
            (functools.partial(_momentum, average=True), "this is the exponential-average form (1 - rho) * dw, a rescaled learning rate; use v = rho * v + dw"),
            (functools.partial(_momentum, nesterov=True), "this is Nesterov's update; plain momentum steps along the velocity only"),
            (lambda w, g, h: _sgd(w, g, h), _NOT_CARRIED),
        ],
    ),
    "nesterov_momentum": (
        functools.partial(_momentum, nesterov=True),
        [
            (_momentum, "this is plain momentum (also when the step is dw + rho * v with the old v): update v first, then step by dw + rho * v with the new v"),
            (functools.partial(_momentum, nesterov=True, sign=-1.0), "the step goes uphill: w = w - learning_rate * (dw + rho * v)"),
            (lambda w, g, h: _sgd(w, g, {"learning_rate": h["learning_rate"] * (1 + h.get("momentum", 0.9))}), _NOT_CARRIED),
        ],
    ),
    "adagrad": (
        _adagrad,
        [
            (functools.partial(_adagrad, keep_history=False), "the squared gradients must be summed over all steps (keep the sum in state)"),
            (functools.partial(_adagrad, eps_inside=True), _EPS_INSIDE),
        ],
    ),
    "rmsprop": (
        _rmsprop,
        [
            (functools.partial(_rmsprop, swapped=True), "decay_rate and 1 - decay_rate are swapped in the moving average of squared gradients"),
            (functools.partial(_rmsprop, no_one_minus=True), "the new squared gradient is not weighted by 1 - decay_rate in the moving average"),
            (functools.partial(_rmsprop, eps_inside=True), _EPS_INSIDE),
        ],
    ),
    "adam": (
        _adam,
        [
            (functools.partial(_adam, correct_m=False, correct_v=False), "the bias correction is missing: divide m by (1 - beta1**t) and v by (1 - beta2**t)"),
            (functools.partial(_adam, correct_v=False), "only m is bias-corrected: divide v by (1 - beta2**t) too"),
            (functools.partial(_adam, correct_m=False), "only v is bias-corrected: divide m by (1 - beta1**t) too"),
            (functools.partial(_adam, t_increments=False), "t is not incremented from step to step (it is 1 at every step): return the new t in the state"),
            (functools.partial(_adam, first_t=0), "the step count t starts at 0 in the bias correction; it must be 1 at the first step"),
            (functools.partial(_adam, first_t=2), "the step count t is increased twice, or starts at 1 before the first increment"),
            (functools.partial(_adam, eps_inside=True), "eps is added inside the square root: the notebook's formula divides by sqrt(v_hat) + eps"),
            (functools.partial(_adam, raw_gradient=True), "the step uses dw where the first moment m_hat belongs"),
        ],
    ),
}


def _read_only(value: Any) -> Any:
    """``value`` with its arrays (also inside a state dict) made read-only: an in-place change then raises."""
    if isinstance(value, np.ndarray):
        value = value.copy()
        value.setflags(write=False)
        return value
    if isinstance(value, dict):
        return {key: _read_only(item) for key, item in value.items()}
    return value


def _in_place_failure(check: str, failure: CheckFailed) -> CheckFailed:
    """A clearer message when the rule wrote into one of the read-only arrays it was given."""
    if "read-only" not in str(failure):
        return failure
    return CheckFailed(
        f"{str(failure).rstrip()}\n"
        f"  Likely mistake: {check} changes its input in place (w -= ..., or writing into dw or a state array). "
        "A rule must return new arrays and leave its inputs as they were: write w = w - ..., not w -= ...; "
        "the check hands over read-only arrays to catch exactly this.",
        {"check": check, "diagnosis": "changes its input in place"},
    )


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
    ``w``, ``dw`` and the state's arrays are handed over read-only, so a rule that changes them in
    place fails. Example: ``check_update_rule(adam, "adam", {"learning_rate": 1e-2}, steps=4, seed=3)``.
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
        try:
            returned = call(_read_only(w), _read_only(dw), _read_only(state), **hyperparameters)
        except CheckFailed as failure:
            raise _in_place_failure(check, failure) from None
        w, state = unpack(returned, check, ["w", "state"])
        w = as_float_array(w, check, f"w after step {t}", shape)
        if not isinstance(state, dict):
            raise CheckFailed(f"{check} must return (w, state) with state a dict, got {type(state).__name__} as state.", {"check": check})
        path.append(w)
    for t, (yours, expected) in enumerate(zip(path, expected_path), start=1):
        mismatch = compare(f"w after step {t}", yours, expected, tolerance=1e-6)
        if mismatch is not None:
            mistakes = [Mistake(description, functools.partial(trajectory, w0, grads, hyperparameters)) for trajectory, description in wrong]
            raise_mismatch(check, mismatch, case=case, tolerance=1e-6, diagnosis=recognized_mistake(path, mistakes))
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


def _one_step_late(schedule: Callable[..., float]) -> Callable[..., float]:
    return lambda step, **h: schedule(step + 1, **h)


def _unclipped_cosine(step: int, base_lr: float, total_steps: int, final_lr: float = 0.0) -> float:
    return final_lr + 0.5 * (base_lr - final_lr) * (1 + math.cos(math.pi * step / total_steps))


def _unclipped_linear(step: int, base_lr: float, total_steps: int, final_lr: float = 0.0) -> float:
    return base_lr + (final_lr - base_lr) * step / total_steps


_OFF_BY_ONE = "the steps are counted from 1: at step 0 the schedule must give its step-0 rate (use step, not step + 1)"
_NOT_CLAMPED = "after total_steps the rate must stay at final_lr: use t = min(step, total_steps)"

# Each schedule's mistaken formulas (same keyword arguments as the right one) and the mistake they reproduce.
_SCHEDULE_MISTAKES: dict[str, list[tuple[Callable[..., float], str]]] = {
    "step_decay": [
        (_one_step_late(_step_decay), _OFF_BY_ONE),
        (lambda step, base_lr, decay=0.1, every=1: base_lr * decay ** math.ceil(step / every),
         "the decay comes one step early: use the whole periods completed, step // every, not a rounded-up count"),
        (lambda step, base_lr, decay=0.1, every=1: base_lr * decay ** (step / every),
         "the exponent step / every is not rounded down: the rate must stay flat within each period (step // every)"),
    ],
    "cosine_decay": [
        (_one_step_late(_cosine_decay), _OFF_BY_ONE),
        (_unclipped_cosine, _NOT_CLAMPED),
        (lambda step, base_lr, total_steps, final_lr=0.0: 0.5 * base_lr * (1 + math.cos(math.pi * min(step, total_steps) / total_steps)),
         "final_lr is ignored: the cosine runs from base_lr down to final_lr"),
    ],
    "linear_decay": [
        (_one_step_late(_linear_decay), _OFF_BY_ONE),
        (_unclipped_linear, _NOT_CLAMPED),
        (lambda step, base_lr, total_steps, final_lr=0.0: base_lr * (1 - min(step, total_steps) / total_steps),
         "final_lr is ignored: the line runs from base_lr down to final_lr"),
    ],
    "inverse_sqrt_decay": [
        (_one_step_late(_inverse_sqrt_decay), _OFF_BY_ONE),
        (lambda step, base_lr, hold_steps=1: base_lr / math.sqrt(max(step, hold_steps)),
         "hold_steps is missing from the decay: after holding, the rate is base_lr * sqrt(hold_steps / step)"),
    ],
}


def _schedule_values(schedule: Callable[[int], Any], steps: list[int], check: str) -> Iterator[tuple[int, float]]:
    call = StudentCall(schedule, check)
    for step in steps:
        value = as_float_array(call(step), check, f"the rate at step {step}")
        if value.size != 1:
            raise CheckFailed(f"{check} must return one number per step, got shape {value.shape} at step {step}.", {"check": check})
        yield step, float(value.reshape(()))
    fail_on_warnings(check, call.warnings, f"steps {steps}")


def _compare_schedule(
    check: str, values: list[tuple[int, float]], expected: Callable[[int], float], mistakes: list[tuple[Callable[[int], float], str]], case: str
) -> None:
    """Fail at the first step whose rate is wrong, naming a mistake whose rates match at every checked step."""
    for step, value in values:
        target = expected(step)
        if not math.isclose(value, target, rel_tol=1e-9, abs_tol=1e-12):
            hypotheses = [Mistake(description, functools.partial(_rates, formula, values)) for formula, description in mistakes]
            mistake = recognized_mistake([rate for _, rate in values], hypotheses)
            raise CheckFailed(
                f"{check}: the learning rate at step {step} is {format_number(value)}, expected {format_number(target)}.\n"
                + (f"  Likely mistake: {mistake}.\n" if mistake else "")
                + f"  Case: {case}.",
                {"check": check, "quantity": f"rate at step {step}", "yours": value, "expected": target, "diagnosis": mistake},
            )


def _rates(formula: Callable[[int], float], values: list[tuple[int, float]]) -> list[float]:
    return [formula(step) for step, _ in values]


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
    mistakes = [(functools.partial(formula, **hyperparameters), description) for formula, description in _SCHEDULE_MISTAKES[kind]]
    _compare_schedule(check, values, functools.partial(_SCHEDULES[kind], **hyperparameters), mistakes, case)
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

    def ramp_then(after: Callable[[int], float], ramp_step: Callable[[int], float] = lambda step: step) -> Callable[[int], float]:
        return lambda step: halving_schedule(0) * ramp_step(step) / warmup_steps if step < warmup_steps else after(step)

    mistakes = [
        (ramp_then(expected, lambda step: step + 1), "the ramp starts at the first step's rate: at step 0 the warmed-up rate is 0 (schedule(0) * step / warmup_steps)"),
        (ramp_then(halving_schedule), "after the warmup the schedule is not shifted: use schedule(step - warmup_steps), so it starts from its own step 0"),
        (lambda step: halving_schedule(step) * step / warmup_steps if step < warmup_steps else expected(step),
         "the ramp scales schedule(step): it must ramp up to schedule(0), as schedule(0) * step / warmup_steps"),
    ]
    case = f"schedule(step) = 0.8 / 2**step, warmup_steps={warmup_steps}; steps {steps}"
    values = list(_schedule_values(warmed, steps, check))
    _compare_schedule(check, values, expected, mistakes, case)
    passed(check, f"the warmup ramps linearly and then follows the schedule ({case}).")
