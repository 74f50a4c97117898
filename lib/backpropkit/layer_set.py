"""The layer functions a model runs on, by role: :class:`LayerSet`.

A model never computes a gradient itself: it calls the forward and backward functions of a
``LayerSet``. In the course notebooks a student passes the ones they wrote
(``layers=LayerSet.from_namespace(globals())``), so the network trains on their own backward
passes; :meth:`LayerSet.reference` holds the library's own functions, which are complete only in
the instructor edition.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping

from . import losses, regularization
from .layers import activations, affine, conv_fast, dropout, pool_fast

ACTIVATIONS = ("relu", "leaky_relu", "elu", "sigmoid", "tanh")
LOSSES = {"softmax": "softmax_loss", "svm": "svm_loss"}

# Convolution and pooling come as a naive (loops) and a fast version. A forward and its backward
# must come from the same version because they share the cache layout, so each role pair is looked
# up as a pair, under these names in this order; the first pair found in full is used.
VERSIONED_PAIRS: dict[tuple[str, str], tuple[tuple[str, str], ...]] = {
    ("conv_forward", "conv_backward"): (
        ("conv_forward", "conv_backward"),
        ("conv_forward_fast", "conv_backward_fast"),
        ("conv_forward_naive", "conv_backward_naive"),
    ),
    ("max_pool_forward", "max_pool_backward"): (
        ("max_pool_forward", "max_pool_backward"),
        ("max_pool_forward_fast", "max_pool_backward_fast"),
        ("max_pool_forward_naive", "max_pool_backward_naive"),
    ),
}


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
        return cls(
            affine_forward=affine.affine_forward,
            affine_backward=affine.affine_backward,
            relu_forward=activations.relu_forward,
            relu_backward=activations.relu_backward,
            leaky_relu_forward=activations.leaky_relu_forward,
            leaky_relu_backward=activations.leaky_relu_backward,
            elu_forward=activations.elu_forward,
            elu_backward=activations.elu_backward,
            sigmoid_forward=activations.sigmoid_forward,
            sigmoid_backward=activations.sigmoid_backward,
            tanh_forward=activations.tanh_forward,
            tanh_backward=activations.tanh_backward,
            dropout_forward=dropout.dropout_forward,
            dropout_backward=dropout.dropout_backward,
            conv_forward=conv_fast.conv_forward_fast,
            conv_backward=conv_fast.conv_backward_fast,
            max_pool_forward=pool_fast.max_pool_forward_fast,
            max_pool_backward=pool_fast.max_pool_backward_fast,
            softmax_loss=losses.softmax_loss,
            svm_loss=losses.svm_loss,
            l2_penalty=regularization.l2_penalty,
        )

    @classmethod
    def from_namespace(
        cls, namespace: Mapping[str, Any] | Any, *, fallback: "LayerSet | None" = None, **overrides: Callable
    ) -> "LayerSet":
        """Collect the functions named like the roles from ``namespace``: a notebook's ``globals()``,
        a module, or any object with those attributes.

        Convolution and pooling may be defined under their role name or as their fast or naive
        version (``conv_forward_naive``...): see ``VERSIONED_PAIRS`` for the names looked up and
        their order. Roles still missing are taken from ``fallback`` (for
        instance ``LayerSet.reference()``) when one is given. ``overrides`` set roles explicitly.
        """
        lookup = namespace if isinstance(namespace, Mapping) else vars(namespace)
        found: dict[str, Callable] = {}
        for role in _roles():
            if callable(lookup.get(role)):
                found[role] = lookup[role]
        for (forward, backward), versions in VERSIONED_PAIRS.items():
            for forward_name, backward_name in versions:
                pair = (lookup.get(forward_name), lookup.get(backward_name))
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


def activation_roles(activation: str) -> tuple[str, str]:
    """The forward and backward roles of ``activation`` (one of ``ACTIVATIONS``)."""
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {', '.join(ACTIVATIONS)}, got {activation!r}")
    return f"{activation}_forward", f"{activation}_backward"


def loss_role(loss: str) -> str:
    """The role of the loss called ``loss`` (a key of ``LOSSES``)."""
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {', '.join(LOSSES)}, got {loss!r}")
    return LOSSES[loss]
