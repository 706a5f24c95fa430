"""Engagement in a window, counted the same way for every view: lessons delivered,
opened and finished, and strategies done of those due.

Pure functions of plain values (no database, no Telegram). The window is the one the
check-ins are counted in (``bot.domain.windows.review_week``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from bot.domain.checkins import strategy_due, week_start
from bot.domain.review import Week


@dataclass(frozen=True)
class LessonEvents:
    """One delivered lesson: its local days (None: not yet)."""

    delivered: date
    opened: date | None
    finished: date | None


@dataclass(frozen=True)
class Lessons:
    """Of the lessons delivered in the window: how many, opened, finished (by its end)."""

    delivered: int = 0
    opened: int = 0
    finished: int = 0


def lessons(events: Iterable[LessonEvents], week: Week) -> Lessons:
    """A funnel over the lessons delivered in ``week``: opened and finished count only
    those lessons, up to the window's last day (a lesson opened later counts later)."""
    delivered = [e for e in events if week.contains(e.delivered)]
    return Lessons(
        len(delivered),
        sum(1 for e in delivered if e.opened is not None and e.opened <= week.end),
        sum(1 for e in delivered if e.finished is not None and e.finished <= week.end),
    )


@dataclass(frozen=True)
class StrategyPlan:
    """A strategy as it stands: how often, since when, and whether it is asked now."""

    strategy_id: int
    frequency: str  # daily | weekdays | times_per_week
    since: date  # the local day it was added
    asked_now: bool  # active, on a goal that is active
    weekdays: int | None = None
    times_per_week: int | None = None


@dataclass(frozen=True)
class Strategies:
    done: int = 0
    due: int = 0


def strategies(
    plans: Iterable[StrategyPlan],
    asked_days: Iterable[date],
    answers: Mapping[tuple[int, date], bool],
    week: Week,
) -> Strategies:
    """Strategies done of those due on the days in ``week`` the client was asked to check
    in (answered or missed; a skipped day is the client's choice and counts no strategy).

    A strategy is due on a day when it was answered that day, or else when it was asked
    about then by its frequency (``bot.domain.checkins.strategy_due``; "N times a week"
    is due until done N times that ISO week) and existed and is asked now. ``answers`` is
    (strategy, local day) → done, from the Monday of the window's first week on.
    """
    days = sorted({day for day in asked_days if week.contains(day)})
    done_by_week: dict[tuple[int, date], list[date]] = defaultdict(list)
    for (strategy_id, day), was_done in answers.items():
        if was_done:
            done_by_week[(strategy_id, week_start(day))].append(day)
    done = due = 0
    for plan in plans:
        for day in days:
            answered = answers.get((plan.strategy_id, day))
            if answered is None:
                if not plan.asked_now or day < plan.since:
                    continue
                before = sum(
                    1 for d in done_by_week[(plan.strategy_id, week_start(day))] if d < day
                )
                if not strategy_due(
                    plan.frequency,
                    day,
                    weekdays=plan.weekdays,
                    times_per_week=plan.times_per_week,
                    done_this_week=before,
                ):
                    continue
            due += 1
            done += 1 if answered else 0
    return Strategies(done, due)
