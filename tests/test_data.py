"""Data: the digits split, toy sets, and the MNIST/CIFAR readers on small files in the real formats."""

from __future__ import annotations

import gzip
import io
import pickle
import struct
import tarfile

import numpy as np
import pytest

from backpropkit import data
from backpropkit.data import cifar, mnist


# --- digits and toy sets ----------------------------------------------------------------------


def test_digits_split_is_stratified_disjoint_and_normalized_with_train_statistics():
    digits = data.load_digits(val_fraction=0.2, test_fraction=0.2, seed=3)
    sizes = [len(digits.y_train), len(digits.y_val), len(digits.y_test)]
    assert sum(sizes) == 1797 and sizes[1] == pytest.approx(0.2 * 1797, abs=2)
    for labels in (digits.y_val, digits.y_test):
        assert np.bincount(labels, minlength=10).min() >= 30  # about 36 of each class
    rows = lambda X: {row.tobytes() for row in X}
    assert not rows(digits.X_train) & rows(digits.X_test)  # the 1797 images are distinct, so no overlap
    assert digits.X_train.mean() == pytest.approx(0.0, abs=1e-12)
    assert digits.X_train.std() == pytest.approx(1.0)
    assert abs(digits.X_test.mean()) > 1e-6  # test statistics were not used
    assert digits.num_classes == 10 and digits.input_shape == (64,) and digits.y_train.dtype == np.int64


def test_digits_as_images_and_in_float32():
    images = data.load_digits(flatten=False, dtype=np.float32)
    assert images.X_train.shape[1:] == (1, 8, 8) and images.X_train.dtype == np.float32
    again = data.load_digits(flatten=False, dtype=np.float32)
    np.testing.assert_array_equal(images.X_val, again.X_val)  # the same seed gives the same split


def test_dataset_moves_to_another_backend(backend):
    digits = data.load_digits().to(backend(np.zeros(1, dtype=np.float32)))
    assert digits.X_train.dtype == backend(np.zeros(1, dtype=np.float32)).dtype
    assert backend.get(digits.y_test).dtype == np.int64


def test_bad_split_fractions_are_named():
    with pytest.raises(ValueError, match="val_fraction must be a fraction"):
        data.load_digits(val_fraction=1.5)
    with pytest.raises(ValueError, match="must leave some training data"):
        data.load_digits(val_fraction=0.5, test_fraction=0.5)
    with pytest.raises(ValueError, match="X is empty"):
        data.split_dataset(np.zeros((0, 2)), np.zeros(0, dtype=int), val_fraction=0.1, test_fraction=0.1, seed=0)


@pytest.mark.parametrize("make, classes", [(data.make_spiral, 3), (data.make_circles, 2), (data.make_moons, 2),
                                           (data.make_xor, 2)])
def test_toy_sets_are_seeded_two_dimensional_and_balanced(make, classes):
    X, y = make(seed=1)
    again, _ = make(seed=1)
    other, _ = make(seed=2)
    assert X.shape == (len(y), 2) and X.dtype == np.float64 and y.dtype == np.int64
    np.testing.assert_array_equal(X, again)
    assert not np.array_equal(X, other)
    counts = np.bincount(y)
    assert len(counts) == classes and counts.min() >= 0.3 * len(y) / classes


def test_circles_and_xor_are_not_linearly_separable():
    from sklearn.linear_model import LogisticRegression

    for X, y in (data.make_circles(400, noise=0.02), data.make_xor(400, noise=0.0)):
        assert LogisticRegression().fit(X, y).score(X, y) < 0.7


def test_toy_set_arguments_are_checked():
    with pytest.raises(ValueError, match="n_per_class must be an integer >= 1"):
        data.make_spiral(0)
    with pytest.raises(ValueError, match="noise must be a number >= 0"):
        data.make_moons(noise=-1)
    with pytest.raises(ValueError, match=r"factor must be in \(0, 1\)"):
        data.make_circles(factor=1.5)


# --- MNIST: IDX gzip files --------------------------------------------------------------------


def idx_bytes(array: np.ndarray) -> bytes:
    magic = 0x0800 | array.ndim
    return struct.pack(">I", magic) + struct.pack(f">{array.ndim}I", *array.shape) + array.astype(np.uint8).tobytes()


def write_mnist(folder, train=100, test=20, seed=0):
    rng = np.random.default_rng(seed)
    arrays = {
        "train-images-idx3-ubyte.gz": rng.integers(0, 256, (train, 28, 28)),
        "train-labels-idx1-ubyte.gz": np.arange(train) % 10,
        "t10k-images-idx3-ubyte.gz": rng.integers(0, 256, (test, 28, 28)),
        "t10k-labels-idx1-ubyte.gz": np.arange(test) % 10,
    }
    for name, array in arrays.items():
        with gzip.open(folder / name, "wb") as handle:
            handle.write(idx_bytes(array))
    return arrays, {name: data.file_checksum(folder / name) for name in arrays}


def test_mnist_reads_idx_files_checked_against_given_checksums(tmp_path):
    arrays, sums = write_mnist(tmp_path)
    loaded = data.load_mnist(tmp_path, checksums=sums, val_fraction=0.2, dtype=np.float64)
    assert loaded.X_train.shape == (80, 1, 28, 28) and loaded.X_val.shape == (20, 1, 28, 28)
    assert loaded.X_test.shape == (20, 1, 28, 28)
    np.testing.assert_array_equal(loaded.y_test, arrays["t10k-labels-idx1-ubyte.gz"])
    restored = loaded.X_test * loaded.std + loaded.mean  # undo the normalization: pixels / 255
    np.testing.assert_allclose(restored[:, 0] * 255, arrays["t10k-images-idx3-ubyte.gz"], atol=1e-9)
    flat = data.load_mnist(tmp_path, kind="fashion", verify=False, flatten=True)
    assert flat.X_train.shape[1:] == (784,) and flat.class_names[0] == "T-shirt/top"


def test_mnist_refuses_files_that_are_not_the_official_ones(tmp_path):
    write_mnist(tmp_path)
    with pytest.raises(ValueError, match=r"train-images-idx3-ubyte.gz is not the expected file: its sha256 is"):
        data.load_mnist(tmp_path)


def test_mnist_names_a_missing_file_and_how_to_get_it(tmp_path):
    write_mnist(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(FileNotFoundError, match=r"t10k-labels-idx1-ubyte.gz is missing .*download_mnist"):
        data.load_mnist(tmp_path, verify=False)


def test_mnist_names_a_corrupt_file(tmp_path):
    write_mnist(tmp_path)
    (tmp_path / "train-labels-idx1-ubyte.gz").write_bytes(b"\x1f\x8b broken")
    with pytest.raises(ValueError, match="train-labels-idx1-ubyte.gz is not a readable gzip file"):
        data.load_mnist(tmp_path, verify=False)
    with gzip.open(tmp_path / "train-labels-idx1-ubyte.gz", "wb") as handle:
        handle.write(idx_bytes(np.zeros((28, 28))))  # an image file under the labels' name
    with pytest.raises(ValueError, match="is not an IDX label file: its magic number is 0x00000802"):
        data.load_mnist(tmp_path, verify=False)
    with gzip.open(tmp_path / "train-labels-idx1-ubyte.gz", "wb") as handle:
        handle.write(idx_bytes(np.zeros(100))[:-5])  # truncated
    with pytest.raises(ValueError, match="truncated or corrupt"):
        data.load_mnist(tmp_path, verify=False)


def test_mnist_kind_is_checked(tmp_path):
    with pytest.raises(ValueError, match="kind must be 'mnist' or 'fashion'"):
        data.load_mnist(tmp_path, kind="kmnist")


# --- CIFAR-10: pickled batches, in a folder or the archive -------------------------------------


def write_cifar(folder, per_batch=20, seed=0):
    rng = np.random.default_rng(seed)
    batches = {}
    for name in (*cifar.TRAIN_BATCHES, cifar.TEST_BATCH):
        batch = {b"batch_label": name.encode(), b"labels": [int(i % 10) for i in range(per_batch)],
                 b"data": rng.integers(0, 256, (per_batch, 3072)).astype(np.uint8),
                 b"filenames": [b"x.png"] * per_batch}
        batches[name] = batch
        (folder / name).write_bytes(pickle.dumps(batch, protocol=2))
    return batches, {name: data.file_checksum(folder / name, "md5") for name in batches}


def test_cifar_reads_a_folder_of_batches(tmp_path):
    batches, sums = write_cifar(tmp_path)
    loaded = data.load_cifar10(tmp_path, checksums=sums, val_fraction=0.2)
    assert loaded.X_train.shape == (80, 3, 32, 32) and loaded.X_val.shape == (20, 3, 32, 32)
    assert loaded.X_test.dtype == np.float32 and loaded.class_names[3] == "cat"
    first = batches[cifar.TEST_BATCH][b"data"][0].reshape(3, 32, 32)  # red plane first
    np.testing.assert_allclose((loaded.X_test[0] * loaded.std + loaded.mean) * 255, first, atol=1e-3)


def test_cifar_reads_the_archive_without_extracting(tmp_path):
    folder = tmp_path / cifar.FOLDER_NAME
    folder.mkdir()
    write_cifar(folder)
    archive = tmp_path / cifar.ARCHIVE_NAME
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(folder, arcname=cifar.FOLDER_NAME)
    loaded = data.load_cifar10(archive, checksums={cifar.ARCHIVE_NAME: data.file_checksum(archive)}, flatten=True)
    assert loaded.X_train.shape == (90, 3072) and len(loaded.y_test) == 20
    with pytest.raises(ValueError, match=r"cifar-10-python.tar.gz is not the expected file"):
        data.load_cifar10(archive)


def test_cifar_names_missing_and_corrupt_batches(tmp_path):
    write_cifar(tmp_path)
    (tmp_path / "data_batch_3").write_bytes(b"garbage")
    with pytest.raises(ValueError, match="data_batch_3 is not a readable CIFAR-10 batch"):
        data.load_cifar10(tmp_path, verify=False)
    with pytest.raises(ValueError, match="data_batch_1 is not the expected file: its md5 is"):
        data.load_cifar10(tmp_path)
    (tmp_path / "data_batch_3").unlink()
    with pytest.raises(FileNotFoundError, match="data_batch_3 is missing .*download_cifar10"):
        data.load_cifar10(tmp_path, verify=False)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        data.load_cifar10(tmp_path / "nowhere")


def test_cifar_batches_cannot_run_code(tmp_path):
    write_cifar(tmp_path)

    class Sneaky:
        def __reduce__(self):
            return (print, ("this must never run",))

    (tmp_path / "test_batch").write_bytes(pickle.dumps({b"data": Sneaky(), b"labels": []}))
    with pytest.raises(ValueError, match="may not contain builtins.print"):
        data.load_cifar10(tmp_path, verify=False)


def test_checksum_strings_are_validated(tmp_path):
    path = tmp_path / "file"
    path.write_bytes(b"abc")
    data.verify_file(path, "md5:900150983cd24fb0d6963f7d28e17f72")  # md5("abc"), a published test vector
    with pytest.raises(ValueError, match="must look like 'sha256:"):
        data.verify_file(path, "900150983cd24fb0d6963f7d28e17f72")


def test_a_validation_split_too_small_for_every_class_is_explained(tmp_path):
    write_mnist(tmp_path)
    with pytest.raises(ValueError, match="cannot hold out 5% of 100 examples with every one of the 10 classes"):
        data.load_mnist(tmp_path, verify=False, val_fraction=0.05)


# --- augmentation -----------------------------------------------------------------------------


def test_random_shifts_move_whole_images_and_fill_with_the_background(backend):
    from backpropkit.backend import RandomState
    from backpropkit.data.augment import random_shifts

    images = np.full((200, 1, 4, 4), -1.0)
    images[:, 0, 1:3, 1:3] = np.arange(4.0).reshape(2, 2) + 1  # a bright 2x2 patch on a dark background
    shifted = backend.get(random_shifts(1)(backend(images), RandomState(0)))
    assert shifted.shape == images.shape
    offsets = set()
    for original, moved in zip(images[:, 0], shifted[:, 0]):
        matches = [(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)
                   if np.array_equal(np.roll(original, (dy, dx), axis=(0, 1)), moved)]
        assert matches, "each image must be its original shifted by at most one pixel"
        offsets.add(matches[0])
    assert len(offsets) == 9  # every offset occurs among 200 draws
    with pytest.raises(ValueError, match="max_shift must be an integer >= 1"):
        random_shifts(0)


# --- the downloader, on local file:// addresses (tests never use the network) -----------------


def test_download_verifies_before_the_file_takes_its_name(tmp_path):
    source = tmp_path / "source.bin"
    source.write_bytes(b"abc")
    target = tmp_path / "out" / "data.bin"
    good = "md5:900150983cd24fb0d6963f7d28e17f72"
    with pytest.raises(ValueError, match="is not the expected file"):
        data.download(source.as_uri(), target, checksum="md5:" + "0" * 32)
    assert not target.exists() and list(target.parent.iterdir()) == []  # no partial file left behind
    assert data.download(source.as_uri(), target, checksum=good) == target
    assert target.read_bytes() == b"abc"
    source.write_bytes(b"changed")
    data.download(source.as_uri(), target, checksum=good)  # present and verified: not fetched again
    assert target.read_bytes() == b"abc"
