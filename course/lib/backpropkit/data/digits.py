"""The 8x8 handwritten digits that ship with scikit-learn: the course's default data set.

1797 grayscale images of the digits 0-9 (pixel values 0..16), bundled with scikit-learn, so the
notebooks and the grader never need a download. Small enough that a convnet trains in seconds on
a laptop, hard enough that a linear classifier leaves room for a network to win.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .dataset import Dataset, split_dataset


def load_digits(
    *,
    val_fraction: float = 0.15,
    test_fraction: float = 0.2,
    seed: int | None = 0,
    flatten: bool = True,
    dtype: Any = np.float64,
) -> Dataset:
    """Load the digits, split them stratified into train/validation/test, normalize with train stats.

    Shapes: ``flatten=True`` gives X (N, 64); ``flatten=False`` gives images (N, 1, 8, 8).
    With the default fractions: 1167 training, 270 validation and 360 test images.
    """
    from sklearn.datasets import load_digits as sklearn_digits

    bunch = sklearn_digits()
    images = bunch.images.reshape(-1, 64) if flatten else bunch.images[:, None, :, :]
    return split_dataset(
        images,
        bunch.target,
        val_fraction=val_fraction,
        test_fraction=test_fraction,
        seed=seed,
        class_names=tuple(str(d) for d in bunch.target_names),
        dtype=dtype,
    )
