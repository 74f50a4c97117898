"""``Sequential``: the Keras-like way to say what the networks say, one layer object at a time::

    model = Sequential([Dense(64), ReLU(), Dropout(0.8), Dense(10)])
    model.compile(loss="softmax", optimizer="adam", lr=1e-3)
    history = model.fit(X, y, epochs=30, batch_size=100, validation_data=(X_val, y_val))

Each :class:`Layer` calls the functions of the model's :class:`~backpropkit.layer_set.LayerSet`, so
a ``Sequential`` trains on a student's own backward passes exactly as the networks do.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Sequence

from .backend import Array, check_array, is_real_number, namespace, require_positive_integer, require_probability
from .layer_set import LayerSet, loss_role
from .networks import Model
from .optim import get_update_rule
from .trainer import History, Trainer


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
        require_positive_integer(units, "units")
        self.units = int(units)
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
        require_positive_integer(filters, "filters")
        require_positive_integer(kernel_size, "kernel_size")
        self.filters, self.kernel_size = int(filters), int(kernel_size)
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
        get_update_rule(optimizer)
        if not is_real_number(reg) or not reg >= 0:
            raise ValueError(f"reg must be a number >= 0, got {reg!r}")
        if callable(loss):
            self.custom_loss, self.loss_name = loss, getattr(loss, "__name__", "custom")
        else:
            loss_role(loss)  # an unknown name fails here, not at the first fit
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
            seed: int | None = 0) -> History:
        """Train with minibatches; returns the :class:`~backpropkit.trainer.History`. The best
        parameters by validation accuracy are kept when ``validation_data`` is given."""
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

    def prepare(self, example_shape: tuple[int, ...]) -> None:
        """Build the parameters for examples of ``example_shape`` unless they are built already."""
        if self.input_shape is None:
            self.build(example_shape)

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
            self.prepare(tuple(X.shape[1:]))

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
