"""The backend module: namespaces, devices, input checks and the random-number adapter."""

from __future__ import annotations

import numpy as np
import array_api_strict as xs
import pytest

from backpropkit.backend import (
    RandomState,
    check_array,
    check_finite,
    check_labels,
    namespace,
    to_numpy,
)


def test_namespace_refuses_a_mix_of_backends() -> None:
    on_device1 = xs.asarray([1.0, 2.0], device=xs.Device("device1"))
    with pytest.raises(TypeError, match="different backends"):
        namespace(np.ones(2), on_device1)


def test_check_array_names_the_argument() -> None:
    with pytest.raises(ValueError, match=r"x must have 2 dimensions, got shape \(3,\)"):
        check_array(np.ones(3), "x", ndim=2)
    with pytest.raises(TypeError, match="w must hold floating-point numbers, got dtype int64"):
        check_array(np.ones((2, 2), dtype=np.int64), "w")
    with pytest.raises(TypeError, match="b must be an array, got list"):
        check_array([1.0, 2.0], "b")


def test_check_labels_reports_out_of_range_labels(backend) -> None:
    with pytest.raises(ValueError, match=r"labels outside 0..2 \(min 0, max 3\)"):
        check_labels(backend(np.array([0, 3])), "y", num_examples=2, num_classes=3)
    with pytest.raises(ValueError, match=r"y must have shape \(3,\)"):
        check_labels(backend(np.array([0, 1])), "y", num_examples=3, num_classes=3)
    check_labels(backend(np.array([0, 2])), "y", num_examples=2, num_classes=3)


def test_check_finite_counts_the_bad_values(backend) -> None:
    with pytest.raises(ValueError, match="scores holds 2 NaN or infinite"):
        check_finite(backend(np.array([1.0, np.nan, np.inf])), "scores")


def test_random_state_is_reproducible_and_lands_on_the_data_device(backend) -> None:
    like = backend(np.zeros(3))
    first = to_numpy(RandomState(7).uniform((2, 3), like=like))
    again = RandomState(7).uniform((2, 3), like=like)
    assert namespace(again) is namespace(like)
    np.testing.assert_array_equal(first, to_numpy(again))
    assert np.all((first >= 0) & (first < 1))
    perm = to_numpy(RandomState(0).permutation(5, like=like))
    assert sorted(perm.tolist()) == [0, 1, 2, 3, 4]


def test_numpy_scalars_count_as_numpy() -> None:
    check_array(np.float64(1.0), "alpha")
    assert namespace(np.float64(1.0), 2.0).__name__.endswith("numpy")
