"""The two networks of the course, a fully connected net and a small convnet, and their base class.

A network strings together the forward functions of a :class:`~backpropkit.layer_set.LayerSet`,
keeps their caches, and calls the backward functions in reverse order; ``layers=None`` uses
:meth:`LayerSet.reference`.

Every model offers the same small interface, which :class:`~backpropkit.trainer.Trainer` uses:
``params`` (a dict of arrays), ``loss(X, y) -> (loss, grads)`` in training mode, ``scores(X)``,
``predict(X)``, ``accuracy(X, y)`` and ``evaluate(X, y) -> (loss, accuracy)`` in test mode, and
``prepare(example_shape)``, called before training. Parameters live where ``like`` lives (NumPy by
default; pass a CuPy array to build on the GPU, or move a built model with ``model.to(X)``).
"""

from __future__ import annotations

import contextlib
import math
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from .backend import (
    Array,
    RandomState,
    check_array,
    check_labels,
    device_of,
    is_real_number,
    namespace,
    require_positive_integer,
    require_probability,
    require_same_backend,
    to_numpy,
)
from .init import he_init, xavier_init
from .layer_set import LayerSet, activation_roles, loss_role

EVAL_BATCH_SIZE = 1000  # test-mode passes run in chunks of this many examples to bound memory


# --------------------------------------------------------------------------------------------
# What every model shares
# --------------------------------------------------------------------------------------------


class Model:
    """The shared part of every classifier: parameters, penalty, test-mode passes, checks.

    A subclass builds ``self.params`` and implements ``_forward(X, train) -> (scores, caches)``
    and ``_backward(dscores, caches) -> grads``.
    """

    params: dict[str, Array]
    num_classes: int
    reg: float
    layers: LayerSet
    loss_name: str = "softmax"

    # --- construction helpers -----------------------------------------------------------------

    def _setup(self, *, layers: LayerSet | None, reg: float, keep_prob: float, seed: int | None,
               dtype: Any, like: Array | None, loss: str) -> None:
        if layers is not None and not isinstance(layers, LayerSet):
            raise TypeError(
                "layers must be a LayerSet, e.g. LayerSet.from_namespace(globals()), "
                f"got {type(layers).__name__}"
            )
        if not is_real_number(reg) or not reg >= 0:
            raise ValueError(f"reg must be a number >= 0, got {reg!r}")
        require_probability(keep_prob, "keep_prob")
        self.uses_reference = layers is None
        self.layers = LayerSet.reference() if layers is None else layers
        self.reg = float(reg)
        self.keep_prob = float(keep_prob)
        self.loss_name = loss
        self.rng = RandomState(seed)
        self._template = _template_array(like, dtype)
        self.params = {}

    def _new_weights(self, shape: tuple[int, ...], activation: str, weight_scale: float | None) -> Array:
        """He initialization before ReLU-like units, Xavier before sigmoid/tanh, unless a fixed
        ``weight_scale`` (the standard deviation of every weight) is given."""
        if weight_scale is not None:
            if not is_real_number(weight_scale) or not weight_scale > 0:
                raise ValueError(f"weight_scale must be a number > 0 (or None for He/Xavier), got {weight_scale!r}")
            return self.rng.normal(shape, scale=float(weight_scale), like=self._template)
        initialize = he_init if activation in ("relu", "leaky_relu", "elu") else xavier_init
        return initialize(shape=shape, rng=self.rng, like=self._template, dtype=self._template.dtype)

    def _shared_roles(self) -> list[str]:
        """The roles the loss, the penalty and dropout call, as far as this model uses them."""
        roles = [loss_role(self.loss_name)]
        if self.reg > 0:
            roles.append("l2_penalty")
        if self.keep_prob < 1:
            roles += ["dropout_forward", "dropout_backward"]
        return roles

    def _zeros(self, size: int) -> Array:
        xp = namespace(self._template)
        return xp.zeros((size,), dtype=self._template.dtype, device=device_of(self._template))

    # --- the interface ------------------------------------------------------------------------

    def loss(self, X: Array, y: Array) -> tuple[float, dict[str, Array]]:
        """Training-mode loss (data loss plus the L2 penalty) and its gradient for every parameter.

        Shapes: X (N, ...) matching the model's input; y (N,) integer labels. Returns a Python
        float and ``grads`` with the keys and shapes of ``params``.
        """
        self._check_inputs(X, y)
        with self._explained_exercises():
            scores, caches = self._forward(X, train=True)
            data_loss, dscores = self._loss_function()(scores, y)
            grads = self._backward(dscores, caches)
        return float(data_loss) + self._penalty(grads), grads

    def scores(self, X: Array) -> Array:
        """Test-mode class scores (dropout off), computed in chunks. Shapes: X (N, ...) -> (N, C)."""
        self._check_inputs(X)
        xp = namespace(X)
        with self._explained_exercises():
            num_examples = X.shape[0]
            chunks = [self._forward(X[i : min(i + EVAL_BATCH_SIZE, num_examples), ...], train=False)[0]
                      for i in range(0, num_examples, EVAL_BATCH_SIZE)]
        return chunks[0] if len(chunks) == 1 else xp.concat(chunks, axis=0)

    def probabilities(self, X: Array) -> Array:
        """Softmax of the test-mode scores. Shapes: X (N, ...) -> (N, C), rows summing to 1."""
        scores = self.scores(X)
        xp = namespace(scores)
        exp = xp.exp(scores - xp.max(scores, axis=1, keepdims=True))
        return exp / xp.sum(exp, axis=1, keepdims=True)

    def predict(self, X: Array) -> Array:
        """Predicted class labels, shape (N,)."""
        return namespace(X).argmax(self.scores(X), axis=1)

    def accuracy(self, X: Array, y: Array) -> float:
        """Fraction of examples whose predicted label equals ``y``."""
        self._check_inputs(X, y)
        xp = namespace(X)
        return float(xp.mean(xp.astype(self.predict(X) == y, xp.float64)))

    def evaluate(self, X: Array, y: Array) -> tuple[float, float]:
        """Test-mode ``(loss, accuracy)``: the loss as trained on (data loss plus penalty)."""
        self._check_inputs(X, y)
        scores = self.scores(X)
        xp = namespace(scores)
        with self._explained_exercises():
            data_loss, _ = self._loss_function()(scores, y)
        accuracy = float(xp.mean(xp.astype(xp.argmax(scores, axis=1) == y, xp.float64)))
        return float(data_loss) + self._penalty(), accuracy

    def to(self, like: Array) -> "Model":
        """Move every parameter to the namespace, device and dtype of ``like``; returns the model."""
        xp = namespace(like)
        self.params = {name: xp.asarray(to_numpy(p), dtype=like.dtype, device=device_of(like))
                       for name, p in self.params.items()}
        self._template = xp.zeros((0,), dtype=like.dtype, device=device_of(like))
        return self

    def prepare(self, example_shape: tuple[int, ...]) -> None:
        """Get ready for examples of ``example_shape`` (no batch axis) before training. A network's
        shape is fixed when it is built, so this does nothing; a model that takes its shape from the
        data builds its parameters here."""

    def num_parameters(self) -> int:
        """How many numbers the model learns (all weights and biases)."""
        return sum(math.prod(p.shape) for p in self.params.values())

    # --- shared machinery ---------------------------------------------------------------------

    def _loss_function(self) -> Callable:
        return getattr(self.layers, loss_role(self.loss_name))

    def _penalty(self, grads: dict[str, Array] | None = None) -> float:
        """The L2 penalty ``reg / 2 * sum(W**2)`` over the weights (never the biases); when
        ``grads`` is given, add the penalty's gradient to it."""
        if self.reg == 0:
            return 0.0
        total = 0.0
        for name, w in self.params.items():
            if name.startswith("W"):
                value, dw = self.layers.l2_penalty(w, self.reg)
                total += float(value)
                if grads is not None:
                    grads[name] = grads[name] + dw
        return total

    def _check_inputs(self, X: Any, y: Any = None) -> None:
        check_array(X, "X")
        expected = self.input_shape
        if X.ndim < 2 or (tuple(X.shape[1:]) != expected and math.prod(X.shape[1:]) != math.prod(expected)):
            raise ValueError(
                f"X must hold examples of shape {expected} (X of shape (N, {', '.join(map(str, expected))})), "
                f"got {tuple(X.shape)}"
            )
        if X.shape[0] == 0:
            raise ValueError("X is empty: it holds no examples")
        some_param = next(iter(self.params.values()))
        try:
            require_same_backend(X, some_param)
        except TypeError:
            raise TypeError(
                f"X is a {type(X).__module__}.{type(X).__name__} but the model's parameters are "
                f"{type(some_param).__module__}.{type(some_param).__name__}; move one of them "
                "(model.to(X) moves the parameters)"
            ) from None
        if device_of(X) != device_of(some_param):
            raise ValueError(
                f"X is on device {device_of(X)} but the parameters are on {device_of(some_param)}; "
                "call model.to(X)"
            )
        if X.dtype != some_param.dtype:
            raise TypeError(
                f"X has dtype {X.dtype} but the parameters {some_param.dtype}; convert X or call model.to(X)"
            )
        if y is not None:
            check_labels(y, "y", X.shape[0], self.num_classes)
            require_same_backend(X, y)  # labels live with the inputs (both NumPy or both on the GPU)

    @contextlib.contextmanager
    def _explained_exercises(self) -> Iterator[None]:
        """Turn the student edition's NotImplementedError into advice on what to pass instead."""
        try:
            yield
        except NotImplementedError as error:
            if not self.uses_reference:
                raise
            raise NotImplementedError(
                f"{error or 'a layer function is not implemented'}. This model runs on the library's "
                "reference layers, which are exercises in this edition: build it with "
                "layers=LayerSet.from_namespace(globals()) to use the functions you wrote"
            ) from error

    def _flat(self, X: Array) -> Array:
        return X if X.ndim == 2 else namespace(X).reshape(X, (X.shape[0], -1))


def _template_array(like: Array | None, dtype: Any) -> Array:
    """An empty array whose namespace, device and dtype new parameters copy."""
    if like is None:
        return np.zeros((0,), dtype=np.float64 if dtype is None else dtype)
    check_array(like, "like")
    xp = namespace(like)
    return xp.zeros((0,), dtype=like.dtype if dtype is None else dtype, device=device_of(like))


def _check_positive_int(value: Any, name: str) -> int:
    require_positive_integer(value, name)
    return int(value)


# --------------------------------------------------------------------------------------------
# Fully connected network
# --------------------------------------------------------------------------------------------


class FullyConnectedNet(Model):
    """``{affine - activation - [dropout]} x (L - 1) - affine - softmax``, any depth.

    Shapes: X (N, input_dim) (images (N, C, H, W) are flattened) -> scores (N, num_classes).
    Parameters: ``W1`` (input_dim, H1), ``b1`` (H1,), ..., ``WL`` (H_{L-1}, num_classes), ``bL``.
    ``weight_scale=None`` uses He initialization for ReLU-like activations and Xavier otherwise;
    a number is the standard deviation of every weight. ``keep_prob < 1`` adds inverted dropout
    after each hidden activation. ``reg`` is the L2 strength on the weights (not the biases).
    """

    def __init__(
        self,
        input_dim: int,
        hidden_dims: Sequence[int],
        num_classes: int,
        *,
        activation: str = "relu",
        keep_prob: float = 1.0,
        reg: float = 0.0,
        weight_scale: float | None = None,
        seed: int | None = 0,
        dtype: Any = None,
        like: Array | None = None,
        layers: LayerSet | None = None,
        loss: str = "softmax",
    ) -> None:
        self._setup(layers=layers, reg=reg, keep_prob=keep_prob, seed=seed, dtype=dtype, like=like, loss=loss)
        input_dim = _check_positive_int(input_dim, "input_dim")
        hidden = [_check_positive_int(h, "each of hidden_dims") for h in hidden_dims]
        self.num_classes = _check_positive_int(num_classes, "num_classes")
        self.activation = activation
        needed = ["affine_forward", "affine_backward", *activation_roles(activation), *self._shared_roles()]
        self.layers.require(needed, "FullyConnectedNet")
        self.input_shape = (input_dim,)
        self.num_layers = len(hidden) + 1
        sizes = [input_dim, *hidden, self.num_classes]
        for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
            self.params[f"W{i}"] = self._new_weights((fan_in, fan_out), activation, weight_scale)
            self.params[f"b{i}"] = self._zeros(fan_out)

    def _forward(self, X: Array, train: bool) -> tuple[Array, list]:
        forward, _ = activation_roles(self.activation)
        out, caches = self._flat(X), []
        for i in range(1, self.num_layers + 1):
            out, affine_cache = self.layers.affine_forward(out, self.params[f"W{i}"], self.params[f"b{i}"])
            activation_cache = dropout_cache = None
            if i < self.num_layers:
                out, activation_cache = getattr(self.layers, forward)(out)
                if self.keep_prob < 1:
                    out, dropout_cache = self.layers.dropout_forward(out, self.keep_prob, train=train, rng=self.rng)
            caches.append((affine_cache, activation_cache, dropout_cache))
        return out, caches

    def _backward(self, dscores: Array, caches: list) -> dict[str, Array]:
        _, backward = activation_roles(self.activation)
        grads, dout = {}, dscores
        for i in range(self.num_layers, 0, -1):
            affine_cache, activation_cache, dropout_cache = caches[i - 1]
            if i < self.num_layers:
                if self.keep_prob < 1:
                    dout = self.layers.dropout_backward(dout, dropout_cache)
                dout = getattr(self.layers, backward)(dout, activation_cache)
            dout, grads[f"W{i}"], grads[f"b{i}"] = self.layers.affine_backward(dout, affine_cache)
        return grads


# --------------------------------------------------------------------------------------------
# Small convolutional network
# --------------------------------------------------------------------------------------------


class ConvNet(Model):
    """``{conv - relu - 2x2 max pool} x B - {affine - relu - [dropout]} x H - affine - softmax``.

    Convolutions keep the spatial size (stride 1, zero padding ``(filter_size - 1) // 2`` with an
    odd ``filter_size``); each pool halves it, so every block needs an even height and width.
    Shapes: X (N, C, H, W) -> scores (N, num_classes). Parameters, numbered in order: conv
    weights ``W1`` (F1, C, k, k) and ``b1`` (F1,), ..., then the affine layers as in
    :class:`FullyConnectedNet`. The defaults suit the 8x8 digits: 8x8 -> 4x4 -> 2x2.
    """

    def __init__(
        self,
        input_shape: Sequence[int] = (1, 8, 8),
        num_filters: Sequence[int] = (16, 32),
        filter_size: int = 3,
        hidden_dims: Sequence[int] = (64,),
        num_classes: int = 10,
        *,
        keep_prob: float = 1.0,
        reg: float = 0.0,
        weight_scale: float | None = None,
        seed: int | None = 0,
        dtype: Any = None,
        like: Array | None = None,
        layers: LayerSet | None = None,
        loss: str = "softmax",
    ) -> None:
        self._setup(layers=layers, reg=reg, keep_prob=keep_prob, seed=seed, dtype=dtype, like=like, loss=loss)
        if len(input_shape) != 3:
            raise ValueError(f"input_shape must be (C, H, W), got {tuple(input_shape)}")
        channels, height, width = (_check_positive_int(s, "input_shape entries") for s in input_shape)
        filter_size = _check_positive_int(filter_size, "filter_size")
        if filter_size % 2 == 0:
            raise ValueError(f"filter_size must be odd so that padding keeps the image size, got {filter_size}")
        self.num_classes = _check_positive_int(num_classes, "num_classes")
        needed = ["conv_forward", "conv_backward", "max_pool_forward", "max_pool_backward", "relu_forward",
                  "relu_backward", "affine_forward", "affine_backward", *self._shared_roles()]
        self.layers.require(needed, "ConvNet")
        self.input_shape = (channels, height, width)
        self.pad = (filter_size - 1) // 2
        self.num_conv = len(num_filters)
        index = 0
        for block, filters in enumerate(num_filters, start=1):
            filters = _check_positive_int(filters, "each of num_filters")
            if height % 2 or width % 2:
                raise ValueError(
                    f"conv block {block} gets {height}x{width} images, which a 2x2 pool cannot halve; "
                    "use fewer blocks or an input whose size divides by 2 once per block"
                )
            index += 1
            self.params[f"W{index}"] = self._new_weights(
                (filters, channels, filter_size, filter_size), "relu", weight_scale)
            self.params[f"b{index}"] = self._zeros(filters)
            channels, height, width = filters, height // 2, width // 2
        sizes = [channels * height * width, *[_check_positive_int(h, "each of hidden_dims") for h in hidden_dims],
                 self.num_classes]
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
            index += 1
            self.params[f"W{index}"] = self._new_weights((fan_in, fan_out), "relu", weight_scale)
            self.params[f"b{index}"] = self._zeros(fan_out)
        self.num_layers = index

    def _forward(self, X: Array, train: bool) -> tuple[Array, list]:
        xp = namespace(X)
        if X.ndim != 4:
            X = xp.reshape(X, (X.shape[0], *self.input_shape))
        out, caches = X, []
        for i in range(1, self.num_conv + 1):
            out, conv_cache = self.layers.conv_forward(out, self.params[f"W{i}"], self.params[f"b{i}"], 1, self.pad)
            out, relu_cache = self.layers.relu_forward(out)
            out, pool_cache = self.layers.max_pool_forward(out, 2, 2, 2)
            caches.append((conv_cache, relu_cache, pool_cache))
        pooled_shape = tuple(out.shape)
        out = xp.reshape(out, (out.shape[0], -1))
        for i in range(self.num_conv + 1, self.num_layers + 1):
            out, affine_cache = self.layers.affine_forward(out, self.params[f"W{i}"], self.params[f"b{i}"])
            relu_cache = dropout_cache = None
            if i < self.num_layers:
                out, relu_cache = self.layers.relu_forward(out)
                if self.keep_prob < 1:
                    out, dropout_cache = self.layers.dropout_forward(out, self.keep_prob, train=train, rng=self.rng)
            caches.append((affine_cache, relu_cache, dropout_cache))
        caches.append(pooled_shape)
        return out, caches

    def _backward(self, dscores: Array, caches: list) -> dict[str, Array]:
        pooled_shape = caches.pop()
        grads, dout = {}, dscores
        for i in range(self.num_layers, self.num_conv, -1):
            affine_cache, relu_cache, dropout_cache = caches[i - 1]
            if i < self.num_layers:
                if self.keep_prob < 1:
                    dout = self.layers.dropout_backward(dout, dropout_cache)
                dout = self.layers.relu_backward(dout, relu_cache)
            dout, grads[f"W{i}"], grads[f"b{i}"] = self.layers.affine_backward(dout, affine_cache)
        dout = namespace(dout).reshape(dout, pooled_shape)
        for i in range(self.num_conv, 0, -1):
            conv_cache, relu_cache, pool_cache = caches[i - 1]
            dout = self.layers.max_pool_backward(dout, pool_cache)
            dout = self.layers.relu_backward(dout, relu_cache)
            dout, grads[f"W{i}"], grads[f"b{i}"] = self.layers.conv_backward(dout, conv_cache)
        return grads
