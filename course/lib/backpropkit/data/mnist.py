"""MNIST and Fashion-MNIST from the four official IDX gzip files in a local folder.

An IDX file is a big-endian header followed by raw values: two zero bytes, a type code (0x08 for
unsigned bytes), the number of dimensions, then each dimension as a 4-byte integer. Images are
``0x00000803`` (count, rows, columns) and labels ``0x00000801`` (count). Get the files with
:func:`download_mnist` or from the datasets' pages.
"""

from __future__ import annotations

import gzip
import struct
import zlib
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from .dataset import Dataset, normalized_dataset, split_off_validation
from .download import download, verify_file

MNIST_MIRROR = "https://storage.googleapis.com/cvdf-datasets/mnist/"
FASHION_MNIST_MIRROR = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"

FILES = {
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
}

# Published checksums: SHA-256 of the MNIST files; MD5 as listed by Fashion-MNIST's authors.
_CHECKSUMS = {
    "mnist": {
        "train-images-idx3-ubyte.gz": "sha256:440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        "train-labels-idx1-ubyte.gz": "sha256:3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        "t10k-images-idx3-ubyte.gz": "sha256:8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        "t10k-labels-idx1-ubyte.gz": "sha256:f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    },
    "fashion": {
        "train-images-idx3-ubyte.gz": "md5:8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        "train-labels-idx1-ubyte.gz": "md5:25c81989df183df01b3e8a0aad5dffbe",
        "t10k-images-idx3-ubyte.gz": "md5:bef4ecab320f06d8554ea6380940ec79",
        "t10k-labels-idx1-ubyte.gz": "md5:bb300cfdad3c16e7a12a480ee83cd310",
    },
}

CLASS_NAMES = {
    "mnist": tuple(str(d) for d in range(10)),
    "fashion": ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                "Ankle boot"),
}

IMAGE_MAGIC, LABEL_MAGIC = 0x00000803, 0x00000801


def mnist_checksums(kind: str = "mnist") -> dict[str, str]:
    """The published checksum of each file of ``kind`` (``"mnist"`` or ``"fashion"``)."""
    if kind not in _CHECKSUMS:
        raise ValueError(f"kind must be 'mnist' or 'fashion', got {kind!r}")
    return dict(_CHECKSUMS[kind])


def download_mnist(folder: str | Path, *, kind: str = "mnist") -> Path:
    """Download the four gzip files of MNIST (``kind="mnist"``) or Fashion-MNIST (``"fashion"``)
    into ``folder``, verified; returns the folder (pass it to :func:`load_mnist`)."""
    mirror = {"mnist": MNIST_MIRROR, "fashion": FASHION_MNIST_MIRROR}[kind]
    folder = Path(folder)
    for name, checksum in mnist_checksums(kind).items():
        download(mirror + name, folder / name, checksum=checksum)
    return folder


def read_idx(path: str | Path, expected_magic: int) -> np.ndarray:
    """Read one gzip-compressed IDX file of unsigned bytes into an array of its stated shape."""
    path = Path(path)
    try:
        with gzip.open(path, "rb") as handle:
            content = handle.read()
    except (OSError, EOFError, zlib.error) as error:
        raise ValueError(f"{path} is not a readable gzip file ({error}); it may be truncated: fetch it again") from None
    if len(content) < 4:
        raise ValueError(f"{path} is too short to be an IDX file ({len(content)} bytes)")
    (magic,) = struct.unpack(">I", content[:4])
    if magic != expected_magic:
        kind = "image" if expected_magic == IMAGE_MAGIC else "label"
        raise ValueError(
            f"{path} is not an IDX {kind} file: its magic number is 0x{magic:08x}, expected 0x{expected_magic:08x}; "
            "check that the images and labels files are not swapped"
        )
    ndim = magic & 0xFF
    header = 4 + 4 * ndim
    shape = struct.unpack(f">{ndim}I", content[4:header])
    expected_size = header + int(np.prod(shape))
    if len(content) != expected_size:
        raise ValueError(
            f"{path} holds {len(content) - header} values after its header but its shape {shape} needs "
            f"{expected_size - header}; the file is truncated or corrupt: fetch it again"
        )
    return np.frombuffer(content, dtype=np.uint8, offset=header).reshape(shape)


def load_mnist(
    folder: str | Path,
    *,
    kind: str = "mnist",
    val_fraction: float = 0.1,
    seed: int | None = 0,
    flatten: bool = False,
    dtype: Any = np.float32,
    verify: bool = True,
    checksums: Mapping[str, str] | None = None,
) -> Dataset:
    """Load MNIST (``kind="mnist"``) or Fashion-MNIST (``kind="fashion"``) from ``folder``.

    ``folder`` holds the four official gzip files under their official names. The official test
    set is the test split; a stratified ``val_fraction`` of the training set is held out for
    validation. Pixels are scaled to [0, 1] and then normalized with the training split's mean and
    standard deviation. Shapes: images (N, 1, 28, 28), or (N, 784) with ``flatten``.

    Files are checked against the published checksums first; ``checksums`` replaces some of them
    (file name -> ``"sha256:..."``) and ``verify=False`` skips the check.
    """
    expected = mnist_checksums(kind)
    expected.update(checksums or {})
    folder = Path(folder)
    mirror = MNIST_MIRROR if kind == "mnist" else FASHION_MNIST_MIRROR
    how_to_get = f"backpropkit.data.download_mnist({str(folder)!r}, kind={kind!r}) or {mirror}"
    arrays = {}
    for role, name in FILES.items():
        path = folder / name
        if not path.is_file():
            raise FileNotFoundError(
                f"{name} is missing from {folder}: the {kind} loader needs the four files "
                f"{', '.join(FILES.values())} as downloaded (still gzip-compressed). Get them with {how_to_get}"
            )
        if verify:
            verify_file(path, expected[name], how_to_get=how_to_get)
        arrays[role] = read_idx(path, IMAGE_MAGIC if role.endswith("images") else LABEL_MAGIC)
    for split in ("train", "test"):
        images, labels = arrays[f"{split}_images"], arrays[f"{split}_labels"]
        if images.ndim != 3 or len(images) != len(labels):
            raise ValueError(
                f"the {split} files disagree: {len(images)} images of shape {images.shape[1:]} but {len(labels)} labels"
            )
    X_train, y_train, X_val, y_val = split_off_validation(
        arrays["train_images"], arrays["train_labels"], val_fraction, seed
    )

    def shaped(images: np.ndarray) -> np.ndarray:
        images = images.astype(dtype) / 255
        return images.reshape(len(images), -1) if flatten else images[:, None, :, :]

    return normalized_dataset(shaped(X_train), y_train, shaped(X_val), y_val, shaped(arrays["test_images"]),
                              arrays["test_labels"], class_names=CLASS_NAMES[kind], dtype=dtype)
