"""Figures the notebooks draw: decision boundaries, weight images, optimizer paths, gradient norms,
training curves, activations and their derivatives.

Every function builds a ``matplotlib.figure.Figure`` and returns it without showing it: Jupyter
displays a returned figure once, a script saves it with ``fig.savefig(...)``. Figures are made
without ``pyplot``, so nothing here touches global plotting state. Inputs may live on any backend;
they are copied to the host first.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Mapping, Sequence

import numpy as np
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure

from .backend import device_of, namespace, to_numpy


CLASS_COLOURS = np.array(["tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple",
                          "tab:brown", "tab:pink", "tab:gray", "tab:olive", "tab:cyan"])


def _host(x: Any, name: str) -> np.ndarray:
    if hasattr(x, "shape") and hasattr(x, "dtype"):
        return np.asarray(to_numpy(x))
    try:
        return np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be an array or a list of numbers, got {type(x).__name__}") from None


def decision_boundary(
    model_or_predict: Any,
    X: Any,
    y: Any,
    *,
    resolution: int = 200,
    margin: float = 0.25,
    title: str | None = None,
) -> Figure:
    """Colour the plane by the predicted class and scatter the points on top.

    ``model_or_predict`` is a model with ``predict`` or a function ``(M, 2) array -> (M,) labels``;
    it receives the grid on the backend and dtype of ``X``. Shapes: X (N, 2), y (N,).
    """
    predict = getattr(model_or_predict, "predict", model_or_predict)
    if not callable(predict):
        raise TypeError("model_or_predict must be a model with predict() or a function of the points")
    points, labels = _host(X, "X"), _host(y, "y")
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(f"X must have shape (N, 2) to be drawn in the plane, got {points.shape}")
    if labels.shape != (points.shape[0],):
        raise ValueError(f"y must have shape ({points.shape[0]},), got {labels.shape}")
    low, high = points.min(axis=0), points.max(axis=0)
    pad = margin * np.maximum(high - low, 1e-12)
    xs = np.linspace(low[0] - pad[0], high[0] + pad[0], resolution)
    ys = np.linspace(low[1] - pad[1], high[1] + pad[1], resolution)
    grid_x, grid_y = np.meshgrid(xs, ys)
    grid = np.stack([grid_x.ravel(), grid_y.ravel()], axis=1).astype(points.dtype)
    if not isinstance(X, np.ndarray):
        grid = namespace(X).asarray(grid, device=device_of(X))
    predicted = _host(predict(grid), "predictions").reshape(grid_x.shape)

    figure = Figure(figsize=(5, 4.5))
    ax = figure.add_subplot()
    classes = int(max(labels.max(), predicted.max())) + 1
    # One colour per class, the same for a region and its points: pale regions, strong points.
    palette = CLASS_COLOURS[np.arange(classes) % len(CLASS_COLOURS)]
    ax.contourf(grid_x, grid_y, predicted, levels=np.arange(classes + 1) - 0.5,
                colors=[to_rgba(colour, 0.25) for colour in palette])
    for label in range(classes):
        chosen = labels == label
        if chosen.any():
            ax.scatter(points[chosen, 0], points[chosen, 1], color=palette[label], s=18,
                       edgecolors="k", linewidths=0.4, label=str(label))
    ax.legend(title="class", loc="best", fontsize="small")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_title(title or "decision boundary")
    return figure


def image_grid(
    images: Any,
    *,
    image_shape: Sequence[int] | None = None,
    titles: Sequence[str] | None = None,
    columns: int | None = None,
    cmap: str = "gray",
    suptitle: str | None = None,
) -> Figure:
    """Show a set of images side by side, each rescaled to its own range.

    Accepts images (K, H, W), images or conv filters (K, C, H, W) (one channel drawn in ``cmap``,
    three as RGB, any other number as the mean over channels), or rows (K, D) with
    ``image_shape=(H, W)``: the weight templates of a linear classifier are ``W.T`` with
    ``W`` (D, classes).
    """
    stack = _host(images, "images").astype(float)
    if image_shape is not None:
        if stack.ndim != 2 or math.prod(image_shape) != stack.shape[1]:
            raise ValueError(
                f"image_shape {tuple(image_shape)} needs rows of {math.prod(image_shape)} values, "
                f"got images of shape {stack.shape}"
            )
        stack = stack.reshape((stack.shape[0], *image_shape))
    if stack.ndim == 4:
        channels = stack.shape[1]
        stack = np.moveaxis(stack, 1, -1) if channels == 3 else (stack[:, 0] if channels == 1 else stack.mean(axis=1))
    if stack.ndim not in (3, 4) or stack.shape[0] == 0:
        raise ValueError(
            "images must have shape (K, H, W), (K, C, H, W) or (K, D) with image_shape, "
            f"got {_host(images, 'images').shape}"
        )
    count = stack.shape[0]
    if titles is not None and len(titles) != count:
        raise ValueError(f"titles must have one entry per image ({count}), got {len(titles)}")
    columns = columns or min(count, 10)
    rows = math.ceil(count / columns)
    figure = Figure(figsize=(1.2 * columns, 1.3 * rows + (0.4 if suptitle else 0)))
    for index in range(count):
        ax = figure.add_subplot(rows, columns, index + 1)
        image = stack[index]
        low, high = image.min(), image.max()
        image = (image - low) / (high - low) if high > low else np.zeros_like(image)
        ax.imshow(image, cmap=None if image.ndim == 3 else cmap, interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
        if titles is not None:
            ax.set_title(str(titles[index]), fontsize="small")
    if suptitle:
        figure.suptitle(suptitle)
    return figure


def optimizer_trajectories(
    surface: Callable[[np.ndarray, np.ndarray], np.ndarray],
    paths: Mapping[str, Any],
    *,
    xlim: tuple[float, float] | None = None,
    ylim: tuple[float, float] | None = None,
    levels: int = 30,
    log_levels: bool = False,
    title: str | None = None,
) -> Figure:
    """Draw each optimizer's path over the contours of a 2-D loss surface.

    ``surface(x, y)`` takes two grids of coordinates and returns the loss on them (NumPy,
    vectorized). ``paths`` maps a name to the iterates, an array (T, 2) starting at the initial
    point. ``xlim``/``ylim`` default to the paths' extent with a margin; ``log_levels`` spaces the
    contours geometrically (useful for Rosenbrock's narrow valley).
    """
    if not callable(surface):
        raise TypeError("surface must be a function (x, y) -> loss on grids of coordinates")
    if not paths:
        raise ValueError("paths must name at least one trajectory, e.g. {'sgd': array of shape (T, 2)}")
    tracks = {}
    for name, path in paths.items():
        track = _host(path, f"paths[{name!r}]")
        if track.ndim != 2 or track.shape[1] != 2 or len(track) == 0:
            raise ValueError(f"paths[{name!r}] must have shape (T, 2), got {track.shape}")
        tracks[name] = track
    everything = np.concatenate(list(tracks.values()))
    finite = everything[np.all(np.isfinite(everything), axis=1)]
    low, high = finite.min(axis=0), finite.max(axis=0)
    pad = 0.15 * np.maximum(high - low, 1e-3)
    xlim = xlim or (low[0] - pad[0], high[0] + pad[0])
    ylim = ylim or (low[1] - pad[1], high[1] + pad[1])
    grid_x, grid_y = np.meshgrid(np.linspace(*xlim, 300), np.linspace(*ylim, 300))
    values = np.asarray(surface(grid_x, grid_y), dtype=float)
    if values.shape != grid_x.shape:
        raise ValueError(f"surface(x, y) must return values shaped like its inputs {grid_x.shape}, got {values.shape}")

    figure = Figure(figsize=(6, 5))
    ax = figure.add_subplot()
    if log_levels:
        shift = values.min()
        contour_levels = shift + np.geomspace(1e-3, values.max() - shift + 1e-3, levels)
    else:
        contour_levels = levels
    ax.contour(grid_x, grid_y, values, levels=contour_levels, cmap="Greys", linewidths=0.7)
    for name, track in tracks.items():
        (line,) = ax.plot(track[:, 0], track[:, 1], marker="o", markersize=2.5, linewidth=1.2, label=name)
        ax.plot(*track[-1], marker="*", markersize=10, color=line.get_color())
    start = next(iter(tracks.values()))[0]
    ax.plot(*start, marker="s", color="k", markersize=6, linestyle="none", label="start")
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_xlabel("$w_1$")
    ax.set_ylabel("$w_2$")
    ax.legend(loc="best", fontsize="small")
    ax.set_title(title or "optimizer trajectories")
    return figure


def gradient_norms(
    norms: Mapping[str, Any], *, log: bool = True, xlabel: str = "step", title: str | None = None
) -> Figure:
    """Per-layer gradient norms: one line per layer over steps, or bars when each layer has one value.

    ``norms`` maps a layer (or parameter) name to its norms, a sequence over steps or a single
    number. Vanishing gradients show as early layers far below the late ones on the log scale.
    """
    if not norms:
        raise ValueError("norms must map at least one layer name to its gradient norms")
    series = {name: np.atleast_1d(_host(values, f"norms[{name!r}]")).astype(float) for name, values in norms.items()}
    figure = Figure(figsize=(6, 4))
    ax = figure.add_subplot()
    if all(len(values) == 1 for values in series.values()):
        ax.bar(list(series), [values[0] for values in series.values()], color="tab:blue")
        ax.set_xlabel("layer")
    else:
        for name, values in series.items():
            ax.plot(np.arange(len(values)), values, label=name)
        ax.set_xlabel(xlabel)
        ax.legend(loc="best", fontsize="small")
    if log:
        ax.set_yscale("log")
    ax.set_ylabel("gradient norm")
    ax.set_title(title or "gradient norm per layer")
    return figure


def history_curves(history: Any, *, title: str | None = None) -> Figure:
    """Loss (left) and accuracy (right) per epoch, training and validation.

    ``history`` is a :class:`~backpropkit.trainer.History` or a dict with the same keys
    (``train_loss``, ``val_loss``, ``train_accuracy``, ``val_accuracy``; validation optional).
    """
    record = history.as_dict() if hasattr(history, "as_dict") else dict(history)
    if not record.get("train_loss"):
        raise ValueError("history has no epochs to draw (train_loss is empty); train first")
    figure = Figure(figsize=(10, 3.8))
    loss_ax, accuracy_ax = figure.subplots(1, 2)
    for ax, quantity in ((loss_ax, "loss"), (accuracy_ax, "accuracy")):
        for split, style in (("train", "-o"), ("val", "-s")):
            values = record.get(f"{split}_{quantity}") or []
            if len(values):
                ax.plot(np.arange(1, len(values) + 1), values, style, markersize=3,
                        label="training" if split == "train" else "validation")
        ax.set_xlabel("epoch")
        ax.set_ylabel(quantity)
        ax.grid(alpha=0.3)
        ax.legend(loc="best", fontsize="small")
    loss_ax.set_title("loss")
    accuracy_ax.set_title("accuracy")
    if title:
        figure.suptitle(title)
    return figure


def activation_curves(
    activations: Mapping[str, tuple[Callable[[Any], tuple[Any, Any]], Callable[[Any, Any], Any]]],
    *,
    x: Any = None,
    title: str | None = None,
) -> Figure:
    """Each activation (top row) and its derivative (bottom row), one column per activation.

    ``activations`` maps a name to a layer pair ``(forward, backward)``: ``forward(x) -> (out,
    cache)`` and ``backward(dout, cache) -> dx`` (or a tuple whose first entry is ``dx``). The
    derivative drawn is ``backward(ones, cache)``, the layer's own local gradient. ``x`` is the 1-D
    grid to draw on (default 401 points in [-4, 4]); a pair may reshape it, for instance into a
    column for a maxout unit with one input.
    """
    if not activations:
        raise ValueError("activations must map at least one name to a (forward, backward) pair")
    grid = np.linspace(-4.0, 4.0, 401) if x is None else _host(x, "x").astype(float)
    if grid.ndim != 1:
        raise ValueError(f"x must be a 1-D grid of points, got shape {grid.shape}")
    figure = Figure(figsize=(2.6 * len(activations), 4.8))
    axes = figure.subplots(2, len(activations), sharex=True, squeeze=False)
    for column, (name, pair) in enumerate(activations.items()):
        if not (isinstance(pair, tuple) and len(pair) == 2 and all(callable(f) for f in pair)):
            raise TypeError(f"activations[{name!r}] must be a (forward, backward) pair of functions")
        forward, backward = pair
        out, cache = forward(grid.copy())
        gradient = backward(np.ones_like(_host(out, "out")), cache)
        if isinstance(gradient, tuple):
            gradient = gradient[0]
        axes[0, column].plot(grid, _host(out, "out").reshape(-1))
        axes[0, column].set_title(name)
        axes[1, column].plot(grid, _host(gradient, "dx").reshape(-1), color="tab:orange")
        axes[1, column].set_xlabel("x")
        for ax in axes[:, column]:
            ax.axhline(0, color="gray", linewidth=0.5)
            ax.axvline(0, color="gray", linewidth=0.5)
    axes[0, 0].set_ylabel("f(x)")
    axes[1, 0].set_ylabel("f'(x): backward with dout = 1")
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    return figure
