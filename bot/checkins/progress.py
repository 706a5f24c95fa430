"""/progress as a use case: a client's last four weeks as plain data.

The streak, the ratings per goal, and the one line of encouragement found in their
own data; the front door draws the chart (``bot.charts``) and words it
(``bot.checkins.messages``). Reads only: takes the session, never commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.checkins import streaks
from bot.db.models import Checkin, Goal, GoalRating, SafetyFlag, Strategy, StrategyAnswer
from bot.domain.checkins import Encouragement, encouragement

PROGRESS_DAYS = 28
#: After crisis language on one of these last days, /progress celebrates nothing.
CARE_DAYS = 3


@dataclass(frozen=True)
class GoalSeries:
    """One goal's ratings in the period, oldest first."""

    goal_id: int
    title: str | None
    points: tuple[tuple[date, int], ...]
    target_date: date | None = None  # the goal's "by when", marked on the chart


@dataclass(frozen=True)
class Progress:
    today: date
    current: int  # the streak
    best: int
    series: tuple[GoalSeries, ...]  # goals rated in the period, the first rated first
    encouragement: Encouragement  # what the line of encouragement is about
    goal_titles: dict[int, str | None]
    strategy_titles: dict[int, str | None]  # strategies done in the period

    @property
    def has_ratings(self) -> bool:
        return bool(self.series)


async def progress(session: AsyncSession, *, user_id: int, today: date) -> Progress:
    """The client's last :data:`PROGRESS_DAYS` days up to ``today`` (their local date)."""
    since = today - timedelta(days=PROGRESS_DAYS - 1)
    rows = (
        await session.execute(
            select(GoalRating.goal_id, GoalRating.local_date, GoalRating.value)
            .where(GoalRating.user_id == user_id, GoalRating.local_date >= since)
            .order_by(GoalRating.local_date)
        )
    ).all()
    done_counts: dict[int, int] = {}
    for strategy_id in (
        await session.scalars(
            select(StrategyAnswer.strategy_id)
            .join(Checkin, Checkin.id == StrategyAnswer.checkin_id)
            .where(
                Checkin.user_id == user_id,
                Checkin.local_date >= since,
                StrategyAnswer.done.is_(True),
            )
        )
    ).all():
        done_counts[strategy_id] = done_counts.get(strategy_id, 0) + 1
    goal_ids = {row.goal_id for row in rows}
    goal_rows = (
        await session.scalars(select(Goal).where(Goal.id.in_(goal_ids), Goal.user_id == user_id))
    ).all()
    goals: dict[int, str | None] = {goal.id: goal.title for goal in goal_rows}
    target_dates = {goal.id: goal.target_date for goal in goal_rows}
    strategies: dict[int, str | None] = {
        s.id: s.title
        for s in await session.scalars(select(Strategy).where(Strategy.id.in_(done_counts)))
    }
    current, best = await streaks.current(session, user_id)
    # Counted in whole UTC days: a few hours either way matter less than never
    # celebrating right after a crisis message.
    care_since = datetime.combine(today - timedelta(days=CARE_DAYS), time(0), tzinfo=UTC)
    after_crisis = (
        await session.scalar(
            select(SafetyFlag.id)
            .where(SafetyFlag.user_id == user_id, SafetyFlag.created_at >= care_since)
            .limit(1)
        )
    ) is not None
    points: dict[int, list[tuple[date, int]]] = {}
    for row in rows:
        points.setdefault(row.goal_id, []).append((row.local_date, row.value))
    return Progress(
        today=today,
        current=current,
        best=best,
        series=tuple(
            GoalSeries(goal_id, goals.get(goal_id), tuple(day_values), target_dates.get(goal_id))
            for goal_id, day_values in points.items()
        ),
        encouragement=encouragement(points, done_counts, today=today, after_crisis=after_crisis),
        goal_titles=goals,
        strategy_titles=strategies,
    )
