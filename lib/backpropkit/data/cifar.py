"""CIFAR-10 from its "python version": pickled batches in a folder, or the .tar.gz as downloaded.

Each batch file is a pickled dict with ``b"data"``, a (10000, 3072) uint8 array (the 1024 red,
then green, then blue values of a 32x32 image, row by row), and ``b"labels"``, a list of class
numbers. Training uses ``data_batch_1`` .. ``data_batch_5``, testing ``test_batch``. Unpickling
can run code, so batches are read by an unpickler that only builds NumPy arrays and plain values.
"""

from __future__ import annotations

import importlib
import io
import pickle
import tarfile
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from .dataset import Dataset, normalized_dataset, split_off_validation
from .download import download, verify_file

CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"

ARCHIVE_NAME = "cifar-10-python.tar.gz"
FOLDER_NAME = "cifar-10-batches-py"
TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
TEST_BATCH = "test_batch"
CLASS_NAMES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")

# Published checksums: SHA-256 of the archive, MD5 of each batch inside it.
ARCHIVE_CHECKSUM = "sha256:6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"
BATCH_CHECKSUMS = {
    "data_batch_1": "md5:c99cafc152244af753f735de768cd75f",
    "data_batch_2": "md5:d4bba439e000b95fd0a9bffe97cbabec",
    "data_batch_3": "md5:54ebc095f3ab1f0389bbae665268c751",
    "data_batch_4": "md5:634d18415352ddfa80567beed471001a",
    "data_batch_5": "md5:482c414d41f54cd18b22e5b47cb7c3cb",
    "test_batch": "md5:40351d587109b95175f43aff81a1287e",
}

# What a batch pickle may construct: NumPy arrays and dtypes (under NumPy 1 and 2 module names),
# and bytes as protocol-2 pickles written by Python 3 spell them.
_ALLOWED = {
    ("_codecs", "encode"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
}


class _ArraysOnlyUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(f"a CIFAR batch may not contain {module}.{name}")
        if module.startswith("numpy.core"):  # NumPy 2 moved numpy.core to numpy._core
            module = module.replace("numpy.core", "numpy._core", 1)
        return getattr(importlib.import_module(module), name)


def download_cifar10(folder: str | Path) -> Path:
    """Download ``cifar-10-python.tar.gz`` (about 163 MiB) into ``folder``, verified; returns its path
    (pass it to :func:`load_cifar10`)."""
    return download(CIFAR10_URL, Path(folder) / ARCHIVE_NAME, checksum=ARCHIVE_CHECKSUM)


def read_batch(content: bytes, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Unpickle one batch: images (N, 3, 32, 32) uint8 and labels (N,) int64."""
    try:
        batch = _ArraysOnlyUnpickler(io.BytesIO(content), encoding="bytes").load()
    except Exception as error:  # any failure here means the file is not a batch we can read
        raise ValueError(f"{name} is not a readable CIFAR-10 batch ({error}); fetch the data again") from None
    if not isinstance(batch, dict) or b"data" not in batch or b"labels" not in batch:
        raise ValueError(f"{name} is not a CIFAR-10 batch: expected a dict with b'data' and b'labels'")
    data, labels = np.asarray(batch[b"data"]), np.asarray(batch[b"labels"], dtype=np.int64)
    if data.ndim != 2 or data.shape[1] != 3 * 32 * 32 or len(data) != len(labels):
        raise ValueError(
            f"{name} holds data of shape {data.shape} and {len(labels)} labels; expected (N, 3072) and N labels"
        )
    return data.reshape(-1, 3, 32, 32), labels


def _batches_from_archive(path: Path, verify: bool, expected: Mapping[str, str]) -> dict[str, bytes]:
    if verify:
        verify_file(path, expected[ARCHIVE_NAME], how_to_get=CIFAR10_URL)
    try:
        with tarfile.open(path, "r:gz") as archive:
            members = {Path(member.name).name: member for member in archive.getmembers() if member.isfile()}
            contents = {}
            for name in (*TRAIN_BATCHES, TEST_BATCH):
                if name not in members:
                    raise ValueError(f"{path} has no {name}; it is not the CIFAR-10 python archive ({CIFAR10_URL})")
                contents[name] = archive.extractfile(members[name]).read()
    except (tarfile.TarError, OSError, EOFError) as error:
        raise ValueError(
            f"{path} is not a readable .tar.gz archive ({error}); fetch it again from {CIFAR10_URL}"
        ) from None
    return contents


def _batches_from_folder(folder: Path, verify: bool, expected: Mapping[str, str]) -> dict[str, bytes]:
    contents = {}
    for name in (*TRAIN_BATCHES, TEST_BATCH):
        path = folder / name
        if not path.is_file():
            raise FileNotFoundError(
                f"{name} is missing from {folder}: CIFAR-10 needs {', '.join(TRAIN_BATCHES)} and {TEST_BATCH} "
                f"(the folder {FOLDER_NAME} inside {ARCHIVE_NAME}). Get the archive with "
                f"backpropkit.data.download_cifar10(folder) or from {CIFAR10_URL}"
            )
        if verify:
            verify_file(path, expected[name], how_to_get=CIFAR10_URL)
        contents[name] = path.read_bytes()
    return contents


def load_cifar10(
    path: str | Path,
    *,
    val_fraction: float = 0.1,
    seed: int | None = 0,
    flatten: bool = False,
    dtype: Any = np.float32,
    verify: bool = True,
    checksums: Mapping[str, str] | None = None,
) -> Dataset:
    """Load CIFAR-10 from ``path``: the ``.tar.gz`` archive, the extracted ``cifar-10-batches-py``
    folder, or a folder holding either.

    The official test batch is the test split; a stratified ``val_fraction`` of the 50000 training
    images is held out. Pixels are scaled to [0, 1], then normalized with the training split's
    mean and standard deviation. Shapes: images (N, 3, 32, 32), or (N, 3072) with ``flatten``.
    Checked against the published checksums unless ``verify=False``; ``checksums`` replaces some
    (file name, e.g. ``"data_batch_1"`` or the archive's name, -> ``"sha256:..."``).
    """
    expected = {ARCHIVE_NAME: ARCHIVE_CHECKSUM, **BATCH_CHECKSUMS, **(checksums or {})}
    path = Path(path)
    if path.is_dir() and (path / FOLDER_NAME).is_dir():
        path = path / FOLDER_NAME
    elif path.is_dir() and (path / ARCHIVE_NAME).is_file():
        path = path / ARCHIVE_NAME
    if path.is_file():
        contents = _batches_from_archive(path, verify, expected)
    elif path.is_dir():
        contents = _batches_from_folder(path, verify, expected)
    else:
        raise FileNotFoundError(
            f"{path} does not exist: give the {ARCHIVE_NAME} archive or its extracted {FOLDER_NAME} folder. "
            f"Get it with backpropkit.data.download_cifar10(folder) or from {CIFAR10_URL}"
        )
    parts = [read_batch(contents[name], name) for name in TRAIN_BATCHES]
    X_train = np.concatenate([images for images, _ in parts])
    y_train = np.concatenate([labels for _, labels in parts])
    X_test, y_test = read_batch(contents[TEST_BATCH], TEST_BATCH)
    for name, labels in (("training batches", y_train), (TEST_BATCH, y_test)):
        if len(labels) and (labels.min() < 0 or labels.max() >= len(CLASS_NAMES)):
            raise ValueError(f"the {name} hold labels outside 0..9 (min {labels.min()}, max {labels.max()})")
    X_train, y_train, X_val, y_val = split_off_validation(X_train, y_train, val_fraction, seed)

    def shaped(images: np.ndarray) -> np.ndarray:
        images = images.astype(dtype) / 255
        return images.reshape(len(images), -1) if flatten else images

    return normalized_dataset(shaped(X_train), y_train, shaped(X_val), y_val, shaped(X_test), y_test,
                              class_names=CLASS_NAMES, dtype=dtype)
