"""What a failed check tells the student: a short message, and data for the feedback page.

Checks raise :class:`CheckFailed` (an ``AssertionError``, so nbgrader and pytest treat it as a
failed test) with a message of a few lines: what is wrong, how wrong, where, for which case, and
the likely mistake when it matches a known one. ``details`` carries the same facts as data, with
the elementwise relative error as a NumPy array, so the feedback page can draw a heat map.
"""

from __future__ import annotations

import functools
from typing import Any, Callable, TypeVar

import numpy as np

from .numeric import case_salt

F = TypeVar("F", bound=Callable[..., Any])


class CheckFailed(AssertionError):
    """A check found a mistake in the student's code.

    ``str(error)`` is the message for the student. ``details`` is a dict with some of:

    - ``check``: the name of what was checked (e.g. ``"affine_backward"``);
    - ``quantity``: the output or gradient that is wrong (e.g. ``"dw"``);
    - ``relative_error``: NumPy array shaped like that quantity, the elementwise relative error
      (NaN where the element was not compared);
    - ``worst_index``: the index of the largest error, as a tuple;
    - ``yours`` / ``expected``: NumPy arrays of the student's and the expected values;
    - ``diagnosis``: the likely mistake, in words, or None.

    It pickles with its details, so it can travel between processes.
    """

    def __init__(self, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.details: dict[str, Any] = dict(details or {})

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (str(self), self.details))

    def _render_traceback_(self) -> list[str]:
        """What IPython shows for a failed check: the message alone, the check's own frames are noise.

        It still goes out as an error output, so nbgrader scores the cell 0 as usual.
        """
        return [f"\x1b[0;31mCheckFailed\x1b[0m: {self}"]


def student_facing(check: F) -> F:
    """Re-raise a check's failure from the check itself, so the notebook shows a two-line traceback."""

    @functools.wraps(check)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return check(*args, **kwargs)
        except CheckFailed as failure:
            raise failure.with_traceback(None) from None

    return wrapper  # type: ignore[return-value]


def passed(name: str, what: str) -> None:
    """Print the one friendly line a passing check shows."""
    print(f"\u2714 {name}: {what}")


def format_number(value: float) -> str:
    """A number short enough for a message, precise enough to compare two of them."""
    if value is None or not np.isfinite(value):
        return str(value)
    if value == 0:
        return "0"
    if 1e-3 <= abs(value) < 1e5:
        return f"{value:.6g}"
    return f"{value:.4e}"


def format_index(name: str, index: tuple[int, ...]) -> str:
    """``dw[2, 1]`` for an element, plain ``loss`` for a scalar; ``w[0, 1] after step 2`` for a described name."""
    if not index:
        return name
    head, _, rest = name.partition(" ")
    return f"{head}[{', '.join(str(int(i)) for i in index)}]" + (f" {rest}" if rest else "")


def describe_case(arrays: dict[str, Any], params: dict[str, Any] | None = None, seed: int | None = None) -> str:
    """One line naming the input shapes and settings of a case, e.g. ``x (4, 5), w (5, 3); stride=2; seed 1``."""
    parts = [", ".join(f"{name} {tuple(np.shape(value))}" for name, value in arrays.items())]
    if params:
        parts.append(", ".join(f"{key}={value!r}" for key, value in params.items()))
    if seed is not None:
        parts.append(seed_words(seed))
    return "; ".join(part for part in parts if part)


def seed_words(seed: int) -> str:
    """``seed 31``; in a case the grader drew for this submission alone, which the seed by itself
    does not reproduce, ``seed 31, drawn for you``."""
    return f"seed {seed}" if case_salt.get() is None else f"seed {seed}, drawn for you"
