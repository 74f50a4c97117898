"""Random changes to training images that keep their labels, so a small data set goes further.

An augmentation is a function ``(X_batch, rng) -> X_batch`` that a
:class:`~backpropkit.trainer.Trainer` applies to every training minibatch (never to validation or
test data). It runs on the batch's own backend.
"""

from __future__ import annotations

from typing import Callable

from ..backend import Array, RandomState, check_array, device_of, namespace, require_integer_at_least

Augmentation = Callable[[Array, RandomState], Array]


def random_shifts(max_shift: int = 1) -> Augmentation:
    """Move each image by a random whole number of pixels, up to ``max_shift`` in each direction,
    filling the uncovered border with the image's smallest value (its background, for digits).

    Shapes: X (N, C, H, W) -> (N, C, H, W).
    """
    require_integer_at_least(max_shift, "max_shift", 1)
    offsets = [(dy, dx) for dy in range(-max_shift, max_shift + 1) for dx in range(-max_shift, max_shift + 1)]

    def shift(X: Array, rng: RandomState) -> Array:
        check_array(X, "X", ndim=4)
        xp = namespace(X)
        n, c, h, w = X.shape
        background = xp.min(xp.reshape(X, (n, -1)), axis=1)
        padded = xp.zeros((n, c, h + 2 * max_shift, w + 2 * max_shift), dtype=X.dtype, device=device_of(X))
        padded = padded + xp.reshape(background, (n, 1, 1, 1))
        padded[:, :, max_shift : max_shift + h, max_shift : max_shift + w] = X
        choice = xp.astype(xp.floor(rng.uniform((n,), like=X) * len(offsets)), xp.int64)
        out = X
        for index, (dy, dx) in enumerate(offsets):
            window = padded[:, :, max_shift + dy : max_shift + dy + h, max_shift + dx : max_shift + dx + w]
            out = xp.where(xp.reshape(choice == index, (n, 1, 1, 1)), window, out)
        return out

    return shift
