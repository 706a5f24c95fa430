"""Program lessons go through the delivery engine: queued once, sent at the client's time."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from bot.app import SENDER_KEY, BotApplication
from bot.db.models import LessonDelivery, OutboxMessage, User
from bot.delivery import add_schedule
from bot.domain.schedule import first_moment_from
from bot.lessons import delivery as lesson_delivery
from bot.lessons.schedule import enroll
from bot.offline.fake_bot_api import FakeBotApi
from tests.lesson_helpers import make_client, services_of


async def plan(bot: BotApplication, now: datetime | None = None) -> int:
    services = services_of(bot)
    queued = await lesson_delivery.plan_lessons(
        services.sessions,
        services.content,
        services.catalogs,
        now=now or datetime.now(UTC),
        default_timezone="UTC",
        window=timedelta(hours=12),
    )
    bot.bot_data[SENDER_KEY].wake()
    return queued


async def on_program(bot: BotApplication, telegram_id: int, language: str, **user) -> int:
    user_id = await make_client(bot, telegram_id, language)
    services = services_of(bot)
    async with services.sessions() as session, session.begin():
        if user:
            await session.execute(update(User).where(User.id == user_id).values(**user))
        await enroll(
            session,
            services.content,
            user_id=user_id,
            program_id="calm-skills",
            start_on=datetime.now(UTC).date() - timedelta(days=1),
        )
    return user_id


@pytest.mark.parametrize("language", ["en", "de", "es"])
async def test_a_due_lesson_is_sent_once_through_the_outbox(
    fake_api: FakeBotApi, bot: BotApplication, language: str
):
    user_id = await on_program(bot, 7001, language)
    client = fake_api.user(7001, language_code=language)
    assert await plan(bot) == 1
    assert await plan(bot) == 0  # planning again queues nothing new
    lesson = await client.expect_one(timeout=10)
    first_id = services_of(bot).content.program("calm-skills").lesson_ids[0]
    title = services_of(bot).content.lesson(first_id, language).meta.title
    assert title in lesson.plain_text
    assert lesson.buttons  # Next / Done name the delivery
    async with services_of(bot).sessions() as session:
        rows = (
            await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "lesson"))
        ).all()
        deliveries = (await session.scalars(select(LessonDelivery))).all()
    assert len(rows) == 1 and rows[0].user_id == user_id
    assert [d.lesson_id for d in deliveries] == [first_id]
    await client.expect_nothing(0.5)


async def test_quiet_hours_and_the_check_in_time_decide_when(
    fake_api: FakeBotApi, bot: BotApplication
):
    now = datetime.now(UTC)
    berlin = ZoneInfo("Europe/Berlin")
    local = now.astimezone(berlin)
    quiet_start = (local - timedelta(hours=1)).time().replace(second=0, microsecond=0)
    quiet_end = (local + timedelta(hours=2)).time().replace(second=0, microsecond=0)
    await on_program(
        bot, 7002, "en", timezone="Europe/Berlin", quiet_start=quiet_start, quiet_end=quiet_end
    )
    client = fake_api.user(7002, language_code="en")
    assert await plan(bot, now) == 1
    await client.expect_nothing(0.8)  # not in quiet hours
    async with services_of(bot).sessions() as session:
        row = await session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "lesson"))
    due_local = row.due_at.astimezone(berlin)
    assert due_local.time().replace(second=0) == quiet_end


def test_first_moment_is_the_check_in_time_if_still_ahead_else_now():
    zone = ZoneInfo("America/New_York")
    now = datetime(2026, 3, 8, 13, 0, tzinfo=UTC)  # 09:00 local, the day DST starts
    assert first_moment_from(now, time(18, 30), zone, (None, None)).astimezone(zone).time() == time(
        18, 30
    )
    assert first_moment_from(now, time(7, 0), zone, (None, None)) == now
    # quiet hours 08:00–10:00 push "now" (09:00) to 10:00
    assert first_moment_from(now, None, zone, (time(8), time(10))).astimezone(zone).time() == time(
        10
    )


async def test_a_paused_client_gets_no_lesson(fake_api: FakeBotApi, bot: BotApplication):
    await on_program(bot, 7003, "en", paused_until=datetime.now(UTC) + timedelta(days=3))
    assert await plan(bot) == 0


async def test_the_lesson_comes_at_least_half_an_hour_after_the_check_in(
    fake_api: FakeBotApi, bot: BotApplication
):
    """The check-in due in quiet hours waits for their end; the lesson waits 30 minutes
    more (it used to be queued for the very minute the check-in was sent)."""
    now = datetime.now(UTC)
    berlin = ZoneInfo("Europe/Berlin")
    local = now.astimezone(berlin)
    quiet_start = (local - timedelta(hours=1)).time().replace(second=0, microsecond=0)
    quiet_end = (local + timedelta(hours=2)).time().replace(second=0, microsecond=0)
    checkin_time = (local + timedelta(minutes=30)).time().replace(second=0, microsecond=0)
    user_id = await on_program(
        bot,
        7004,
        "en",
        timezone="Europe/Berlin",
        checkin_time=checkin_time,
        quiet_start=quiet_start,
        quiet_end=quiet_end,
    )
    services = services_of(bot)
    async with services.sessions() as session, session.begin():
        user = await session.get(User, user_id)
        schedule = await add_schedule(
            session, user, kind="checkin_reminder", now=now, default_timezone="UTC"
        )
        checkin_due = schedule.next_due_at
    assert await plan(bot, now) == 1
    async with services.sessions() as session:
        lesson = await session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "lesson"))
    assert checkin_due.astimezone(berlin).time().replace(second=0) == quiet_end
    assert lesson.due_at - checkin_due >= timedelta(minutes=30)
