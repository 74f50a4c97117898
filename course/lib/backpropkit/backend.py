"""Where arrays live: NumPy on the CPU, CuPy on a GPU, and anything else that speaks the array API.

Library code never imports NumPy for computing. It asks its inputs which namespace they belong
to (``xp = namespace(x)``) and creates new arrays on their device (``device=device_of(x)``), so
the same function runs on NumPy arrays, CuPy arrays and, in the tests, ``array_api_strict``
arrays on a non-default device (which raise on any stray host array, as CuPy would).

This module also holds the small input checks every public function uses, so that a wrong shape,
dtype or setting is reported with the argument's name instead of a deep traceback.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np
from array_api_compat import array_namespace, device as _device, is_cupy_array, is_numpy_array

Array = Any  # an array of any array-API namespace (numpy.ndarray, cupy.ndarray, ...)


def namespace(*arrays: Array) -> Any:
    """Return the array namespace shared by ``arrays``; refuse a mix of backends with a clear error."""
    # Python numbers mix with any backend; NumPy scalars (np.float64 is a float) count as NumPy.
    present = [a for a in arrays if a is not None and (hasattr(a, "dtype") or not isinstance(a, (int, float)))]
    try:
        return array_namespace(*present)
    except TypeError as error:
        kinds = sorted({f"{type(a).__module__}.{type(a).__name__}" for a in present})
        raise TypeError(
            f"arrays from different backends cannot be combined ({', '.join(kinds)}); "
            "move them all to the CPU (NumPy) or all to the GPU (CuPy) first"
        ) from error


def require_same_backend(*arrays: Array) -> None:
    """Refuse arrays from two backends (NumPy and CuPy, say) before they meet in a computation."""
    namespace(*arrays)


def device_of(x: Array) -> Any:
    """The device ``x`` lives on: pass it as ``device=`` when creating arrays that meet ``x``."""
    return _device(x)


def to_numpy(x: Array) -> np.ndarray:
    """A NumPy copy of ``x`` on the host (for plotting, printing and comparing in tests)."""
    if is_numpy_array(x):
        return x
    if is_cupy_array(x):
        return x.get()
    if hasattr(x, "__array_namespace__"):
        xp = x.__array_namespace__()
        host = getattr(xp, "Device", None)
        if host is not None:  # array_api_strict: copy to its CPU device, which NumPy can read
            x = xp.asarray(x, copy=True, device=host("CPU_DEVICE"))
    return np.asarray(x)


def is_floating(x: Array) -> bool:
    """True when ``x`` holds real floating-point numbers."""
    xp = namespace(x)
    return xp.isdtype(x.dtype, "real floating")


def check_array(
    x: Any,
    name: str,
    *,
    ndim: int | tuple[int, ...] | None = None,
    floating: bool = True,
) -> None:
    """Raise a clear error when argument ``name`` is not an array of the expected kind.

    ``ndim`` is the required number of dimensions (or a tuple of allowed numbers); ``floating``
    requires a real floating dtype (integer images and labels passed as data are common mistakes).
    """
    if not hasattr(x, "shape") or not hasattr(x, "dtype"):
        raise TypeError(f"{name} must be an array, got {type(x).__name__}")
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else ndim
        if x.ndim not in allowed:
            wanted = " or ".join(str(n) for n in allowed)
            raise ValueError(f"{name} must have {wanted} dimensions, got shape {tuple(x.shape)}")
    if floating and not is_floating(x):
        raise TypeError(
            f"{name} must hold floating-point numbers, got dtype {x.dtype}; "
            f"convert it first, e.g. {name}.astype(float)"
        )


def is_integer(value: Any) -> bool:
    """True for an integer, NumPy's included; False for True and False, which Python counts as ints."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def is_real_number(value: Any) -> bool:
    """True for a real number, NumPy's scalars included; False for True and False."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def require_positive_integer(value: Any, name: str) -> None:
    """Raise a clear error unless setting ``name`` is an integer >= 1 (a count, a size)."""
    if not is_integer(value) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")


def require_integer_at_least(value: Any, name: str, minimum: int) -> None:
    """Raise a clear error unless setting ``name`` is an integer >= ``minimum`` (a stride, a padding)."""
    if not is_integer(value) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")


def require_probability(value: Any, name: str) -> None:
    """Raise a clear error unless ``name`` is a probability in (0, 1] (a keep probability)."""
    if not is_real_number(value) or not 0 < value <= 1:
        raise ValueError(f"{name} must be a probability in (0, 1], got {value!r}")


def require_finite_number(value: Any, name: str) -> None:
    """Raise a clear error unless ``name`` is a finite real number (a rate, a strength)."""
    if not is_real_number(value) or not math.isfinite(value):
        raise TypeError(f"{name} must be a finite number, got {value!r}")


def check_labels(y: Any, name: str, num_examples: int, num_classes: int) -> None:
    """Raise a clear error unless ``y`` is a vector of ``num_examples`` integer class labels."""
    if not hasattr(y, "shape") or not hasattr(y, "dtype"):
        raise TypeError(f"{name} must be an array of integer class labels, got {type(y).__name__}")
    xp = namespace(y)
    if not xp.isdtype(y.dtype, "integral"):
        raise TypeError(f"{name} must hold integer class labels, got dtype {y.dtype}")
    if tuple(y.shape) != (num_examples,):
        raise ValueError(f"{name} must have shape ({num_examples},) to match the scores, got {tuple(y.shape)}")
    if num_examples and (int(xp.min(y)) < 0 or int(xp.max(y)) >= num_classes):
        raise ValueError(
            f"{name} holds labels outside 0..{num_classes - 1} "
            f"(min {int(xp.min(y))}, max {int(xp.max(y))})"
        )


def check_finite(x: Array, name: str) -> None:
    """Raise a clear error when ``x`` holds NaN or infinity (they would poison every gradient)."""
    xp = namespace(x)
    if not bool(xp.all(xp.isfinite(x))):
        bad = int(xp.sum(xp.astype(~xp.isfinite(x), xp.int64)))
        raise ValueError(f"{name} holds {bad} NaN or infinite value(s); check the inputs and learning rate")


class RandomState:
    """One seeded source of randomness that creates arrays where the data lives.

    NumPy's generator draws the numbers; arrays for another backend are drawn on the host and
    then moved, except on CuPy, which draws on the GPU directly. ``like`` picks the namespace
    and device of the results.
    """

    def __init__(self, seed: int | None = None) -> None:
        self.seed = seed
        self.numpy = np.random.default_rng(seed)
        self._cupy = None

    def _place(self, host: np.ndarray, like: Array | None, dtype: Any = None) -> Array:
        if like is None or is_numpy_array(like):
            return host if dtype is None else host.astype(dtype, copy=False)
        xp = namespace(like)
        return xp.asarray(host, dtype=dtype or like.dtype, device=device_of(like))

    def _cupy_generator(self) -> Any:
        if self._cupy is None:
            import cupy

            self._cupy = cupy.random.default_rng(self.numpy.integers(2**63))
        return self._cupy

    def uniform(self, shape: tuple[int, ...], like: Array | None = None) -> Array:
        """Numbers drawn uniformly from [0, 1)."""
        if like is not None and is_cupy_array(like):
            return self._cupy_generator().random(shape, dtype=like.dtype)
        return self._place(self.numpy.random(shape), like)

    def normal(self, shape: tuple[int, ...], scale: float = 1.0, like: Array | None = None) -> Array:
        """Numbers drawn from a normal distribution with mean 0 and standard deviation ``scale``."""
        if like is not None and is_cupy_array(like):
            return self._cupy_generator().standard_normal(shape, dtype=like.dtype) * scale
        return self._place(self.numpy.normal(0.0, scale, shape), like)

    def permutation(self, n: int, like: Array | None = None) -> Array:
        """A random permutation of ``0..n-1`` (integer indices on the device of ``like``)."""
        return self._place(self.numpy.permutation(n), like, dtype=namespace(like).int64 if like is not None else None)


def as_random_state(seed_or_state: int | RandomState | None) -> RandomState:
    """Accept a seed, an existing :class:`RandomState`, or None (fresh entropy)."""
    if isinstance(seed_or_state, RandomState):
        return seed_or_state
    return RandomState(seed_or_state)
