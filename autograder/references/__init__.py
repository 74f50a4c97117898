"""The instructor's reference for each graded backward pass and loss, found by the name a test uses.

A backward check judges the student's gradients against the reference, never against the
student's own forward: the numerical gradient comes from the reference forward (so a forward
redefined to a constant, or one that returns NaN when it sees an input twice, changes nothing),
and the gradients must also agree with the reference backward to rounding (so a backward computed
by finite differences earns nothing; see ``ANALYTIC_TOLERANCE`` in
:mod:`autograder.checks.numeric`).

References are looked up by the name the test cell gives the student's function (in the grader,
the proxy's ``__name__`` is the name the instructor's test cell looked up, never one the student
chose). Library layers and losses are the instructor edition's own functions, whose solution
regions are the reference answers; two_layer_net is defined in its notebook, so its reference is
read from the instructor's source notebook, the one source of truth for it.

This package (with :mod:`autograder.references.layer_mistakes`) exists only in the instructor
edition: it lies outside ``autograder/checks/``, the folder the student edition copies
(:mod:`autograder.release.edition`); the grading sandbox has neither. Without it the checks fall
back to the student's forward.
"""

from __future__ import annotations

import ast
import functools
import importlib
import json
from dataclasses import dataclass
from typing import Any, Callable

from ..release.paths import SOLUTIONS


@dataclass(frozen=True)
class LayerReference:
    """The reference pair of one layer: ``forward(*inputs, **params) -> (out, cache)`` and
    ``backward(dout, cache) -> gradients``, with the cache layout the notebook specifies."""

    forward: Callable[..., Any]
    backward: Callable[..., Any]


# backward's name -> (module of the instructor edition, forward's name)
_LIBRARY_LAYERS = {
    "affine_backward": ("backpropkit.layers.affine", "affine_forward"),
    "relu_backward": ("backpropkit.layers.activations", "relu_forward"),
    "leaky_relu_backward": ("backpropkit.layers.activations", "leaky_relu_forward"),
    "sigmoid_backward": ("backpropkit.layers.activations", "sigmoid_forward"),
    "tanh_backward": ("backpropkit.layers.activations", "tanh_forward"),
    "elu_backward": ("backpropkit.layers.activations", "elu_forward"),
    "maxout_backward": ("backpropkit.layers.activations", "maxout_forward"),
    "batchnorm_backward": ("backpropkit.layers.batchnorm", "batchnorm_forward"),
    "conv_backward_naive": ("backpropkit.layers.conv", "conv_forward_naive"),
    "max_pool_backward_naive": ("backpropkit.layers.pool", "max_pool_forward_naive"),
    "dropout_backward": ("backpropkit.layers.dropout", "dropout_forward"),
}

# backward's name -> (source notebook under solutions/, forward's name)
_NOTEBOOK_LAYERS = {
    "two_layer_net_backward": ("03_backprop/2_two_layer_net.ipynb", "two_layer_net_forward"),
}

# name -> module of the instructor edition; each returns (value, gradient)
_LIBRARY_LOSSES = {
    "svm_loss_loops": "backpropkit.losses",
    "svm_loss": "backpropkit.losses",
    "softmax_loss": "backpropkit.losses",
    "binary_cross_entropy_loss": "backpropkit.losses",
    "mse_loss": "backpropkit.losses",
    "l2_penalty": "backpropkit.regularization",
    "l1_penalty": "backpropkit.regularization",
    "elastic_net_penalty": "backpropkit.regularization",
}


def layer_reference(backward_name: str) -> LayerReference | None:
    """The reference pair for the backward pass a test calls ``backward_name``, or None if there is none."""
    if backward_name in _LIBRARY_LAYERS:
        module_name, forward_name = _LIBRARY_LAYERS[backward_name]
        module = importlib.import_module(module_name)
        return LayerReference(getattr(module, forward_name), getattr(module, backward_name))
    if backward_name in _NOTEBOOK_LAYERS:
        notebook, forward_name = _NOTEBOOK_LAYERS[backward_name]
        namespace = _notebook_definitions(notebook)
        return LayerReference(namespace[forward_name], namespace[backward_name])
    return None


def loss_reference(name: str) -> Callable[..., Any] | None:
    """The reference loss or penalty a test calls ``name`` (returning ``(value, gradient)``), or None."""
    if name not in _LIBRARY_LOSSES:
        return None
    return getattr(importlib.import_module(_LIBRARY_LOSSES[name]), name)


def graded_backward_names() -> list[str]:
    """Every backward pass and loss with a reference (for the test that each graded one has one)."""
    return sorted([*_LIBRARY_LAYERS, *_NOTEBOOK_LAYERS, *_LIBRARY_LOSSES])


@functools.cache
def _notebook_definitions(notebook: str) -> dict[str, Any]:
    """The imports and function definitions of an instructor notebook's code cells, executed here.

    Only ``import`` statements and ``def``s run: no plotting, training or magics, and never a test
    cell. The solution regions are the instructor's, so the functions are the reference answers.
    """
    cells = json.loads((SOLUTIONS / notebook).read_text())["cells"]
    namespace: dict[str, Any] = {"__name__": f"reference:{notebook}"}
    for cell in cells:
        if cell["cell_type"] != "code" or cell.get("metadata", {}).get("nbgrader", {}).get("grade"):
            continue
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        lines = "\n".join("#" + line if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())
        kept = [node for node in ast.parse(lines).body if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef))]
        exec(compile(ast.Module(body=kept, type_ignores=[]), f"<{notebook}>", "exec"), namespace)
    return namespace
