"""The input check every backward pass shares: the upstream gradient must match the output."""

from __future__ import annotations

from ..backend import Array, check_array


def check_upstream(dout: Array, expected_shape: tuple[int, ...]) -> None:
    """Raise a clear error unless ``dout`` is a float array shaped like the forward output."""
    check_array(dout, "dout")
    if tuple(dout.shape) != tuple(expected_shape):
        raise ValueError(
            f"dout must have the shape of the forward output {tuple(expected_shape)}, "
            f"got {tuple(dout.shape)}"
        )
