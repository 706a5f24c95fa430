"""Helpers for the delivery tests: many users at once, waiting for the outbox to settle."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from datetime import time as time_of_day

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.base import utcnow
from bot.db.models import OutboxMessage, OutboxStatus, Role, Schedule, User, UserStatus
from bot.delivery import checkin_reminder
from bot.offline.fake_bot_api import ApiCall

FINAL = (OutboxStatus.SENT, OutboxStatus.FAILED, OutboxStatus.EXPIRED)


async def add_clients(
    session: AsyncSession,
    telegram_ids: Sequence[int],
    *,
    locale: str = "en",
    timezone: str = "Europe/Berlin",
    checkin: time_of_day = time_of_day(9, 0),
) -> dict[int, int]:
    """Active clients; returns telegram id -> user id. One statement, not one per client."""
    await session.execute(
        insert(User),
        [
            {
                "telegram_id": telegram_id,
                "role": Role.CLIENT,
                "status": UserStatus.ACTIVE,
                "locale": locale,
                "timezone": timezone,
                "checkin_time": checkin,
            }
            for telegram_id in telegram_ids
        ],
    )
    rows = await session.execute(
        select(User.telegram_id, User.id).where(User.telegram_id.in_(telegram_ids))
    )
    return dict(rows.all())


async def add_due_schedules(
    session: AsyncSession, user_ids: Sequence[int], *, due_at: datetime | None = None
) -> None:
    """A daily check-in reminder for each user, due now (or at ``due_at``)."""
    due = due_at or utcnow() - timedelta(seconds=1)
    await session.execute(
        insert(Schedule),
        [
            {
                "user_id": user_id,
                "kind": checkin_reminder.KIND,
                "weekdays": 127,
                "next_due_at": due,
                "next_slot_date": due.date(),
            }
            for user_id in user_ids
        ],
    )


async def status_counts(sessions: async_sessionmaker[AsyncSession]) -> dict[OutboxStatus, int]:
    async with sessions() as session:
        rows = await session.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        )
        return {OutboxStatus(status): count for status, count in rows.all()}


async def wait_until_settled(
    sessions: async_sessionmaker[AsyncSession], expected: int, within: float = 60.0
) -> dict[OutboxStatus, int]:
    """Waits until ``expected`` outbox rows exist and all of them are final."""
    deadline = time.monotonic() + within
    while True:
        counts = await status_counts(sessions)
        final = sum(counts.get(status, 0) for status in FINAL)
        if final >= expected and sum(counts.values()) == final:
            return counts
        if time.monotonic() > deadline:
            raise AssertionError(f"outbox did not settle within {within}s: {counts}")
        await asyncio.sleep(0.1)


def most_in_any_window(calls: Sequence[ApiCall], seconds: float) -> int:
    """The largest number of calls that arrived within any window of ``seconds``."""
    return most_in_any_window_of(sorted(call.time for call in calls), seconds)


def most_in_any_window_of(times: Sequence[float], seconds: float) -> int:
    """The most of ``times`` (sorted) within any window of ``seconds``."""
    most, start = 0, 0
    for end, arrived in enumerate(times):
        while arrived - times[start] >= seconds:
            start += 1
        most = max(most, end - start + 1)
    return most
