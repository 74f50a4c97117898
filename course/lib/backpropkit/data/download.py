"""Checksums of data files, and a small downloader for people with an internet connection.

A checksum is written ``"algorithm:hexdigest"`` (``"sha256:..."`` or ``"md5:..."``). The loaders
verify every file against the published value before reading it, so a truncated download or a
different file fails with a message naming it instead of training on garbage. Nothing in the
library downloads by itself: call :func:`download_mnist` or :func:`download_cifar10` once.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.request
from pathlib import Path

MNIST_MIRROR = "https://storage.googleapis.com/cvdf-datasets/mnist/"
FASHION_MNIST_MIRROR = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"

_CHUNK = 1 << 20


def file_checksum(path: str | Path, algorithm: str = "sha256") -> str:
    """The ``algorithm:hexdigest`` checksum of the file at ``path``."""
    if algorithm not in ("sha256", "md5"):
        raise ValueError(f"algorithm must be 'sha256' or 'md5', got {algorithm!r}")
    digest = hashlib.new(algorithm)
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    return f"{algorithm}:{digest.hexdigest()}"


def verify_file(path: str | Path, expected: str, *, how_to_get: str = "") -> None:
    """Raise ValueError, naming the file, when its checksum differs from ``expected``."""
    algorithm, _, digest = expected.partition(":")
    if not digest:
        raise ValueError(f"checksum {expected!r} must look like 'sha256:<hex digits>' or 'md5:<hex digits>'")
    actual = file_checksum(path, algorithm)
    if actual.lower() != expected.lower():
        raise ValueError(
            f"{path} is not the expected file: its {algorithm} is {actual.partition(':')[2]}, expected "
            f"{digest} (the official release). It may be truncated or corrupt: delete it and fetch it "
            f"again{' (' + how_to_get + ')' if how_to_get else ''}, or pass verify=False to read it anyway, "
            "or checksums={...} with the value of a copy you trust"
        )


def download(url: str, destination: str | Path, *, checksum: str | None = None, overwrite: bool = False) -> Path:
    """Fetch ``url`` into the file ``destination`` (skipped when it exists, unless ``overwrite``).

    The data goes to a temporary file first and is verified against ``checksum`` before it takes
    the final name, so an interrupted or wrong download never leaves a file that looks complete.
    """
    destination = Path(destination)
    if destination.exists() and not overwrite:
        if checksum:
            verify_file(destination, checksum, how_to_get=url)
        return destination
    destination.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=destination.parent, prefix=destination.name, suffix=".part")
    os.close(handle)
    try:
        urllib.request.urlretrieve(url, temporary)
        if checksum:
            verify_file(temporary, checksum, how_to_get=url)
        os.replace(temporary, destination)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)
    return destination


def download_mnist(folder: str | Path, *, kind: str = "mnist") -> Path:
    """Download the four gzip files of MNIST (``kind="mnist"``) or Fashion-MNIST (``"fashion"``)
    into ``folder``, verified; returns the folder (pass it to :func:`~backpropkit.data.load_mnist`)."""
    from .mnist import mnist_checksums

    mirror = {"mnist": MNIST_MIRROR, "fashion": FASHION_MNIST_MIRROR}[kind]
    folder = Path(folder)
    for name, checksum in mnist_checksums(kind).items():
        download(mirror + name, folder / name, checksum=checksum)
    return folder


def download_cifar10(folder: str | Path) -> Path:
    """Download ``cifar-10-python.tar.gz`` (about 163 MiB) into ``folder``, verified; returns its path
    (pass it to :func:`~backpropkit.data.load_cifar10`)."""
    from .cifar import ARCHIVE_CHECKSUM, ARCHIVE_NAME

    return download(CIFAR10_URL, Path(folder) / ARCHIVE_NAME, checksum=ARCHIVE_CHECKSUM)
