"""A client's streak, recomputed from their check-ins whenever a day resolves.

Days without a check-in row (paused, not asked) are invisible; a skipped day is
treated like a paused one (no blame, no count); an open day never breaks anything.
The history read is bounded (``HISTORY_DAYS``), and the sweep recomputes all its
clients with one query and one upsert.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Insert, case, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.base import table_of
from bot.db.dialect_insert import insert_for
from bot.db.models import Checkin, CheckinStatus, StreakState
from bot.domain.streaks import Day, Streak, milestone_reached, streak

#: Longer than the longest milestone (365) plus the pauses a year may hold.
HISTORY_DAYS = 400
#: Clients recomputed per query.
CHUNK = 500

_DAY = {
    CheckinStatus.ANSWERED: Day.ANSWERED,
    CheckinStatus.MISSED: Day.MISSED,
    CheckinStatus.SKIPPED: Day.PAUSED,
    CheckinStatus.OPEN: Day.PENDING,
}


@dataclass(frozen=True)
class Stored:
    """A client's streak as stored after a recompute."""

    streak: Streak
    current: int
    best: int
    milestone: int  # the last milestone celebrated (0: none since the streak last fell)


async def recompute(
    session: AsyncSession, user_ids: Iterable[int], *, now: datetime, grace_days: int
) -> dict[int, Stored]:
    """Recompute and store the streaks of ``user_ids`` (two statements per 500 clients).

    The best is never lowered; the last celebrated milestone is forgotten when the
    streak falls below it, so reaching it again is celebrated again. Does not commit.
    """
    ids = sorted(set(user_ids))
    results: dict[int, Stored] = {}
    # In chunks: memory stays bounded when a sweep closes thousands of check-ins at once.
    for start in range(0, len(ids), CHUNK):
        results.update(await _recompute_chunk(session, ids[start : start + CHUNK], now, grace_days))
    return results


async def _recompute_chunk(
    session: AsyncSession, ids: list[int], now: datetime, grace_days: int
) -> dict[int, Stored]:
    since = now.date() - timedelta(days=HISTORY_DAYS)
    rows = await session.execute(
        select(Checkin.user_id, Checkin.local_date, Checkin.status).where(
            Checkin.user_id.in_(ids), Checkin.local_date >= since
        )
    )
    days: dict[int, list[tuple[date, Day]]] = defaultdict(list)
    resolved: dict[int, date] = {}
    for user_id, local_date, status in rows:
        days[user_id].append((local_date, _DAY[CheckinStatus(status)]))
        if status is not CheckinStatus.OPEN:
            resolved[user_id] = max(resolved.get(user_id, local_date), local_date)
    computed = {user_id: streak(days.get(user_id, []), grace_days=grace_days) for user_id in ids}
    values = [
        {
            "user_id": user_id,
            "current": result.current,
            "best": result.best,
            "milestone": 0,
            "through_date": resolved.get(user_id),
            "updated_at": now,
        }
        for user_id, result in computed.items()
    ]
    # One multi-row statement (an executemany would run one upsert per client).
    stored = await session.execute(_upsert(session.get_bind().dialect.name).values(values))
    return {
        row.user_id: Stored(computed[row.user_id], row.current, row.best, row.milestone)
        for row in stored
    }


#: How far back the sweep looks for answered check-ins whose streak is behind (the
#: sweep runs every few minutes; this only covers a bot that was down for a while).
BEHIND_LOOKBACK = timedelta(days=2)


async def refresh(
    session: AsyncSession, *, now: datetime, grace_days: int, user_id: int | None = None
) -> int:
    """Recompute the streaks that lag behind an answered check-in (of ``user_id`` or of
    everyone): a press leaves the streak to the end of the check-in, so a check-in left
    unfinished is counted here. One query, then :func:`recompute`. Does not commit."""
    behind = (
        select(Checkin.user_id)
        .distinct()
        .outerjoin(StreakState, StreakState.user_id == Checkin.user_id)
        .where(
            Checkin.status == CheckinStatus.ANSWERED,
            Checkin.closes_at > now - BEHIND_LOOKBACK,
            or_(StreakState.updated_at.is_(None), StreakState.updated_at < Checkin.answered_at),
        )
    )
    if user_id is not None:
        behind = behind.where(Checkin.user_id == user_id)
    ids = list(await session.scalars(behind))
    if ids:
        await recompute(session, ids, now=now, grace_days=grace_days)
    return len(ids)


@functools.cache
def _upsert(dialect: str) -> Insert:
    """Store computed streaks, the rules in SQL so no row is read first: the best is
    never lowered, a celebrated milestone above the new streak is forgotten. Built once
    per database (building it costs more than running it); ``.values(rows)`` per use."""
    table = StreakState.__table__
    insert = insert_for(dialect, table)
    new = insert.excluded
    return insert.on_conflict_do_update(
        index_elements=[table.c.user_id],
        set_={
            "current": new.current,
            "best": case((new.best > table.c.best, new.best), else_=table.c.best),
            "milestone": case((new.current < table.c.milestone, 0), else_=table.c.milestone),
            "through_date": new.through_date,
            "updated_at": new.updated_at,
        },
    ).returning(table.c.user_id, table.c.current, table.c.best, table.c.milestone)


@dataclass(frozen=True)
class Celebration:
    current: int
    best: int
    milestone: int | None  # reached now, not celebrated before
    welcome_back: bool  # the first day of a new streak after an earlier one broke


async def celebrate(
    session: AsyncSession, user_id: int, *, now: datetime, grace_days: int
) -> Celebration:
    """At the end of a check-in: the streak, and whether a milestone or a welcome back is due.

    A milestone is marked celebrated here, so it is said once. Does not commit.
    """
    stored = (await recompute(session, [user_id], now=now, grace_days=grace_days))[user_id]
    milestone = milestone_reached(stored.milestone, stored.current)
    if milestone is not None:
        await session.execute(
            update(table_of(StreakState))
            .where(table_of(StreakState).c.user_id == user_id)
            .values(milestone=milestone)
        )
    welcome_back = stored.current == 1 and stored.streak.broken_on is not None and milestone is None
    return Celebration(stored.current, stored.best, milestone, welcome_back)


async def current(session: AsyncSession, user_id: int) -> tuple[int, int]:
    """The stored (current, best) streak."""
    state = await session.get(StreakState, user_id)
    return (0, 0) if state is None else (state.current, state.best)
