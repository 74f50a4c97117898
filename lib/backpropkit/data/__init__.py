"""Data sets for the course: the bundled 8x8 digits (default), 2-D toy sets, MNIST and CIFAR-10."""

from .dataset import Dataset, split_dataset
from .digits import load_digits
from .synthetic import make_circles, make_moons, make_spiral, make_xor

__all__ = [
    "Dataset",
    "split_dataset",
    "load_digits",
    "make_spiral",
    "make_circles",
    "make_moons",
    "make_xor",
]
