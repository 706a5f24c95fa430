"""One send limit for all the instances on one PostgreSQL database.

Each instance writes a heartbeat row every ``beat_seconds`` and counts the instances
seen in the last three beats; its rate limiter then allows ``RATE_LIMIT_PER_SECOND``
divided by that count, so together they stay at the configured rate and, with the
outbox full, each sends its share of it. Coordinated through the database the
instances already share, not through another server.

- An instance that joins others starts its sender only once every other live instance
  has counted it (each row says how many instances it counted when it took its share),
  so that the others have shrunk first (until then only its direct replies, at its
  share, go out); it waits at most ``JOIN_BEATS`` beats for a silent one.
- Heartbeats take turns (a transaction-level advisory lock): under READ COMMITTED,
  instances starting at the same moment would each count only their own new row and
  all take the whole rate. A heartbeat that stalls while it holds the lock loses its
  session after a beat, so that the others' heartbeats never wait longer.
- An instance that dies stops beating; the others count it for three beats more and
  send a little under the limit meanwhile, never over it.
- An instance that stalls (a starved or paused process, a database it cannot reach)
  may have been counted out by the others, who then take a larger share. Its share is
  a lease: once it has not beaten for ``LEASE_BEATS``, its sends wait, and they go on
  only when a heartbeat finds every other live instance counting it again.
- SQLite supports one instance: nothing to share, and nothing here runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.base import utcnow
from bot.db.dialect_insert import insert_for
from bot.db.models import InstanceHeartbeat
from bot.delivery.rate_limiter import TelegramRateLimiter
from bot.observability import metrics

logger = logging.getLogger(__name__)

LIVE_BEATS = 3  # an instance not seen for this many beats no longer counts
JOIN_BEATS = 5  # the longest a joiner waits for the others to count it
FORGET_BEATS = 30  # and its row goes after this many
# An instance's share lapses this many beats after its last heartbeat: half a beat before
# the others could count it out, for the difference between their clocks and its own.
LEASE_BEATS = LIVE_BEATS - 0.5
# pg_advisory_xact_lock's key for the heartbeats (any fixed number no other lock uses).
HEARTBEAT_LOCK = 0x4265_7477  # "Betw"


class SharedRate:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        limiter: TelegramRateLimiter,
        *,
        per_second: float,
        instance: str,
        beat_seconds: float = 2.0,
    ) -> None:
        self._sessions = sessions
        self._limiter = limiter
        self._per_second = per_second
        self._instance = instance
        self._beat = beat_seconds
        self._task: asyncio.Task[None] | None = None
        self._last_seen = 0.0  # loop time of the last heartbeat written
        self._joined = False  # the lease is kept from the end of join()
        self.instances = 1

    async def join(self) -> None:
        """Register; when others are running, wait until each has counted this one."""
        count = await self.beat()
        self._task = asyncio.create_task(self._run(), name="shared-send-rate")
        deadline = asyncio.get_running_loop().time() + self._beat * JOIN_BEATS
        counted = count == 1
        while not counted and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(self._beat / 10)
            async with self._sessions() as session:
                counted = not await self._behind(session, utcnow(), self.instances)
        if not counted:
            logger.warning("event=delivery.shared_rate_join_timeout instances=%s", count)
        self._joined = True
        self._renew()

    async def _behind(self, session: AsyncSession, now: datetime, count: int) -> int:
        """How many live instances have not yet counted ``count`` instances."""
        return (
            await session.scalar(
                select(func.count()).where(
                    InstanceHeartbeat.seen_at > now - timedelta(seconds=self._beat * LIVE_BEATS),
                    InstanceHeartbeat.instances < count,
                )
            )
            or 0
        )

    def _renew(self) -> None:
        self._limiter.hold_after(self._last_seen + self._beat * LEASE_BEATS)

    async def leave(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        with contextlib.suppress(Exception):  # the database may be gone: the row ages out
            async with self._sessions() as session, session.begin():
                await session.execute(
                    delete(InstanceHeartbeat).where(InstanceHeartbeat.instance == self._instance)
                )

    async def beat(self) -> int:
        """Say this instance is alive, count the live ones, take this one's share, and
        renew its lease if every other live instance counts it."""
        table = InstanceHeartbeat.__table__
        beat_ms = str(int(self._beat * 1000))
        async with self._sessions() as session, session.begin():
            await session.execute(
                select(
                    func.set_config("lock_timeout", beat_ms, True),
                    func.set_config("idle_in_transaction_session_timeout", beat_ms, True),
                )
            )
            await session.execute(select(func.pg_advisory_xact_lock(HEARTBEAT_LOCK)))
            now, seen = utcnow(), asyncio.get_running_loop().time()
            await session.execute(
                insert_for(session, table)
                .values(instance=self._instance, seen_at=now, instances=self.instances)
                .on_conflict_do_update(index_elements=["instance"], set_={"seen_at": now})
            )
            await session.execute(
                delete(InstanceHeartbeat).where(
                    InstanceHeartbeat.seen_at < now - timedelta(seconds=self._beat * FORGET_BEATS)
                )
            )
            live = await session.scalar(
                select(func.count()).where(
                    InstanceHeartbeat.seen_at > now - timedelta(seconds=self._beat * LIVE_BEATS)
                )
            )
            count = max(int(live or 1), 1)
            # The share is taken before the row says so: whoever waits on it may go.
            self._limiter.set_overall_rate(self._per_second / count)
            await session.execute(
                update(InstanceHeartbeat)
                .where(InstanceHeartbeat.instance == self._instance)
                .values(instances=count)
            )
            counted = not await self._behind(session, now, count)
        self._last_seen = seen
        if counted and self._joined:
            if self._limiter.holding:
                logger.warning("event=delivery.shared_rate_resumed instances=%s", count)
            self._renew()
        metrics.SEND_INSTANCES.set(count)
        if count != self.instances:
            logger.info("event=delivery.shared_rate instances=%s", count)
        self.instances = count
        return count

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._beat)
            try:
                await self.beat()
            except Exception as error:  # the database may be restarting: the lease runs on
                logger.warning("event=delivery.shared_rate_failed error=%r", error)
