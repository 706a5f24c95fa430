"""The delivery engine over the fake Bot API: schedules → outbox → Telegram, on both databases."""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, time, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import BotApplication, build_application, running
from bot.db.base import utcnow
from bot.db.models import OutboxMessage, OutboxStatus, Schedule, User, UserEvent, UserStatus
from bot.delivery import Rendered, SentContext, enqueue
from bot.delivery import checkin_reminder as reminder
from bot.observability.metrics import REGISTRY
from bot.offline.fake_bot_api import FakeBotApi
from bot.settings import Settings
from tests.checkin_helpers import edited
from tests.delivery_support import add_clients, add_due_schedules, wait_until_settled

FAST = {
    "scheduler_tick_seconds": 0.2,
    "delivery_poll_seconds": 0.05,
    "delivery_retry_base_seconds": 0.05,
    "delivery_retry_max_seconds": 0.2,
    "delivery_send_timeout": 2.0,
}

REMINDER = {
    "en": ("It's time for your daily check-in.", "Skip today", "Okay, skipped for today."),
    "de": ("Es ist Zeit für deinen täglichen Check-in.", "Heute auslassen", "Okay, heute"),
    "es": ("Es hora de tu check-in diario.", "Saltar hoy", "De acuerdo, lo dejamos por hoy."),
}


def fast(settings: Settings, **overrides: object) -> Settings:
    return settings.model_copy(update={**FAST, **overrides})


@asynccontextmanager
async def delivering(settings: Settings, **overrides: object) -> AsyncIterator[BotApplication]:
    application = build_application(fast(settings, **overrides))
    async with running(application, poll_timeout=1):
        yield application


def sessions_of(application: BotApplication):
    return application.bot_data["services"].sessions


@pytest.mark.parametrize("language", ["en", "de", "es"])
async def test_a_due_reminder_arrives_in_the_users_language_and_can_be_skipped(
    fake_api: FakeBotApi, migrated: Settings, language: str
):
    text, skip, skipped = REMINDER[language]
    async with delivering(migrated) as application:
        sessions = sessions_of(application)
        async with sessions() as session, session.begin():
            ids = await add_clients(session, [4001], locale=language)
            await add_due_schedules(session, list(ids.values()))
        client = fake_api.user(4001, language_code="en")  # the stored language wins
        message = await client.expect_one(timeout=10)
        assert text in message.plain_text
        assert [label for label, _data in message.buttons] == [skip]

        client.press(message, skip)
        for _ in range(100):
            if fake_api.sent(4001)[0].edited:
                break
            await asyncio.sleep(0.05)
        assert skipped in fake_api.sent(4001)[0].plain_text
        assert fake_api.sent(4001)[0].buttons == []

        # The sender records the send after Telegram answered it: the client may see (and
        # press) the message a moment before the row says so.
        for _ in range(200):
            async with sessions() as session:
                row = await session.scalar(select(OutboxMessage))
                schedule = await session.scalar(select(Schedule))
            if row.status is OutboxStatus.SENT:
                break
            await asyncio.sleep(0.05)
    assert row.status is OutboxStatus.SENT
    assert row.telegram_message_id == message.message_id
    # The schedule moved on to a later day.
    assert schedule.next_due_at > utcnow()
    assert schedule.last_slot_date is not None
    assert schedule.next_slot_date > schedule.last_slot_date


async def test_a_skip_pressed_before_the_sender_recorded_the_send_is_taken(
    fake_api: FakeBotApi, migrated: Settings
):
    """The message is in the chat as soon as Telegram accepts it; the sender records that
    a moment later. A press in between is the client's, not a stale button."""
    async with delivering(migrated) as application:
        sessions = sessions_of(application)
        async with sessions() as session, session.begin():
            ids = await add_clients(session, [4051])
            await add_due_schedules(session, [ids[4051]])
        client = fake_api.user(4051)
        message = await client.expect_one(timeout=10)
        await wait_until_settled(sessions, 1)  # recorded as sent; now put it back in between
        async with sessions() as session, session.begin():
            row = await session.scalar(select(OutboxMessage))
            row.status = OutboxStatus.SENDING

        client.press(message, "Skip today")
        assert "Okay, skipped for today." in (await edited(client, message)).plain_text


async def test_a_forged_or_foreign_skip_button_changes_nothing(
    fake_api: FakeBotApi, migrated: Settings
):
    async with delivering(migrated) as application:
        sessions = sessions_of(application)
        async with sessions() as session, session.begin():
            ids = await add_clients(session, [4101, 4102])
            await add_due_schedules(session, [ids[4101]])
        owner = fake_api.user(4101)
        message = await owner.expect_one(timeout=10)
        outbox_id = int(message.buttons[0][1].rsplit(":", 1)[1])
        # Someone else's chat gets a message carrying the same button data.
        intruder = fake_api.user(4102)
        await application.bot.send_message(
            4102,
            "x",
            reply_markup=__import__("telegram").InlineKeyboardMarkup(
                [
                    [
                        __import__("telegram").InlineKeyboardButton(
                            "skip", callback_data=f"cr:skip:{outbox_id}"
                        )
                    ]
                ]
            ),
        )
        foreign = await intruder.expect_one()
        query = intruder.press(foreign, "skip")
        for _ in range(100):
            if intruder.callback_answer(query) is not None:
                break
            await asyncio.sleep(0.05)
        assert "no longer works" in intruder.callback_answer(query)["text"]
        assert fake_api.sent(4101)[0].buttons  # the owner's reminder is untouched


async def test_an_on_sent_hook_gets_telegrams_message_id_in_the_same_transaction(
    fake_api: FakeBotApi, migrated: Settings
):
    fake_api.user(4201)  # a chat with the bot before anything is sent to it
    seen: list[SentContext] = []

    async def render(context) -> Rendered:
        return Rendered(text=f"note {context.payload['n']}")

    async def on_sent(session, sent: SentContext) -> None:
        seen.append(sent)

    application = build_application(fast(migrated))
    application.bot_data["services"].renderers.register("test_note", render, on_sent)
    async with running(application, poll_timeout=1):
        sessions = sessions_of(application)
        now = utcnow()
        async with sessions() as session, session.begin():
            ids = await add_clients(session, [4201])
            for attempt in range(2):  # the same key twice: one row
                added = await enqueue(
                    session,
                    user_id=ids[4201],
                    chat_id=4201,
                    kind="test_note",
                    key="test_note:1",
                    payload={"n": 7},
                    due_at=now,
                    expires_at=now + timedelta(minutes=5),
                )
                assert added is (attempt == 0)
        message = await fake_api.user(4201).expect_one(timeout=10)
        await wait_until_settled(sessions, 1)
    assert message.plain_text == "note 7"
    assert [(s.kind, s.message_id, s.payload) for s in seen] == [
        ("test_note", message.message_id, {"n": 7})
    ]


@pytest.mark.parametrize("spoiled", [False, True])
async def test_a_batch_is_prefetched_once_and_a_failed_prefetch_or_render_sinks_no_other_row(
    fake_api: FakeBotApi, migrated: Settings, spoiled: bool
):
    """A kind's prefetch runs once for the rows claimed together; when it fails (here a
    statement the database refuses, which spoils a PostgreSQL transaction) each row
    reads for itself; a row whose render fails fails alone."""
    prefetches: list[list[int]] = []

    async def prefetch(session, contexts) -> dict[int, str]:
        prefetches.append(sorted(c.payload["n"] for c in contexts))
        if spoiled:
            await session.execute(text("SELECT * FROM no_such_table"))
        found = await session.execute(
            select(User.id, User.locale).where(User.id.in_([c.user_id for c in contexts]))
        )
        return dict(found.all())

    async def render(context) -> Rendered:
        if context.payload["n"] == 3:
            raise ValueError("a bad row")
        if context.prefetched is not None:
            return Rendered(
                text=f"batched {context.payload['n']} {context.prefetched[context.user_id]}"
            )
        locale = await context.session.scalar(select(User.locale).where(User.id == context.user_id))
        return Rendered(text=f"alone {context.payload['n']} {locale}")

    telegram_ids = [4251, 4252, 4253]
    for telegram_id in telegram_ids:
        fake_api.user(telegram_id)
    application = build_application(fast(migrated))
    application.bot_data["services"].renderers.register("test_batch", render, prefetch=prefetch)
    async with running(application, poll_timeout=1):
        sessions = sessions_of(application)
        now = utcnow()
        async with sessions() as session, session.begin():
            ids = await add_clients(session, telegram_ids)
            for n, telegram_id in enumerate(telegram_ids, start=1):
                await enqueue(
                    session,
                    user_id=ids[telegram_id],
                    chat_id=telegram_id,
                    kind="test_batch",
                    key=f"test_batch:{n}",
                    payload={"n": n},
                    due_at=now,
                    expires_at=now + timedelta(minutes=5),
                )
        await wait_until_settled(sessions, 3)
        async with sessions() as session:
            rows = {
                row.chat_id: (row.status, row.last_error)
                for row in await session.scalars(select(OutboxMessage))
            }
    how = "alone" if spoiled else "batched"
    assert prefetches == [[1, 2, 3]]  # once, for the three rows claimed together
    assert [m.plain_text for t in telegram_ids[:2] for m in fake_api.sent(t)] == [
        f"{how} 1 en",
        f"{how} 2 en",
    ]
    assert rows == {
        4251: (OutboxStatus.SENT, None),
        4252: (OutboxStatus.SENT, None),
        4253: (OutboxStatus.FAILED, "render error: ValueError"),
    }


async def test_a_message_of_an_unknown_kind_fails_with_the_reason(
    fake_api: FakeBotApi, migrated: Settings
):
    async with delivering(migrated) as application:
        sessions = sessions_of(application)
        now = utcnow()
        async with sessions() as session, session.begin():
            ids = await add_clients(session, [4301])
            await enqueue(
                session,
                user_id=ids[4301],
                chat_id=4301,
                kind="nobody_renders_this",
                key="x:1",
                payload={},
                due_at=now,
                expires_at=now + timedelta(minutes=5),
            )
        await wait_until_settled(sessions, 1)
        async with sessions() as session:
            row = await session.scalar(select(OutboxMessage))
    assert row.status is OutboxStatus.FAILED
    assert row.last_error == "no renderer for kind nobody_renders_this"
    assert fake_api.sent(4301) == []


async def test_5xx_is_retried_then_marked_failed_with_the_reason_and_logged_without_text(
    fake_api: FakeBotApi, migrated: Settings, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.INFO, logger="bot.delivery")
    fake_api.fail("sendMessage", 500, times=100, chat_id=4401)
    async with delivering(migrated, delivery_max_attempts=3) as application:
        sessions = sessions_of(application)
        async with sessions() as session, session.begin():
            ids = await add_clients(session, [4401])
            await add_due_schedules(session, list(ids.values()))
        await wait_until_settled(sessions, 1, within=30)
        async with sessions() as session:
            row = await session.scalar(select(OutboxMessage))
    assert row.status is OutboxStatus.FAILED
    assert row.attempts == 3
    assert row.last_error == "NetworkError: Internal Server Error"
    assert len(fake_api.calls("sendMessage")) == 3
    outcomes = [r.getMessage() for r in caplog.records if "delivery.outcome" in r.getMessage()]
    assert [line.split("outcome=")[1].split()[0] for line in outcomes] == [
        "retry",
        "retry",
        "failed",
    ]
    assert all(
        f"outbox_id={row.id}" in line and "kind=checkin_reminder" in line for line in outcomes
    )
    assert [line.split("attempt=")[1].split()[0] for line in outcomes] == ["1", "2", "3"]
    assert not any("check-in" in record.getMessage() for record in caplog.records)


async def test_several_messages_to_one_chat_are_spaced_by_the_per_chat_limit(
    fake_api: FakeBotApi, migrated: Settings
):
    fake_api.user(4501)  # a chat with the bot before anything is sent to it
    async with delivering(migrated, per_chat_rate_per_second=2.0) as application:
        sessions = sessions_of(application)
        now = utcnow()
        async with sessions() as session, session.begin():
            ids = await add_clients(session, [4501])
            for n in range(4):
                await enqueue(
                    session,
                    user_id=ids[4501],
                    chat_id=4501,
                    kind=reminder.KIND,
                    key=f"burst:{n}",
                    payload={},
                    due_at=now,
                    expires_at=now + timedelta(minutes=5),
                )
        await fake_api.user(4501).expect(4, timeout=10)
    arrivals = sorted(call.time for call in fake_api.calls("sendMessage"))
    gaps = [later - earlier for earlier, later in itertools.pairwise(arrivals)]
    # 2 per second: four messages span at least 1.5 s. Arrival times at the fake carry
    # the jitter of a busy machine (tens of ms), so single gaps get a looser bound.
    assert len(arrivals) == 4
    assert arrivals[-1] - arrivals[0] >= 1.5 - 0.05
    assert min(gaps) >= 0.4


async def test_restart_after_downtime_sends_what_is_in_its_window_and_expires_the_rest(
    fake_api: FakeBotApi, migrated: Settings, migrated_sessions: async_sessionmaker[AsyncSession]
):
    for chat_id in (4601, 4602, 4603, 4604):  # chats with the bot before anything is sent
        fake_api.user(chat_id)
    now = utcnow()
    # Written before the "crash"; the bot was down for hours.
    async with migrated_sessions() as session, session.begin():
        ids = await add_clients(session, [4601, 4602, 4603, 4604])
        await enqueue(
            session,
            user_id=ids[4601],
            chat_id=4601,
            kind=reminder.KIND,
            key="late-but-in-window",
            payload={},
            due_at=now - timedelta(hours=2),
            expires_at=now + timedelta(hours=1),
        )
        await enqueue(
            session,
            user_id=ids[4602],
            chat_id=4602,
            kind=reminder.KIND,
            key="stale",
            payload={},
            due_at=now - timedelta(hours=5),
            expires_at=now - timedelta(hours=2),
        )
        # A row a crashed instance had claimed: its lease lapsed long ago.
        await enqueue(
            session,
            user_id=ids[4603],
            chat_id=4603,
            kind=reminder.KIND,
            key="claimed-by-the-dead",
            payload={},
            due_at=now - timedelta(minutes=30),
            expires_at=now + timedelta(hours=1),
        )
        row = await session.scalar(
            select(OutboxMessage).where(OutboxMessage.key == "claimed-by-the-dead")
        )
        row.status = OutboxStatus.SENDING
        row.claimed_by = "dead-host:1:abc"
        row.claimed_until = now - timedelta(minutes=20)
        # A daily schedule that was due three days ago: one row, expired, no catch-up.
        await add_due_schedules(session, [ids[4604]], due_at=now - timedelta(days=3))

    async with delivering(migrated) as application:
        sessions = sessions_of(application)
        await fake_api.user(4601).expect_one(timeout=10)
        await fake_api.user(4603).expect_one(timeout=10)
        await wait_until_settled(sessions, 4)
        await fake_api.user(4602).expect_nothing(0.3)
        await fake_api.user(4604).expect_nothing(0.1)
        async with sessions() as session:
            rows = {r.user_id: r for r in await session.scalars(select(OutboxMessage))}
            schedule = await session.scalar(select(Schedule))
    assert rows[ids[4601]].status is OutboxStatus.SENT
    assert rows[ids[4602]].status is OutboxStatus.EXPIRED
    assert rows[ids[4603]].status is OutboxStatus.SENT
    assert rows[ids[4604]].status is OutboxStatus.EXPIRED
    assert len(rows) == 4
    assert schedule.next_due_at > utcnow()  # the missed days are not sent late


async def test_a_blocked_client_becomes_unreachable_and_their_schedules_stop(
    fake_api: FakeBotApi, migrated: Settings
):
    fake_api.user(4701)
    fake_api.block(4701)
    async with delivering(migrated) as application:
        sessions = sessions_of(application)
        now = utcnow()
        async with sessions() as session, session.begin():
            ids = await add_clients(session, [4701])
            await add_due_schedules(session, [ids[4701]])
            await enqueue(
                session,
                user_id=ids[4701],
                chat_id=4701,
                kind=reminder.KIND,
                key="later",
                payload={},
                due_at=now + timedelta(minutes=10),
                expires_at=now + timedelta(hours=1),
            )
        await wait_until_settled(sessions, 2)
        async with sessions() as session:
            user = await session.get(User, ids[4701])
            schedule = await session.scalar(select(Schedule))
            events = (await session.scalars(select(UserEvent))).all()
            rows = (await session.scalars(select(OutboxMessage))).all()
    assert user.status is UserStatus.UNREACHABLE
    assert schedule.next_due_at is None
    assert [(event.user_id, event.kind) for event in events] == [(ids[4701], "unreachable")]
    assert {row.status for row in rows} == {OutboxStatus.FAILED}
    assert len(fake_api.calls("sendMessage")) == 1


async def test_a_tick_run_twice_writes_each_slot_once(
    migrated: Settings, migrated_sessions: async_sessionmaker[AsyncSession]
):
    from bot.app import planning
    from bot.delivery import engine as delivery_engine

    async with migrated_sessions() as session, session.begin():
        ids = await add_clients(session, list(range(4800, 4850)))
        await add_due_schedules(session, list(ids.values()))
    settings = migrated.model_copy(update={"delivery_batch_size": 7})
    first = await delivery_engine.tick(migrated_sessions, planning(settings))
    async with migrated_sessions() as session, session.begin():
        # Rewind every schedule to the slot just served, as a second instance that
        # read them before the first one committed would see them.
        for schedule in await session.scalars(select(Schedule)):
            schedule.next_due_at = utcnow() - timedelta(seconds=1)
            schedule.next_slot_date = schedule.last_slot_date
            schedule.last_slot_date = None
    second = await delivery_engine.tick(migrated_sessions, planning(settings))
    async with migrated_sessions() as session:
        keys = (await session.scalars(select(OutboxMessage.key))).all()
    assert first.scheduled == second.scheduled == 50
    assert len(keys) == len(set(keys)) == 50


async def test_a_new_time_zone_applies_from_the_next_slot_and_never_repeats_a_date(
    migrated_sessions: async_sessionmaker[AsyncSession],
):
    from bot.delivery import add_schedule, reschedule_user

    async with migrated_sessions() as session, session.begin():
        ids = await add_clients(session, [4901], timezone="Europe/Berlin", checkin=time(9))
        user = await session.get(User, ids[4901])
        # 1 June, 06:00 UTC = 08:00 in Berlin: today's 09:00 is next.
        morning = utcnow().replace(2026, 6, 1, 6, 0, 0, 0)
        schedule = await add_schedule(
            session, user, kind=reminder.KIND, now=morning, default_timezone="UTC"
        )
        assert schedule.next_slot_date == date(2026, 6, 1)
        assert schedule.next_due_at == morning.replace(hour=7)
        # 1 June was served in Berlin; then the client flies to New York.
        schedule.last_slot_date = date(2026, 6, 1)
        user.timezone = "America/New_York"
        await reschedule_user(session, user.id, now=morning.replace(hour=8), default_timezone="UTC")
        assert schedule.next_slot_date == date(2026, 6, 2)
        assert schedule.next_due_at == morning.replace(day=2, hour=13)  # 09:00 EDT


async def test_the_first_tick_runs_at_start_not_one_period_later(
    fake_api: FakeBotApi, migrated: Settings, migrated_sessions: async_sessionmaker[AsyncSession]
):
    fake_api.user(5101)  # a chat with the bot before anything is sent to it
    async with migrated_sessions() as session, session.begin():
        ids = await add_clients(session, [5101])
        await add_due_schedules(session, list(ids.values()))
    async with delivering(migrated, scheduler_tick_seconds=600):
        message = await fake_api.user(5101).expect_one(timeout=10)
    assert REMINDER["en"][0] in message.plain_text


async def test_skipping_a_reminder_whose_window_passed_says_so_kindly(
    fake_api: FakeBotApi, migrated: Settings
):
    async with delivering(migrated) as application:
        sessions = sessions_of(application)
        now = utcnow()
        async with sessions() as session, session.begin():
            ids = await add_clients(session, [5201], locale="de")
            await enqueue(
                session,
                user_id=ids[5201],
                chat_id=5201,
                kind=reminder.KIND,
                key="short-window",
                payload={},
                due_at=now,
                expires_at=now + timedelta(seconds=1.5),
            )
        client = fake_api.user(5201, language_code="de")
        message = await client.expect_one(timeout=10)
        await asyncio.sleep(1.6)  # days later, as far as the window is concerned
        client.press(message, "Heute auslassen")
        for _ in range(100):
            if fake_api.sent(5201)[0].edited:
                break
            await asyncio.sleep(0.05)
    edited = fake_api.sent(5201)[0]
    assert edited.plain_text == "Diese Erinnerung ist abgelaufen. Du musst nichts tun."
    assert edited.buttons == []


async def test_a_429_pause_longer_than_the_lease_hands_the_row_back_unsent(
    fake_api: FakeBotApi, migrated: Settings
):
    """After a long 429 pause the lease has lapsed and the row was claimed again (here by
    the same instance, as another would): the first claim must not send it after the
    pause, nor undo the second claim. It is sent once."""
    fake_api.user(4501)
    # Paused 5 s: the 3 s lease lapses, a tick releases the row and it is claimed again.
    fake_api.fail("sendMessage", 429, times=1, retry_after=5, chat_id=4501)
    async with delivering(
        migrated, delivery_lease_seconds=3, delivery_send_timeout=1
    ) as application:
        sessions = sessions_of(application)
        async with sessions() as session, session.begin():
            ids = await add_clients(session, [4501])
            await add_due_schedules(session, list(ids.values()))
        await wait_until_settled(sessions, 1, within=30)
        async with sessions() as session:
            row = await session.scalar(select(OutboxMessage))
    assert row.status is OutboxStatus.SENT
    assert [call.status for call in fake_api.calls("sendMessage")] == [429, 200]
    assert len(fake_api.sent()) == 1


async def test_a_bad_request_fails_at_once_without_retries(
    fake_api: FakeBotApi, migrated: Settings
):
    """A 400 (here: no such chat) will not get better by asking again; PTB's BadRequest
    is a NetworkError, which the sender retries, so it must be told apart first."""
    async with delivering(migrated, delivery_max_attempts=5) as application:
        sessions = sessions_of(application)
        async with sessions() as session, session.begin():
            ids = await add_clients(session, [4601])  # never opened a chat with the bot
            await add_due_schedules(session, list(ids.values()))
        await wait_until_settled(sessions, 1, within=30)
        async with sessions() as session:
            row = await session.scalar(select(OutboxMessage))
    assert row.status is OutboxStatus.FAILED
    assert (row.attempts, row.last_error) == (1, "BadRequest: Chat not found")
    assert len(fake_api.calls("sendMessage")) == 1


async def test_a_busy_sender_claims_once_per_round_of_sends_not_per_freed_slot(
    fake_api: FakeBotApi, migrated: Settings, monkeypatch: pytest.MonkeyPatch
):
    """40 messages due, 4 sent at once: the sender claims a round ahead (each claim is a
    transaction and a render), so it claims about once per four sends, not once per send
    as each freed slot used to claim its own row. Every message still goes out once."""
    from bot.delivery import outbox

    claimed: list[int] = []
    claim = outbox.claim

    async def counted(*args: object, **kwargs: object) -> list[outbox.Delivery]:
        batch = await claim(*args, **kwargs)  # type: ignore[arg-type]
        if batch:
            claimed.append(len(batch))
        return batch

    monkeypatch.setattr(outbox, "claim", counted)
    telegram_ids = list(range(4701, 4741))
    for telegram_id in telegram_ids:
        fake_api.user(telegram_id)
    async with delivering(migrated, delivery_concurrency=4) as application:
        sessions = sessions_of(application)
        async with sessions() as session, session.begin():
            ids = await add_clients(session, telegram_ids)
            await add_due_schedules(session, list(ids.values()))
        counts = await wait_until_settled(sessions, 40, within=60)
    assert counts == {OutboxStatus.SENT: 40}
    assert sorted(int(call.chat_id) for call in fake_api.calls("sendMessage")) == sorted(
        telegram_ids
    )
    assert sum(claimed) == 40
    assert len(claimed) <= 12, claimed


def sends_counted(outcome: str) -> float:
    """``between_sends_total`` of check-in reminders with ``outcome``, in this process."""
    labels = {"kind": reminder.KIND, "outcome": outcome}
    return REGISTRY.get_sample_value("between_sends_total", labels) or 0.0


async def test_stopping_hands_back_claimed_rows_not_yet_sent_and_a_restart_sends_them(
    fake_api: FakeBotApi, migrated: Settings, migrated_sessions: async_sessionmaker[AsyncSession]
):
    """Rows claimed a round ahead and still waiting when the bot stops go back to the
    queue unsent at once (not after their 120 s lease), and the next start sends each
    exactly once."""
    telegram_ids = list(range(4801, 4813))
    for telegram_id in telegram_ids:
        fake_api.user(telegram_id)
    slow = {"delivery_concurrency": 2, "rate_limit_per_second": 4.0}
    handed_back, rate_limited = sends_counted("handed_back"), sends_counted("rate_limited")
    async with delivering(migrated, **slow) as application:
        sessions = sessions_of(application)
        async with sessions() as session, session.begin():
            ids = await add_clients(session, telegram_ids)
            await add_due_schedules(session, list(ids.values()))
        for _ in range(1000):  # at most 20 s for the first send
            if fake_api.calls("sendMessage"):
                break
            await asyncio.sleep(0.02)
    async with migrated_sessions() as session:
        rows = (await session.execute(select(OutboxMessage))).scalars().all()
    waiting = [row for row in rows if row.status is OutboxStatus.PENDING]
    assert waiting, "some rows were still queued when the bot stopped"
    assert all(row.status in (OutboxStatus.PENDING, OutboxStatus.SENT) for row in rows)
    assert all(row.claimed_by is None and row.attempts == 0 for row in waiting)
    # Operators read it as handed back, not as Telegram's rate limit.
    given_back = [row for row in waiting if row.last_error == "sender stopped"]
    assert given_back, "rows claimed a round ahead were handed back"
    assert sends_counted("handed_back") - handed_back == len(given_back)
    assert sends_counted("rate_limited") == rate_limited
    async with delivering(migrated) as application:
        await wait_until_settled(sessions_of(application), len(telegram_ids), within=30)
    chats = [int(call.chat_id) for call in fake_api.calls("sendMessage")]
    assert sorted(chats) == sorted(telegram_ids)  # each once, none lost, none twice
