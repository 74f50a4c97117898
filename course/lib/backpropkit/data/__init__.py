"""Data sets for the course: the bundled 8x8 digits (default), 2-D toy sets, MNIST and CIFAR-10.

The digits and the toy sets need nothing but scikit-learn. MNIST, Fashion-MNIST and CIFAR-10 are
read from their official files on disk, checked against published checksums; fetch them once with
:func:`download_mnist` / :func:`download_cifar10` (the only functions here that use the network).
"""

from .cifar import download_cifar10, load_cifar10
from .dataset import Dataset, split_dataset
from .digits import load_digits
from .download import download, file_checksum, verify_file
from .mnist import download_mnist, load_mnist
from .synthetic import make_circles, make_moons, make_spiral, make_xor

__all__ = [
    "Dataset",
    "split_dataset",
    "load_digits",
    "load_mnist",
    "load_cifar10",
    "make_spiral",
    "make_circles",
    "make_moons",
    "make_xor",
    "download",
    "download_mnist",
    "download_cifar10",
    "file_checksum",
    "verify_file",
]
