"""A practitioner's changes to a client's goals: create, edit, pause, resume, achieve,
drop, describe GAS levels, add strategies.

Every change of wording or status first writes the goal as it was to
``goal_revisions`` and bumps ``version``; ratings point at the goal and are
never touched. Goals are numbered for the practitioner by their order of
creation (drafts left out). Use cases take a session and never commit.
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.base import utcnow
from bot.db.models import (
    GasLevel,
    Goal,
    GoalRevision,
    GoalStatus,
    Strategy,
    StrategyFrequency,
)
from bot.domain.goal_commands import Frequency, FrequencyKind, Verb

LISTED = (GoalStatus.ACTIVE, GoalStatus.PAUSED, GoalStatus.ACHIEVED, GoalStatus.DROPPED)
#: "Goal n" of a client, everywhere (/goals, /goal, /gas, the digest, the client view):
#: the n-th listed goal in the order they stopped being drafts. A number never moves:
#: a new goal comes last, and finished ones stay listed. A goal written straight into
#: the table (an import) counts from its creation.
NUMBER_ORDER = (func.coalesce(Goal.listed_at, Goal.created_at), Goal.id)
OPEN = (GoalStatus.ACTIVE, GoalStatus.PAUSED)

# What each verb makes of a goal, and from which states.
TRANSITIONS: dict[Verb, tuple[tuple[GoalStatus, ...], GoalStatus]] = {
    Verb.PAUSE: ((GoalStatus.ACTIVE,), GoalStatus.PAUSED),
    Verb.RESUME: ((GoalStatus.PAUSED,), GoalStatus.ACTIVE),
    Verb.ACHIEVE: (OPEN, GoalStatus.ACHIEVED),
    Verb.DROP: (OPEN, GoalStatus.DROPPED),
}


async def numbered_goals(session: AsyncSession, client_id: int) -> list[Goal]:
    """The client's goals, numbered (``NUMBER_ORDER``): goal n is ``[n - 1]``."""
    rows = await session.scalars(
        select(Goal)
        .where(Goal.user_id == client_id, Goal.status.in_(LISTED))
        .order_by(*NUMBER_ORDER)
        .limit(200)
    )
    return list(rows)


async def goal_number(session: AsyncSession, client_id: int, number: int) -> Goal | None:
    goals = await numbered_goals(session, client_id)
    return goals[number - 1] if 1 <= number <= len(goals) else None


def snapshot(goal: Goal) -> str:
    return json.dumps(
        {
            "title": goal.title,
            "anchor_low": goal.anchor_low,
            "anchor_high": goal.anchor_high,
            "confidence": goal.confidence,
            "why": goal.why,
            "target_date": goal.target_date.isoformat() if goal.target_date else None,
            "status": goal.status.value,
        },
        ensure_ascii=False,
    )


async def _revise(session: AsyncSession, goal: Goal, changed_by_id: int, now: datetime) -> None:
    """Keep the goal as it is now in its history, then bump its version."""
    session.add(
        GoalRevision(
            goal_id=goal.id,
            version=goal.version,
            changed_by_id=changed_by_id,
            changed_at=now,
            snapshot=snapshot(goal),
        )
    )
    goal.version += 1
    await session.flush()


async def create(session: AsyncSession, client_id: int, by_id: int, title: str) -> Goal:
    goal = Goal(
        user_id=client_id,
        created_by_id=by_id,
        status=GoalStatus.ACTIVE,
        title=title,
        version=1,
        listed_at=utcnow(),
    )
    session.add(goal)
    await session.flush()
    return goal


async def edit(session: AsyncSession, goal: Goal, by_id: int, title: str, now: datetime) -> bool:
    """New wording; False when it is the same already (nothing written)."""
    if goal.title == title:
        return False
    await _revise(session, goal, by_id, now)
    goal.title = title
    await session.flush()
    return True


def may_change(goal: Goal, verb: Verb) -> bool:
    allowed_from, _to = TRANSITIONS[verb]
    return goal.status in allowed_from


async def change_status(
    session: AsyncSession, goal: Goal, by_id: int, verb: Verb, now: datetime
) -> None:
    _from, to = TRANSITIONS[verb]
    await _revise(session, goal, by_id, now)
    goal.status = to
    goal.closed_at = now if to in (GoalStatus.ACHIEVED, GoalStatus.DROPPED) else None
    await session.flush()


async def set_gas_level(session: AsyncSession, goal: Goal, level: int, description: str) -> bool:
    """Describe one GAS level; True when it replaced an earlier description."""
    row = await session.scalar(
        select(GasLevel).where(GasLevel.goal_id == goal.id, GasLevel.level == level)
    )
    if row is None:
        session.add(GasLevel(goal_id=goal.id, level=level, description=description))
        await session.flush()
        return False
    row.description = description
    await session.flush()
    return True


async def gas_levels(session: AsyncSession, goal_ids: list[int]) -> dict[int, dict[int, str]]:
    rows = await session.scalars(
        select(GasLevel).where(GasLevel.goal_id.in_(goal_ids)).order_by(GasLevel.level)
    )
    found: dict[int, dict[int, str]] = {}
    for row in rows:
        found.setdefault(row.goal_id, {})[row.level] = row.description
    return found


async def strategies(session: AsyncSession, goal_ids: list[int]) -> dict[int, list[Strategy]]:
    rows = await session.scalars(
        select(Strategy)
        .where(Strategy.goal_id.in_(goal_ids), Strategy.active.is_(True))
        .order_by(Strategy.id)
    )
    found: dict[int, list[Strategy]] = {}
    for row in rows:
        found.setdefault(row.goal_id, []).append(row)
    return found


_KINDS = {
    FrequencyKind.DAILY: StrategyFrequency.DAILY,
    FrequencyKind.TIMES_PER_WEEK: StrategyFrequency.TIMES_PER_WEEK,
    FrequencyKind.WEEKDAYS: StrategyFrequency.WEEKDAYS,
}


async def add_strategy(
    session: AsyncSession, goal: Goal, by_id: int, title: str, frequency: Frequency
) -> Strategy:
    strategy = Strategy(
        goal_id=goal.id,
        created_by_id=by_id,
        title=title,
        frequency=_KINDS[frequency.kind],
        times_per_week=frequency.times_per_week,
        weekdays=frequency.weekdays,
        active=True,
    )
    session.add(strategy)
    await session.flush()
    return strategy


async def strategy_number(session: AsyncSession, goal: Goal, number: int) -> Strategy | None:
    """Strategy ``number`` of a goal as /goals numbers them (its active ones, oldest first)."""
    found = (await strategies(session, [goal.id])).get(goal.id, [])
    return found[number - 1] if 1 <= number <= len(found) else None


async def edit_strategy(
    session: AsyncSession, strategy: Strategy, title: str | None, frequency: Frequency | None
) -> bool:
    """A new wording and/or frequency, in place: the days already answered stay with it
    and its number in /goals stays the same. False when nothing would change."""
    title = title if title is not None else strategy.title
    frequency = frequency if frequency is not None else frequency_of(strategy)
    if title == strategy.title and frequency == frequency_of(strategy):
        return False
    strategy.title = title
    strategy.frequency = _KINDS[frequency.kind]
    strategy.times_per_week = frequency.times_per_week
    strategy.weekdays = frequency.weekdays
    await session.flush()
    return True


async def stop_strategy(session: AsyncSession, strategy: Strategy) -> None:
    """No longer asked about; its answers are kept."""
    strategy.active = False
    await session.flush()


def frequency_of(strategy: Strategy) -> Frequency:
    kind = {v: k for k, v in _KINDS.items()}[strategy.frequency]
    return Frequency(kind, strategy.times_per_week, strategy.weekdays)
