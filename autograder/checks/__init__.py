"""The checks that the notebooks' public and hidden test cells call.

Each check calls the student's functions with inputs it makes from literal shapes and a seed,
compares the results with a reference or with numerical gradients, prints one line when all is
well, and otherwise raises :class:`CheckFailed` with a short message: what is wrong, by how
much, where, for which case, and the likely mistake. Checks only *call* the functions they are
given, so they work unchanged on proxies to functions running in another process.

Layers:         check_forward, check_backward, check_conv_forward, check_conv_backward,
                check_pool_forward, check_pool_backward, check_pool_ties, check_maxout_ties,
                check_dropout_forward, check_dropout_backward
Networks:       check_two_layer_net_backward
Losses:         check_svm_loss, check_svm_lecture_example, check_softmax_loss,
                check_binary_cross_entropy_loss, check_mse_loss
Penalties:      check_l2_penalty, check_l1_penalty, check_elastic_net_penalty, check_weight_decay
Optimization:   check_update_rule, check_schedule, check_warmup
Gradients:      check_numerical_gradient, check_numerical_gradient_upstream, check_relative_error
Autograd:       check_value_rules, check_value_lecture_example, check_value_backward,
                check_value_operators
"""

from __future__ import annotations

from .failures import CheckFailed
from .gradient_checks import (
    check_numerical_gradient,
    check_numerical_gradient_upstream,
    check_relative_error,
    check_value_backward,
    check_value_lecture_example,
    check_value_operators,
    check_value_rules,
)
from .layer_checks import (
    check_backward,
    check_conv_backward,
    check_conv_forward,
    check_dropout_backward,
    check_dropout_forward,
    check_forward,
    check_maxout_ties,
    check_pool_backward,
    check_pool_forward,
    check_pool_ties,
)
from .loss_checks import (
    check_binary_cross_entropy_loss,
    check_elastic_net_penalty,
    check_l1_penalty,
    check_l2_penalty,
    check_mse_loss,
    check_softmax_loss,
    check_svm_lecture_example,
    check_svm_loss,
    check_weight_decay,
)
from .network_checks import check_two_layer_net_backward
from .optim_checks import check_schedule, check_update_rule, check_warmup

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
    "check_maxout_ties",
    "check_two_layer_net_backward",
    "check_svm_loss",
    "check_svm_lecture_example",
    "check_softmax_loss",
    "check_binary_cross_entropy_loss",
    "check_mse_loss",
    "check_l2_penalty",
    "check_l1_penalty",
    "check_elastic_net_penalty",
    "check_weight_decay",
    "check_update_rule",
    "check_schedule",
    "check_warmup",
    "check_numerical_gradient",
    "check_numerical_gradient_upstream",
    "check_relative_error",
    "check_value_rules",
    "check_value_lecture_example",
    "check_value_backward",
    "check_value_operators",
]
