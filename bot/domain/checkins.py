"""Check-in rules that need no database: which strategies are due on a day, low ratings,
and the line of encouragement /progress draws from a client's own data."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from statistics import mean

#: A self-rating at or below this, twice in a row for one goal, gets a gentle word.
LOW_RATING = 2


def strategy_due(
    frequency: str,
    day: date,
    *,
    weekdays: int | None = None,
    times_per_week: int | None = None,
    done_this_week: int = 0,
) -> bool:
    """Whether a strategy is asked about on ``day``.

    daily: every day; weekdays: on the days of the bitmask (Monday = bit 0);
    times_per_week: every day of the ISO week until it was done that many times.
    """
    if frequency == "daily":
        return True
    if frequency == "weekdays":
        return bool((weekdays or 0) & (1 << day.weekday()))
    if frequency == "times_per_week":
        return done_this_week < (times_per_week or 0)
    return False


def week_start(day: date) -> date:
    """The Monday of ``day``'s ISO week."""
    return day - timedelta(days=day.weekday())


def two_low_in_a_row(previous: int | None, current: int) -> bool:
    return previous is not None and previous <= LOW_RATING and current <= LOW_RATING


@dataclass(frozen=True)
class Encouragement:
    """Which line to show, and what fills it (``kind`` picks the sentence)."""

    kind: str  # "trend_up", "strategy", "best_day", "showing_up", "first", "care"
    goal_id: int | None = None
    strategy_id: int | None = None
    day: date | None = None
    value: int | None = None
    count: int = 0


def encouragement(
    ratings: Mapping[int, Sequence[tuple[date, int]]],
    strategies_done: Mapping[int, int],
    *,
    today: date,
    after_crisis: bool = False,
) -> Encouragement:
    """One line drawn from the client's own data, never blaming.

    In order: a goal whose last 7 days average at least one point above the 7 before;
    the strategy done most often; the best-rated day; else simply that they showed up.
    Shortly after the client wrote crisis language (``after_crisis``) nothing is
    celebrated: a "best day" or a rising trend would read as not having been heard.
    """
    if after_crisis:
        return Encouragement("care")
    week_ago, two_weeks_ago = today - timedelta(days=7), today - timedelta(days=14)
    for goal_id, points in sorted(ratings.items()):
        recent = [v for d, v in points if d > week_ago]
        before = [v for d, v in points if two_weeks_ago < d <= week_ago]
        if recent and before and mean(recent) - mean(before) >= 1:
            return Encouragement("trend_up", goal_id=goal_id)
    if strategies_done:
        strategy_id, count = max(strategies_done.items(), key=lambda item: (item[1], -item[0]))
        if count > 0:
            return Encouragement("strategy", strategy_id=strategy_id, count=count)
    best: tuple[int, date, int] | None = None
    for goal_id, points in ratings.items():
        for day, value in points:
            if best is None or (value, day) > (best[2], best[1]):
                best = (goal_id, day, value)
    if best is not None and best[2] > 0:
        return Encouragement("best_day", goal_id=best[0], day=best[1], value=best[2])
    days = len({d for points in ratings.values() for d, _v in points})
    if days:
        return Encouragement("showing_up", count=days)
    return Encouragement("first")
