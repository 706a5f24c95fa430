"""Goal Attainment Scaling: the Kiresuk–Sherman T-score.

Each goal is rated on five levels, −2 (much less than expected) … 0 (expected)
… +2 (much more than expected). The summary T-score is

    T = 50 + 10·Σ(wᵢxᵢ) / √((1 − ρ)·Σwᵢ² + ρ·(Σwᵢ)²)

with ρ = 0.3, the conventional assumed correlation between goal scales
(Kiresuk & Sherman, 1968). T = 50 when every goal is at its expected level.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from bot.domain.decision import GAS_MIN_GOALS, GAS_REVIEW_POINTS, WINDOW_DAYS

GAS_LEVELS = (-2, -1, 0, 1, 2)
DEFAULT_RHO = 0.3


def t_score(
    levels: Sequence[int], weights: Sequence[float] | None = None, *, rho: float = DEFAULT_RHO
) -> float:
    """The GAS T-score of goal levels (−2 … +2), equally weighted unless weights are given."""
    if not levels:
        raise ValueError("a T-score needs at least one goal")
    if any(level not in GAS_LEVELS for level in levels):
        raise ValueError("GAS levels are integers from -2 to +2")
    weights = [1.0] * len(levels) if weights is None else list(weights)
    if len(weights) != len(levels) or any(weight <= 0 for weight in weights):
        raise ValueError("one positive weight per goal")
    weighted = sum(w * x for w, x in zip(weights, levels, strict=True))
    spread = (1 - rho) * sum(w * w for w in weights) + rho * sum(weights) ** 2
    return 50 + 10 * weighted / math.sqrt(spread)


# Item 7 of issue 17: when the T-score is shown, and when a goal's level is worth reviewing.


class GasShown(StrEnum):
    HIDDEN = "hidden"  # no goal scored: nothing to show
    ONE_GOAL = "one_goal"  # one goal scored: shown, labelled as one goal's
    SHOWN = "shown"  # enough goals for a summary T-score


@dataclass(frozen=True)
class GasSummary:
    shown: GasShown
    t: float | None  # None when hidden
    goals: int  # goals scored


def summary(levels: Sequence[int], *, min_goals: int = GAS_MIN_GOALS) -> GasSummary:
    """Whether and how to show the T-score: a summary needs ``min_goals`` scored goals
    (Kiresuk & Sherman's T assumes several scales); one goal's is labelled as such."""
    if not levels:
        return GasSummary(GasShown.HIDDEN, None, 0)
    kind = GasShown.SHOWN if len(levels) >= min_goals else GasShown.ONE_GOAL
    return GasSummary(kind, t_score(levels), len(levels))


@dataclass(frozen=True)
class GasReview:
    """A goal's ratings moved ``delta`` points since its GAS level was recorded."""

    goal_number: int
    title: str
    level: int
    recorded_on: date
    before: float  # mean of the ratings in the days up to the recording
    now: float  # mean of the latest ratings after it
    delta: float


def review_due(
    goal_number: int,
    title: str,
    level: int,
    recorded_on: date,
    ratings: Iterable[tuple[date, int | float]],
    as_of: date,
    *,
    points: float = GAS_REVIEW_POINTS,
    window_days: int = WINDOW_DAYS,
) -> GasReview | None:
    """Suggest reviewing a goal's GAS level when the mean of its latest ``window_days``
    of ratings (after the recording) is ``points`` or more away from the mean of the
    ``window_days`` up to and including the day the level was recorded."""
    values = list(ratings)
    before = [
        float(v) for d, v in values if recorded_on - timedelta(days=window_days) < d <= recorded_on
    ]
    now = [
        float(v)
        for d, v in values
        if recorded_on < d <= as_of and as_of - timedelta(days=window_days) < d
    ]
    if not before or not now:
        return None
    before_mean, now_mean = statistics.fmean(before), statistics.fmean(now)
    delta = now_mean - before_mean
    if abs(delta) < points:
        return None
    return GasReview(goal_number, title, level, recorded_on, before_mean, now_mean, delta)
