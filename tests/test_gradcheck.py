"""The gradient checker measures slopes correctly, catches wrong gradients and says where."""

from __future__ import annotations

import re

import numpy as np
import pytest

from backpropkit.backend import namespace
from backpropkit.gradcheck import (
    FLOAT64_TOLERANCE,
    GradCheckResult,
    check_gradient,
    check_layer,
    directional_derivative,
    numerical_gradient,
    numerical_gradient_sampled,
    numerical_gradient_upstream,
    relative_error,
    relative_error_array,
    sample_indices,
)
from backpropkit.layers.affine import affine_backward, affine_forward


def cubic_sum(x):
    """f(x) = sum(x^3 + 2x); its gradient is 3x^2 + 2."""
    return namespace(x).sum(x**3 + 2 * x)


def affine_inputs(seed: int = 0, n: int = 4, d: int = 5, m: int = 3) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {"x": rng.normal(size=(n, d)), "w": rng.normal(size=(d, m)), "b": rng.normal(size=m)}


def tanh_forward(x):
    out = np.tanh(x)
    return out, out


def tanh_backward(dout, cache):
    return dout * (1 - cache**2)


# --- Numerical gradients -------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(), (7,), (2, 3, 4)])
def test_numerical_gradient_matches_calculus_on_any_shape(backend, shape) -> None:
    x_host = np.random.default_rng(1).normal(size=shape)
    x = backend(x_host)

    grad = numerical_gradient(cubic_sum, x)

    assert tuple(grad.shape) == shape
    np.testing.assert_allclose(backend.get(grad), 3 * x_host**2 + 2, rtol=1e-7, atol=1e-9)


def test_numerical_gradient_restores_x_exactly(backend) -> None:
    x_host = np.random.default_rng(2).normal(size=(3, 4))
    x = backend(x_host.copy())

    numerical_gradient(cubic_sum, x)

    assert np.array_equal(backend.get(x), x_host)


def test_numerical_gradient_works_for_a_function_that_reads_x_from_a_closure() -> None:
    w = np.random.default_rng(3).normal(size=(2, 3))

    grad = numerical_gradient(lambda _: float(np.sum(w**2)), w)

    np.testing.assert_allclose(grad, 2 * w, rtol=1e-7, atol=1e-9)


def test_numerical_gradient_upstream_is_the_gradient_of_the_weighted_sum(backend) -> None:
    rng = np.random.default_rng(4)
    x_host, dout_host = rng.normal(size=(3, 2)), rng.normal(size=(3, 2))

    grad = numerical_gradient_upstream(lambda x: x**3, backend(x_host), backend(dout_host))

    np.testing.assert_allclose(backend.get(grad), 3 * x_host**2 * dout_host, rtol=1e-7, atol=1e-9)


def test_numerical_gradient_upstream_survives_a_function_that_returns_a_view_of_x() -> None:
    x = np.random.default_rng(5).normal(size=(2, 3))
    dout = np.random.default_rng(6).normal(size=(6,))

    grad = numerical_gradient_upstream(lambda x: x.reshape(-1), x, dout)

    np.testing.assert_allclose(grad, dout.reshape(2, 3), rtol=1e-7, atol=1e-9)


def test_sampled_gradient_measures_only_the_sampled_elements(backend) -> None:
    x_host = np.random.default_rng(7).normal(size=(5, 6))

    grad = backend.get(numerical_gradient_sampled(cubic_sum, backend(x_host), 8, seed=3))

    measured = ~np.isnan(grad)
    assert measured.sum() == 8
    np.testing.assert_allclose(grad[measured], (3 * x_host**2 + 2)[measured], rtol=1e-7, atol=1e-9)


def test_sampled_indices_are_reproducible_and_depend_on_the_seed() -> None:
    assert sample_indices((10, 10), 5, seed=1) == sample_indices((10, 10), 5, seed=1)
    assert sample_indices((10, 10), 5, seed=1) != sample_indices((10, 10), 5, seed=2)
    assert len(set(sample_indices((3, 4), 100, seed=0))) == 12  # never more than there are


def test_directional_derivative_is_the_gradient_projected_on_the_direction(backend) -> None:
    rng = np.random.default_rng(8)
    x_host, u_host = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    x = backend(x_host.copy())

    slope = directional_derivative(cubic_sum, x, backend(u_host))

    assert slope == pytest.approx(float(np.sum((3 * x_host**2 + 2) * u_host)), rel=1e-8)
    assert np.array_equal(backend.get(x), x_host)


# --- Relative error ------------------------------------------------------------------------


def test_relative_error_is_the_worst_scale_free_elementwise_error(backend) -> None:
    a = np.array([1.0, 2.0, 0.0])
    b = np.array([3.0, 2.0, 0.0])  # |1 - 3| / (1 + 3) = 0.5; equal elements and two zeros give 0

    assert relative_error(backend(a), backend(b)) == pytest.approx(0.5)
    assert relative_error(backend(a * 1e6), backend(b * 1e6)) == pytest.approx(0.5)
    np.testing.assert_allclose(relative_error_array(backend(a), backend(b)), [0.5, 0.0, 0.0])


def test_an_element_tiny_next_to_the_others_is_judged_against_the_arrays_scale(backend) -> None:
    a = np.array([1e-9, 1.0, -2.0])
    b = np.array([3e-9, 1.0, -2.0])  # off by 2e-9 where the largest |a| + |b| is 4: floor 4e-3

    assert relative_error(backend(a), backend(b)) == pytest.approx(2e-9 / 4e-3)
    np.testing.assert_allclose(relative_error_array(backend(a), backend(b)), [2e-9 / 4e-3, 0.0, 0.0])
    assert relative_error(backend(np.zeros(3)), backend(np.zeros(3))) == 0.0


def test_relative_error_is_the_largest_of_the_elementwise_errors(backend) -> None:
    rng = np.random.default_rng(9)
    a = rng.normal(size=(4, 5)) * np.logspace(-8, 2, 20).reshape(4, 5)
    b = a * (1 + 1e-4 * rng.normal(size=(4, 5)))

    assert relative_error(backend(a), backend(b)) == pytest.approx(float(np.max(relative_error_array(a, b))), rel=1e-12)


def test_the_elementwise_errors_leave_out_what_is_not_compared_and_mark_what_is_not_finite() -> None:
    a, b = np.array([1e-3, np.nan, 1000.0, 2.0]), np.array([3e-3, 1.0, 0.0, 2.0])
    compared = np.array([True, True, False, True])

    errors = relative_error_array(a, b, compared)

    assert errors[0] == pytest.approx(2e-3 / 4e-3)  # the floor comes from the compared elements: 1e-3 * (2 + 2)
    assert errors[1] == np.inf and np.isnan(errors[2]) and errors[3] == 0.0


def test_relative_error_refuses_mismatched_shapes() -> None:
    with pytest.raises(ValueError, match=r"a has shape \(2, 3\) but b has shape \(3, 2\)"):
        relative_error(np.zeros((2, 3)), np.zeros((3, 2)))


# --- check_gradient ------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["full", "sampled", "directions"])
def test_a_correct_gradient_passes_with_every_method(backend, method) -> None:
    x_host = np.random.default_rng(9).normal(size=(4, 5))

    result = check_gradient(cubic_sum, backend(x_host), backend(3 * x_host**2 + 2), name="dx", method=method)

    assert result.passed, result.message
    assert result.error < FLOAT64_TOLERANCE
    assert result.method == method


def test_a_single_wrong_element_is_found_and_located() -> None:
    x = np.random.default_rng(10).normal(size=(3, 4))
    analytic = 3 * x**2 + 2
    analytic[2, 1] *= 1.5

    result = check_gradient(cubic_sum, x, analytic, name="dw")

    assert not result.passed
    assert result.index == (2, 1)
    assert result.analytic == pytest.approx(analytic[2, 1])
    assert result.numerical == pytest.approx(3 * x[2, 1] ** 2 + 2, rel=1e-7)
    assert result.errors.shape == x.shape
    assert np.nanargmax(result.errors) == np.ravel_multi_index((2, 1), x.shape)
    for part in ("dw", "relative error", "(2, 1)", "analytic", "numerical", "tolerance 1e-07"):
        assert part in str(result)


@pytest.mark.parametrize("method", ["full", "sampled", "directions"])
@pytest.mark.parametrize("bug", ["transposed", "times the batch size", "sign flipped"])
def test_planted_bugs_in_a_layer_gradient_are_caught(backend, method, bug) -> None:
    inputs = affine_inputs(seed=11, n=4, d=4, m=4)  # square w, so a transposed dw has the right shape
    batch_size = inputs["x"].shape[0]

    def buggy_backward(dout, cache):
        dx, dw, db = affine_backward(dout, cache)
        if bug == "transposed":
            dw = dw.T
        elif bug == "times the batch size":
            dw = dw * batch_size
        else:
            dw = -dw
        return dx, dw, db

    results = check_layer(
        affine_forward, buggy_backward, {k: backend(v) for k, v in inputs.items()}, method=method, seed=5
    )

    assert results["x"].passed and results["b"].passed
    assert not results["w"].passed
    assert results["w"].error > 1e-2
    assert results["w"].message.startswith("dw: relative error")


def test_nan_in_the_analytic_gradient_fails_with_a_message_instead_of_raising(backend) -> None:
    x_host = np.random.default_rng(12).normal(size=(2, 3))
    analytic = 3 * x_host**2 + 2
    analytic[1, 2] = np.nan

    result = check_gradient(cubic_sum, backend(x_host), backend(analytic), name="dx")

    assert not result.passed
    assert "NaN" in result.message and "(1, 2)" in result.message


def test_a_function_that_gives_nan_fails_with_a_message() -> None:
    x = np.ones(3)

    result = check_gradient(lambda x: float("nan"), x, np.ones(3), name="dx")

    assert not result.passed
    assert "NaN or infinity" in result.message


@pytest.mark.parametrize(
    ("analytic", "expected"),
    [
        (None, "no gradient was returned"),
        (np.ones((3, 2)), r"shape \(3, 2\) but its input has shape \(2, 3\)"),
        (np.ones((2, 3), dtype=np.float32), "dtype float32"),
        ([[1.0] * 3] * 2, "must be an array"),
    ],
)
def test_a_gradient_of_the_wrong_kind_fails_with_a_message(analytic, expected) -> None:
    result = check_gradient(cubic_sum, np.ones((2, 3)), analytic, name="dx")

    assert not result.passed
    assert result.message.startswith("dx: ")
    assert re.search(expected, result.message)


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_low_precision_input_is_refused_with_the_reason(dtype) -> None:
    x = np.ones(3, dtype=dtype)

    for call in (
        lambda: numerical_gradient(cubic_sum, x),
        lambda: check_gradient(cubic_sum, x, np.ones(3)),
    ):
        with pytest.raises(TypeError, match="need float64") as error:
            call()
        assert "rounding error" in str(error.value)


def test_integer_input_is_refused() -> None:
    with pytest.raises(TypeError, match="float64"):
        numerical_gradient(cubic_sum, np.arange(3))


def test_results_are_reproducible_with_a_seed() -> None:
    x = np.random.default_rng(13).normal(size=(30, 30))
    analytic = 3 * x**2 + 2 + np.random.default_rng(14).normal(size=x.shape) * 1e-3

    first = check_gradient(cubic_sum, x, analytic, method="sampled", seed=7)
    again = check_gradient(cubic_sum, x, analytic, method="sampled", seed=7)
    other = check_gradient(cubic_sum, x, analytic, method="sampled", seed=8)

    assert first == again
    np.testing.assert_array_equal(np.isnan(first.errors), np.isnan(again.errors))
    assert not np.array_equal(np.isnan(first.errors), np.isnan(other.errors))


def test_auto_checks_every_element_of_small_inputs_and_a_sample_of_large_ones() -> None:
    small, large = np.ones(10), np.ones(2000)

    assert check_gradient(cubic_sum, small, 3 * small**2 + 2).method == "full"
    result = check_gradient(cubic_sum, large, 3 * large**2 + 2, num_samples=5)
    assert result.method == "sampled"
    assert (~np.isnan(result.errors)).sum() == 5


def test_tolerance_can_be_loosened() -> None:
    x = np.random.default_rng(15).normal(size=5)
    analytic = (3 * x**2 + 2) * (1 + 1e-4)

    assert not check_gradient(cubic_sum, x, analytic)
    assert check_gradient(cubic_sum, x, analytic, tolerance=1e-3)


def test_results_are_frozen() -> None:
    result = check_gradient(cubic_sum, np.ones(2), np.full(2, 5.0))

    assert isinstance(result, GradCheckResult)
    with pytest.raises(AttributeError):
        result.passed = False  # type: ignore[misc]


def test_misuse_of_the_checker_raises_clear_errors() -> None:
    x = np.ones(3)
    with pytest.raises(ValueError, match="method must be one of"):
        check_gradient(cubic_sum, x, x, method="exhaustive")
    with pytest.raises(ValueError, match="h must be a small positive step"):
        numerical_gradient(cubic_sum, x, h=-1e-5)
    with pytest.raises(ValueError, match="pass the upstream gradient dout"):
        numerical_gradient(lambda x: x * 2, x)
    with pytest.raises(ValueError, match=r"f\(x\) has shape \(3,\) but dout has shape \(2,\)"):
        numerical_gradient_upstream(lambda x: x * 2, x, np.ones(2))


# --- check_layer ---------------------------------------------------------------------------


def test_check_layer_passes_a_correct_layer_on_every_input(backend) -> None:
    inputs = {k: backend(v) for k, v in affine_inputs(seed=16).items()}

    results = check_layer(affine_forward, affine_backward, inputs)

    assert list(results) == ["x", "w", "b"]
    assert [r.name for r in results.values()] == ["dx", "dw", "db"]
    assert all(r.passed for r in results.values()), [r.message for r in results.values()]


def test_check_layer_accepts_a_single_gradient_and_passes_params() -> None:
    x = np.random.default_rng(17).normal(size=(3, 4))

    def scaled_tanh_forward(x, scale):
        out, cache = tanh_forward(x)
        return scale * out, (cache, scale)

    def scaled_tanh_backward(dout, cache):
        cache, scale = cache
        return tanh_backward(scale * dout, cache)

    results = check_layer(scaled_tanh_forward, scaled_tanh_backward, {"x": x}, {"scale": 3.0})

    assert results["x"].passed, results["x"].message


def test_check_layer_never_changes_the_callers_arrays() -> None:
    inputs = affine_inputs(seed=18)
    before = {k: v.copy() for k, v in inputs.items()}

    check_layer(affine_forward, affine_backward, inputs)

    for key in inputs:
        assert np.array_equal(inputs[key], before[key])


def test_check_layer_reports_a_missing_gradient() -> None:
    def backward_without_db(dout, cache):
        return affine_backward(dout, cache)[:2]

    results = check_layer(affine_forward, backward_without_db, affine_inputs())

    assert not any(r.passed for r in results.values())
    assert "returned 2 gradient(s) but the layer has 3 input(s) (x, w, b)" in results["b"].message


def test_check_layer_refuses_an_argument_given_twice() -> None:
    with pytest.raises(ValueError, match="x appear"):
        check_layer(tanh_forward, tanh_backward, {"x": np.ones(2)}, {"x": 1})


def test_a_sampled_check_fails_when_the_function_gives_nan() -> None:
    result = check_gradient(lambda x: float("nan"), np.ones(50), np.ones(50), method="sampled", num_samples=3)

    assert not result.passed
    assert "NaN or infinity" in result.message


def test_rounding_noise_of_a_big_batch_loss_is_not_mistaken_for_an_error() -> None:
    from backpropkit.losses import softmax_loss

    rng = np.random.default_rng(19)
    scores, y = rng.normal(size=(1000, 10)) * 3, rng.integers(0, 10, size=1000)
    loss = lambda s: softmax_loss(s, y)[0]  # noqa: E731
    dscores = softmax_loss(scores, y)[1]

    correct = check_gradient(loss, scores, dscores, method="sampled", num_samples=200, seed=1)
    off_by_the_batch_size = check_gradient(loss, scores, dscores * 1000, method="sampled", num_samples=200, seed=1)

    plain_errors = correct.errors[~np.isnan(correct.errors)]
    assert plain_errors.max() > FLOAT64_TOLERANCE  # tiny elements of dscores are below the noise
    assert correct.passed, correct.message
    assert correct.uncounted > 0 and "rounding noise" in correct.message
    assert not off_by_the_batch_size.passed


def test_check_layer_explains_a_forward_that_does_not_return_a_pair() -> None:
    with pytest.raises(TypeError, match=r"forward must return a pair \(out, cache\), got ndarray"):
        check_layer(lambda x: np.tanh(x), tanh_backward, {"x": np.ones(3)})
    with pytest.raises(TypeError, match="forward must return a floating-point array as out, got int64"):
        check_layer(lambda x: (np.ones(3, dtype=np.int64), None), tanh_backward, {"x": np.ones(3)})


def relu_forward(x):
    return np.maximum(x, 0.0), x


def relu_backward(dout, x):
    return dout * (x > 0)


def test_a_step_across_a_kink_is_not_blamed_on_a_correct_gradient() -> None:
    x = np.random.default_rng(20).normal(size=(4, 5))
    x[1, 2], x[3, 0] = 3e-6, -4e-6  # closer to ReLU's kink at 0 than the step h = 1e-5

    result = check_layer(relu_forward, relu_backward, {"x": x})["x"]

    assert result.passed, result.message
    assert result.kinks == 2
    assert "crossed a kink" in result.message


def test_a_wrong_gradient_next_to_a_kink_is_still_caught() -> None:
    x = np.random.default_rng(21).normal(size=(4, 5))
    x[1, 2] = -4e-6

    def relu_backward_without_mask_at_zero(dout, x):
        return dout * (x >= -1e-5)  # lets the gradient through just left of 0

    result = check_layer(relu_forward, relu_backward_without_mask_at_zero, {"x": x})["x"]

    assert not result.passed
    assert result.index == (1, 2)


def test_a_missing_mask_is_caught_even_though_relu_has_kinks() -> None:
    x = np.random.default_rng(22).normal(size=(4, 5))

    result = check_layer(relu_forward, lambda dout, x: dout, {"x": x})["x"]

    assert not result.passed
    assert result.kinks == 0
    assert x[result.index] < 0 and result.numerical == 0.0


@pytest.mark.gpu
def test_gradient_checks_run_on_cupy_arrays() -> None:
    import cupy

    rng = np.random.default_rng(23)
    x_host = rng.normal(size=(3, 4))
    inputs = {k: cupy.asarray(v) for k, v in affine_inputs(seed=24).items()}

    grad = numerical_gradient(cubic_sum, cupy.asarray(x_host))
    results = check_layer(affine_forward, affine_backward, inputs)
    bug = check_layer(affine_forward, lambda dout, cache: tuple(-g for g in affine_backward(dout, cache)), inputs)

    assert isinstance(grad, cupy.ndarray)
    np.testing.assert_allclose(grad.get(), 3 * x_host**2 + 2, rtol=1e-7, atol=1e-9)
    assert all(r.passed for r in results.values()), [r.message for r in results.values()]
    assert not any(r.passed for r in bug.values())
