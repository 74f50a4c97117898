"""Learning-rate schedules against their formulas, warmup, and bad input."""

from __future__ import annotations

import functools
import math

import pytest

from backpropkit import schedules


def test_step_decay_divides_at_each_boundary():
    rates = [schedules.step_decay(s, base_lr=1.0, decay=0.5, every=10) for s in (0, 9, 10, 19, 20, 35)]
    assert rates == [1.0, 1.0, 0.5, 0.5, 0.25, 0.125]


def test_cosine_decay_follows_half_a_cosine():
    kw = dict(base_lr=0.2, total_steps=100, final_lr=0.02)
    assert schedules.cosine_decay(0, **kw) == pytest.approx(0.2)
    assert schedules.cosine_decay(50, **kw) == pytest.approx(0.11)  # halfway between the ends
    assert schedules.cosine_decay(25, **kw) == pytest.approx(0.02 + 0.18 * (1 + math.cos(math.pi / 4)) / 2)
    assert schedules.cosine_decay(100, **kw) == pytest.approx(0.02)
    assert schedules.cosine_decay(500, **kw) == pytest.approx(0.02)


def test_linear_decay_is_a_straight_line():
    kw = dict(base_lr=1.0, total_steps=4)
    assert [schedules.linear_decay(s, **kw) for s in range(6)] == pytest.approx([1, 0.75, 0.5, 0.25, 0, 0])


def test_inverse_sqrt_decay_matches_the_notes_after_holding():
    assert schedules.inverse_sqrt_decay(0, base_lr=1.0) == 1.0
    assert schedules.inverse_sqrt_decay(4, base_lr=1.0) == pytest.approx(0.5)
    assert schedules.inverse_sqrt_decay(100, base_lr=1.0, hold_steps=25) == pytest.approx(0.5)
    assert schedules.inverse_sqrt_decay(10, base_lr=1.0, hold_steps=25) == 1.0


def test_warmup_ramps_from_zero_then_runs_the_schedule_from_its_start():
    cosine = functools.partial(schedules.cosine_decay, base_lr=0.1, total_steps=10)
    warmed = schedules.with_warmup(cosine, warmup_steps=4)
    assert [warmed(s) for s in range(4)] == pytest.approx([0.0, 0.025, 0.05, 0.075])
    assert warmed(4) == pytest.approx(0.1)
    assert warmed(9) == pytest.approx(cosine(5))
    assert warmed(14) == pytest.approx(0.0)


def test_constant_rate():
    assert schedules.constant(123, base_lr=0.3) == 0.3


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: schedules.step_decay(-1, base_lr=1.0, every=2), ValueError, "step must be >= 0"),
        (lambda: schedules.cosine_decay(1, base_lr=1.0, total_steps=-5), ValueError, "total_steps must be >= 0"),
        (lambda: schedules.linear_decay(1, base_lr=1.0, total_steps=0), ValueError, "total_steps must be at least 1"),
        (lambda: schedules.step_decay(1.5, base_lr=1.0, every=2), TypeError, "step must be an integer"),
        (lambda: schedules.step_decay(1, base_lr=-1.0, every=2), ValueError, "base_lr must be >= 0"),
        (lambda: schedules.with_warmup(lambda s: 1.0, warmup_steps=0), ValueError, "warmup_steps must be at least 1"),
        (lambda: schedules.with_warmup(lambda s: 1.0, warmup_steps=3)(-2), ValueError, "step must be >= 0"),
    ],
)
def test_bad_settings_are_named(call, error, message):
    with pytest.raises(error, match=message):
        call()
