"""Two-dimensional toy sets that no linear classifier separates, for drawing decision boundaries.

Each function returns ``(X, y)``: X (N, 2) float64 points, y (N,) int64 labels. ``seed`` makes the
points reproducible; ``noise`` is the standard deviation of Gaussian jitter added to each point.
"""

from __future__ import annotations

import numpy as np

from ..backend import is_real_number, require_integer_at_least


def _check_counts(n: int, name: str, minimum: int = 1) -> None:
    require_integer_at_least(n, name, minimum)


def _check_noise(noise: float) -> None:
    if not is_real_number(noise) or not noise >= 0:
        raise ValueError(f"noise must be a number >= 0, got {noise!r}")


def make_spiral(
    n_per_class: int = 100, num_classes: int = 3, *, noise: float = 0.2, seed: int | None = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Interleaved spiral arms, one per class (the classic CS231n toy problem), radius up to 1."""
    _check_counts(n_per_class, "n_per_class")
    _check_counts(num_classes, "num_classes", minimum=2)
    _check_noise(noise)
    rng = np.random.default_rng(seed)
    radius = np.tile(np.linspace(0.0, 1.0, n_per_class), num_classes)
    labels = np.repeat(np.arange(num_classes), n_per_class)
    angle = labels * (2 * np.pi / num_classes) + radius * 4.0 + rng.normal(0.0, noise, radius.shape)
    X = np.stack([radius * np.sin(angle), radius * np.cos(angle)], axis=1)
    return X, labels.astype(np.int64)


def make_circles(
    n: int = 200, *, noise: float = 0.05, factor: float = 0.5, seed: int | None = 0
) -> tuple[np.ndarray, np.ndarray]:
    """A small circle (label 1) inside a large one (label 0); ``factor`` is the ratio of radii."""
    _check_counts(n, "n", minimum=2)
    _check_noise(noise)
    if not 0 < factor < 1:
        raise ValueError(f"factor must be in (0, 1), got {factor!r}")
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 2
    angle = rng.uniform(0.0, 2 * np.pi, n)
    radius = np.where(labels == 1, factor, 1.0)
    X = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1) + rng.normal(0.0, noise, (n, 2))
    return X, labels.astype(np.int64)


def make_moons(n: int = 200, *, noise: float = 0.1, seed: int | None = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles."""
    _check_counts(n, "n", minimum=2)
    _check_noise(noise)
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 2
    angle = rng.uniform(0.0, np.pi, n)
    upper = np.stack([np.cos(angle), np.sin(angle)], axis=1)
    lower = np.stack([1.0 - np.cos(angle), 0.5 - np.sin(angle)], axis=1)
    X = np.where(labels[:, None] == 0, upper, lower) + rng.normal(0.0, noise, (n, 2))
    return X, labels.astype(np.int64)


def make_xor(n: int = 200, *, noise: float = 0.1, seed: int | None = 0) -> tuple[np.ndarray, np.ndarray]:
    """Points in the four quadrants of [-1, 1]^2; label 1 where the coordinates' signs differ."""
    _check_counts(n, "n", minimum=2)
    _check_noise(noise)
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1.0, 1.0, (n, 2))
    labels = (np.sign(X[:, 0]) != np.sign(X[:, 1])).astype(np.int64)
    return X + rng.normal(0.0, noise, (n, 2)), labels
