"""The grading checks: right answers pass, planted mistakes fail with the right diagnosis.

Correct implementations come from the library (the instructor edition), in loop and vectorized
forms; the wrong ones are the mistakes students really make, written out here.
"""

from __future__ import annotations

import itertools
import pickle

import numpy as np
import pytest

from autograder import checks
from autograder.checks import CheckFailed
from backpropkit import autograd, gradcheck, losses, optim, regularization, schedules
from backpropkit.layers import activations, affine, conv, conv_fast, dropout, pool, pool_fast

AFFINE_INPUTS = {"x": (4, 5), "w": (5, 3), "b": (3,)}


def failure(check, *args, **kwargs) -> CheckFailed:
    """Run a check that must fail and return its CheckFailed."""
    with pytest.raises(CheckFailed) as caught:
        check(*args, **kwargs)
    return caught.value


class Remote:
    """Calls a function the way the grader's proxies do: arguments and results pickled, caches
    kept behind opaque integer handles, so a check that peeks into a cache or relies on object
    identity breaks here."""

    def __init__(self, function, returns_cache: bool = False, takes_cache: bool = False, store=None):
        self.function, self.returns_cache, self.takes_cache = function, returns_cache, takes_cache
        self.store = store if store is not None else {}
        self.__name__ = function.__name__

    def __call__(self, *args, **kwargs):
        args, kwargs = pickle.loads(pickle.dumps((args, kwargs)))
        if self.takes_cache:
            args = (args[0], self.store[args[1]], *args[2:])
        result = self.function(*args, **kwargs)
        if self.returns_cache:
            out, cache = result
            handle = len(self.store)
            self.store[handle] = cache
            result = (out, handle)
        return pickle.loads(pickle.dumps(result))


def remote_pair(forward, backward):
    store: dict = {}
    return Remote(forward, returns_cache=True, store=store), Remote(backward, takes_cache=True, store=store)


# --- correct implementations pass ------------------------------------------------------------


def test_every_layer_check_passes_the_reference_layers(capsys):
    checks.check_forward(affine.affine_forward, "affine", AFFINE_INPUTS, seed=1)
    checks.check_backward(affine.affine_forward, affine.affine_backward, AFFINE_INPUTS, seed=1)
    for name in ("relu", "sigmoid", "tanh"):
        forward, backward = getattr(activations, f"{name}_forward"), getattr(activations, f"{name}_backward")
        checks.check_forward(forward, name, {"x": (3, 4)}, seed=2)
        checks.check_backward(forward, backward, {"x": (3, 4)}, seed=2)
    checks.check_backward(activations.leaky_relu_forward, activations.leaky_relu_backward, {"x": (3, 4)}, {"alpha": 0.1})
    checks.check_forward(activations.sigmoid_forward, "sigmoid", {"x": [[-1000.0, 0.0, 1000.0]]})
    checks.check_dropout_forward(dropout.dropout_forward, (60, 50), 0.7, seed=3)
    checks.check_dropout_backward(dropout.dropout_forward, dropout.dropout_backward, (20, 30), 0.6, seed=3)
    printed = capsys.readouterr().out.splitlines()
    assert len(printed) == 12 and all(line.startswith("\u2714") for line in printed)


@pytest.mark.parametrize(
    "forward, backward",
    [(conv.conv_forward_naive, conv.conv_backward_naive), (conv_fast.conv_forward_fast, conv_fast.conv_backward_fast)],
    ids=["loops", "vectorized"],
)
def test_conv_checks_accept_loop_and_vectorized_convolutions(forward, backward):
    checks.check_conv_forward(forward, (2, 3, 7, 7), (4, 3, 3, 3), 2, 1, seed=0)
    checks.check_conv_backward(forward, backward, (2, 3, 7, 7), (4, 3, 3, 3), 2, 1, seed=0)
    checks.check_conv_backward(forward, backward, (1, 2, 5, 6), (3, 2, 3, 2), 1, 0, seed=1)


@pytest.mark.parametrize(
    "forward, backward",
    [(pool.max_pool_forward_naive, pool.max_pool_backward_naive), (pool_fast.max_pool_forward_fast, pool_fast.max_pool_backward_fast)],
    ids=["loops", "vectorized"],
)
def test_pool_checks_accept_loop_and_vectorized_pooling(forward, backward):
    checks.check_pool_forward(forward, (2, 3, 6, 6), 3, 3, 1, seed=0)
    checks.check_pool_backward(forward, backward, (2, 3, 5, 5), 3, 3, 2, seed=0)
    checks.check_pool_backward(forward, backward, (2, 2, 4, 6), 2, 2, 2, seed=1)
    checks.check_pool_ties(forward, backward)
    checks.check_pool_ties(forward, backward, 3, 3, 1)


def test_loss_and_penalty_checks_pass_the_references():
    for svm in (losses.svm_loss_loops, losses.svm_loss):  # loops and vectorized
        checks.check_svm_lecture_example(svm)
        checks.check_svm_loss(svm, 7, 5, seed=3)
    checks.check_softmax_loss(losses.softmax_loss, 6, 4, seed=2)
    checks.check_binary_cross_entropy_loss(losses.binary_cross_entropy_loss, seed=1)
    checks.check_mse_loss(losses.mse_loss, (3, 4), seed=1)
    checks.check_l2_penalty(regularization.l2_penalty)
    checks.check_l1_penalty(regularization.l1_penalty)
    checks.check_elastic_net_penalty(regularization.elastic_net_penalty)
    checks.check_weight_decay(regularization.weight_decay)


def test_update_rule_and_schedule_checks_pass_the_references():
    for kind, settings in [
        ("sgd", {"learning_rate": 0.1}),
        ("sgd_momentum", {"learning_rate": 0.1, "momentum": 0.9}),
        ("nesterov_momentum", {"learning_rate": 0.1, "momentum": 0.8}),
        ("adagrad", {"learning_rate": 0.1}),
        ("rmsprop", {"learning_rate": 0.01, "decay_rate": 0.9}),
        ("adam", {"learning_rate": 0.01}),
    ]:
        checks.check_update_rule(getattr(optim, kind), kind, settings, steps=4, seed=1)
    checks.check_schedule(schedules.step_decay, "step_decay", {"base_lr": 0.1, "every": 3}, [0, 2, 3, 7])
    checks.check_schedule(schedules.cosine_decay, "cosine_decay", {"base_lr": 0.1, "total_steps": 10, "final_lr": 0.01}, [0, 3, 10, 14])
    checks.check_schedule(schedules.linear_decay, "linear_decay", {"base_lr": 0.1, "total_steps": 10}, [0, 5, 12])
    checks.check_schedule(schedules.inverse_sqrt_decay, "inverse_sqrt_decay", {"base_lr": 0.1, "hold_steps": 4}, [0, 4, 9, 16])
    checks.check_warmup(schedules.with_warmup)


def test_notebook_one_checks_pass_the_references():
    checks.check_numerical_gradient(gradcheck.numerical_gradient, (2, 3, 2), seed=4)
    checks.check_numerical_gradient_upstream(gradcheck.numerical_gradient_upstream, (3, 4), seed=1)
    checks.check_relative_error(gradcheck.relative_error)
    checks.check_value_rules(autograd.Value, seed=2)
    checks.check_value_lecture_example(autograd.Value)
    checks.check_value_backward(autograd.Value, seed=2)


def test_a_relative_error_floored_at_tiny_alone_is_told_the_floor_follows_the_arrays_scale():
    def relative_error(a, b):
        return float(np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), gradcheck.TINY)))

    message = str(failure(checks.check_relative_error, relative_error))
    assert "a thousandth of the largest |a| + |b|" in message and "tiny element" not in message


def test_the_checks_judge_by_the_relative_error_students_write():
    """The grader's comparison, its sampling and its centered differences are the library's rules."""
    from autograder.checks import compare, numeric

    rng = np.random.default_rng(0)
    expected = rng.standard_normal((4, 5)) * np.logspace(-9, 0, 20).reshape(4, 5)
    yours = expected * (1 + 1e-3 * rng.standard_normal((4, 5)))
    mismatch = compare.compare("dx", yours, expected, tolerance=1e-6)
    np.testing.assert_array_equal(mismatch.errors, gradcheck.relative_error_array(yours, expected))
    assert mismatch.error == gradcheck.relative_error(yours, expected)

    assert numeric.sample_indices((30, 40), 100, seed=5) == gradcheck.sample_indices((30, 40), 100, numeric.case_rng(5))
    assert numeric.sample_indices((3, 4), 100, seed=5) == list(gradcheck.every_index((3, 4)))

    x, dout = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    grader = numeric.numerical_gradient(lambda: np.tanh(x), x, list(gradcheck.every_index(x.shape)), dout)
    np.testing.assert_array_equal(grader.gradient, gradcheck.numerical_gradient_upstream(np.tanh, x, dout))


def test_checks_only_call_what_they_are_given():
    """Through pickling proxies with opaque cache handles, every check behaves as with the functions."""
    checks.check_backward(*remote_pair(affine.affine_forward, affine.affine_backward), AFFINE_INPUTS, seed=1)
    checks.check_conv_backward(*remote_pair(conv.conv_forward_naive, conv.conv_backward_naive), (1, 2, 5, 5), (2, 2, 3, 3), 1, 1)
    checks.check_pool_ties(*remote_pair(pool.max_pool_forward_naive, pool.max_pool_backward_naive))
    checks.check_dropout_backward(*remote_pair(dropout.dropout_forward, dropout.dropout_backward))
    checks.check_softmax_loss(Remote(losses.softmax_loss))
    checks.check_update_rule(Remote(optim.adam), "adam", {"learning_rate": 0.01})
    def relu_backward(dout, cache):
        return dout

    wrong = failure(checks.check_backward, *remote_pair(activations.relu_forward, relu_backward), {"x": (4, 5)})
    assert "missing mask" in str(wrong)


# --- planted mistakes are caught and named -----------------------------------------------------


def test_a_sign_flip_is_named_with_the_worst_element_and_the_case():
    def backward(dout, cache):
        dx, dw, db = affine.affine_backward(dout, cache)
        return -dx, dw, db

    error = failure(checks.check_backward, affine.affine_forward, backward, AFFINE_INPUTS, seed=1)
    message = str(error)
    assert "dx is wrong" in message and "sign is flipped" in message
    assert "Largest error at dx[" in message and "x (4, 5), w (5, 3), b (3,)" in message and "seed 1" in message
    assert error.details["quantity"] == "dx"
    assert error.details["relative_error"].shape == (4, 5)


def test_a_transposed_gradient_is_named():
    def backward(dout, cache):
        dx, dw, db = affine.affine_backward(dout, cache)
        return dx, dw.T, db

    square = {"x": (4, 5), "w": (5, 5), "b": (5,)}
    assert "transposed" in str(failure(checks.check_backward, affine.affine_forward, backward, square, seed=2))
    assert "transposed" in str(failure(checks.check_backward, affine.affine_forward, backward, AFFINE_INPUTS, seed=2))


def test_a_sum_over_the_wrong_axis_is_named():
    def backward(dout, cache):
        dx, dw, _ = affine.affine_backward(dout, cache)
        return dx, dw, dout.sum(axis=1)

    message = str(failure(checks.check_backward, affine.affine_forward, backward, AFFINE_INPUTS))
    assert "db has shape (4,), expected (3,)" in message and "sums over axis 1; sum over axis 0" in message


def test_a_gradient_off_by_the_batch_size_is_named():
    def softmax_without_mean(scores, y):
        loss, dscores = losses.softmax_loss(scores, y)
        return loss, dscores * scores.shape[0]

    message = str(failure(checks.check_softmax_loss, softmax_without_mean, 5, 4))
    assert "dscores is wrong" in message and "not divided by N = 5" in message


def test_a_loss_summed_instead_of_averaged_is_named():
    def summed(scores, y):
        loss, dscores = losses.svm_loss(scores, y)
        return loss * len(y), dscores * len(y)

    assert "take the mean" in str(failure(checks.check_svm_lecture_example, summed))


def test_a_missing_relu_mask_is_named():
    def relu_backward(dout, cache):
        return dout

    error = failure(checks.check_backward, activations.relu_forward, relu_backward, {"x": (4, 5)}, seed=1)
    assert "missing mask" in str(error)


def test_without_a_reproduced_mistake_the_message_states_facts_only():
    """A backward with no reference (here an unnamed one) gets no named mistake, only what is certain."""
    error = failure(checks.check_backward, activations.relu_forward, lambda dout, cache: dout, {"x": (4, 5)}, seed=1)
    assert "Likely mistake" not in str(error)
    assert "right everywhere except at" in str(error) and "where the gradient is exactly 0" in str(error)


def test_a_forgotten_upstream_gradient_is_named():
    def relu_backward(dout, cache):
        return (cache > 0).astype(float)

    error = failure(checks.check_backward, activations.relu_forward, relu_backward, {"x": (4, 5)}, seed=1)
    assert "multiply the local gradient by the upstream gradient dout" in str(error)


def _conv_backward_overwriting(dout, cache):
    """A loop convolution backward that writes dx with = where += belongs."""
    x, w, b, stride, pad = cache
    x_padded = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dx_padded, dw = np.zeros_like(x_padded), np.zeros_like(w)
    kernel_height, kernel_width = w.shape[2:]
    for n, f, i, j in itertools.product(*(range(size) for size in dout.shape)):
        window = (n, slice(None), slice(i * stride, i * stride + kernel_height), slice(j * stride, j * stride + kernel_width))
        dw[f] += dout[n, f, i, j] * x_padded[window]
        dx_padded[window] = dout[n, f, i, j] * w[f]
    height, width = x.shape[2:]
    return dx_padded[:, :, pad : pad + height, pad : pad + width], dw, dout.sum(axis=(0, 2, 3))


def test_assignment_instead_of_accumulation_in_conv_backward_is_named():
    error = failure(checks.check_conv_backward, conv.conv_forward_naive, _conv_backward_overwriting, (2, 2, 5, 5), (3, 2, 3, 3), 1, 1)
    assert "dx is wrong" in str(error) and "accumulate with +=" in str(error)


def test_assignment_instead_of_accumulation_in_overlapping_pooling_is_named():
    def pool_backward(dout, cache):
        x, pool_height, pool_width, stride = cache
        dx = np.zeros_like(x)
        for n, c, i, j in itertools.product(*(range(size) for size in dout.shape)):
            window = x[n, c, i * stride : i * stride + pool_height, j * stride : j * stride + pool_width]
            row, col = np.unravel_index(np.argmax(window), window.shape)
            dx[n, c, i * stride + row, j * stride + col] = dout[n, c, i, j]
        return dx

    error = failure(checks.check_pool_backward, pool.max_pool_forward_naive, pool_backward, (2, 2, 7, 7), 3, 3, 1, seed=0)
    assert "accumulate with +=" in str(error)


def test_ties_split_between_maxima_are_named():
    def pool_backward(dout, cache):
        x, pool_height, pool_width, stride = cache
        dx = np.zeros_like(x)
        for n, c, i, j in itertools.product(*(range(size) for size in dout.shape)):
            rows, cols = slice(i * stride, i * stride + pool_height), slice(j * stride, j * stride + pool_width)
            dx[n, c, rows, cols] += (x[n, c, rows, cols] == x[n, c, rows, cols].max()) * dout[n, c, i, j]
        return dx

    message = str(failure(checks.check_pool_ties, pool.max_pool_forward_naive, pool_backward))
    assert "every tied maximum gets the gradient" in message


def test_a_softmax_without_the_max_shift_is_named():
    def naive_softmax(scores, y):
        probs = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
        count = len(y)
        dscores = probs.copy()
        dscores[np.arange(count), y] -= 1
        return -np.log(probs[np.arange(count), y]).mean(), dscores / count

    message = str(failure(checks.check_softmax_loss, naive_softmax))
    assert "subtract each row's maximum" in message and "overflow" in message


def test_an_unanswered_exercise_says_what_to_implement():
    def relu_backward(dout, cache):
        raise NotImplementedError("relu_backward: write your answer here")

    message = str(failure(checks.check_backward, activations.relu_forward, relu_backward, {"x": (3, 3)}))
    assert message.startswith("implement relu_backward first")


def test_a_crash_in_student_code_names_the_line():
    def relu_backward(dout, cache):
        return dout @ cache  # shapes do not fit

    message = str(failure(checks.check_backward, activations.relu_forward, relu_backward, {"x": (3, 4)}))
    assert "relu_backward raised ValueError" in message and "return dout @ cache" in message


def test_wrong_return_values_are_named():
    def returns_none(dout, cache):
        return None

    def returns_integers(dout, cache):
        return (dout > 0).astype(int)

    def returns_two(dout, cache):
        return dout, dout

    assert "did you forget a return statement" in str(failure(checks.check_backward, activations.relu_forward, returns_none, {"x": (2, 2)}))
    assert "integers" in str(failure(checks.check_backward, activations.relu_forward, returns_integers, {"x": (2, 2)}))
    assert "must return 3 values (dx, dw, db)" in str(
        failure(checks.check_backward, affine.affine_forward, returns_two, AFFINE_INPUTS)
    )


def test_a_warning_fails_even_when_the_values_are_right():
    def sigmoid_forward(x):
        out = 1 / (1 + np.exp(-x))
        return out, out

    message = str(failure(checks.check_forward, sigmoid_forward, "sigmoid", {"x": [[-1000.0, 0.0, 3.0]]}))
    assert "overflow encountered in exp" in message and "without warnings on every case" in message
    assert "exp(-|x|)" in message  # the fix


def test_dropout_mistakes_are_named():
    def unscaled(x, keep_prob, *, train=True, rng=None):
        if not train:
            return x, None
        mask = np.random.default_rng(rng).random(x.shape) < keep_prob
        return x * mask, mask

    def drops_at_test_time(x, keep_prob, *, train=True, rng=None):
        return dropout.dropout_forward(x, keep_prob, train=True, rng=rng)

    def fresh_mask_backward(dout, cache):
        return dout * (np.random.default_rng(123).random(dout.shape) < 0.6) / 0.6

    assert "divided by keep_prob" in str(failure(checks.check_dropout_forward, unscaled))
    assert "test mode" in str(failure(checks.check_dropout_forward, drops_at_test_time))
    assert "reuse the forward's mask" in str(failure(checks.check_dropout_backward, dropout.dropout_forward, fresh_mask_backward))


def test_update_rule_mistakes_are_named():
    def adam_without_bias_correction(w, dw, state, *, learning_rate, beta1=0.9, beta2=0.999, eps=1e-8):
        m = beta1 * state.get("m", 0 * w) + (1 - beta1) * dw
        v = beta2 * state.get("v", 0 * w) + (1 - beta2) * dw**2
        return w - learning_rate * m / (np.sqrt(v) + eps), {"m": m, "v": v}

    def momentum_forgetting_velocity(w, dw, state, *, learning_rate, momentum=0.9):
        return w - learning_rate * dw, {}

    message = str(failure(checks.check_update_rule, adam_without_bias_correction, "adam", {"learning_rate": 0.01}))
    assert "bias correction is missing" in message
    message = str(failure(checks.check_update_rule, momentum_forgetting_velocity, "sgd_momentum", {"learning_rate": 0.1}))
    assert "velocity is not carried" in message


def test_a_forward_difference_is_named():
    def forward_difference(f, x, h=1e-5):
        grad = np.zeros_like(x)
        base = f(x)
        for index in np.ndindex(x.shape):
            x[index] += h
            grad[index] = (f(x) - base) / h
            x[index] -= h
        return grad

    assert "use the centered difference" in str(failure(checks.check_numerical_gradient, forward_difference))


def test_value_mistakes_are_named():
    class AssigningValue(autograd.Value):
        """Multiplication that assigns its gradients instead of adding them."""

        def __mul__(self, other):
            other = autograd.as_value(other)
            out = AssigningValue(self.data * other.data, (self, other), "*")

            def _backward():
                self.grad = other.data * out.grad
                other.grad = self.data * out.grad

            out._backward = _backward
            return out

    message = str(failure(checks.check_value_backward, AssigningValue))
    assert "a.grad is" in message and "+= belongs" in message


def test_check_failed_pickles_with_its_details():
    error = failure(checks.check_backward, activations.relu_forward, lambda dout, cache: -dout, {"x": (3, 4)})
    copy = pickle.loads(pickle.dumps(error))
    assert isinstance(copy, AssertionError) and str(copy) == str(error)
    np.testing.assert_array_equal(copy.details["relative_error"], error.details["relative_error"])


def test_large_inputs_are_probed_at_a_sample_of_elements():
    error = failure(
        checks.check_backward, activations.relu_forward, lambda dout, cache: -dout, {"x": (30, 20)}, max_elements=50
    )
    compared = ~np.isnan(error.details["relative_error"])
    assert 0 < compared.sum() <= 50


# --- the student edition: no references, the oracle decides which forward is differentiated ------


@pytest.fixture
def student_edition(monkeypatch):
    """The checks as the course edition runs them: without the instructor's references."""
    from autograder.checks import layer_checks

    monkeypatch.setattr(layer_checks, "references", None)
    monkeypatch.setattr(layer_checks, "layer_mistakes", None)


def conv_forward_without_bias(x, w, b, stride=1, pad=0):
    out, cache = conv.conv_forward_naive(x, w, b, stride=stride, pad=pad)
    return out - b[None, :, None, None], cache


def test_in_the_student_edition_a_wrong_forward_costs_only_the_forward(student_edition, capsys):
    """The notebook gives the grader's verdict: a right backward after a wrong forward passes, told why."""
    with pytest.raises(CheckFailed):
        checks.check_conv_forward(conv_forward_without_bias, (2, 3, 5, 5), (4, 3, 3, 3), stride=1, pad=1)
    checks.check_conv_backward(conv_forward_without_bias, conv.conv_backward_naive, (2, 3, 5, 5), (4, 3, 3, 3), 1, 1)
    assert "differs from the expected one" in capsys.readouterr().out


def test_in_the_student_edition_a_backward_of_the_wrong_forward_is_told_to_fix_the_forward(student_edition):
    def backward_without_bias(dout, cache):
        dx, dw, db = conv.conv_backward_naive(dout, cache)
        return dx, dw, np.zeros_like(db)  # the right gradient of the forward without the bias

    caught = failure(checks.check_conv_backward, conv_forward_without_bias, backward_without_bias, (2, 3, 5, 5), (4, 3, 3, 3))
    assert "db" in str(caught) and "fix conv_forward_without_bias first" in str(caught)


def test_in_the_student_edition_dropout_that_drops_at_test_time_costs_only_the_forward(student_edition):
    def drops_always(x, keep_prob, *, train=True, rng=None):
        return dropout.dropout_forward(x, keep_prob, train=True, rng=rng)

    with pytest.raises(CheckFailed):
        checks.check_dropout_forward(drops_always)
    checks.check_dropout_backward(drops_always, dropout.dropout_backward)
