"""Update rules: trajectories worked out by hand, the notes' formulations, L-BFGS, and bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest

from backpropkit import optim


def run(rule, backend, w0, gradients, **hyperparameters):
    """Apply ``rule`` to ``w0`` with each gradient in turn; return the host copies of every iterate."""
    w, state, path = backend(np.asarray(w0, dtype=float)), {}, []
    for g in gradients:
        w, state = rule(w, backend(np.asarray(g, dtype=float)), state, **hyperparameters)
        path.append(backend.get(w))
    return path, state


def test_sgd_steps_against_the_gradient(backend):
    path, state = run(optim.sgd, backend, [1.0, -2.0], [[0.5, -1.0], [1.0, 1.0]], learning_rate=0.1)
    np.testing.assert_allclose(path[0], [0.95, -1.9])
    np.testing.assert_allclose(path[1], [0.85, -2.0])
    assert state == {}


def test_sgd_momentum_builds_velocity(backend):
    # Constant gradient 1: velocities 1, 1.9, 2.71; steps 0.1, 0.19, 0.271.
    path, state = run(optim.sgd_momentum, backend, [0.0], [[1.0]] * 3, learning_rate=0.1, momentum=0.9)
    np.testing.assert_allclose([p[0] for p in path], [-0.1, -0.29, -0.561])
    np.testing.assert_allclose(backend.get(state["velocity"]), [2.71])


def test_momentum_formulations_of_the_notes_agree():
    """Velocity-with-friction and velocity-holding-the-step give the same iterates; the exponential
    average gives them with the learning rate scaled by mu."""
    rng = np.random.default_rng(0)
    gradients = rng.normal(size=(6, 3))
    lr, rho = 0.05, 0.8
    w, state, ours = np.zeros(3), {}, []
    for g in gradients:
        w, state = optim.sgd_momentum(w, g, state, learning_rate=lr, momentum=rho)
        ours.append(w)
    x, v, step_form = np.zeros(3), np.zeros(3), []
    for g in gradients:
        v = rho * v - lr * g
        x = x + v
        step_form.append(x)
    np.testing.assert_allclose(ours, step_form)
    mu = 1 - rho
    x, p, averaged = np.zeros(3), np.zeros(3), []
    for g in gradients:
        p = mu * g + (1 - mu) * p
        x = x - (lr / mu) * p
        averaged.append(x)
    np.testing.assert_allclose(ours, averaged)


def test_nesterov_uses_the_look_ahead_velocity(backend):
    # Constant gradient 1, lr 0.1, mu 0.5: v = 1 then 1.5; steps 0.1 * (1 + 0.5) and 0.1 * (1 + 0.75).
    path, _ = run(optim.nesterov_momentum, backend, [0.0], [[1.0]] * 2, learning_rate=0.1, momentum=0.5)
    np.testing.assert_allclose([p[0] for p in path], [-0.15, -0.325])


def test_adagrad_shrinks_its_steps(backend):
    # Gradients 3 then 4: accumulated squares 9 then 25, steps lr * 3/3 and lr * 4/5.
    path, state = run(optim.adagrad, backend, [1.0], [[3.0], [4.0]], learning_rate=0.5, eps=0.0)
    np.testing.assert_allclose([p[0] for p in path], [0.5, 0.1])
    np.testing.assert_allclose(backend.get(state["grad_squared"]), [25.0])


def test_rmsprop_leaks_old_squares(backend):
    # decay 0.5, gradients 2 then 2: g2 = 2 then 3; steps 0.1 * 2/sqrt(2) and 0.1 * 2/sqrt(3).
    path, _ = run(optim.rmsprop, backend, [0.0], [[2.0], [2.0]], learning_rate=0.1, decay_rate=0.5, eps=0.0)
    first = -0.1 * 2 / math.sqrt(2)
    np.testing.assert_allclose([p[0] for p in path], [first, first - 0.1 * 2 / math.sqrt(3)])


def test_adam_bias_correction_makes_the_first_step_the_learning_rate(backend):
    # After bias correction m_hat = g and v_hat = g**2 at t = 1, so the step is lr * sign(g).
    path, state = run(optim.adam, backend, [1.0, 1.0], [[1e-3, -50.0]], learning_rate=0.01, eps=0.0)
    np.testing.assert_allclose(path[0], [0.99, 1.01])
    assert state["t"] == 1


def test_adam_matches_the_notes_loop_for_several_steps():
    rng = np.random.default_rng(1)
    gradients = rng.normal(size=(5, 4))
    w, state = np.ones(4), {}
    x, m, v = np.ones(4), np.zeros(4), np.zeros(4)
    for t, g in enumerate(gradients, start=1):
        w, state = optim.adam(w, g, state, learning_rate=1e-2, beta1=0.8, beta2=0.9, eps=1e-8)
        m = 0.8 * m + 0.2 * g
        v = 0.9 * v + 0.1 * g * g
        x = x - 1e-2 * (m / (1 - 0.8**t)) / (np.sqrt(v / (1 - 0.9**t)) + 1e-8)
        np.testing.assert_allclose(w, x)


@pytest.mark.parametrize("rule", [optim.sgd, optim.sgd_momentum, optim.nesterov_momentum, optim.adagrad,
                                  optim.rmsprop, optim.adam])
def test_rules_never_modify_their_inputs(rule):
    w, dw = np.array([1.0, 2.0]), np.array([0.5, -0.5])
    state: dict = {}
    w_before = w.copy()
    next_w, next_state = rule(w, dw, state, learning_rate=0.1)
    _, later_state = rule(next_w, dw, next_state, learning_rate=0.1)
    np.testing.assert_array_equal(w, w_before)
    assert state == {}
    assert next_w is not w and not np.shares_memory(next_w, w)
    for key, value in next_state.items():
        assert later_state[key] is not value


def test_weight_decay_is_l2_in_the_gradient():
    w, dw = np.array([2.0]), np.array([0.0])
    next_w, _ = optim.sgd(w, dw, {}, learning_rate=0.1, weight_decay=0.5)
    np.testing.assert_allclose(next_w, [2.0 - 0.1 * 0.5 * 2.0])
    decayed, _ = optim.adam(w, dw, {}, learning_rate=0.1, weight_decay=0.5, eps=0.0)
    np.testing.assert_allclose(decayed, [1.9])  # Adam normalizes the decay term like any gradient


def test_rules_minimize_an_ill_conditioned_quadratic():
    scales = np.array([1.0, 10.0])
    for rule, lr in [(optim.sgd, 0.05), (optim.sgd_momentum, 0.02), (optim.nesterov_momentum, 0.02),
                     (optim.adagrad, 0.5), (optim.rmsprop, 0.03), (optim.adam, 0.05)]:
        w, state = np.array([3.0, 2.0]), {}
        for _ in range(300):
            w, state = rule(w, scales * w, state, learning_rate=lr)
        assert 0.5 * np.sum(scales * w * w) < 1e-2, rule.__name__


def test_bad_input_is_named():
    w = np.zeros(3)
    with pytest.raises(ValueError, match="dw must have the shape of w"):
        optim.sgd(w, np.zeros(4), {}, learning_rate=0.1)
    with pytest.raises(TypeError, match="state must be a dict"):
        optim.sgd_momentum(w, w, None, learning_rate=0.1)
    with pytest.raises(ValueError, match="learning_rate must be >= 0"):
        optim.adam(w, w, {}, learning_rate=-1.0)
    with pytest.raises(ValueError, match="momentum must be in"):
        optim.sgd_momentum(w, w, {}, learning_rate=0.1, momentum=1.0)
    with pytest.raises(TypeError, match="learning_rate must be a finite number"):
        optim.rmsprop(w, w, {}, learning_rate=float("nan"))
    with pytest.raises(TypeError, match="w must hold floating-point"):
        optim.sgd(np.zeros(3, dtype=int), w, {}, learning_rate=0.1)
    with pytest.raises(ValueError, match=r"state\['velocity'\] has shape"):
        optim.sgd_momentum(w, w, {"velocity": np.zeros(2)}, learning_rate=0.1)


def test_rules_are_found_by_name():
    assert optim.get_update_rule("adam") is optim.adam
    assert optim.get_update_rule(optim.sgd) is optim.sgd
    with pytest.raises(ValueError, match="unknown update rule 'adamw'"):
        optim.get_update_rule("adamw")


def test_lbfgs_solves_a_quadratic_and_records_its_path():
    a = np.array([[3.0, 1.0], [1.0, 2.0]])
    b = np.array([1.0, -1.0])

    def loss_and_grad(w):
        return 0.5 * w @ a @ w - b @ w, a @ w - b

    result = optim.lbfgs_minimize(loss_and_grad, np.zeros(2), max_iter=50)
    np.testing.assert_allclose(result.x, np.linalg.solve(a, b), atol=1e-6)
    assert result.path.shape[1:] == (2,) and len(result.path) == result.nit + 1
    np.testing.assert_array_equal(result.path[0], [0.0, 0.0])


def test_lbfgs_refuses_other_backends():
    from backends import BACKENDS

    with pytest.raises(TypeError, match="needs a NumPy w0"):
        optim.lbfgs_minimize(lambda w: (0.0, w), BACKENDS["strict-device1"](np.zeros(2)))
