"""The checks of the ELU and maxout exercises: the references pass, typical mistakes fail and are named."""

from __future__ import annotations

import numpy as np
import pytest

from autograder import checks, references
from autograder.checks import CheckFailed, oracles
from backpropkit.layers.activations import elu_backward, elu_forward, maxout_backward, maxout_forward
from test_checks import remote_pair

MAXOUT_INPUTS = {"x": (4, 5), "w": (3, 5, 2), "b": (3, 2)}


def failure(check, *args, **kwargs) -> str:
    with pytest.raises(CheckFailed) as caught:
        check(*args, **kwargs)
    return str(caught.value)


def test_the_reference_layers_pass_every_check(capsys):
    checks.check_forward(elu_forward, "elu", {"x": (3, 4)}, {"alpha": 0.5}, seed=1)
    checks.check_forward(elu_forward, "elu", {"x": [[-1000.0, 0.0, 1000.0]]})
    checks.check_backward(elu_forward, elu_backward, {"x": (3, 4)}, {"alpha": 2.0}, seed=1)
    for pieces in (1, 2, 3):
        inputs = {"x": (4, 5), "w": (pieces, 5, 2), "b": (pieces, 2)}
        checks.check_forward(maxout_forward, "maxout", inputs, seed=pieces)
        checks.check_backward(maxout_forward, maxout_backward, inputs, seed=pieces)
    checks.check_maxout_ties(maxout_forward, maxout_backward)
    checks.check_maxout_ties(*remote_pair(maxout_forward, maxout_backward), seed=3)
    printed = capsys.readouterr().out.splitlines()
    assert len(printed) == 11 and all(line.startswith("\u2714") for line in printed)


def test_both_backward_passes_are_graded_against_a_reference():
    for name in ("elu_backward", "maxout_backward"):
        assert references.layer_reference(name) is not None
        assert name in references.graded_backward_names()


def test_an_elu_that_overflows_on_large_inputs_fails_its_forward_check():
    def elu_forward_overflowing(x, alpha=1.0):
        return np.where(x > 0, x, alpha * (np.exp(x) - 1.0)), (x, alpha)

    checks.check_forward(elu_forward_overflowing, "elu", {"x": (3, 4)}, seed=0)  # ordinary inputs pass
    message = failure(checks.check_forward, elu_forward_overflowing, "elu", {"x": [[-1000.0, 1000.0]]})
    assert "overflow" in message and "warning" in message


def test_a_maxout_backward_that_feeds_every_piece_is_caught():
    def maxout_backward_every_piece(dout, cache):
        x, w, b = cache
        dw = np.stack([x.T @ dout for _ in w])
        return dout @ w.sum(axis=0).T, dw, np.stack([dout.sum(axis=0) for _ in w])

    failure(checks.check_backward, maxout_forward, maxout_backward_every_piece, MAXOUT_INPUTS, seed=0)


def test_ties_given_to_every_tied_piece_are_named():
    def maxout_backward_all_ties(dout, cache):
        x, w, b = cache
        pieces = oracles.maxout_pieces(x, w, b)
        routed = (pieces == pieces.max(axis=0)) * dout  # every piece equal to the maximum
        return np.einsum("knm,kdm->nd", routed, w), np.einsum("nd,knm->kdm", x, routed), routed.sum(axis=1)

    checks.check_backward(maxout_forward, maxout_backward_all_ties, MAXOUT_INPUTS, seed=0)  # no ties: right
    message = failure(checks.check_maxout_ties, maxout_forward, maxout_backward_all_ties)
    assert "every tied piece gets the gradient" in message


def test_ties_given_to_the_last_piece_are_named():
    def maxout_backward_last_wins(dout, cache):
        x, w, b = cache
        pieces = oracles.maxout_pieces(x, w, b)
        last = len(w) - 1 - pieces[::-1].argmax(axis=0)  # the last maximum, not the first
        routed = np.stack([np.where(last == j, dout, 0.0) for j in range(len(w))])
        return np.einsum("knm,kdm->nd", routed, w), np.einsum("nd,knm->kdm", x, routed), routed.sum(axis=1)

    checks.check_backward(maxout_forward, maxout_backward_last_wins, MAXOUT_INPUTS, seed=0)
    message = failure(checks.check_maxout_ties, maxout_forward, maxout_backward_last_wins)
    assert "FIRST of them" in message
