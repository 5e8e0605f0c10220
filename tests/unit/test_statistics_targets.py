"""A headline rate is red when its exact fraction is below the target, not its rounded percent."""

from __future__ import annotations

from domain.statistics_targets import ON_TIME, PRECISE_IDENTIFICATION


def test_below_target_is_judged_on_the_exact_fraction() -> None:
    assert PRECISE_IDENTIFICATION.is_below(19_599, 20_000)  # 97.995 %: prints as 98.00 %, still below
    assert not PRECISE_IDENTIFICATION.is_below(49, 50)  # exactly 98 %
    assert not PRECISE_IDENTIFICATION.is_below(50, 50)
    assert ON_TIME.is_below(999, 1000)
    assert not ON_TIME.is_below(7, 7)


def test_nothing_to_measure_is_not_below() -> None:
    assert not PRECISE_IDENTIFICATION.is_below(0, 0)
    assert not ON_TIME.is_below(0, 0)
