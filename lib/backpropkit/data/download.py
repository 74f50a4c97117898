"""Checksums of data files, and a small downloader for people with an internet connection.

A checksum is written ``"algorithm:hexdigest"`` (``"sha256:..."`` or ``"md5:..."``). The loaders
verify every file against the published value before reading it, so a truncated download or a
different file fails with a message naming it instead of training on garbage. This module knows
no data set: each one's module (``mnist.py``, ``cifar.py``) holds its file names, address and
checksums, and its ``download_*`` function passes them to :func:`download`. Nothing in the
library downloads by itself.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.request
from pathlib import Path

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
