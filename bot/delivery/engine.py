"""The tick: sweep the outbox, then turn every due schedule into outbox rows, batch by batch.

One periodic job runs this in every instance (``SCHEDULER_TICK_SECONDS``); it is
safe to run anywhere, any number of times: leases, SKIP LOCKED and unique keys
make each slot one row and each row one send.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.base import utcnow
from bot.delivery.outbox import sweep
from bot.delivery.scheduling import Planning, enqueue_due_batch

logger = logging.getLogger(__name__)

# A tick stops after this many batches; the next tick continues (bounded work per run).
MAX_BATCHES_PER_TICK = 1000


@dataclass(frozen=True)
class TickResult:
    scheduled: int
    expired: int
    released: int


async def sweep_outbox(
    sessions: async_sessionmaker[AsyncSession], now: datetime
) -> tuple[int, int]:
    """Expire rows whose window passed, release lapsed leases; one log line per expired row."""
    async with sessions() as session, session.begin():
        result = await sweep(session, now=now)
    for outbox_id, user_id, kind in result.expired:
        logger.info(
            "event=delivery.outcome outbox_id=%s user_id=%s kind=%s outcome=expired",
            outbox_id,
            user_id,
            kind,
        )
    if result.released:
        logger.warning("event=delivery.leases_released count=%s", result.released)
    return len(result.expired), result.released


async def tick(
    sessions: async_sessionmaker[AsyncSession], planning: Planning, now: datetime | None = None
) -> TickResult:
    now = now or utcnow()
    expired, released = await sweep_outbox(sessions, now)
    scheduled = 0
    for _ in range(MAX_BATCHES_PER_TICK):
        async with sessions() as session, session.begin():
            handled = await enqueue_due_batch(session, now=now, planning=planning)
        scheduled += handled
        if handled < planning.batch_size:
            break
    if scheduled:
        logger.info("event=delivery.tick scheduled=%s", scheduled)
    return TickResult(scheduled=scheduled, expired=expired, released=released)
