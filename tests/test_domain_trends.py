"""Trends against baseline (bot/domain/trends.py): Theil–Sen and the
autocorrelation-adjusted reliable change against hand-computed values, the baseline
rules, and properties over generated ratings."""

from __future__ import annotations

import math
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.decision import DecisionRules
from bot.domain.trends import (
    BaselineKind,
    Direction,
    daily_change,
    daily_values,
    effective_n,
    goal_trend,
    lag1_autocorrelation,
    theil_sen,
)

DAY0 = date(2026, 11, 2)


def days(values, start: date = DAY0):
    """(date, value) on consecutive days; None leaves a gap."""
    return [(start + timedelta(days=i), v) for i, v in enumerate(values) if v is not None]


# Theil–Sen


def test_theil_sen_is_the_median_of_pairwise_slopes():
    # slopes 2, 0.5, 3, -1, 3.5, 8 -> sorted -1, 0.5, 2, 3, 3.5, 8 -> median (2 + 3) / 2
    assert theil_sen([(0, 1), (1, 3), (2, 2), (3, 10)]) == 2.5
    # slopes 1, 2, 3 -> 2
    assert theil_sen([(0, 0), (1, 1), (2, 4)]) == 2
    # 6, 5, 5, 4 over four days: -1, -0.5, -2/3, 0, -0.5, -1 -> (-2/3 - 1/2) / 2
    assert theil_sen([(0, 6), (1, 5), (2, 5), (3, 4)]) == pytest.approx(-7 / 12)


def test_theil_sen_skips_pairs_on_the_same_day_and_needs_two_days():
    assert theil_sen([(0, 1), (0, 3), (1, 2)]) == 0  # slopes 1 and -1
    assert theil_sen([(0, 1), (0, 3)]) is None
    assert theil_sen([(4, 7)]) is None
    assert theil_sen([]) is None


@settings(max_examples=200, deadline=None)
@given(
    intercept=st.integers(0, 10),
    slope=st.integers(-3, 3),
    n=st.integers(5, 30),
    outlier_at=st.integers(0, 29),
    outlier=st.integers(-50, 50),
)
def test_theil_sen_recovers_a_line_despite_one_outlier(intercept, slope, n, outlier_at, outlier):
    points = [(float(x), float(intercept + slope * x)) for x in range(n)]
    assert theil_sen(points) == pytest.approx(slope)
    x, _ = points[outlier_at % n]
    points[outlier_at % n] = (x, float(outlier))
    assert theil_sen(points) == pytest.approx(slope)


# The autocorrelation-adjusted test


def test_daily_change_by_hand():
    # baseline 4, 4, 6, 6 (mean 5), now 7, 7, 9, 9 (mean 8), each on consecutive days.
    # residuals -1, -1, 1, 1 in each phase: lag-1 products 1 - 1 + 1 = 1 per phase,
    # squares 4 per phase -> rho = 2 / 8 = 0.25. Pooled SD: sqrt(8 / 6) = 1.1547.
    # n' = 4 * 0.75 / 1.25 = 2.4 -> SE = 1.1547 * sqrt(2 / 2.4) = sqrt(10) / 3 = 1.05409,
    # z = 3 / 1.05409 = 2.846 > 1.96: reliable improvement.
    baseline = days([4, 4, 6, 6])
    now = days([7, 7, 9, 9], start=DAY0 + timedelta(days=20))
    change = daily_change(baseline, now, DecisionRules(min_sd=0.1))
    assert change.difference == 3
    assert change.rho == pytest.approx(0.25)
    assert change.sd == pytest.approx(math.sqrt(8 / 6))
    assert change.n_eff_baseline == pytest.approx(2.4)
    assert change.se == pytest.approx(math.sqrt(10) / 3)
    assert change.z == pytest.approx(2.84605, abs=1e-5)
    assert change.direction is Direction.IMPROVED and change.reliable


def test_autocorrelation_keeps_a_change_from_being_called_reliable():
    # Same shape, now 1.8 higher: as independent ratings z = 1.8 / 0.8165 = 2.20 (reliable),
    # with rho = 0.25 z = 1.8 / 1.05409 = 1.71: not reliable.
    baseline = days([4, 4, 6, 6])
    now = days([5.8, 5.8, 7.8, 7.8], start=DAY0 + timedelta(days=20))
    change = daily_change(baseline, now, DecisionRules(min_sd=0.1))
    assert 1.8 / (math.sqrt(8 / 6) * math.sqrt(0.5)) > 1.96
    assert change.z == pytest.approx(1.8 / (math.sqrt(10) / 3))
    assert change.direction is Direction.NO_RELIABLE_CHANGE


def test_the_sd_floor_and_gaps():
    # Identical ratings: SD 0, floored at 1 point; ratings two days apart make no lag-1 pair.
    baseline = days([5, None, 5, None, 5])
    now = days([6, None, 6, None, 6], start=DAY0 + timedelta(days=20))
    change = daily_change(baseline, now)
    assert change.sd == 1.0 and change.rho == 0
    assert change.se == pytest.approx(math.sqrt(2 / 3))  # 1 * sqrt(1/3 + 1/3)
    assert change.direction is Direction.NO_RELIABLE_CHANGE  # z = 1.22


def test_lag1_autocorrelation_and_effective_n():
    assert lag1_autocorrelation([days([4, 4, 6, 6])]) == pytest.approx(0.25)
    # alternating: residuals -1, 1, -1, 1 -> products -3, squares 4
    assert lag1_autocorrelation([days([4, 6, 4, 6])]) == pytest.approx(-0.75)
    assert lag1_autocorrelation([days([5, 5, 5])]) == 0
    assert lag1_autocorrelation([[]]) == 0
    assert effective_n(10, 0.5) == pytest.approx(10 * 0.5 / 1.5)
    assert effective_n(2, 0.9) == 1  # never below one rating
    assert effective_n(7, 0) == 7
    # a negative estimate is not allowed to shrink the error: clamped at 0
    negative = daily_change(days([4, 6, 4, 6]), days([5, 7, 5, 7], DAY0 + timedelta(days=9)))
    assert negative.rho == 0
    # and a very high one is clamped at 0.9
    ramp = daily_change(days(range(0, 10)), days(range(0, 10), DAY0 + timedelta(days=30)))
    assert ramp.rho <= 0.9


@settings(max_examples=200, deadline=None)
@given(
    base=st.lists(st.integers(0, 10), min_size=1, max_size=10),
    now=st.lists(st.integers(0, 10), min_size=1, max_size=10),
    shift=st.integers(-5, 5),
)
def test_daily_change_properties(base, now, shift):
    before = days(base)
    after = days(now, DAY0 + timedelta(days=30))
    change = daily_change(before, after)
    # swapping the phases negates the change
    assert daily_change(after, before).z == pytest.approx(-change.z)
    # a constant added to every rating changes nothing
    moved = daily_change([(d, v + shift) for d, v in before], [(d, v + shift) for d, v in after])
    assert moved.z == pytest.approx(change.z)
    # autocorrelation only ever widens the error
    independent = change.sd * math.sqrt(1 / len(base) + 1 / len(now))
    assert change.se >= independent - 1e-9
    assert change.reliable == (abs(change.z) > 1.96)


# Baselines and the goal's trend


def test_a_first_week_decline_is_compared_with_its_first_days():
    trend = goal_trend(days([6, 5, 5, 4]), DAY0 + timedelta(days=3))
    assert trend.enough  # not "nothing earlier to compare"
    assert trend.baseline is not None
    assert trend.baseline.kind is BaselineKind.FIRST_DAYS
    assert trend.baseline.mean == 5.5 and trend.baseline.days == 2
    assert trend.now_mean == 4.5 and trend.delta == -1.0
    assert trend.week_mean == 5.0 and trend.week == 1
    assert trend.slope_per_day == pytest.approx(-7 / 12)


def test_nothing_earlier_to_compare_only_below_three_ratings():
    two = goal_trend(days([6, 4]), DAY0 + timedelta(days=1))
    assert not two.enough and two.change is None and two.week_mean == 5.0
    three = goal_trend(days([6, None, None, 4, 3]), DAY0 + timedelta(days=4))
    assert three.enough and three.baseline is not None and three.baseline.mean == 6
    assert three.delta == pytest.approx(-2.5)
    # an intake rating counts as the baseline
    intake = goal_trend(days([6, 4]), DAY0 + timedelta(days=1), intake=8)
    assert intake.baseline is not None and intake.baseline.kind is BaselineKind.INTAKE
    assert intake.baseline.mean == 8 and intake.baseline.sd is None
    assert intake.delta == -3


def test_the_first_seven_answered_days_once_there_are_fourteen():
    ratings = days([2, 3, 2, None, 3, 2, 3, 2] + [5] * 6 + [None] * 3 + [7, 7, 8, 7, 8, 7, 8])
    as_of = DAY0 + timedelta(days=23)
    trend = goal_trend(ratings, as_of)
    assert trend.baseline is not None and trend.baseline.kind is BaselineKind.FIRST_WEEK
    assert trend.baseline.days == 7 and trend.baseline.mean == pytest.approx(17 / 7)
    assert trend.now_mean == pytest.approx(52 / 7) and trend.week_mean == pytest.approx(52 / 7)
    assert trend.week == 4
    assert trend.change is not None and trend.change.direction is Direction.IMPROVED


def test_later_ratings_are_ignored_several_a_day_are_averaged_and_a_silent_week_has_no_change():
    assert daily_values([(DAY0, 4), (DAY0, 6), (DAY0 - timedelta(days=1), 1)]) == [
        (DAY0 - timedelta(days=1), 1.0),
        (DAY0, 5.0),
    ]
    ratings = days([5, 5, 6, 6, 5, 5, 6, 9, 9, 9])
    cut = goal_trend(ratings, DAY0 + timedelta(days=6))
    assert cut.ratings == 7
    silent = goal_trend(days([5, 6, 5, 6]), DAY0 + timedelta(days=20))
    assert silent.enough and silent.change is None and silent.week_mean is None
    assert silent.week == 3
