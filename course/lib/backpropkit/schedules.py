"""Learning-rate schedules.

A schedule is a function of the step (the number of updates taken so far, from 0) that returns the
learning rate for the next update. Its settings are keyword arguments, so a trainer receives a
one-argument function built with ``functools.partial``::

    schedule = functools.partial(cosine_decay, base_lr=1e-3, total_steps=2000)
    schedule = with_warmup(schedule, warmup_steps=100)
    schedule(0), schedule(100), schedule(2100)   # 0.0, 1e-3, 0.0

The formulas (graded in the optimization notebook) sit between the solution markers.
"""

from __future__ import annotations

import math
from typing import Any, Callable

from .backend import is_integer, require_finite_number

Schedule = Callable[[int], float]


def _check_step(step: Any, name: str = "step") -> None:
    if not is_integer(step):
        raise TypeError(f"{name} must be an integer (updates taken so far), got {step!r}")
    if step < 0:
        raise ValueError(f"{name} must be >= 0, got {step}")


def _check_rate(value: Any, name: str) -> None:
    require_finite_number(value, name)
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}")


def _check_positive_count(value: Any, name: str) -> None:
    _check_step(value, name)
    if value == 0:
        raise ValueError(f"{name} must be at least 1, got 0")


def constant(step: int, *, base_lr: float) -> float:
    """The same rate at every step (the baseline the schedules are compared with)."""
    _check_step(step)
    _check_rate(base_lr, "base_lr")
    return float(base_lr)


def step_decay(step: int, *, base_lr: float, decay: float = 0.1, every: int) -> float:
    """Multiply the rate by ``decay`` every ``every`` steps: ``base_lr * decay ** (step // every)``."""
    _check_step(step)
    _check_rate(base_lr, "base_lr")
    _check_rate(decay, "decay")
    _check_positive_count(every, "every")
    raise NotImplementedError('step_decay is an exercise: write it in the notebook 04_optimization/2_schedules.ipynb. The student edition of backpropkit leaves its reference answer out.')
    return float(learning_rate)


def cosine_decay(step: int, *, base_lr: float, total_steps: int, final_lr: float = 0.0) -> float:
    """Half a cosine from ``base_lr`` at step 0 down to ``final_lr`` at ``total_steps`` (and after).

    ``final_lr + (base_lr - final_lr) * (1 + cos(pi * t / T)) / 2`` with ``t = min(step, T)``.
    """
    _check_step(step)
    _check_rate(base_lr, "base_lr")
    _check_rate(final_lr, "final_lr")
    _check_positive_count(total_steps, "total_steps")
    t = min(step, total_steps)
    raise NotImplementedError('cosine_decay is an exercise: write it in the notebook 04_optimization/2_schedules.ipynb. The student edition of backpropkit leaves its reference answer out.')
    return float(learning_rate)


def linear_decay(step: int, *, base_lr: float, total_steps: int, final_lr: float = 0.0) -> float:
    """A straight line from ``base_lr`` at step 0 to ``final_lr`` at ``total_steps`` (and after).

    ``final_lr + (base_lr - final_lr) * (1 - t / T)`` with ``t = min(step, T)``.
    """
    _check_step(step)
    _check_rate(base_lr, "base_lr")
    _check_rate(final_lr, "final_lr")
    _check_positive_count(total_steps, "total_steps")
    t = min(step, total_steps)
    raise NotImplementedError('linear_decay is an exercise: write it in the notebook 04_optimization/2_schedules.ipynb. The student edition of backpropkit leaves its reference answer out.')
    return float(learning_rate)


def inverse_sqrt_decay(step: int, *, base_lr: float, hold_steps: int = 1) -> float:
    """``base_lr`` held until ``hold_steps``, then ``base_lr * sqrt(hold_steps / step)``.

    With ``hold_steps=1`` this is the notes' ``base_lr / sqrt(t)`` (and ``base_lr`` at step 0,
    where the formula is undefined). It holds the rate, it does not ramp it: pair it with
    :func:`with_warmup` (a ramp from 0) for the Transformer schedule.
    """
    _check_step(step)
    _check_rate(base_lr, "base_lr")
    _check_positive_count(hold_steps, "hold_steps")
    raise NotImplementedError('inverse_sqrt_decay is an exercise: write it in the notebook 04_optimization/2_schedules.ipynb. The student edition of backpropkit leaves its reference answer out.')
    return float(learning_rate)


def with_warmup(schedule: Schedule, warmup_steps: int) -> Schedule:
    """Put a linear warmup in front of ``schedule``.

    For ``step < warmup_steps`` the rate grows linearly from 0 to ``schedule(0)``:
    ``schedule(0) * step / warmup_steps``. From then on it follows ``schedule`` from its own start,
    ``schedule(step - warmup_steps)``, so a cosine over ``total_steps`` ends at step
    ``warmup_steps + total_steps``.
    """
    if not callable(schedule):
        raise TypeError(f"schedule must be a function of the step, got {type(schedule).__name__}")
    _check_positive_count(warmup_steps, "warmup_steps")

    def warmed_up(step: int) -> float:
        _check_step(step)
        raise NotImplementedError('with_warmup is an exercise: write it in the notebook 04_optimization/2_schedules.ipynb. The student edition of backpropkit leaves its reference answer out.')
        return float(learning_rate)

    warmed_up.__name__ = f"{getattr(schedule, '__name__', 'schedule')}_with_warmup"
    return warmed_up
