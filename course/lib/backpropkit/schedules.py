"""Learning-rate schedules, and full-batch L-BFGS for small problems.

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
import numbers
from typing import Any, Callable

import numpy as np
from array_api_compat import is_numpy_array

Schedule = Callable[[int], float]


def _check_step(step: Any, name: str = "step") -> None:
    if not isinstance(step, numbers.Integral) or isinstance(step, bool):
        raise TypeError(f"{name} must be an integer (updates taken so far), got {step!r}")
    if step < 0:
        raise ValueError(f"{name} must be >= 0, got {step}")


def _check_rate(value: Any, name: str) -> None:
    if not isinstance(value, numbers.Real) or isinstance(value, bool) or not math.isfinite(value):
        raise TypeError(f"{name} must be a finite number, got {value!r}")
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
    _check_positive_count(max_iter, "max_iter")
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
