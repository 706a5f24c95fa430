"""Accelerated time for the offline demo: days pass in seconds, the code stays the same.

The bot reads the time in many places (``utcnow()``, ``datetime.now``, the fake
Telegram's message dates). Rather than thread a clock object through every one
of them for the demo's sake, time-machine moves the wall clock of the whole
process: every reader agrees on the simulated instant, and the event loop's own
monotonic clock (timeouts, rate limits) keeps running at real speed.

Between jumps, :func:`run_due_work` runs each of the application's periodic jobs
once, as the job queue would when their time came, so a jump of a day is
followed at once by that day's check-ins, lessons and digests.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Self

import time_machine
from sqlalchemy import func, select
from telegram.ext import Application

from bot.db.models import OutboxMessage, OutboxStatus


class SimulatedClock:
    """The process's wall clock, started at ``start`` and moved forward on request."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("the simulated clock starts at an aware instant")
        self._traveller = time_machine.travel(start, tick=True)
        self._coordinates: time_machine.Traveller | None = None

    def __enter__(self) -> Self:
        self._coordinates = self._traveller.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._traveller.stop()
        self._coordinates = None

    @staticmethod
    def now() -> datetime:
        return datetime.now(UTC)

    def advance_to(self, moment: datetime) -> None:
        """Jump forward (never back: the bot must never see time run backwards)."""
        if self._coordinates is None:
            raise RuntimeError("the clock is not running")
        if moment > self.now():
            self._coordinates.move_to(moment, tick=True)

    def advance(self, delta: timedelta) -> None:
        self.advance_to(self.now() + delta)


async def run_due_work(application: Application, *, settle: float = 10.0) -> None:
    """Run every periodic job once, then wait until nothing due is left to send."""
    if application.job_queue is None:
        raise RuntimeError("the application was built without its job queue")
    for job in sorted(application.job_queue.jobs(), key=lambda job: job.name or ""):
        await job.run(application)
    sessions = application.bot_data["services"].sessions
    loop = asyncio.get_running_loop()
    deadline = loop.time() + settle
    while loop.time() < deadline:
        async with sessions() as session:
            waiting = await session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(
                    OutboxMessage.status.in_((OutboxStatus.PENDING, OutboxStatus.SENDING)),
                    OutboxMessage.available_at <= datetime.now(UTC),
                    # Past its window it is expired, not sent: nothing to wait for.
                    OutboxMessage.expires_at > datetime.now(UTC),
                )
            )
        if not waiting:
            return
        await asyncio.sleep(0.02)
