"""RETENTION_DAYS: clients who stopped long enough ago are erased by the daily job; nobody
else is touched. /stop records the instant and says how long data is kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.db.models import LessonDelivery, Role, User, UserStatus
from bot.offline.fake_bot_api import FakeBotApi
from bot.privacy.retention import erase_expired, expired_clients
from tests.enrollment_helpers import onboard_client, practitioner, user_row
from tests.safety_support import bot_with

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


async def add(bot, telegram_id: int, status: UserStatus, stopped_at: datetime | None) -> int:
    async with bot.bot_data["services"].sessions() as session, session.begin():
        user = User(telegram_id=telegram_id, role=Role.CLIENT, status=status, stopped_at=stopped_at)
        session.add(user)
        await session.flush()
        session.add(
            LessonDelivery(
                user_id=user.id, lesson_id="values", delivered_at=NOW - timedelta(days=90)
            )
        )
        return user.id


async def ids(bot) -> set[int]:
    async with bot.bot_data["services"].sessions() as session:
        return set(await session.scalars(select(User.id)))


async def deliveries(bot) -> int:
    async with bot.bot_data["services"].sessions() as session:
        return await session.scalar(select(func.count()).select_from(LessonDelivery))


async def test_the_job_erases_only_clients_stopped_longer_ago_than_the_period(
    fake_api: FakeBotApi, migrated_url: str
):
    async with bot_with(fake_api, migrated_url, retention_days=30) as bot:
        sessions = bot.bot_data["services"].sessions
        old = await add(bot, 8101, UserStatus.STOPPED, NOW - timedelta(days=31))
        older = await add(bot, 8102, UserStatus.STOPPED, NOW - timedelta(days=400))
        recent = await add(bot, 8103, UserStatus.STOPPED, NOW - timedelta(days=29))
        active = await add(bot, 8104, UserStatus.ACTIVE, None)
        # came back after a stop long ago: status decides, whatever the old instant says
        back = await add(bot, 8105, UserStatus.ACTIVE, NOW - timedelta(days=400))

        async with sessions() as session:  # one query finds them, oldest first
            assert await expired_clients(session, now=NOW, days=30) == [older, old]

        assert await erase_expired(sessions, now=NOW, days=0) == 0  # 0 keeps everything
        assert await ids(bot) == {old, older, recent, active, back}

        assert await erase_expired(sessions, now=NOW, days=30, batch=1) == 2  # in batches
        assert await ids(bot) == {recent, active, back}
        assert await deliveries(bot) == 3  # their rows went with them; the others' stayed
        assert await erase_expired(sessions, now=NOW, days=30) == 0  # nothing left to do


@pytest.mark.parametrize(
    ("language", "asked", "done"),
    [
        (
            "en",
            "Your data is erased 30 days after you stop",
            "erased in 30 days unless you /resume",
        ),
        ("de", "Deine Daten werden 30 Tage nach dem Beenden gelöscht", "in 30 Tagen gelöscht"),
        ("es", "Tus datos se borran 30 días después", "se borran en 30 días"),
    ],
)
async def test_stop_records_when_and_says_how_long_data_is_kept(
    fake_api: FakeBotApi, migrated_url: str, language: str, asked: str, done: str
):
    async with bot_with(fake_api, migrated_url, retention_days=30) as bot:
        doctor, _ = await practitioner(fake_api, bot, 8110)
        client = await onboard_client(fake_api, doctor, 8111, language=language)
        client.send("/stop")
        question = await client.expect_one()
        assert asked in question.plain_text
        before = datetime.now(UTC)
        client.press(question, "stop:yes")
        assert done in (await client.expect_one()).plain_text
        row = await user_row(bot, 8111)
        assert row.status is UserStatus.STOPPED
        assert before - timedelta(seconds=5) <= row.stopped_at <= datetime.now(UTC)
        await doctor.expect_one()

        sessions = bot.bot_data["services"].sessions
        assert await erase_expired(sessions, now=row.stopped_at + timedelta(days=29), days=30) == 0
        client.send("/resume")  # back again: the instant is cleared, nothing will be erased
        await client.expect_one()
        assert (await user_row(bot, 8111)).stopped_at is None
        assert await erase_expired(sessions, now=row.stopped_at + timedelta(days=99), days=30) == 0
        assert await user_row(bot, 8111) is not None


async def test_without_retention_stop_says_data_stays(fake_api: FakeBotApi, migrated_url: str):
    async with bot_with(fake_api, migrated_url) as bot:
        doctor, _ = await practitioner(fake_api, bot, 8120)
        client = await onboard_client(fake_api, doctor, 8121)
        client.send("/stop")
        assert "Your data stays until you delete it" in (await client.expect_one()).plain_text
        assert not [job for job in bot.job_queue.jobs() if job.name == "privacy.retention"]


async def test_with_retention_the_daily_job_is_scheduled(fake_api: FakeBotApi, migrated_url: str):
    async with bot_with(fake_api, migrated_url, retention_days=7) as bot:
        assert [job.name for job in bot.job_queue.jobs() if job.name == "privacy.retention"]
