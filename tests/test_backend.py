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
    is_integer,
    is_real_number,
    namespace,
    require_finite_number,
    require_integer_at_least,
    require_positive_integer,
    require_probability,
    require_same_backend,
    to_numpy,
)


def test_namespace_refuses_a_mix_of_backends() -> None:
    on_device1 = xs.asarray([1.0, 2.0], device=xs.Device("device1"))
    with pytest.raises(TypeError, match="different backends"):
        namespace(np.ones(2), on_device1)


def test_require_same_backend_refuses_a_mix() -> None:
    on_device1 = xs.asarray([1.0], device=xs.Device("device1"))
    require_same_backend(np.zeros(1), 2.0, None)
    with pytest.raises(TypeError, match="different backends"):
        require_same_backend(np.zeros(1), on_device1)


def test_number_kinds_leave_out_booleans() -> None:
    assert is_integer(3) and is_integer(np.int64(3)) and not is_integer(True) and not is_integer(3.0)
    assert is_real_number(0.5) and is_real_number(np.float32(0.5)) and is_real_number(2)
    assert not is_real_number(False) and not is_real_number("0.5")


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: require_positive_integer(0, "epochs"), ValueError, "epochs must be a positive integer, got 0"),
        (lambda: require_positive_integer(True, "epochs"), ValueError, "epochs must be a positive integer, got True"),
        (lambda: require_integer_at_least(-1, "pad", 0), ValueError, r"pad must be an integer >= 0, got -1"),
        (lambda: require_integer_at_least(1.0, "stride", 1), ValueError, r"stride must be an integer >= 1, got 1.0"),
        (lambda: require_probability(0, "keep_prob"), ValueError, r"keep_prob must be a probability in \(0, 1\], got 0"),
        (lambda: require_finite_number(float("nan"), "reg"), TypeError, "reg must be a finite number, got nan"),
        (lambda: require_finite_number(True, "reg"), TypeError, "reg must be a finite number, got True"),
    ],
)
def test_setting_checks_name_the_setting(call, error, message) -> None:
    with pytest.raises(error, match=message):
        call()


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
