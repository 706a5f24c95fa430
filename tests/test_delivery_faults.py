"""1,000 due prompts through a faulty Telegram: each delivered, none lost, the rate kept."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select

from bot.app import build_application, running
from bot.db.models import OutboxMessage, OutboxStatus, User, UserEvent, UserStatus
from bot.offline.fake_bot_api import FakeBotApi
from bot.settings import Settings
from tests.delivery_support import (
    add_clients,
    add_due_schedules,
    most_in_any_window,
    wait_until_settled,
)

CLIENTS = 600
RATE = 100  # messages per second, overall: small, so the test is quick and the check sharp
FIRST_CLIENT = 10_000
INJECTED_429 = "Too Many Requests: injected by the test"


async def test_six_hundred_prompts_arrive_once_through_429s_5xx_timeouts_and_a_block(
    fake_api: FakeBotApi, migrated: Settings
):
    settings = migrated.model_copy(
        update={
            "rate_limit_per_second": RATE,
            "scheduler_tick_seconds": 0.2,
            "delivery_poll_seconds": 0.05,
            "delivery_batch_size": 250,
            "delivery_send_timeout": 0.5,
            "delivery_retry_base_seconds": 0.1,
            "delivery_retry_max_seconds": 0.5,
        }
    )
    telegram_ids = list(range(FIRST_CLIENT, FIRST_CLIENT + CLIENTS))
    for telegram_id in telegram_ids:
        fake_api.user(telegram_id)
    blocked = telegram_ids[500]
    fake_api.block(blocked)
    fake_api.fail("sendMessage", 429, times=3, retry_after=1, description=INJECTED_429)
    fake_api.fail("sendMessage", 500, times=5)
    fake_api.fail("sendMessage", 502, times=3)
    # Slower than the client waits: the sender times out, but the fake still delivers.
    fake_api.delay("sendMessage", 1.0, times=3)
    # Telegram's own flood control, at the configured rate: it must never have to act.
    fake_api.limit_rate(RATE)

    application = build_application(settings)
    sessions = application.bot_data["services"].sessions
    async with running(application, poll_timeout=1):
        async with sessions() as session, session.begin():
            ids = await add_clients(session, telegram_ids)
            await add_due_schedules(session, list(ids.values()))
        counts = await wait_until_settled(sessions, CLIENTS, within=90)
        async with sessions() as session:
            rows = (await session.scalars(select(OutboxMessage))).all()
            unreachable = await session.scalar(select(User).where(User.telegram_id == blocked))
            events = (await session.scalars(select(UserEvent))).all()

    assert counts == {OutboxStatus.SENT: CLIENTS - 1, OutboxStatus.FAILED: 1}
    received = Counter(message.chat_id for message in fake_api.sent())
    # Every reachable client got their prompt; the blocked one got nothing.
    assert set(received) == set(telegram_ids) - {blocked}
    # A send that timed out may have reached Telegram anyway (the fake, like Telegram,
    # processes it after the client gave up); retrying it is the only way never to lose
    # one. Those, and only those, may arrive twice — never more.
    timed_out = {row.chat_id for row in rows if (row.last_error or "").startswith("TimedOut")}
    twice = {chat for chat, count in received.items() if count > 1}
    assert twice <= timed_out
    # The three slow answers timed out; on a loaded machine an ordinary send may too
    # (0.5 s), which is no fault: it is retried like those, under the same guarantee.
    assert len(timed_out) >= 3
    assert max(received.values()) <= 2
    assert sum(received.values()) == CLIENTS - 1 + len(twice)

    by_chat = {row.chat_id: row for row in rows}
    assert by_chat[blocked].status is OutboxStatus.FAILED
    assert unreachable.status is UserStatus.UNREACHABLE
    assert [(event.user_id, event.kind) for event in events] == [(unreachable.id, "unreachable")]
    assert all(row.telegram_message_id for row in rows if row.status is OutboxStatus.SENT)

    calls = fake_api.calls("sendMessage")
    assert Counter(call.status for call in calls)[500] == 5
    flood_control = [c for c in calls if c.status == 429 and c.description != INJECTED_429]
    assert flood_control == []
    # Arrival times at the fake: no window holds more than the rate allows. The sender
    # spaces sends evenly (1/RATE apart, no bursts); the window is 0.95 s rather than 1 s
    # to absorb the arrival jitter of a busy machine (up to ~50 ms). A bursting limiter
    # (PTB's AIORateLimiter after a 429) puts about twice the rate in such a window.
    assert most_in_any_window(calls, 0.95) <= RATE
