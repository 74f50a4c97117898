"""Calling the student's functions: turn every way they can fail into a clear CheckFailed.

Checks only *call* what they are given (the grader may hand them proxies to functions running in
another process), so everything here works from return values: no attributes of caches are read
and no object identity is relied on.
"""

from __future__ import annotations

import os
import traceback
import warnings
from typing import Any, Callable

import numpy as np

from .failures import CheckFailed

# Frames from the autograder package (the checks, and the references where they exist) are ours.
_AUTOGRADER_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def function_name(func: Any, name: str | None = None) -> str:
    """The name to show for ``func``: the given one, else its ``__name__``."""
    return name or getattr(func, "__name__", None) or "your function"


def _where(error: BaseException) -> str:
    """`` (line 7: dx = dout @ w)``: the last line of the student's own code in the traceback."""
    frames = [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if not frame.filename.startswith(_AUTOGRADER_DIR) and "site-packages" not in frame.filename
    ]
    if not frames:
        return ""
    frame = frames[-1]
    code = f": {frame.line.strip()}" if frame.line else ""
    return f" (in {frame.name}, line {frame.lineno}{code})"


def _copy_arrays(value: Any) -> Any:
    """Copy the NumPy arrays in ``value`` (also inside tuples, lists and dicts); leave the rest as is.

    A read-only array stays read-only in its copy: a check that hands over read-only arrays wants an
    in-place change to fail where the student's code makes it. Other objects (a cache handed back to
    backward, a proxy handle) are passed through untouched.
    """
    if isinstance(value, np.ndarray):
        copy = value.copy()
        copy.setflags(write=value.flags.writeable)
        return copy
    if isinstance(value, tuple):
        return tuple(_copy_arrays(item) for item in value)
    if isinstance(value, list):
        return [_copy_arrays(item) for item in value]
    if isinstance(value, dict):
        return {key: _copy_arrays(item) for key, item in value.items()}
    return value


class StudentCall:
    """Calls one student function and remembers the warnings it raised.

    Warnings are recorded instead of printed, so that the check can fail with a message that says
    what the warning means (``compare.fail_on_warnings``). Called through the grader's proxy, the
    function runs in the student process, which sends its warnings back with the result and the
    proxy raises them again here: the same warnings reach this record in both places.
    """

    def __init__(self, func: Callable[..., Any], name: str) -> None:
        self.func = func
        self.name = name
        self.warnings: list[str] = []

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        args = _copy_arrays(args)  # the student may change inputs in place; ours stay intact
        kwargs = _copy_arrays(kwargs)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                result = self.func(*args, **kwargs)
            except CheckFailed:
                raise
            except NotImplementedError as error:
                detail = f" ({error})" if str(error) else ""
                raise CheckFailed(f"implement {self.name} first: it raised NotImplementedError{detail}.") from None
            except Exception as error:  # any crash in student code becomes a message, not a deep traceback
                raise CheckFailed(
                    f"{self.name} raised {type(error).__name__}: {error}{_where(error)}",
                    {"check": self.name},
                ) from None
        for warning in caught:
            message = f"{warning.category.__name__}: {warning.message}"
            if message not in self.warnings:
                self.warnings.append(message)
        return result


def as_float_array(
    value: Any,
    owner: str,
    what: str,
    expected_shape: tuple[int, ...] | None = None,
    *,
    reduced_from: tuple[int, ...] | None = None,
) -> np.ndarray:
    """``value`` as a float64 NumPy array, or a CheckFailed naming what ``owner`` returned wrong.

    ``reduced_from`` (the upstream gradient's shape) helps name a sum over the wrong axis.
    """
    from backpropkit.backend import to_numpy

    if value is None:
        raise CheckFailed(f"{owner} returned None for {what}: did you forget a return statement?", {"check": owner})
    try:
        array = to_numpy(value) if hasattr(value, "__array_namespace__") else np.asarray(value)
    except Exception:
        raise CheckFailed(f"{owner} returned {type(value).__name__} for {what}; expected an array", {"check": owner}) from None
    if array.dtype == object or not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        raise CheckFailed(f"{owner} returned {type(value).__name__} of {array.dtype} for {what}; expected numbers", {"check": owner})
    if np.issubdtype(array.dtype, np.integer) or array.dtype == bool:
        raise CheckFailed(
            f"{owner} returned integers ({array.dtype}) for {what}; gradients and outputs are floating point "
            "(did an integer array or integer division sneak in?)",
            {"check": owner},
        )
    if np.issubdtype(array.dtype, np.floating) and array.dtype != np.float64 and array.dtype.itemsize < 8:
        raise CheckFailed(
            f"{owner} returned {array.dtype} for {what} from float64 inputs; keep float64 "
            "(a float32 copy loses the precision the check needs)",
            {"check": owner},
        )
    if np.iscomplexobj(array):
        raise CheckFailed(f"{owner} returned complex numbers for {what}", {"check": owner})
    array = np.array(array, dtype=np.float64)
    if expected_shape is not None and array.shape != tuple(expected_shape):
        from .diagnose import shape_mistake

        raise CheckFailed(
            f"{owner}: {what} has shape {array.shape}, expected {tuple(expected_shape)}."
            + shape_mistake(array.shape, tuple(expected_shape), reduced_from),
            {"check": owner, "quantity": what},
        )
    return array


def unpack(result: Any, owner: str, names: list[str]) -> list[Any]:
    """Split what ``owner`` returned into one value per name (a single value when one is expected)."""
    if len(names) == 1:
        if isinstance(result, (tuple, list)) and len(result) == 1:
            return [result[0]]
        return [result]
    if not isinstance(result, (tuple, list)):
        raise CheckFailed(
            f"{owner} must return {len(names)} values ({', '.join(names)}) in that order, "
            f"got one {type(result).__name__}",
            {"check": owner},
        )
    if len(result) != len(names):
        raise CheckFailed(
            f"{owner} must return {len(names)} values ({', '.join(names)}) in that order, got {len(result)}",
            {"check": owner},
        )
    return list(result)


def forward_pair(result: Any, owner: str) -> tuple[Any, Any]:
    """Split a forward pass's ``(out, cache)``; a clear message when the student returned only ``out``."""
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise CheckFailed(
            f"{owner} must return a pair (out, cache), got {type(result).__name__}"
            + (f" of length {len(result)}" if isinstance(result, (tuple, list)) else ""),
            {"check": owner},
        )
    return result[0], result[1]
