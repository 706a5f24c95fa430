"""A client's streak, recomputed from their check-ins whenever a day resolves.

Days without a check-in row (paused, not asked) are invisible; a skipped day is
treated like a paused one (no blame, no count); an open day never breaks anything.
The history read is bounded (``HISTORY_DAYS``), and the sweep recomputes all its
clients with one query.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

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


async def recompute(
    session: AsyncSession, user_ids: Iterable[int], *, now: datetime, grace_days: int
) -> dict[int, Streak]:
    """Recompute and store the streaks of ``user_ids`` (two queries per 500 clients).

    The best is never lowered; the last celebrated milestone is forgotten when the
    streak falls below it, so reaching it again is celebrated again. Does not commit.
    """
    ids = sorted(set(user_ids))
    results: dict[int, Streak] = {}
    # In chunks: memory stays bounded when a sweep closes thousands of check-ins at once.
    for start in range(0, len(ids), CHUNK):
        results.update(await _recompute_chunk(session, ids[start : start + CHUNK], now, grace_days))
    return results


async def _recompute_chunk(
    session: AsyncSession, ids: list[int], now: datetime, grace_days: int
) -> dict[int, Streak]:
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
    states = {
        state.user_id: state
        for state in await session.scalars(select(StreakState).where(StreakState.user_id.in_(ids)))
    }
    results: dict[int, Streak] = {}
    for user_id in ids:
        result = streak(days.get(user_id, []), grace_days=grace_days)
        results[user_id] = result
        state = states.get(user_id)
        if state is None:
            state = StreakState(user_id=user_id, current=0, best=0, milestone=0)
            session.add(state)
        state.current = result.current
        state.best = max(state.best or 0, result.best)
        if result.current < (state.milestone or 0):
            state.milestone = 0
        state.through_date = resolved.get(user_id)
        state.updated_at = now
    await session.flush()
    return results


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
    result = (await recompute(session, [user_id], now=now, grace_days=grace_days))[user_id]
    state = await session.get(StreakState, user_id)
    assert state is not None
    milestone = milestone_reached(state.milestone or 0, state.current)
    if milestone is not None:
        state.milestone = milestone
    welcome_back = result.current == 1 and result.broken_on is not None and milestone is None
    return Celebration(state.current, state.best, milestone, welcome_back)


async def current(session: AsyncSession, user_id: int) -> tuple[int, int]:
    """The stored (current, best) streak."""
    state = await session.get(StreakState, user_id)
    return (0, 0) if state is None else (state.current, state.best)
