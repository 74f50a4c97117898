"""Inverted dropout: drop units at random while training, do nothing at test time.

Each unit is kept with probability ``keep_prob`` and the kept ones are divided by ``keep_prob``,
so the expected value of every unit is unchanged. Scaling at training time is what makes the
test-time pass the identity; the alternative, scaling the weights by ``keep_prob`` at test time,
gives the same expected activations but puts the bookkeeping in the wrong place.
"""

from __future__ import annotations

from numbers import Real

from ..backend import Array, RandomState, as_random_state, check_array, namespace
from ._checks import check_upstream


def dropout_forward(
    x: Array,
    keep_prob: float,
    *,
    train: bool = True,
    rng: int | RandomState | None = None,
) -> tuple[Array, Array | None]:
    """Apply inverted dropout to ``x``.

    Shapes: x (any) -> out (same shape).
    ``keep_prob`` is the probability of keeping a unit, in (0, 1]; ``train=False`` is test mode
    (the identity); ``rng`` is a seed or a :class:`~backpropkit.backend.RandomState` (None draws
    fresh entropy).
    Cache: the mask (same shape as x, holding 0 or ``1 / keep_prob``), or None in test mode.
    """
    check_array(x, "x")
    if isinstance(keep_prob, bool) or not isinstance(keep_prob, Real) or not 0 < keep_prob <= 1:
        raise ValueError(f"keep_prob must be a probability in (0, 1], got {keep_prob!r}")
    xp = namespace(x)
    random = as_random_state(rng)
    raise NotImplementedError('dropout_forward is an exercise: write it in the notebook 05_regularization/1_dropout.ipynb. The student edition of backpropkit leaves its reference answer out.')
    return out, mask


def dropout_backward(dout: Array, cache: Array | None) -> Array:
    """Backward pass of :func:`dropout_forward`: the same mask scales the gradient.

    Shapes: dout (same as x); cache the mask or None -> dx (same as x).
    """
    mask = cache
    if mask is not None:
        check_upstream(dout, mask.shape)
        namespace(dout, mask)  # refuses arrays from two backends
    else:
        check_array(dout, "dout")
    raise NotImplementedError('dropout_backward is an exercise: write it in the notebook 05_regularization/1_dropout.ipynb. The student edition of backpropkit leaves its reference answer out.')
    return dx
