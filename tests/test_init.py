"""Xavier and He initialization: the documented variances, shapes, dtypes, devices and seeds."""

from __future__ import annotations

import numpy as np
import pytest

from backpropkit.init import fans, he_init, xavier_init


@pytest.mark.parametrize("uniform", [False, True])
@pytest.mark.parametrize(
    ("init", "variance_of"),
    [(xavier_init, lambda fan_in, fan_out: 2 / (fan_in + fan_out)), (he_init, lambda fan_in, fan_out: 2 / fan_in)],
)
def test_weights_have_zero_mean_and_the_documented_variance(init, variance_of, uniform) -> None:
    fan_in, fan_out = 300, 500

    w = init(fan_in, fan_out, rng=0, uniform=uniform)

    assert w.shape == (fan_in, fan_out)
    assert abs(w.mean()) < 0.05 * w.std()
    assert w.var() == pytest.approx(variance_of(fan_in, fan_out), rel=0.02)
    if uniform:
        assert np.abs(w).max() <= np.sqrt(3 * variance_of(fan_in, fan_out))


def test_he_weights_keep_relu_activations_at_a_steady_size() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(500, 256))
    signal = x
    for layer in range(10):
        signal = np.maximum(signal @ he_init(256, 256, rng=layer), 0)

    # Each ReLU layer keeps the mean square of its input: 1 for standard normal inputs.
    assert np.mean(signal**2) == pytest.approx(np.mean(x**2), rel=0.5)


def test_conv_kernel_fans_come_from_the_shape() -> None:
    assert fans((64, 10)) == (64, 10)
    assert fans((16, 3, 5, 5)) == (3 * 5 * 5, 16 * 5 * 5)

    kernel = he_init(shape=(16, 3, 5, 5), rng=1)

    assert kernel.shape == (16, 3, 5, 5)
    assert kernel.var() == pytest.approx(2 / 75, rel=0.1)


def test_explicit_fans_override_those_of_the_shape() -> None:
    w = xavier_init(10, 10, shape=(20, 30), rng=2)

    assert w.shape == (20, 30)
    assert w.var() == pytest.approx(2 / 20, rel=0.15)


def test_same_seed_same_weights_and_float64_by_default() -> None:
    first, again, other = he_init(8, 4, rng=5), he_init(8, 4, rng=5), he_init(8, 4, rng=6)

    assert first.dtype == np.float64
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


def test_weights_are_created_on_the_namespace_and_device_of_like(backend) -> None:
    like = backend(np.zeros(3))
    xp = like.__array_namespace__()

    w = he_init(6, 5, rng=0, like=like)
    w32 = xavier_init(6, 5, rng=0, like=like, dtype="float32")

    for array in (w, w32):
        assert array.__array_namespace__() is xp
        assert array.device == like.device
    assert w.dtype == xp.float64 and w32.dtype == xp.float32
    np.testing.assert_array_equal(backend.get(w), he_init(6, 5, rng=0))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: he_init(), "give fan_in and fan_out, or a weight shape"),
        (lambda: he_init(0, 5), "fan_in must be a positive integer"),
        (lambda: xavier_init(5, 2.5), "fan_out must be a positive integer"),
        (lambda: he_init(shape=(3, 3, 3)), r"shape must be \(D, M\)"),
        (lambda: he_init(shape=(3, 0)), "shape must hold positive integers"),
        (lambda: he_init(3, 3, dtype="int32"), "dtype must name a floating-point type"),
        (lambda: he_init(3, 3, like=np.zeros(2, dtype=int)), "like must be a floating-point array"),
    ],
)
def test_bad_arguments_are_named(call, message) -> None:
    with pytest.raises((TypeError, ValueError), match=message):
        call()
