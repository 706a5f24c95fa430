"""A goal's daily ratings (0–10, higher is better) against its baseline.

- **Baseline**: the first 7 answered days, or the intake rating when there is one.
  With fewer than 14 answered days the baseline is the first half of them (at least
  one), so that a first-week decline such as 6→5→5→4 is compared with its own first
  days instead of "nothing earlier".
- **Now**: the ratings of the latest 7 days (after the baseline days); the **weekly
  mean** is the mean of every rating in those 7 days.
- **Slope**: Theil–Sen (the median of the pairwise slopes; Theil 1950, Sen 1968) over
  the latest 21 days, in points per day.
- **Reliable change**: the difference of the two means over its standard error, with
  the error inflated for the ratings' lag-1 autocorrelation ρ through the effective
  number of independent ratings n·(1 − ρ)/(1 + ρ) (Bayley & Hammersley 1946; Wilks,
  *Statistical Methods in the Atmospheric Sciences*, 3rd ed., §5.2.4, serial dependence); reliable
  when |z| > 1.96 and each side has at least 3 days (an intake baseline aside).
  The method, its constants and why: docs/decision-support.md.

Pure functions of plain values; tested against hand-computed numbers in
tests/test_domain_trends.py.
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from enum import StrEnum

from bot.domain.decision import DEFAULT_RULES, DecisionRules


class BaselineKind(StrEnum):
    FIRST_WEEK = "first_week"  # the first 7 answered days
    FIRST_DAYS = "first_days"  # fewer: the first half of the answered days
    INTAKE = "intake"  # the intake rating


class Direction(StrEnum):
    IMPROVED = "improved"
    DETERIORATED = "deteriorated"
    NO_RELIABLE_CHANGE = "no_reliable_change"


@dataclass(frozen=True)
class Baseline:
    kind: BaselineKind
    mean: float
    sd: float | None  # None: a single value (the intake, or one first day)
    days: int


@dataclass(frozen=True)
class DailyChange:
    """The autocorrelation-adjusted comparison of two means of daily ratings."""

    difference: float  # now − baseline
    sd: float  # pooled within-phase SD, floored at DecisionRules.min_sd
    rho: float  # lag-1 autocorrelation used (clamped to [0, max_autocorrelation])
    n_eff_baseline: float
    n_eff_now: float
    se: float
    z: float
    direction: Direction

    @property
    def reliable(self) -> bool:
        return self.direction is not Direction.NO_RELIABLE_CHANGE


@dataclass(frozen=True)
class GoalTrend:
    ratings: int  # answered days (the intake not counted)
    week: int  # week of care at as_of: 1 for the first seven days
    baseline: Baseline | None  # None: fewer than min_ratings (nothing earlier to compare)
    week_mean: float | None  # mean of every rating in the latest window
    now_mean: float | None  # mean of the ratings compared with the baseline
    slope_per_day: float | None  # Theil–Sen over the latest slope_days
    change: DailyChange | None  # None: no baseline, or nothing rated lately
    days_since_rated: int | None = None  # days from the last rating to as_of (None: none)

    @property
    def enough(self) -> bool:
        """False means "nothing earlier to compare"."""
        return self.baseline is not None

    @property
    def delta(self) -> float | None:
        return self.change.difference if self.change is not None else None

    @property
    def slope_per_week(self) -> float | None:
        return self.slope_per_day * 7 if self.slope_per_day is not None else None


def theil_sen(points: Sequence[tuple[float, float]]) -> float | None:
    """The median of the slopes between every pair of points with different x (None: no
    such pair). Robust: up to 29 % of the points can be outliers without moving it far."""
    slopes = [
        (y2 - y1) / (x2 - x1)
        for i, (x1, y1) in enumerate(points)
        for x2, y2 in points[i + 1 :]
        if x2 != x1
    ]
    return statistics.median(slopes) if slopes else None


def lag1_autocorrelation(phases: Iterable[Sequence[tuple[date, float]]]) -> float:
    """The lag-1 autocorrelation of daily ratings, pooled over phases: each phase is
    centred on its own mean, and only ratings on consecutive days make a pair.
    0 when there is nothing to estimate it from."""
    products = 0.0
    squares = 0.0
    for phase in phases:
        if not phase:
            continue
        centre = statistics.fmean(value for _, value in phase)
        residuals = [(day, value - centre) for day, value in phase]
        squares += sum(r * r for _, r in residuals)
        products += sum(
            r1 * r2 for (d1, r1), (d2, r2) in itertools.pairwise(residuals) if (d2 - d1).days == 1
        )
    return products / squares if squares > 0 else 0.0


def effective_n(n: int, rho: float) -> float:
    """The number of independent ratings that carry as much information as ``n``
    AR(1)-autocorrelated ones: n·(1 − ρ)/(1 + ρ), never below 1."""
    if n < 1:
        raise ValueError("effective_n needs at least one rating")
    return max(1.0, n * (1 - rho) / (1 + rho))


def daily_change(
    baseline: Sequence[tuple[date, float]],
    now: Sequence[tuple[date, float]],
    rules: DecisionRules = DEFAULT_RULES,
) -> DailyChange:
    """Compare the mean of ``now`` with the mean of ``baseline`` (each non-empty):
    z = (m_now − m_base) / (s·√(1/n'_base + 1/n'_now)), s the pooled within-phase SD
    (at least ``min_sd``), n' the effective n for the pooled lag-1 autocorrelation ρ
    (clamped to [0, max_autocorrelation])."""
    if not baseline or not now:
        raise ValueError("both phases need at least one rating")
    base_values = [value for _, value in baseline]
    now_values = [value for _, value in now]
    base_mean, now_mean = statistics.fmean(base_values), statistics.fmean(now_values)
    sum_squares = sum((v - base_mean) ** 2 for v in base_values) + sum(
        (v - now_mean) ** 2 for v in now_values
    )
    dof = len(base_values) - 1 + len(now_values) - 1
    sd = max(math.sqrt(sum_squares / dof) if dof > 0 else 0.0, rules.min_sd)
    rho = min(max(lag1_autocorrelation((baseline, now)), 0.0), rules.max_autocorrelation)
    n_base, n_now = effective_n(len(base_values), rho), effective_n(len(now_values), rho)
    se = sd * math.sqrt(1 / n_base + 1 / n_now)
    difference = now_mean - base_mean
    z = difference / se
    if z > rules.reliable_z:
        direction = Direction.IMPROVED
    elif z < -rules.reliable_z:
        direction = Direction.DETERIORATED
    else:
        direction = Direction.NO_RELIABLE_CHANGE
    return DailyChange(difference, sd, rho, n_base, n_now, se, z, direction)


def daily_values(ratings: Iterable[tuple[date, int | float]]) -> list[tuple[date, float]]:
    """One value per local day (several ratings of a day: their mean), oldest first."""
    pairs = list(ratings)
    if all(earlier[0] < later[0] for earlier, later in itertools.pairwise(pairs)):
        # One rating a day, oldest first (what the review reads): nothing to merge or sort.
        return [(day, float(value)) for day, value in pairs]
    by_day: dict[date, list[float]] = defaultdict(list)
    for day, value in pairs:
        by_day[day].append(float(value))
    return [(day, sum(values) / len(values)) for day, values in sorted(by_day.items())]


def goal_trend(
    ratings: Iterable[tuple[date, int | float]],
    as_of: date,
    *,
    intake: float | None = None,
    started: date | None = None,
    rules: DecisionRules = DEFAULT_RULES,
) -> GoalTrend:
    """The trend of one goal at the end of local day ``as_of`` (later ratings ignored).

    ``intake``: a rating given at intake, used as the baseline instead of the first days.
    ``started``: the first day of care (default: the first rating), for the week number.
    """
    days = [(day, value) for day, value in daily_values(ratings) if day <= as_of]
    first = started or (days[0][0] if days else as_of)
    week = max(0, (as_of - first).days) // 7 + 1
    window_start = as_of - timedelta(days=rules.window_days - 1)
    recent = [value for day, value in days if day >= window_start]
    week_mean = statistics.fmean(recent) if recent else None
    slope_start = as_of - timedelta(days=rules.slope_days - 1)
    slope = theil_sen(
        [(float((day - first).days), value) for day, value in days if day >= slope_start]
    )
    silent = (as_of - days[-1][0]).days if days else None
    total = len(days) + (intake is not None)
    if total < rules.min_ratings:
        return GoalTrend(len(days), week, None, week_mean, None, slope, None, silent)

    if intake is not None:
        base_days: list[tuple[date, float]] = [(first - timedelta(days=1), float(intake))]
        kind, rest = BaselineKind.INTAKE, days
    else:
        size = rules.baseline_days if len(days) >= 2 * rules.baseline_days else len(days) // 2
        kind = BaselineKind.FIRST_WEEK if size >= rules.baseline_days else BaselineKind.FIRST_DAYS
        base_days, rest = days[:size], days[size:]
    base_values = [value for _, value in base_days]
    baseline = Baseline(
        kind,
        statistics.fmean(base_values),
        _sample_stdev(base_values) if len(base_values) > 1 else None,
        len(base_values),
    )
    now = [(day, value) for day, value in rest if day >= window_start]
    if not now:
        return GoalTrend(len(days), week, baseline, week_mean, None, slope, None, silent)
    change = daily_change(base_days, now, rules)
    few = len(now) < rules.min_phase_ratings or (
        intake is None and len(base_days) < rules.min_phase_ratings
    )
    if few:
        change = replace(change, direction=Direction.NO_RELIABLE_CHANGE)
    return GoalTrend(
        len(days),
        week,
        baseline,
        week_mean,
        statistics.fmean(value for _, value in now),
        slope,
        change,
        silent,
    )


def _sample_stdev(values: Sequence[float]) -> float:
    """The sample standard deviation in plain floats: ``statistics.stdev`` computes it
    exactly with fractions, which took a third of the traffic light's time on a caseload
    of 200 (ratings are small integers; floats lose nothing that matters here)."""
    centre = math.fsum(values) / len(values)
    return math.sqrt(math.fsum((value - centre) ** 2 for value in values) / (len(values) - 1))
