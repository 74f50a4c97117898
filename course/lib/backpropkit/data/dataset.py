"""The container every loader returns, and the split and normalization they share."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np

from ..backend import Array, device_of, is_real_number, namespace


@dataclass(frozen=True)
class Dataset:
    """Train, validation and test splits of one data set.

    Shapes: ``X_*`` (N, D) when flattened or (N, C, H, W) for images; ``y_*`` (N,) int64 labels in
    ``0..num_classes-1``. Inputs are normalized with statistics of the training split only
    (``mean`` and ``std`` record them), so nothing about the test set leaks into training.
    """

    X_train: Array
    y_train: Array
    X_val: Array
    y_val: Array
    X_test: Array
    y_test: Array
    class_names: tuple[str, ...]
    mean: float = 0.0
    std: float = 1.0

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    @property
    def input_shape(self) -> tuple[int, ...]:
        """The shape of one example, e.g. ``(64,)`` or ``(1, 8, 8)``."""
        return tuple(self.X_train.shape[1:])

    @property
    def train(self) -> tuple[Array, Array]:
        return self.X_train, self.y_train

    @property
    def val(self) -> tuple[Array, Array]:
        return self.X_val, self.y_val

    @property
    def test(self) -> tuple[Array, Array]:
        return self.X_test, self.y_test

    def to(self, like: Array) -> "Dataset":
        """A copy with every array moved to the namespace and device of ``like`` (e.g. a CuPy
        array to train on the GPU); inputs take the dtype of ``like``, labels stay int64."""
        xp = namespace(like)
        moved = {}
        for field in fields(self):
            value = getattr(self, field.name)
            if field.name.startswith("X_"):
                moved[field.name] = xp.asarray(value, dtype=like.dtype, device=device_of(like))
            elif field.name.startswith("y_"):
                moved[field.name] = xp.asarray(value, dtype=xp.int64, device=device_of(like))
        return replace(self, **moved)

    def __repr__(self) -> str:
        return (
            f"Dataset(train={tuple(self.X_train.shape)}, val={tuple(self.X_val.shape)}, "
            f"test={tuple(self.X_test.shape)}, classes={self.num_classes})"
        )


def check_fraction(value: Any, name: str) -> None:
    if not is_real_number(value) or not 0 <= value < 1:
        raise ValueError(f"{name} must be a fraction in [0, 1), got {value!r}")


def split_dataset(
    X: np.ndarray,
    y: np.ndarray,
    *,
    val_fraction: float,
    test_fraction: float,
    seed: int | None,
    class_names: tuple[str, ...] | None = None,
    normalize: bool = True,
    dtype: Any = np.float64,
) -> Dataset:
    """Split ``X, y`` (NumPy) into stratified train/validation/test parts and normalize them.

    Each class keeps its share in every split. Normalization subtracts the training mean and
    divides by the training standard deviation (one number each, so images still look like images).
    """
    check_fraction(val_fraction, "val_fraction")
    check_fraction(test_fraction, "test_fraction")
    if val_fraction + test_fraction >= 1:
        raise ValueError(
            f"val_fraction + test_fraction must leave some training data, got {val_fraction} + {test_fraction}"
        )
    X = np.asarray(X)
    y = np.asarray(y, dtype=np.int64)
    if len(X) != len(y):
        raise ValueError(f"X and y must hold the same number of examples, got {len(X)} and {len(y)}")
    if len(X) == 0:
        raise ValueError("X is empty: there is nothing to split")
    classes = int(y.max()) + 1
    names = tuple(class_names) if class_names is not None else tuple(str(c) for c in range(classes))

    def take(X_part, y_part, fraction, salt):
        if fraction == 0:
            return X_part[:0], y_part[:0], X_part, y_part
        rest_X, held_X, rest_y, held_y = _stratified_split(
            X_part, y_part, fraction, None if seed is None else seed + salt
        )
        return held_X, held_y, rest_X, rest_y

    X_test, y_test, X_rest, y_rest = take(X, y, test_fraction, 0)
    X_val, y_val, X_train, y_train = take(X_rest, y_rest, val_fraction / (1 - test_fraction), 1)
    return normalized_dataset(X_train, y_train, X_val, y_val, X_test, y_test, class_names=names,
                              normalize=normalize, dtype=dtype)


def normalized_dataset(
    X_train: np.ndarray,
    y_train: np.ndarray,
    X_val: np.ndarray,
    y_val: np.ndarray,
    X_test: np.ndarray,
    y_test: np.ndarray,
    *,
    class_names: tuple[str, ...],
    normalize: bool = True,
    dtype: Any = np.float64,
) -> Dataset:
    """A :class:`Dataset` from ready splits: inputs cast to ``dtype`` and, with ``normalize``,
    shifted and scaled by the training split's mean and standard deviation."""
    X_train, X_val, X_test = (np.asarray(part).astype(dtype) for part in (X_train, X_val, X_test))
    mean, std = (float(X_train.mean()), float(X_train.std()) or 1.0) if normalize else (0.0, 1.0)
    return Dataset(
        X_train=(X_train - mean) / std,
        y_train=np.asarray(y_train, dtype=np.int64),
        X_val=(X_val - mean) / std,
        y_val=np.asarray(y_val, dtype=np.int64),
        X_test=(X_test - mean) / std,
        y_test=np.asarray(y_test, dtype=np.int64),
        class_names=tuple(class_names),
        mean=mean,
        std=std,
    )


def split_off_validation(
    X_train: np.ndarray, y_train: np.ndarray, val_fraction: float, seed: int | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Hold out a stratified ``val_fraction`` of a given training set: ``(X_train, y_train, X_val, y_val)``."""
    check_fraction(val_fraction, "val_fraction")
    if val_fraction == 0:
        return X_train, y_train, X_train[:0], y_train[:0]
    X_train, X_val, y_train, y_val = _stratified_split(X_train, y_train, val_fraction, seed)
    return X_train, y_train, X_val, y_val


def _stratified_split(X: np.ndarray, y: np.ndarray, fraction: float, seed: int | None) -> list[np.ndarray]:
    """sklearn's stratified split, with its refusals reworded in terms of our arguments."""
    from sklearn.model_selection import train_test_split

    try:
        return train_test_split(X, y, test_size=fraction, stratify=y, random_state=seed)
    except ValueError as error:
        raise ValueError(
            f"cannot hold out {fraction:.0%} of {len(y)} examples with every one of the "
            f"{len(np.unique(y))} classes in both parts ({error}); use a larger fraction or more data"
        ) from None
