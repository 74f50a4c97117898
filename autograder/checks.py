"""The checks that the notebooks' public and hidden test cells call.

Each check calls the student's functions with inputs it makes from literal shapes and a seed,
compares the results with a reference or with numerical gradients, prints one line when all is
well, and otherwise raises :class:`CheckFailed` with a short message: what is wrong, by how
much, where, for which case, and the likely mistake. Checks only *call* the functions they are
given, so they work unchanged on proxies to functions running in another process.

Layers:         check_forward, check_backward, check_conv_forward, check_conv_backward,
                check_pool_forward, check_pool_backward, check_pool_ties,
                check_dropout_forward, check_dropout_backward
"""

from __future__ import annotations

from .failures import CheckFailed
from .layer_checks import (
    check_backward,
    check_conv_backward,
    check_conv_forward,
    check_dropout_backward,
    check_dropout_forward,
    check_forward,
    check_pool_backward,
    check_pool_forward,
    check_pool_ties,
)

__all__ = [
    "CheckFailed",
    "check_backward",
    "check_conv_backward",
    "check_conv_forward",
    "check_dropout_backward",
    "check_dropout_forward",
    "check_forward",
    "check_pool_backward",
    "check_pool_forward",
    "check_pool_ties",
]
