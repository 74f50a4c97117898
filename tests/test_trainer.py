"""The training loop: it learns, keeps the best parameters, saves and resumes, refuses bad data."""

from __future__ import annotations

import functools

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

from backpropkit import optim, schedules
from backpropkit.data import make_spiral
from backpropkit.networks import FullyConnectedNet
from backpropkit.trainer import History, Trainer


@pytest.fixture
def spiral():
    X, y = make_spiral(40, 3, noise=0.1, seed=0)
    order = np.random.default_rng(0).permutation(len(y))
    X, y = X[order], y[order]
    return X[:90], y[:90], X[90:], y[90:]


def test_training_a_tiny_network_lowers_the_loss(backend, spiral):
    X, y, X_val, y_val = (backend(a) for a in spiral)
    model = FullyConnectedNet(2, [20], 3, like=backend(np.zeros(1)), seed=0)
    trainer = Trainer(model, "adam", learning_rate=0.05, batch_size=30, epochs=15, progress=False)
    history = trainer.fit(X, y, X_val, y_val)
    assert history.epochs == 15 and len(history.step_loss) == 15 * 3
    assert history.train_loss[-1] < 0.6 * history.train_loss[0]
    assert max(history.val_accuracy) > 0.6
    assert len(history.val_loss) == len(history.train_accuracy) == len(history.learning_rate) == 15


def test_best_parameters_by_validation_accuracy_are_restored(spiral):
    X, y, X_val, y_val = spiral
    model = FullyConnectedNet(2, [20], 3, seed=0)
    trainer = Trainer(model, "sgd_momentum", learning_rate=0.2, batch_size=30, epochs=12, progress=False)
    history = trainer.fit(X, y, X_val, y_val)
    ranking = [(accuracy, -loss) for accuracy, loss in zip(history.val_accuracy, history.val_loss)]
    assert trainer.best_epoch == ranking.index(max(ranking)) + 1
    assert trainer.best_val_accuracy == max(history.val_accuracy)
    assert model.accuracy(X_val, y_val) == pytest.approx(trainer.best_val_accuracy)
    assert all(model.params[name] is trainer.best_params[name] for name in model.params)
    loss_axes, accuracy_axes = trainer.plot_history().axes
    assert len(loss_axes.get_lines()) == 2 and len(accuracy_axes.get_lines()) == 2  # training and validation


def test_the_schedule_sets_each_step_and_hyperparameters_reach_the_rule(spiral):
    X, y, _, _ = spiral
    seen = []

    def recording_rule(w, dw, state, *, learning_rate, momentum):
        seen.append((learning_rate, momentum))
        return optim.sgd_momentum(w, dw, state, learning_rate=learning_rate, momentum=momentum)

    model = FullyConnectedNet(2, [4], 3, seed=0)
    schedule = functools.partial(schedules.linear_decay, base_lr=0.1, total_steps=6)
    trainer = Trainer(model, recording_rule, schedule=schedule, hyperparameters={"momentum": 0.5},
                      batch_size=45, epochs=3, progress=False)
    history = trainer.fit(X, y)
    per_step = [rate for rate, _ in seen[:: len(model.params)]]
    assert per_step == pytest.approx([schedule(s) for s in range(6)])
    assert {momentum for _, momentum in seen} == {0.5}
    assert history.learning_rate == pytest.approx([schedule(1), schedule(3), schedule(5)])
    assert history.val_accuracy == [] and trainer.best_params is None


def test_checkpoints_round_trip_and_training_resumes_identically(tmp_path, spiral, backend):
    X, y, X_val, y_val = (backend(a) for a in spiral)

    def fresh():
        model = FullyConnectedNet(2, [8], 3, like=backend(np.zeros(1)), seed=0)
        return model, Trainer(model, "adam", learning_rate=0.02, batch_size=30, epochs=2, seed=5, progress=False)

    model, trainer = fresh()
    trainer.fit(X, y, X_val, y_val)
    path = trainer.save(tmp_path / "run")
    assert path.suffix == ".npz"

    restored_model, restored = fresh()
    restored.load(path)
    host = lambda value: backend.get(value) if hasattr(value, "shape") else np.asarray(value)
    for name in model.params:
        np.testing.assert_array_equal(backend.get(restored_model.params[name]), backend.get(model.params[name]))
        assert type(restored_model.params[name]) is type(model.params[name])
        for key, value in trainer.optimizer_state[name].items():
            np.testing.assert_array_equal(host(restored.optimizer_state[name][key]), host(value))
    assert restored.history == trainer.history
    assert (restored.step, restored.best_epoch, restored.best_val_accuracy, restored.best_val_loss) == (
        trainer.step, trainer.best_epoch, trainer.best_val_accuracy, trainer.best_val_loss)

    # The shuffling generator is not part of a checkpoint: seed both alike to compare the runs.
    trainer.rng, restored.rng = type(trainer.rng)(9), type(trainer.rng)(9)
    trainer.fit(X, y, X_val, y_val)
    restored.fit(X, y, X_val, y_val)
    for name in model.params:
        np.testing.assert_allclose(backend.get(restored_model.params[name]), backend.get(model.params[name]))


def test_a_checkpoint_for_another_model_is_refused(tmp_path, spiral):
    X, y, _, _ = spiral
    trainer = Trainer(FullyConnectedNet(2, [8], 3), "sgd", learning_rate=0.1, epochs=1, progress=False)
    trainer.fit(X, y)
    path = trainer.save(tmp_path / "small.npz")
    other = Trainer(FullyConnectedNet(2, [9], 3), "sgd", learning_rate=0.1, progress=False)
    with pytest.raises(ValueError, match="parameter W1 has shape"):
        other.load(path)
    deeper = Trainer(FullyConnectedNet(2, [8, 8], 3), "sgd", learning_rate=0.1, progress=False)
    with pytest.raises(ValueError, match="build the same model"):
        deeper.load(path)
    (tmp_path / "broken.npz").write_bytes(b"not a zip file")
    with pytest.raises(ValueError, match="not a readable checkpoint"):
        other.load(tmp_path / "broken.npz")
    with pytest.raises(FileNotFoundError, match="no checkpoint"):
        other.load(tmp_path / "missing.npz")


def test_bad_data_and_settings_are_named(spiral):
    X, y, X_val, y_val = spiral
    trainer = Trainer(FullyConnectedNet(2, [4], 3), "sgd", learning_rate=0.1, progress=False)
    with pytest.raises(ValueError, match="X_train is empty"):
        trainer.fit(X[:0], y[:0])
    with pytest.raises(ValueError, match=r"y_train must hold one label per example of X_train \(shape \(90,\)\)"):
        trainer.fit(X, y[:50])
    with pytest.raises(ValueError, match=r"y_val holds labels outside 0..2"):
        trainer.fit(X, y, X_val, y_val + 1)
    with pytest.raises(ValueError, match="give both X_val and y_val"):
        trainer.fit(X, y, X_val)
    with pytest.raises(ValueError, match="exactly one of learning_rate"):
        Trainer(FullyConnectedNet(2, [4], 3), "sgd")
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        Trainer(FullyConnectedNet(2, [4], 3), "sgd", learning_rate=0.1, batch_size=0)
    with pytest.raises(ValueError, match="unknown update rule"):
        Trainer(FullyConnectedNet(2, [4], 3), "lion", learning_rate=0.1)
    with pytest.raises(TypeError, match="model must have 'params'"):
        Trainer(object(), "sgd", learning_rate=0.1)


def test_a_diverging_run_stops_with_advice(spiral):
    X, y, _, _ = spiral

    def exploding_rule(w, dw, state, *, learning_rate):
        return w * 1e200 * 1e200, state  # overflows to inf, as a far too large step would

    trainer = Trainer(FullyConnectedNet(2, [4], 3), exploding_rule, learning_rate=1.0, batch_size=30, progress=False)
    with np.errstate(all="ignore"), pytest.raises((FloatingPointError, ValueError), match="learning rate"):
        trainer.fit(X, y)
    assert trainer.step == 1


def test_inputs_with_nan_are_refused(spiral):
    X, y, _, _ = spiral
    X = X.copy()
    X[3, 1] = np.nan
    trainer = Trainer(FullyConnectedNet(2, [4], 3), "sgd", learning_rate=0.1, progress=False)
    with pytest.raises(ValueError, match="X_train holds 1 NaN or infinite"):
        trainer.fit(X, y)


def test_progress_bar_writes_to_stderr_only_when_enabled(spiral, capsys):
    X, y, _, _ = spiral
    Trainer(FullyConnectedNet(2, [4], 3), "sgd", learning_rate=0.1, epochs=1, progress=False).fit(X, y)
    assert capsys.readouterr().err == ""
    Trainer(FullyConnectedNet(2, [4], 3), "sgd", learning_rate=0.1, epochs=1, progress=True).fit(X, y)
    assert "step" in capsys.readouterr().err


def test_history_is_plain_lists():
    history = History(train_loss=[1.0, 0.5])
    assert history.epochs == 2 and history.as_dict()["train_loss"] == [1.0, 0.5]


@pytest.mark.gpu
def test_training_runs_on_a_gpu_and_resumes_on_the_cpu(tmp_path):
    import cupy

    from backpropkit.data import load_digits

    data = load_digits().to(cupy.zeros(1, dtype=cupy.float32))
    model = FullyConnectedNet(64, [32], 10, like=data.X_train)
    trainer = Trainer(model, "adam", learning_rate=1e-2, epochs=3, progress=False)
    history = trainer.fit(*data.train, *data.val)
    assert isinstance(model.params["W1"], cupy.ndarray) and model.params["W1"].dtype == cupy.float32
    assert history.val_accuracy[-1] > 0.8
    path = trainer.save(tmp_path / "gpu")
    cpu_model = FullyConnectedNet(64, [32], 10, dtype=np.float32)
    Trainer(cpu_model, "adam", learning_rate=1e-2, progress=False).load(path)
    np.testing.assert_allclose(cpu_model.params["W1"], model.params["W1"].get())


@pytest.mark.slow
def test_the_main_job_trains_both_reference_networks(capsys):
    from backpropkit.__main__ import main

    assert main(["--epochs", "1", "--no-progress"]) == 0
    report = capsys.readouterr().out
    assert report.count("test accuracy") == 2 and "fully connected" in report and "convnet" in report


def test_restore_best_off_keeps_the_last_parameters(spiral):
    X, y, X_val, y_val = spiral
    returned = []

    def recording_sgd(w, dw, state, *, learning_rate):
        next_w, state = optim.sgd(w, dw, state, learning_rate=learning_rate)
        returned.append(next_w)
        return next_w, state

    model = FullyConnectedNet(2, [20], 3, seed=0)
    trainer = Trainer(model, recording_sgd, learning_rate=0.5, batch_size=30, epochs=6, progress=False,
                      restore_best=False)
    trainer.fit(X, y, X_val, y_val)
    last = returned[-len(model.params):]
    assert all(model.params[name] is w for name, w in zip(model.params, last))
    assert trainer.best_params is not None and trainer.best_epoch is not None


def test_augmentation_sees_only_training_batches(spiral):
    X, y, X_val, y_val = spiral
    seen = []

    def augment(X_batch, rng):
        seen.append(X_batch.shape[0])
        return X_batch + 0.01 * rng.normal(X_batch.shape, like=X_batch)

    Trainer(FullyConnectedNet(2, [4], 3), "sgd", learning_rate=0.1, batch_size=40, epochs=2, progress=False,
            augment=augment).fit(X, y, X_val, y_val)
    assert seen == [40, 40, 10] * 2


def test_an_unbuilt_sequential_model_is_built_from_the_data(spiral):
    from backpropkit.sequential import Dense, ReLU, Sequential

    X, y, _, _ = spiral
    model = Sequential([Dense(8), ReLU(), Dense(3)])
    Trainer(model, "adam", learning_rate=0.01, epochs=1, progress=False).fit(X, y)
    assert model.input_shape == (2,) and model.params["W1"].shape == (2, 8)
