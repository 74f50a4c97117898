"""Batch normalization: normalize each feature over the batch, then scale and shift it.

For features ``x`` of shape (N, D) the statistics are taken over the batch axis; for images
(N, C, H, W) over the batch and both spatial axes, one mean and variance per channel (spatial
batch normalization), so a convolutional network uses the same two functions.

    x_hat = (x - mean) / sqrt(var + eps),    out = gamma * x_hat + beta

In training mode mean and var come from the batch, and an exponential moving average of them is
kept in ``running``; in test mode the running averages are used instead, so one example's output
no longer depends on the rest of its batch.
"""

from __future__ import annotations

from ..backend import Array, check_array, namespace
from ._checks import check_upstream


def _reduction_axes(x: Array) -> tuple[int, ...]:
    """Axes the statistics run over: the batch, and for images also height and width."""
    return (0,) if x.ndim == 2 else (0, 2, 3)


def _values_per_feature(x: Array) -> int:
    """How many values each feature's mean and variance are taken over."""
    return x.shape[0] if x.ndim == 2 else x.shape[0] * x.shape[2] * x.shape[3]


def _per_feature(values: Array, ndim: int) -> Array:
    """Reshape a (D,) or (C,) vector so that it broadcasts against x."""
    xp = namespace(values)
    return values if ndim == 2 else xp.reshape(values, (1, values.shape[0], 1, 1))


def batchnorm_forward(
    x: Array,
    gamma: Array,
    beta: Array,
    *,
    train: bool = True,
    running: dict[str, Array] | None = None,
    momentum: float = 0.9,
    eps: float = 1e-5,
) -> tuple[Array, tuple]:
    """Normalize ``x`` per feature (per channel for images), then scale by gamma and shift by beta.

    Shapes: x (N, D) with gamma, beta (D,), or x (N, C, H, W) with gamma, beta (C,)
    -> out (same shape as x).
    ``running`` is a dict with keys "mean" and "var" (arrays shaped like gamma). In training mode
    it is optional and, when given, updated in place as
    ``running[k] = momentum * running[k] + (1 - momentum) * batch_value``; in test mode it is
    required and its statistics replace the batch's.
    Cache: (x_hat (same shape as x), gamma, inv_std (shaped like gamma), train).
    """
    check_array(x, "x", ndim=(2, 4))
    check_array(gamma, "gamma", ndim=1)
    check_array(beta, "beta", ndim=1)
    features = x.shape[1]
    for name, value in (("gamma", gamma), ("beta", beta)):
        if value.shape[0] != features:
            raise ValueError(f"{name} must have shape ({features},), one entry per feature of x, got {tuple(value.shape)}")
    if not 0 <= momentum < 1:
        raise ValueError(f"momentum must be in [0, 1), got {momentum!r}")
    if not eps > 0:
        raise ValueError(f"eps must be positive, got {eps!r}")
    if running is not None:
        for key in ("mean", "var"):
            if key not in running:
                raise ValueError(f'running must hold "mean" and "var"; "{key}" is missing')
            check_array(running[key], f'running["{key}"]', ndim=1)
            if running[key].shape[0] != features:
                raise ValueError(f'running["{key}"] must have shape ({features},), got {tuple(running[key].shape)}')
    elif not train:
        raise ValueError("test mode (train=False) needs running statistics: pass running={'mean': ..., 'var': ...}")
    xp = namespace(x, gamma, beta)
    axes = _reduction_axes(x)
    if train:
        if _values_per_feature(x) < 2:
            raise ValueError(f"training mode needs at least 2 values per feature to estimate a variance, x has shape {tuple(x.shape)}")
        mean = xp.mean(x, axis=axes)
        var = xp.var(x, axis=axes)
        if running is not None:
            running["mean"] = momentum * running["mean"] + (1 - momentum) * mean
            running["var"] = momentum * running["var"] + (1 - momentum) * var
    else:
        mean, var = running["mean"], running["var"]
    inv_std = 1.0 / xp.sqrt(var + eps)
    x_hat = (x - _per_feature(mean, x.ndim)) * _per_feature(inv_std, x.ndim)
    out = _per_feature(gamma, x.ndim) * x_hat + _per_feature(beta, x.ndim)
    return out, (x_hat, gamma, inv_std, train)


def batchnorm_backward(dout: Array, cache: tuple) -> tuple[Array, Array, Array]:
    """Backward pass of :func:`batchnorm_forward`.

    Shapes: dout (same as x); cache (x_hat, gamma, inv_std, train)
    -> dx (same as x), dgamma (shaped like gamma), dbeta (shaped like gamma).

    In training mode the mean and variance depend on every example in the batch, so each
    example's gradient picks up two correction terms from the rest of the batch; with ``m``
    values per feature:  dx = inv_std / m * (m * dx_hat - sum(dx_hat) - x_hat * sum(dx_hat * x_hat)).
    In test mode the statistics are constants and dx = dx_hat * inv_std.
    """
    x_hat, gamma, inv_std, train = cache
    check_upstream(dout, tuple(x_hat.shape))
    xp = namespace(dout, x_hat, gamma)
    axes = _reduction_axes(x_hat)
    count = _values_per_feature(x_hat)
    gamma_b = _per_feature(gamma, x_hat.ndim)
    inv_std_b = _per_feature(inv_std, x_hat.ndim)
    raise NotImplementedError('batchnorm_backward is an exercise: write it in the notebook 05_regularization/2_batchnorm.ipynb. The student edition of backpropkit leaves its reference answer out.')
    return dx, dgamma, dbeta
