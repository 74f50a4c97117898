"""Figures: the right axes and artists, drawn without pyplot, and clear errors on bad input."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
from matplotlib.colors import to_rgba
import pytest
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure
from matplotlib.image import AxesImage

from backpropkit import plots
from backpropkit.data import make_moons
from backpropkit.layers import maxout_backward, maxout_forward, relu_backward, relu_forward
from backpropkit.networks import FullyConnectedNet
from backpropkit.trainer import History


def test_decision_boundary_colours_the_plane_by_prediction(backend):
    X, y = make_moons(60, seed=0)
    model = FullyConnectedNet(2, [8], 2, like=backend(np.zeros(1)), seed=0)
    figure = plots.decision_boundary(model, backend(X), backend(y), resolution=40)
    assert isinstance(figure, Figure)
    (ax,) = figure.axes
    scatters = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert len(scatters) == 2 and sum(len(s.get_offsets()) for s in scatters) == 60
    # each class's points are drawn in the colour of that class's region
    for label, scatter in enumerate(scatters):
        assert tuple(scatter.get_facecolor()[0][:3]) == to_rgba(plots.CLASS_COLOURS[label])[:3]
    assert ax.get_legend() is not None


def test_decision_boundary_accepts_a_function():
    X, y = make_moons(30, seed=1)
    figure = plots.decision_boundary(lambda points: (points[:, 0] > 0.5).astype(int), X, y, resolution=20)
    assert figure.axes[0].get_title() == "decision boundary"
    with pytest.raises(ValueError, match=r"X must have shape \(N, 2\)"):
        plots.decision_boundary(lambda p: p[:, 0] > 0, np.zeros((5, 3)), np.zeros(5, dtype=int))


def test_image_grid_draws_weight_templates_and_filters():
    templates = np.random.default_rng(0).normal(size=(64, 10))
    figure = plots.image_grid(templates.T, image_shape=(8, 8), titles=[str(c) for c in range(10)])
    assert len(figure.axes) == 10
    assert all(len(ax.images) == 1 and isinstance(ax.images[0], AxesImage) for ax in figure.axes)
    assert figure.axes[3].get_title() == "3"
    rgb = plots.image_grid(np.random.default_rng(1).normal(size=(6, 3, 5, 5)), columns=3)
    assert len(rgb.axes) == 6 and rgb.axes[0].images[0].get_array().shape == (5, 5, 3)
    gray = plots.image_grid(np.zeros((2, 1, 3, 3)))  # a constant image must not divide by zero
    assert gray.axes[0].images[0].get_array().shape == (3, 3)
    with pytest.raises(ValueError, match="image_shape"):
        plots.image_grid(templates.T, image_shape=(7, 7))


def test_optimizer_trajectories_plot_one_line_per_path():
    def bowl(x, y):
        return x**2 + 10 * y**2

    paths = {"sgd": np.array([[1.0, 1.0], [0.5, 0.2], [0.1, 0.0]]), "adam": [[1.0, 1.0], [0.9, 0.9]]}
    figure = plots.optimizer_trajectories(bowl, paths, log_levels=True)
    (ax,) = figure.axes
    labels = [line.get_label() for line in ax.get_lines()]
    assert "sgd" in labels and "adam" in labels and "start" in labels
    assert len(ax.collections) >= 1  # the contour set
    with pytest.raises(ValueError, match=r"must have shape \(T, 2\)"):
        plots.optimizer_trajectories(bowl, {"bad": np.zeros((3, 3))})


def test_gradient_norms_lines_over_steps_or_bars_per_layer():
    lines = plots.gradient_norms({"W1": [1e-4, 1e-3], "W2": [1e-1, 1e-2]})
    assert [l.get_label() for l in lines.axes[0].get_lines()] == ["W1", "W2"]
    assert lines.axes[0].get_yscale() == "log"
    bars = plots.gradient_norms({"W1": 1e-4, "W2": 0.1, "W3": 1.0}, log=False)
    assert len(bars.axes[0].patches) == 3


def test_history_curves_draw_loss_and_accuracy():
    history = History(train_loss=[2.0, 1.0], val_loss=[2.1, 1.2], train_accuracy=[0.5, 0.8],
                      val_accuracy=[0.4, 0.7])
    figure = plots.history_curves(history)
    loss_ax, accuracy_ax = figure.axes
    assert len(loss_ax.get_lines()) == 2 and len(accuracy_ax.get_lines()) == 2
    np.testing.assert_array_equal(accuracy_ax.get_lines()[1].get_ydata(), [0.4, 0.7])
    only_train = plots.history_curves({"train_loss": [1.0], "train_accuracy": [0.3]})
    assert len(only_train.axes[0].get_lines()) == 1
    with pytest.raises(ValueError, match="train first"):
        plots.history_curves(History())


def test_activation_curves_draw_each_forward_above_its_derivative():
    w, b = np.array([[[1.0]], [[-0.5]]]), np.array([[0.0], [0.5]])  # max(x, 0.5 - 0.5 x)
    pairs = {
        "ReLU": (relu_forward, relu_backward),
        "maxout": (lambda x: maxout_forward(x[:, None], w, b), maxout_backward),
    }
    x = np.linspace(-2.0, 2.0, 9)
    figure = plots.activation_curves(pairs, x=x)
    assert len(figure.axes) == 4 and [ax.get_title() for ax in figure.axes[:2]] == ["ReLU", "maxout"]
    relu_out, maxout_out, relu_slope, maxout_slope = (ax.get_lines()[0].get_ydata() for ax in figure.axes)
    np.testing.assert_array_equal(relu_out, np.maximum(x, 0))
    np.testing.assert_array_equal(relu_slope, (x > 0).astype(float))
    np.testing.assert_allclose(maxout_out, np.maximum(x, 0.5 - 0.5 * x))
    np.testing.assert_array_equal(maxout_slope, np.where(x > 1 / 3, 1.0, -0.5))
    with pytest.raises(TypeError, match=r"activations\['bad'\] must be a \(forward, backward\) pair"):
        plots.activation_curves({"bad": relu_forward})
