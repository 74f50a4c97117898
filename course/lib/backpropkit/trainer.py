"""The minibatch training loop: shuffle, step, record, keep the best, save and resume.

A :class:`Trainer` drives any model with the interface of :class:`backpropkit.networks.Model`
(``params``, ``loss(X, y) -> (loss, grads)``, ``evaluate(X, y) -> (loss, accuracy)``,
``num_classes``, and, if it has one, ``prepare(example_shape)``, called before training) with any
update rule of :mod:`backpropkit.optim`, one state dict per parameter::

    trainer = Trainer(model, "adam", learning_rate=1e-3, batch_size=64, epochs=20)
    history = trainer.fit(data.X_train, data.y_train, data.X_val, data.y_val)
    trainer.plot_history()

Each epoch visits every training example once in a fresh random order. After each epoch the
trainer records the mean training loss, the accuracy on (a sample of) the training set and the
validation loss and accuracy; the parameters with the best validation accuracy (ties broken by the
lower validation loss) are put back in the model at the end (early stopping without stopping).
Arrays stay where the data lives (NumPy or CuPy); checkpoints are written from host copies.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Callable

import numpy as np

from .backend import (
    Array,
    RandomState,
    check_array,
    check_finite,
    check_labels,
    device_of,
    namespace,
    require_positive_integer,
    to_numpy,
)
from .optim import get_update_rule

TRAIN_ACCURACY_SAMPLE = 1000  # training accuracy is measured on at most this many examples per epoch


@dataclass
class History:
    """What happened during training, one entry per epoch (``step_loss``: one per update).

    ``val_*`` lists stay empty when no validation set is given.
    """

    train_loss: list[float] = field(default_factory=list)
    train_accuracy: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    learning_rate: list[float] = field(default_factory=list)
    step_loss: list[float] = field(default_factory=list)

    @property
    def epochs(self) -> int:
        return len(self.train_loss)

    def as_dict(self) -> dict[str, list[float]]:
        return {f.name: list(getattr(self, f.name)) for f in fields(self)}


class Trainer:
    """Train ``model`` with ``update_rule`` on shuffled minibatches.

    ``update_rule`` is a rule from :mod:`backpropkit.optim` or its name (``"sgd"``, ``"momentum"``,
    ``"adam"``...), or any function with the same signature (a student's own). Give either a
    constant ``learning_rate`` or a ``schedule``, a function of the update count (see
    :mod:`backpropkit.schedules`); ``hyperparameters`` are the rule's other keyword arguments
    (``{"momentum": 0.9}``). ``progress`` shows a tqdm bar (a widget in Jupyter, text in a
    terminal; it writes to stderr, so turn it off in graded notebook cells). ``augment`` changes
    each training minibatch at random, ``(X_batch, rng) -> X_batch`` (see
    :mod:`backpropkit.data.augment`). ``restore_best=False`` keeps the last parameters instead of
    those with the best validation accuracy (still available as :attr:`best_params`): better when
    the schedule anneals to a small rate and the validation set is too small to pick an epoch.
    """

    def __init__(
        self,
        model: Any,
        update_rule: str | Callable = "adam",
        *,
        learning_rate: float | None = None,
        schedule: Callable[[int], float] | None = None,
        hyperparameters: dict[str, Any] | None = None,
        batch_size: int = 100,
        epochs: int = 10,
        seed: int | None = 0,
        progress: bool = True,
        augment: Callable[[Array, RandomState], Array] | None = None,
        restore_best: bool = True,
    ) -> None:
        for required in ("params", "loss", "evaluate"):
            if not hasattr(model, required):
                raise TypeError(f"model must have {required!r} like the models in backpropkit.networks; "
                                f"{type(model).__name__} has not")
        if (learning_rate is None) == (schedule is None):
            raise ValueError("give exactly one of learning_rate (a constant) or schedule (a function of the step)")
        if augment is not None and not callable(augment):
            raise TypeError(f"augment must be a function (X_batch, rng) -> X_batch, got {type(augment).__name__}")
        if schedule is not None and not callable(schedule):
            raise TypeError(f"schedule must be a function of the step, got {type(schedule).__name__}")
        if learning_rate is not None and (
            not isinstance(learning_rate, numbers.Real) or not math.isfinite(learning_rate) or learning_rate < 0
        ):
            raise ValueError(f"learning_rate must be a finite number >= 0, got {learning_rate!r}")
        for name, value in (("batch_size", batch_size), ("epochs", epochs)):
            require_positive_integer(value, name)
        self.model = model
        self.update_rule = get_update_rule(update_rule)
        self.learning_rate = learning_rate
        self.schedule = schedule
        self.hyperparameters = dict(hyperparameters or {})
        self.batch_size = int(batch_size)
        self.epochs = int(epochs)
        self.progress = progress
        self.augment = augment
        self.restore_best = restore_best
        self.rng = RandomState(seed)
        self.history = History()
        self.optimizer_state: dict[str, dict[str, Any]] = {}  # one dict per parameter, filled as it trains
        self.step = 0
        self.best_val_accuracy = -1.0
        self.best_val_loss = math.inf
        self.best_epoch: int | None = None
        self.best_params: dict[str, Array] | None = None

    def rate_at(self, step: int) -> float:
        """The learning rate for update number ``step``."""
        return float(self.learning_rate if self.schedule is None else self.schedule(step))

    def fit(self, X_train: Array, y_train: Array, X_val: Array | None = None, y_val: Array | None = None) -> History:
        """Run ``epochs`` epochs (more, after a resume, continue from where the last run stopped).

        Shapes: X_train (N, ...) and y_train (N,) integer labels; likewise the optional validation
        set. Returns :attr:`history`.
        """
        check_array(X_train, "X_train")
        prepare = getattr(self.model, "prepare", None)
        if prepare is not None:  # a model that takes its shape from the data builds itself here
            prepare(tuple(X_train.shape[1:]))
        self._check_data(X_train, y_train, "train")
        if (X_val is None) != (y_val is None):
            raise ValueError("give both X_val and y_val, or neither")
        if X_val is not None:
            self._check_data(X_val, y_val, "val")
        xp = namespace(X_train)
        num_train = X_train.shape[0]
        batches_per_epoch = math.ceil(num_train / self.batch_size)
        bar = _progress_bar(self.epochs * batches_per_epoch, self.progress)
        try:
            for _ in range(self.epochs):
                order = self.rng.permutation(num_train, like=X_train)
                epoch_losses = []
                for start in range(0, num_train, self.batch_size):
                    batch = order[start : min(start + self.batch_size, num_train)]
                    loss = self._update(xp.take(X_train, batch, axis=0), xp.take(y_train, batch, axis=0))
                    epoch_losses.append(loss)
                    bar.update(1)
                self._end_epoch(epoch_losses, X_train, y_train, X_val, y_val)
                bar.set_postfix(self._postfix(), refresh=False)
        finally:
            bar.close()
        if self.restore_best and self.best_params is not None:
            self.model.params = dict(self.best_params)
        return self.history

    def _update(self, X_batch: Array, y_batch: Array) -> float:
        if self.augment is not None:
            X_batch = self.augment(X_batch, self.rng)
        loss, grads = self.model.loss(X_batch, y_batch)
        if not math.isfinite(loss):
            raise FloatingPointError(
                f"the loss became {loss} at step {self.step}; lower the learning rate "
                f"(now {self.rate_at(self.step):g}) or check the gradients"
            )
        rate = self.rate_at(self.step)
        for name, w in self.model.params.items():
            self.model.params[name], self.optimizer_state[name] = self.update_rule(
                w, grads[name], self.optimizer_state.get(name, {}), learning_rate=rate, **self.hyperparameters
            )
        self.history.step_loss.append(loss)
        self.step += 1
        return loss

    def _end_epoch(self, losses: list[float], X_train: Array, y_train: Array, X_val: Array | None,
                   y_val: Array | None) -> None:
        history = self.history
        history.train_loss.append(float(np.mean(losses)))
        history.learning_rate.append(self.rate_at(max(self.step - 1, 0)))
        num_train = X_train.shape[0]
        sample = self.rng.permutation(num_train, like=X_train)[: min(TRAIN_ACCURACY_SAMPLE, num_train)]
        xp = namespace(X_train)
        history.train_accuracy.append(
            self.model.evaluate(xp.take(X_train, sample, axis=0), xp.take(y_train, sample, axis=0))[1]
        )
        if X_val is None:
            return
        val_loss, val_accuracy = self.model.evaluate(X_val, y_val)
        history.val_loss.append(val_loss)
        history.val_accuracy.append(val_accuracy)
        # A small validation set gives many ties in accuracy; the lower validation loss breaks them.
        if (val_accuracy, -val_loss) > (self.best_val_accuracy, -self.best_val_loss):
            self.best_val_accuracy, self.best_val_loss, self.best_epoch = val_accuracy, val_loss, history.epochs
            self.best_params = dict(self.model.params)  # rules return new arrays, so no copy is needed

    def _postfix(self) -> dict[str, str]:
        history = self.history
        postfix = {"loss": f"{history.train_loss[-1]:.3f}", "train": f"{history.train_accuracy[-1]:.3f}"}
        if history.val_accuracy:
            postfix["val"] = f"{history.val_accuracy[-1]:.3f}"
        return postfix

    def _check_data(self, X: Any, y: Any, split: str) -> None:
        check_array(X, f"X_{split}")
        if X.ndim < 2:
            raise ValueError(f"X_{split} must have shape (N, ...) with one example per row, got {tuple(X.shape)}")
        if X.shape[0] == 0:
            raise ValueError(f"X_{split} is empty: there is nothing to train or evaluate on")
        if not hasattr(y, "shape") or y.ndim != 1 or y.shape[0] != X.shape[0]:
            raise ValueError(
                f"y_{split} must hold one label per example of X_{split} (shape ({X.shape[0]},)), "
                f"got {tuple(y.shape) if hasattr(y, 'shape') else type(y).__name__}"
            )
        check_labels(y, f"y_{split}", X.shape[0], self.model.num_classes)
        check_finite(X, f"X_{split}")

    # --- checkpoints ----------------------------------------------------------------------------

    def save(self, path: str | Path) -> Path:
        """Write parameters, best parameters, history and optimizer state to an ``.npz`` file
        (host copies, so a GPU run can be resumed on a CPU and back)."""
        path = Path(path)
        if path.suffix != ".npz":
            path = path.with_suffix(".npz")
        arrays: dict[str, np.ndarray] = {}
        for name, value in self.model.params.items():
            arrays[f"param/{name}"] = to_numpy(value)
        for name, value in (self.best_params or {}).items():
            arrays[f"best/{name}"] = to_numpy(value)
        for name, state in self.optimizer_state.items():
            for key, value in state.items():
                arrays[f"state/{name}/{key}"] = to_numpy(value) if hasattr(value, "shape") else np.asarray(value)
        for key, values in self.history.as_dict().items():
            arrays[f"history/{key}"] = np.asarray(values, dtype=np.float64)
        arrays["meta/step"] = np.asarray(self.step)
        arrays["meta/best_val_accuracy"] = np.asarray(self.best_val_accuracy)
        arrays["meta/best_val_loss"] = np.asarray(self.best_val_loss)
        arrays["meta/best_epoch"] = np.asarray(-1 if self.best_epoch is None else self.best_epoch)
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(path, **arrays)
        return path

    def load(self, path: str | Path) -> "Trainer":
        """Restore a checkpoint written by :meth:`save` into this trainer and its model; arrays go
        to the device and dtype of the model's current parameters. Returns the trainer."""
        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(f"no checkpoint at {path}")
        try:
            with np.load(path, allow_pickle=False) as stored:
                content = {key: stored[key] for key in stored.files}
        except (OSError, ValueError) as error:
            raise ValueError(f"{path} is not a readable checkpoint (.npz written by Trainer.save): {error}") from error
        params = {key.split("/", 1)[1]: value for key, value in content.items() if key.startswith("param/")}
        if set(params) != set(self.model.params):
            raise ValueError(
                f"the checkpoint {path} holds parameters {sorted(params)} but the model has "
                f"{sorted(self.model.params)}; build the same model before loading"
            )
        for name, value in params.items():
            if tuple(value.shape) != tuple(self.model.params[name].shape):
                raise ValueError(
                    f"parameter {name} has shape {value.shape} in {path} "
                    f"but {tuple(self.model.params[name].shape)} in the model"
                )
        self.model.params = {name: self._to_model(value, name) for name, value in params.items()}
        best = {key.split("/", 1)[1]: value for key, value in content.items() if key.startswith("best/")}
        self.best_params = {name: self._to_model(value, name) for name, value in best.items()} or None
        self.optimizer_state = {}
        for key, value in content.items():
            if key.startswith("state/"):
                _, name, state_key = key.split("/", 2)
                restored = self._to_model(value, name) if value.ndim else value.item()
                self.optimizer_state.setdefault(name, {})[state_key] = restored
        self.history = History(**{f.name: [float(v) for v in content.get(f"history/{f.name}", [])]
                                  for f in fields(History)})
        self.step = int(content["meta/step"])
        self.best_val_accuracy = float(content["meta/best_val_accuracy"])
        self.best_val_loss = float(content["meta/best_val_loss"])
        best_epoch = int(content["meta/best_epoch"])
        self.best_epoch = None if best_epoch < 0 else best_epoch
        return self

    def _to_model(self, value: np.ndarray, name: str) -> Array:
        like = self.model.params[name]
        return namespace(like).asarray(value, dtype=like.dtype, device=device_of(like))

    def plot_history(self, **kwargs: Any) -> Any:
        """Loss and accuracy curves of :attr:`history` (a matplotlib Figure)."""
        from .plots import history_curves

        return history_curves(self.history, **kwargs)


def _progress_bar(total: int, enabled: bool) -> Any:
    from tqdm.auto import tqdm

    return tqdm(total=total, disable=not enabled, unit="step", leave=True, dynamic_ncols=True)
