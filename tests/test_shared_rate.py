"""Three `python -m bot run` processes on one PostgreSQL database share one send limit
(issue 19, item 3): together at or under RATE_LIMIT_PER_SECOND in every second, and at
90 % of it or more while the outbox is full. SQLite supports a single instance."""

from __future__ import annotations

import asyncio
import os
import time
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db import migrate
from bot.db.base import utcnow
from bot.db.models import OutboxMessage, OutboxStatus
from bot.db.session import create_engine, create_session_factory
from bot.delivery import notices, outbox
from bot.delivery.rate_limiter import TelegramRateLimiter
from bot.delivery.shared_rate import SharedRate
from bot.observability import metrics
from bot.offline.fake_bot_api import FakeBotApi
from tests.delivery_support import add_clients, most_in_any_window, most_in_any_window_of
from tests.test_delivery_instances import _at_least, bot_run, wait_for
from tests.test_run_command import bot_environment

# About 25 s of a full outbox at RATE: under a loaded CI run (four workers on two cores)
# the fake's server thread, which shares this process, stalls now and then, and a stretch
# of 900 (15 s) left too few five-second windows without a stall (53.8/s measured once,
# 57/s when the test runs alone).
PROMPTS = 1500
RATE = 60  # messages per second, for the three instances together
FIRST_CLIENT = 50_000
BEAT = 2.0  # seconds: SharedRate's heartbeat
STRETCH = 5.0  # seconds over which the rate reached is read


async def test_three_instances_send_at_the_configured_rate_together_not_three_times_it(
    postgres_url: str, tmp_path: Path
):
    engine = create_engine(postgres_url)
    sessions = create_session_factory(engine)
    telegram_ids = list(range(FIRST_CLIENT, FIRST_CLIENT + PROMPTS))
    with FakeBotApi(single_poller=False) as fake, ExitStack() as processes:
        for telegram_id in telegram_ids:
            fake.user(telegram_id)
        await migrate.upgrade(engine)
        # The outbox full from the start: a notice for every client, due now.
        now = utcnow()
        async with sessions() as session, session.begin():
            ids = await add_clients(session, telegram_ids)
            await outbox.enqueue_many(
                session,
                [
                    outbox.OutboxItem(
                        user_id=ids[telegram_id],
                        chat_id=telegram_id,
                        kind=notices.KIND,
                        key=f"shared-rate:{telegram_id}",
                        payload=notices.payload("Hello", []),
                        due_at=now,
                        expires_at=now + timedelta(hours=1),
                    )
                    for telegram_id in telegram_ids
                ],
            )
        env = bot_environment(
            fake,
            postgres_url,
            RATE_LIMIT_PER_SECOND=str(RATE),
            SCHEDULER_TICK_SECONDS="0.5",
            DELIVERY_POLL_SECONDS="0.1",
            DELIVERY_CONCURRENCY="16",
        )

        async def sent_count() -> int:
            async with sessions() as session:
                return await session.scalar(
                    select(func.count()).where(OutboxMessage.status == OutboxStatus.SENT)
                )

        for name in ("first", "second", "third"):
            processes.enter_context(bot_run(env, tmp_path / f"{name}.log"))
        await wait_for(lambda: _at_least(sent_count, PROMPTS), f"{PROMPTS} sent", within=120)
        async with sessions() as session:
            sent = (
                await session.execute(
                    select(OutboxMessage.claimed_by, OutboxMessage.sent_at).where(
                        OutboxMessage.status == OutboxStatus.SENT
                    )
                )
            ).all()
        await engine.dispose()
        calls = [call for call in fake.calls("sendMessage") if call.status == 200]

    first_send: dict[str, float] = {}
    for claimed_by, sent_at in sent:
        pid = claimed_by.split(":")[1]
        first_send[pid] = min(first_send.get(pid, sent_at.timestamp()), sent_at.timestamp())
    assert len(first_send) == 3, "all three sent"
    # Never above the limit together: no five seconds hold more than five times the rate,
    # give or take 5 % (three instances each at the whole rate would put three times it
    # there). The allowance and the five seconds are for the measuring: the fake's server
    # thread shares this busy test process and stamps arrivals in bunches after a stall,
    # up to 129 in two seconds seen here (the senders space theirs at 97 % of their share;
    # one instance at 100/s is checked per 0.95 s in test_delivery_faults).
    assert most_in_any_window(calls, STRETCH) <= STRETCH * RATE * 1.05
    assert not [call for call in fake.calls("sendMessage") if call.status == 429]
    # And at 90 % of it or more while the outbox is full, once all three send (and a
    # heartbeat later, each has found its share): the best five seconds of arrivals at
    # the fake, so that a moment when a busy machine stalls a process is not the measure.
    start = max(first_send.values()) + BEAT
    arrivals = sorted(call.time for call in calls)
    offset = time.time() - time.monotonic()  # the fake stamps arrivals on the monotonic clock
    steady = [moment for moment in arrivals if moment + offset >= start]
    best = most_in_any_window_of(steady, STRETCH)
    assert best >= 0.9 * RATE * STRETCH, f"{best / STRETCH:.1f}/s together, configured {RATE}/s"
    for name in ("first", "second", "third"):
        assert "Traceback" not in (tmp_path / f"{name}.log").read_text()


pytestmark = pytest.mark.skipif(os.name != "posix", reason="subprocesses on a POSIX system")


async def test_instances_starting_at_the_same_moment_together_send_at_most_the_rate(
    postgres_url: str,
):
    """Three instances that join at the same moment: whenever one's sender may start, the
    shares of all the senders started add up to the configured rate at most. (Under READ
    COMMITTED, heartbeats in flight together each counted only their own row: all three
    took the whole rate for a beat, three times it together.)"""
    engine = create_engine(postgres_url)
    try:
        await migrate.upgrade(engine)
        sessions = create_session_factory(engine)
        for round_ in range(3):
            counted = await _join_together(sessions, [f"round{round_}-{n}" for n in range(3)])
            assert counted == [3, 3, 3]
    finally:
        await engine.dispose()


async def _join_together(
    sessions: async_sessionmaker[AsyncSession], instances: list[str]
) -> list[int]:
    """Join the instances at once, check the started shares at each start, then leave;
    the instances each counted at the end."""
    started: list[TelegramRateLimiter] = []
    rates: list[SharedRate] = []

    async def join(instance: str) -> None:
        limiter = TelegramRateLimiter(overall_per_second=RATE, per_chat_per_second=1)
        rate = SharedRate(sessions, limiter, per_second=RATE, instance=instance, beat_seconds=0.2)
        rates.append(rate)
        await rate.join()
        started.append(limiter)
        together = sum(limiter.overall_rate for limiter in started)
        assert together <= RATE * 1.001, f"{together:.1f}/s with {len(started)} sending"

    try:
        await asyncio.gather(*(join(instance) for instance in instances))
    finally:
        await asyncio.gather(*(rate.leave() for rate in rates))
    return [rate.instances for rate in rates]


def _lapsed_count() -> float:
    return metrics.REGISTRY.get_sample_value("between_send_share_lapsed_total") or 0.0


async def _made() -> bool:
    return True


class _Reachable:
    """A session factory whose database can be cut off, as from a stalled instance."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self.up = True

    def __call__(self) -> AsyncSession:
        if not self.up:
            raise ConnectionRefusedError("the database is out of reach")
        return self._sessions()


async def test_an_instance_counted_out_while_it_stalled_holds_its_sends_until_counted_again(
    postgres_url: str,
):
    """An instance that cannot beat is counted out by the others, who then take half the
    rate each. Before that, its lease runs out and its sends wait; they go on only once
    the others count it again. At no moment do the senders not held exceed the rate."""
    beat = 0.3
    engine = create_engine(postgres_url)
    try:
        await migrate.upgrade(engine)
        sessions = create_session_factory(engine)
        cut_off = _Reachable(sessions)
        limiters = [
            TelegramRateLimiter(overall_per_second=RATE, per_chat_per_second=1) for _ in range(3)
        ]
        stalled = limiters[2]
        rates = [
            SharedRate(factory, limiter, per_second=RATE, instance=name, beat_seconds=beat)
            for name, factory, limiter in (
                ("first", sessions, limiters[0]),
                ("second", sessions, limiters[1]),
                ("stalled", cut_off, stalled),
            )
        ]

        def sending_together() -> float:
            return sum(limiter.overall_rate for limiter in limiters if not limiter.holding)

        async def watch(seconds: float, until=lambda: False) -> list[float]:
            seen = []
            deadline = asyncio.get_running_loop().time() + seconds
            while True:
                seen.append(sending_together())
                if until() or asyncio.get_running_loop().time() > deadline:
                    return seen
                await asyncio.sleep(0.01)

        try:
            for rate in rates:
                await rate.join()
            await watch(2 * beat, until=lambda: all(rate.instances == 3 for rate in rates))
            assert [rate.instances for rate in rates] == [3, 3, 3]
            assert not stalled.holding

            lapsed = _lapsed_count()
            assert metrics.REGISTRY.get_sample_value("between_send_instances") == 3
            cut_off.up = False
            together = await watch(
                8 * beat, until=lambda: rates[0].instances == 2 == rates[1].instances
            )
            assert [rates[0].instances, rates[1].instances] == [2, 2], "counted out"
            together += await watch(2 * beat)
            assert stalled.holding
            # Its held sends show to the operator (a call arriving finds the share lapsed).
            held = asyncio.ensure_future(
                stalled.process_request(_made, (), {}, "sendMessage", {"chat_id": 1}, None)
            )
            await asyncio.sleep(0.05)
            assert not held.done()
            assert _lapsed_count() == lapsed + 1

            cut_off.up = True
            together += await watch(10 * beat, until=lambda: not stalled.holding)
            assert max(together) <= RATE * 1.001, f"{max(together):.1f}/s not held together"
            assert not stalled.holding, "sends again once counted again"
            assert await asyncio.wait_for(held, 1) is True
            assert [rate.instances for rate in rates] == [3, 3, 3]
        finally:
            cut_off.up = True
            await asyncio.gather(*(rate.leave() for rate in rates))
    finally:
        await engine.dispose()
