"""Networks built from layer functions: a fully connected net, a small convnet, and ``Sequential``.

A model never computes a gradient itself. It strings together the forward functions of a
:class:`LayerSet`, keeps their caches, and calls the backward functions in reverse order. Which
functions those are is the caller's choice: in the course notebooks a student passes the ones they
wrote (``layers=LayerSet.from_namespace(globals())``), so the network trains on their own
backward passes; ``layers=None`` uses the library's reference functions, which are complete only
in the instructor edition.

Every model offers the same small interface, which :class:`~backpropkit.trainer.Trainer` uses:
``params`` (a dict of arrays), ``loss(X, y) -> (loss, grads)`` in training mode, ``scores(X)``,
``predict(X)``, ``accuracy(X, y)`` and ``evaluate(X, y) -> (loss, accuracy)`` in test mode.
Parameters live where ``like`` lives (NumPy by default; pass a CuPy array to build on the GPU,
or move a built model with ``model.to(X)``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

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

ACTIVATIONS = ("relu", "leaky_relu", "elu", "sigmoid", "tanh")
LOSSES = {"softmax": "softmax_loss", "svm": "svm_loss"}
EVAL_BATCH_SIZE = 1000  # test-mode passes run in chunks of this many examples to bound memory


# --------------------------------------------------------------------------------------------
# Which layer functions a model runs on
# --------------------------------------------------------------------------------------------

# Where the library keeps its reference version of each function: (module, function name).
_REFERENCE = {
    "affine_forward": ("layers.affine", "affine_forward"),
    "affine_backward": ("layers.affine", "affine_backward"),
    "relu_forward": ("layers.activations", "relu_forward"),
    "relu_backward": ("layers.activations", "relu_backward"),
    "leaky_relu_forward": ("layers.activations", "leaky_relu_forward"),
    "leaky_relu_backward": ("layers.activations", "leaky_relu_backward"),
    "elu_forward": ("layers.activations", "elu_forward"),
    "elu_backward": ("layers.activations", "elu_backward"),
    "sigmoid_forward": ("layers.activations", "sigmoid_forward"),
    "sigmoid_backward": ("layers.activations", "sigmoid_backward"),
    "tanh_forward": ("layers.activations", "tanh_forward"),
    "tanh_backward": ("layers.activations", "tanh_backward"),
    "dropout_forward": ("layers.dropout", "dropout_forward"),
    "dropout_backward": ("layers.dropout", "dropout_backward"),
    "conv_forward": ("layers.conv_fast", "conv_forward_fast"),
    "conv_backward": ("layers.conv_fast", "conv_backward_fast"),
    "max_pool_forward": ("layers.pool_fast", "max_pool_forward_fast"),
    "max_pool_backward": ("layers.pool_fast", "max_pool_backward_fast"),
    "softmax_loss": ("losses", "softmax_loss"),
    "svm_loss": ("losses", "svm_loss"),
    "l2_penalty": ("regularization", "l2_penalty"),
}

# Convolution and pooling come as naive (loops) and fast versions; a forward and its backward
# must come from the same version because they share the cache layout.
_VERSIONED_PAIRS = (("conv_forward", "conv_backward"), ("max_pool_forward", "max_pool_backward"))
_VERSION_SUFFIXES = ("", "_fast", "_naive")


@dataclass(frozen=True)
class LayerSet:
    """The functions a model calls, by role. A field left as None is simply unavailable; a model
    that needs it says so when it is built.

    Layers follow the library's conventions: ``*_forward(x, ...) -> (out, cache)``,
    ``*_backward(dout, cache) -> gradients``; ``dropout_forward(x, keep_prob, *, train, rng)``;
    ``conv_forward(x, w, b, stride, pad)``; ``max_pool_forward(x, pool_height, pool_width, stride)``;
    losses ``(scores, y) -> (loss, dscores)``; ``l2_penalty(w, reg) -> (value, dw)``.
    """

    affine_forward: Callable | None = None
    affine_backward: Callable | None = None
    relu_forward: Callable | None = None
    relu_backward: Callable | None = None
    leaky_relu_forward: Callable | None = None
    leaky_relu_backward: Callable | None = None
    elu_forward: Callable | None = None
    elu_backward: Callable | None = None
    sigmoid_forward: Callable | None = None
    sigmoid_backward: Callable | None = None
    tanh_forward: Callable | None = None
    tanh_backward: Callable | None = None
    dropout_forward: Callable | None = None
    dropout_backward: Callable | None = None
    conv_forward: Callable | None = None
    conv_backward: Callable | None = None
    max_pool_forward: Callable | None = None
    max_pool_backward: Callable | None = None
    softmax_loss: Callable | None = None
    svm_loss: Callable | None = None
    l2_penalty: Callable | None = None

    @classmethod
    def reference(cls) -> "LayerSet":
        """The library's own functions (fast convolution and pooling).

        In the student edition the graded ones raise NotImplementedError: use
        :meth:`from_namespace` there.
        """
        import importlib

        functions = {}
        for role, (module_name, function_name) in _REFERENCE.items():
            module = importlib.import_module(f"{__package__}.{module_name}")
            functions[role] = getattr(module, function_name)
        return cls(**functions)

    @classmethod
    def from_namespace(
        cls, namespace: Mapping[str, Any] | Any, *, fallback: "LayerSet | None" = None, **overrides: Callable
    ) -> "LayerSet":
        """Collect the functions named like the roles from ``namespace``: a notebook's ``globals()``,
        a module, or any object with those attributes.

        Convolution and pooling may be defined under their role name or with a ``_fast`` or
        ``_naive`` suffix (``conv_forward_naive``...); the first suffix for which both forward and
        backward exist wins, in that order. Roles still missing are taken from ``fallback`` (for
        instance ``LayerSet.reference()``) when one is given. ``overrides`` set roles explicitly.
        """
        lookup = namespace if isinstance(namespace, Mapping) else vars(namespace)
        found: dict[str, Callable] = {}
        for role in _roles():
            if callable(lookup.get(role)):
                found[role] = lookup[role]
        for forward, backward in _VERSIONED_PAIRS:
            for suffix in _VERSION_SUFFIXES:
                pair = (lookup.get(forward + suffix), lookup.get(backward + suffix))
                if all(callable(function) for function in pair):
                    found[forward], found[backward] = pair
                    break
        unknown = sorted(set(overrides) - set(_roles()))
        if unknown:
            raise TypeError(f"unknown layer roles {unknown}; the roles are: {', '.join(_roles())}")
        found.update(overrides)
        if fallback is not None:
            for role in _roles():
                if found.get(role) is None and getattr(fallback, role) is not None:
                    found[role] = getattr(fallback, role)
        return cls(**found)

    def replace(self, **functions: Callable) -> "LayerSet":
        """A copy with some roles swapped, e.g. ``layers.replace(relu_backward=my_relu_backward)``."""
        return dataclasses.replace(self, **functions)

    def missing(self, roles: Iterable[str]) -> list[str]:
        """The roles among ``roles`` that have no function."""
        return [role for role in roles if getattr(self, role) is None]

    def require(self, roles: Iterable[str], user: str) -> None:
        """Raise a clear error naming every role in ``roles`` that has no function."""
        missing = self.missing(roles)
        if missing:
            raise ValueError(
                f"{user} needs these layer functions, which the given layers do not define: "
                f"{', '.join(missing)}. Define them (or import them) before building the model, "
                "or pass fallback=LayerSet.reference() to LayerSet.from_namespace to use the library's"
            )


def _roles() -> tuple[str, ...]:
    return tuple(field.name for field in dataclasses.fields(LayerSet))


def _activation_roles(activation: str) -> tuple[str, str]:
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {', '.join(ACTIVATIONS)}, got {activation!r}")
    return f"{activation}_forward", f"{activation}_backward"


def _loss_role(loss: str) -> str:
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {', '.join(LOSSES)}, got {loss!r}")
    return LOSSES[loss]


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
        roles = [_loss_role(self.loss_name)]
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

    def num_parameters(self) -> int:
        """How many numbers the model learns (all weights and biases)."""
        return sum(math.prod(p.shape) for p in self.params.values())

    # --- shared machinery ---------------------------------------------------------------------

    def _loss_function(self) -> Callable:
        return getattr(self.layers, _loss_role(self.loss_name))

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
        needed = ["affine_forward", "affine_backward", *_activation_roles(activation), *self._shared_roles()]
        self.layers.require(needed, "FullyConnectedNet")
        self.input_shape = (input_dim,)
        self.num_layers = len(hidden) + 1
        sizes = [input_dim, *hidden, self.num_classes]
        for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
            self.params[f"W{i}"] = self._new_weights((fan_in, fan_out), activation, weight_scale)
            self.params[f"b{i}"] = self._zeros(fan_out)

    def _forward(self, X: Array, train: bool) -> tuple[Array, list]:
        forward, _ = _activation_roles(self.activation)
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
        _, backward = _activation_roles(self.activation)
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


# --------------------------------------------------------------------------------------------
# Sequential: the Keras-like way to say the same thing
# --------------------------------------------------------------------------------------------


class Layer:
    """One entry of a :class:`Sequential` model. ``roles`` are the LayerSet functions it calls;
    ``build`` creates its parameters (if any) and returns its output shape."""

    roles: tuple[str, ...] = ()
    param_names: tuple[str, ...] = ()

    def build(self, model: "Sequential", input_shape: tuple[int, ...], index: int,
              next_layer: "Layer | None") -> tuple[int, ...]:
        return input_shape

    def forward(self, model: "Sequential", x: Array, train: bool) -> tuple[Array, Any]:
        raise NotImplementedError

    def backward(self, model: "Sequential", dout: Array, cache: Any, grads: dict[str, Array]) -> Array:
        raise NotImplementedError

    def __repr__(self) -> str:
        settings = ", ".join(
            f"{key}={value!r}" for key, value in vars(self).items()
            if key not in ("param_names", "roles") and value is not None
        )
        return f"{type(self).__name__}({settings})"


class Dense(Layer):
    """Fully connected layer with ``units`` outputs: (N, D) -> (N, units); images are flattened."""

    roles = ("affine_forward", "affine_backward")

    def __init__(self, units: int, *, weight_scale: float | None = None) -> None:
        self.units = _check_positive_int(units, "units")
        self.weight_scale = weight_scale

    def build(self, model, input_shape, index, next_layer):
        fan_in = math.prod(input_shape)
        activation = "sigmoid" if isinstance(next_layer, (Sigmoid, Tanh)) else "relu"
        self.param_names = (f"W{index}", f"b{index}")
        model.params[f"W{index}"] = model._new_weights((fan_in, self.units), activation, self.weight_scale)
        model.params[f"b{index}"] = model._zeros(self.units)
        return (self.units,)

    def forward(self, model, x, train):
        w, b = (model.params[name] for name in self.param_names)
        return model.layers.affine_forward(model._flat(x), w, b)

    def backward(self, model, dout, cache, grads):
        dx, grads[self.param_names[0]], grads[self.param_names[1]] = model.layers.affine_backward(dout, cache)
        return dx


class _Activation(Layer):
    name = ""

    def __init__(self) -> None:
        self.roles = (f"{self.name}_forward", f"{self.name}_backward")

    def forward(self, model, x, train):
        return getattr(model.layers, self.roles[0])(x)

    def backward(self, model, dout, cache, grads):
        return getattr(model.layers, self.roles[1])(dout, cache)


class ReLU(_Activation):
    """``max(x, 0)``, element-wise."""

    name = "relu"


class Sigmoid(_Activation):
    """``1 / (1 + exp(-x))``, element-wise."""

    name = "sigmoid"


class Tanh(_Activation):
    """``tanh(x)``, element-wise."""

    name = "tanh"


class Dropout(Layer):
    """Inverted dropout that keeps each unit with probability ``keep_prob`` while training.

    As in the course notes, the argument is the probability of *keeping* a unit (Keras's
    ``Dropout`` takes the probability of dropping one instead).
    """

    roles = ("dropout_forward", "dropout_backward")

    def __init__(self, keep_prob: float) -> None:
        require_probability(keep_prob, "keep_prob")
        self.keep_prob = float(keep_prob)

    def forward(self, model, x, train):
        return model.layers.dropout_forward(x, self.keep_prob, train=train, rng=model.rng)

    def backward(self, model, dout, cache, grads):
        return model.layers.dropout_backward(dout, cache)


class Flatten(Layer):
    """(N, C, H, W) -> (N, C * H * W)."""

    def build(self, model, input_shape, index, next_layer):
        return (math.prod(input_shape),)

    def forward(self, model, x, train):
        return namespace(x).reshape(x, (x.shape[0], -1)), tuple(x.shape)

    def backward(self, model, dout, cache, grads):
        return namespace(dout).reshape(dout, cache)


class Conv2D(Layer):
    """``filters`` convolutions of size ``kernel_size`` (odd), stride 1, padded to keep H and W:
    (N, C, H, W) -> (N, filters, H, W)."""

    roles = ("conv_forward", "conv_backward")

    def __init__(self, filters: int, kernel_size: int = 3, *, weight_scale: float | None = None) -> None:
        self.filters = _check_positive_int(filters, "filters")
        self.kernel_size = _check_positive_int(kernel_size, "kernel_size")
        if self.kernel_size % 2 == 0:
            raise ValueError(f"kernel_size must be odd so that padding keeps the image size, got {kernel_size}")
        self.weight_scale = weight_scale

    def build(self, model, input_shape, index, next_layer):
        if len(input_shape) != 3:
            raise ValueError(f"Conv2D needs image inputs (C, H, W), got examples of shape {input_shape}")
        channels, height, width = input_shape
        k = self.kernel_size
        self.param_names = (f"W{index}", f"b{index}")
        model.params[f"W{index}"] = model._new_weights((self.filters, channels, k, k), "relu", self.weight_scale)
        model.params[f"b{index}"] = model._zeros(self.filters)
        return (self.filters, height, width)

    def forward(self, model, x, train):
        w, b = (model.params[name] for name in self.param_names)
        return model.layers.conv_forward(x, w, b, 1, (self.kernel_size - 1) // 2)

    def backward(self, model, dout, cache, grads):
        dx, grads[self.param_names[0]], grads[self.param_names[1]] = model.layers.conv_backward(dout, cache)
        return dx


class MaxPool2D(Layer):
    """2x2 max pooling with stride 2: (N, C, H, W) -> (N, C, H / 2, W / 2)."""

    roles = ("max_pool_forward", "max_pool_backward")

    def build(self, model, input_shape, index, next_layer):
        if len(input_shape) != 3 or input_shape[1] % 2 or input_shape[2] % 2:
            raise ValueError(f"MaxPool2D needs images (C, H, W) with even H and W, got examples of shape {input_shape}")
        channels, height, width = input_shape
        return (channels, height // 2, width // 2)

    def forward(self, model, x, train):
        return model.layers.max_pool_forward(x, 2, 2, 2)

    def backward(self, model, dout, cache, grads):
        return model.layers.max_pool_backward(dout, cache)


class Sequential(Model):
    """A stack of layers in the style of Keras, running on the given layer functions::

        model = Sequential([Dense(64), ReLU(), Dropout(0.8), Dense(10)])
        model.compile(loss="softmax", optimizer="adam", lr=1e-3)
        history = model.fit(X, y, epochs=30, batch_size=100, validation_data=(X_val, y_val))
        loss, accuracy = model.evaluate(X_test, y_test)

    Parameters are created at the first ``fit`` (or ``build``) from the shape of the data. The last
    layer's outputs are the class scores.
    """

    def __init__(
        self,
        model_layers: Sequence[Layer],
        *,
        layers: LayerSet | None = None,
        seed: int | None = 0,
        dtype: Any = None,
        like: Array | None = None,
    ) -> None:
        self._setup(layers=layers, reg=0.0, keep_prob=1.0, seed=seed, dtype=dtype, like=like, loss="softmax")
        self.model_layers = list(model_layers)
        if not self.model_layers or not all(isinstance(layer, Layer) for layer in self.model_layers):
            raise TypeError("Sequential takes a non-empty list of layers such as [Dense(64), ReLU(), Dense(10)]")
        self.layers.require(sorted({role for layer in self.model_layers for role in layer.roles}), "Sequential")
        self.input_shape: tuple[int, ...] | None = None
        self.custom_loss: Callable | None = None
        self.optimizer: Any = "adam"
        self.optimizer_options: dict[str, Any] = {"learning_rate": 1e-3}

    def compile(self, loss: str | Callable = "softmax", optimizer: Any = "adam", lr: float = 1e-3, *,
                reg: float = 0.0, **optimizer_options: Any) -> "Sequential":
        """Choose the loss (``"softmax"``, ``"svm"``, or a function ``(scores, y) -> (loss, dscores)``),
        the update rule (a name from :mod:`backpropkit.optim` or a function), its learning rate and
        options, and the L2 strength."""
        from .optim import get_update_rule

        get_update_rule(optimizer)
        if not is_real_number(reg) or not reg >= 0:
            raise ValueError(f"reg must be a number >= 0, got {reg!r}")
        if callable(loss):
            self.custom_loss, self.loss_name = loss, getattr(loss, "__name__", "custom")
        else:
            _loss_role(loss)  # an unknown name fails here, not at the first fit
            self.custom_loss, self.loss_name = None, loss
        self.optimizer, self.reg = optimizer, float(reg)
        self.layers.require(self._shared_roles(), "Sequential")
        self.optimizer_options = {"learning_rate": lr, **optimizer_options}
        return self

    def build(self, input_shape: Sequence[int]) -> "Sequential":
        """Create the parameters for examples of shape ``input_shape`` (without the batch axis)."""
        shape = tuple(int(s) for s in input_shape)
        self.input_shape, self.params, self.output_shapes = shape, {}, []
        for index, layer in enumerate(self.model_layers, start=1):
            next_layer = self.model_layers[index] if index < len(self.model_layers) else None
            shape = layer.build(self, shape, index, next_layer)
            self.output_shapes.append(shape)
        if len(shape) != 1:
            raise ValueError(
                f"the last layer must output class scores (N, C), but it outputs examples of shape {shape}"
            )
        self.num_classes = shape[0]
        return self

    def fit(self, X: Array, y: Array, epochs: int = 10, batch_size: int = 100,
            validation_data: tuple[Array, Array] | None = None, *, progress: bool = True,
            seed: int | None = 0) -> Any:
        """Train with minibatches; returns the :class:`~backpropkit.trainer.History`. The best
        parameters by validation accuracy are kept when ``validation_data`` is given."""
        from .trainer import Trainer

        self._build_for(X)
        options = dict(self.optimizer_options)
        trainer = Trainer(self, self.optimizer, learning_rate=options.pop("learning_rate"), hyperparameters=options,
                          batch_size=batch_size, epochs=epochs, seed=seed, progress=progress)
        X_val, y_val = validation_data if validation_data is not None else (None, None)
        return trainer.fit(X, y, X_val, y_val)

    def loss(self, X: Array, y: Array) -> tuple[float, dict[str, Array]]:
        self._build_for(X)
        return super().loss(X, y)

    def scores(self, X: Array) -> Array:
        self._build_for(X)
        return super().scores(X)

    def summary(self) -> str:
        """A table of the layers, their output shapes and parameter counts."""
        if self.input_shape is None:
            return "Sequential (not built yet: call build(input_shape) or fit)"
        lines = [f"{'layer':<36}{'output shape':<20}{'parameters':>10}"]
        for layer, shape in zip(self.model_layers, self.output_shapes):
            count = sum(math.prod(self.params[name].shape) for name in layer.param_names)
            lines.append(f"{repr(layer):<36}{str(('N', *shape)):<20}{count:>10}")
        lines.append(f"total parameters: {self.num_parameters()}")
        return "\n".join(lines)

    def _loss_function(self) -> Callable:
        return self.custom_loss or super()._loss_function()

    def _shared_roles(self) -> list[str]:
        if self.custom_loss is None:
            return super()._shared_roles()
        return ["l2_penalty"] if self.reg > 0 else []  # a loss function of one's own needs no role

    def _build_for(self, X: Any) -> None:
        if self.input_shape is None:
            check_array(X, "X")
            if X.ndim < 2:
                raise ValueError(f"X must have a batch axis, (N, ...), got shape {tuple(X.shape)}")
            self.build(tuple(X.shape[1:]))

    def _forward(self, X: Array, train: bool) -> tuple[Array, list]:
        out, caches = X, []
        for layer in self.model_layers:
            out, cache = layer.forward(self, out, train)
            caches.append(cache)
        return out, caches

    def _backward(self, dscores: Array, caches: list) -> dict[str, Array]:
        grads: dict[str, Array] = {}
        dout = dscores
        for layer, cache in zip(reversed(self.model_layers), reversed(caches)):
            dout = layer.backward(self, dout, cache, grads)
        return grads
