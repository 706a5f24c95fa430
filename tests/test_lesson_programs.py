"""Programs: enrolling a client and delivering its lessons day by day, over the fake Bot API.

A small loop stands in for the delivery engine (issue 4): each simulated day it asks
``due_program_lessons`` what is due and delivers it with ``deliver_lesson``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.app import BotApplication
from bot.db.models import LessonDelivery, Role, User, UserStatus
from bot.flows.keyboards import markup
from bot.lessons.progress import UnknownLesson, deliver_lesson
from bot.lessons.schedule import UnknownProgram, due_program_lessons, enroll
from bot.offline.fake_bot_api import FakeBotApi
from tests.lesson_helpers import make_client, services_of

START = date(2026, 3, 2)
CALM_SKILLS = [
    "how-between-works",
    "paced-breathing",
    "grounding-senses",
    "worry-time",
    "sleep-habits",
    "asking-for-support",
]


async def run_day(
    bot: BotApplication, now: datetime, *, send: bool = False
) -> list[tuple[int, str]]:
    """One tick of a stand-in delivery engine: deliver (and send) whatever is due at ``now``."""
    services = services_of(bot)
    sent = []
    async with services.sessions() as session, session.begin():
        due = await due_program_lessons(session, services.content, now=now, default_timezone="UTC")
        deliveries = []
        for item in due:
            delivered = await deliver_lesson(
                session,
                services.content,
                services.catalogs,
                user_id=item.user_id,
                lesson_id=item.lesson_id,
                program_id=item.program_id,
                now=now,
            )
            assert delivered is not None and delivered.created
            deliveries.append(delivered)
            sent.append((item.user_id, item.lesson_id))
    for delivered in deliveries if send else []:
        message = delivered.message
        await bot.bot.send_message(
            message.chat_id, message.text, reply_markup=markup(message.buttons)
        )
    return sent


async def test_a_program_delivers_its_lessons_on_schedule(
    fake_api: FakeBotApi, bot: BotApplication
):
    services = services_of(bot)
    berlin_id = await make_client(bot, 3001, "de")
    async with services.sessions() as session, session.begin():
        (await session.get(User, berlin_id)).timezone = "Europe/Berlin"
        await enroll(
            session, services.content, user_id=berlin_id, program_id="calm-skills", start_on=START
        )
    client = fake_api.user(3001, language_code="de")

    berlin = ZoneInfo("Europe/Berlin")
    received: dict[date, str] = {}
    for offset in range(-1, 18):
        day = START + timedelta(days=offset)
        # 23:30 UTC is already the next day in Berlin: the client's local date decides.
        now = datetime(day.year, day.month, day.day, 23, 30, tzinfo=UTC)
        for _user, lesson_id in await run_day(bot, now, send=True):
            received[now.astimezone(berlin).date()] = lesson_id
            message = await client.expect_one()
            assert services.content.lesson(lesson_id, "de").meta.title in message.plain_text
    # Every 3 days (calm-skills' spacing), in order, each once.
    assert list(received.values()) == CALM_SKILLS
    assert list(received) == [START + timedelta(days=3 * n) for n in range(6)]
    await client.expect_nothing(0.1)


async def test_a_pause_holds_lessons_back_and_the_next_comes_after_it(bot: BotApplication):
    services = services_of(bot)
    user_id = await make_client(bot, 3002, "en")
    async with services.sessions() as session, session.begin():
        await enroll(
            session, services.content, user_id=user_id, program_id="foundations", start_on=START
        )
        (await session.get(User, user_id)).paused_until = datetime(2026, 3, 5, 12, tzinfo=UTC)

    at = lambda d: datetime(2026, 3, d, 9, tzinfo=UTC)  # noqa: E731
    assert await run_day(bot, at(2)) == []  # paused from the start
    assert await run_day(bot, at(5)) == []  # still paused (until noon)
    assert await run_day(bot, at(6)) == [(user_id, "how-between-works")]
    assert await run_day(bot, at(7)) == []
    assert await run_day(bot, at(8)) == [(user_id, "smart-goals")]


async def test_only_active_clients_get_lessons(bot: BotApplication):
    services = services_of(bot)
    stopped = await make_client(bot, 3003, "en")
    async with services.sessions() as session, session.begin():
        practitioner = User(telegram_id=3004, role=Role.PRACTITIONER, status=UserStatus.ACTIVE)
        session.add(practitioner)
        await session.flush()
        for user_id in (stopped, practitioner.id):
            await enroll(
                session, services.content, user_id=user_id, program_id="foundations", start_on=START
            )
        (await session.get(User, stopped)).status = UserStatus.STOPPED
    assert await run_day(bot, datetime(2026, 3, 2, 9, tzinfo=UTC)) == []
    async with services.sessions() as session:
        refused = await deliver_lesson(
            session,
            services.content,
            services.catalogs,
            user_id=practitioner.id,
            lesson_id="values",
            now=datetime.now(UTC),
        )
    assert refused is None


async def test_delivering_twice_keeps_one_row_and_its_progress(bot: BotApplication):
    services = services_of(bot)
    user_id = await make_client(bot, 3005, "es")
    now = datetime.now(UTC)
    results = []
    for _ in range(2):
        async with services.sessions() as session, session.begin():
            results.append(
                await deliver_lesson(
                    session,
                    services.content,
                    services.catalogs,
                    user_id=user_id,
                    lesson_id="values",
                    now=now,
                )
            )
    first, second = results
    assert first.created and not second.created
    assert first.delivery_id == second.delivery_id
    assert first.locale == "es" and "Lo que te importa" in first.message.text
    assert first.message.reply_markup() == {
        "inline_keyboard": [[{"text": "Siguiente »", "callback_data": f"lp:{first.delivery_id}:1"}]]
    }
    async with services.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(LessonDelivery)) == 1


async def test_unknown_lessons_and_programs_are_refused(bot: BotApplication):
    services = services_of(bot)
    user_id = await make_client(bot, 3006, "en")
    async with services.sessions() as session:
        with pytest.raises(UnknownLesson):
            await deliver_lesson(
                session,
                services.content,
                services.catalogs,
                user_id=user_id,
                lesson_id="no-such-lesson",
                now=datetime.now(UTC),
            )
        with pytest.raises(UnknownProgram):
            await enroll(
                session, services.content, user_id=user_id, program_id="nope", start_on=START
            )


async def test_changing_program_keeps_what_was_delivered(bot: BotApplication):
    services = services_of(bot)
    user_id = await make_client(bot, 3007, "en")
    async with services.sessions() as session, session.begin():
        await enroll(
            session, services.content, user_id=user_id, program_id="foundations", start_on=START
        )
    assert await run_day(bot, datetime(2026, 3, 2, 9, tzinfo=UTC)) == [
        (user_id, "how-between-works")
    ]
    async with services.sessions() as session, session.begin():
        await enroll(
            session,
            services.content,
            user_id=user_id,
            program_id="calm-skills",
            start_on=date(2026, 3, 3),
        )
    # calm-skills starts with how-between-works, already delivered: the next one, after spacing.
    assert await run_day(bot, datetime(2026, 3, 4, 9, tzinfo=UTC)) == []
    assert await run_day(bot, datetime(2026, 3, 5, 9, tzinfo=UTC)) == [(user_id, "paced-breathing")]


def test_a_default_program_that_does_not_exist_stops_the_start(fake_api: FakeBotApi, tmp_path):
    from bot.app import build_services
    from bot.settings import SettingsError
    from tests.conftest import make_settings

    settings = make_settings(
        fake_api, f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", default_program="nope"
    )
    with pytest.raises(SettingsError, match="DEFAULT_PROGRAM='nope'"):
        build_services(settings)
