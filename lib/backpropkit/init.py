"""Weight initialization that keeps signals at a steady size through a deep network.

Each unit sums ``fan_in`` inputs, so with weights of variance ``v`` its output's variance is
about ``fan_in * v`` times its inputs'. Choosing ``v`` to make that factor 1 stops activations
(and, going backward, gradients) from shrinking or growing layer after layer:

- **Xavier** (Glorot and Bengio, 2010), for tanh and sigmoid-like units: ``v = 2 / (fan_in +
  fan_out)``. The forward pass wants ``1 / fan_in``, the backward pass ``1 / fan_out``; their
  harmonic mean serves both, and it equals ``1 / fan_in`` when the two fans are equal.
- **He** (He et al., 2015), for ReLU units: ``v = 2 / fan_in``. ReLU zeroes half of its inputs,
  halving the variance, and the factor 2 restores it.

Weights are drawn through :class:`backend.RandomState`, on the namespace and device of ``like``
(NumPy when it is None), in float64 unless ``dtype`` says otherwise.
"""

from __future__ import annotations

import math
from typing import Any

from .backend import Array, RandomState, as_random_state, is_floating, is_integer, namespace, require_positive_integer


def fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a weight array of ``shape``.

    Affine weights ``(D, M)`` (``out = x @ w``): fan_in D, fan_out M. Convolution kernels
    ``(F, C, HH, WW)``: each output sums over ``C * HH * WW`` inputs, and each input reaches
    ``F * HH * WW`` outputs.
    """
    shape = _check_shape(shape)
    if len(shape) == 2:
        return shape[0], shape[1]
    num_filters, channels, height, width = shape
    return channels * height * width, num_filters * height * width


def xavier_init(
    fan_in: int | None = None,
    fan_out: int | None = None,
    *,
    shape: tuple[int, ...] | None = None,
    rng: int | RandomState | None = None,
    like: Array | None = None,
    uniform: bool = False,
    dtype: Any = None,
) -> Array:
    """Xavier (Glorot) weights of variance ``2 / (fan_in + fan_out)``.

    Give the fans, or a ``shape`` to take them from (see :func:`fans`), or both. The result has
    ``shape`` (default ``(fan_in, fan_out)``), is normal with that variance, or uniform on
    ``[-a, a]`` with ``a = sqrt(6 / (fan_in + fan_out))`` when ``uniform`` is true.
    ``rng`` is a seed or a RandomState.
    """
    fan_in, fan_out, shape = _resolve(fan_in, fan_out, shape)
    return _draw(2.0 / (fan_in + fan_out), shape, rng, like, uniform, dtype)


def he_init(
    fan_in: int | None = None,
    fan_out: int | None = None,
    *,
    shape: tuple[int, ...] | None = None,
    rng: int | RandomState | None = None,
    like: Array | None = None,
    uniform: bool = False,
    dtype: Any = None,
) -> Array:
    """He (Kaiming) weights of variance ``2 / fan_in``, for layers followed by a ReLU.

    Arguments as for :func:`xavier_init`; ``fan_out`` only sets the default shape. Uniform
    weights lie on ``[-a, a]`` with ``a = sqrt(6 / fan_in)``.
    """
    fan_in, fan_out, shape = _resolve(fan_in, fan_out, shape)
    return _draw(2.0 / fan_in, shape, rng, like, uniform, dtype)


def _draw(
    variance: float, shape: tuple[int, ...], rng: Any, like: Array | None, uniform: bool, dtype: Any
) -> Array:
    """Zero-mean weights of ``variance``: normal, or uniform on [-a, a] whose variance a^2/3 matches."""
    if like is not None and not (hasattr(like, "dtype") and is_floating(like)):
        raise TypeError("like must be a floating-point array: it picks where the weights live (NumPy or a GPU)")
    rng = as_random_state(rng)
    if uniform:
        limit = math.sqrt(3.0 * variance)
        weights = (2.0 * rng.uniform(shape, like=like) - 1.0) * limit
    else:
        weights = rng.normal(shape, scale=math.sqrt(variance), like=like)
    xp = namespace(weights)
    if dtype is None:
        dtype = xp.float64
    elif isinstance(dtype, str):
        dtype = getattr(xp, dtype, None)
        if dtype is None or not xp.isdtype(dtype, "real floating"):
            raise ValueError(f"dtype must name a floating-point type such as 'float32' or 'float64', got {dtype!r}")
    return xp.astype(weights, dtype)


def _resolve(fan_in: Any, fan_out: Any, shape: Any) -> tuple[int, int, tuple[int, ...]]:
    """Fill in whichever of the fans and the shape was left out; refuse when neither is given."""
    if shape is not None:
        shape = _check_shape(shape)
        shape_fan_in, shape_fan_out = fans(shape)
        fan_in = shape_fan_in if fan_in is None else fan_in
        fan_out = shape_fan_out if fan_out is None else fan_out
    if fan_in is None or fan_out is None:
        raise TypeError("give fan_in and fan_out, or a weight shape such as shape=(16, 3, 3, 3)")
    for name, value in (("fan_in", fan_in), ("fan_out", fan_out)):
        require_positive_integer(value, name)
    fan_in, fan_out = int(fan_in), int(fan_out)
    return fan_in, fan_out, shape if shape is not None else (fan_in, fan_out)


def _check_shape(shape: Any) -> tuple[int, ...]:
    if not isinstance(shape, (tuple, list)) or len(shape) not in (2, 4):
        raise ValueError(
            f"shape must be (D, M) for an affine layer or (F, C, HH, WW) for a convolution, got {shape!r}"
        )
    if any(not is_integer(n) or n < 1 for n in shape):
        raise ValueError(f"shape must hold positive integers, got {shape!r}")
    return tuple(int(n) for n in shape)
