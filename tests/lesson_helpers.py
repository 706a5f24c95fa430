"""Helpers for lesson tests: clients made directly in the database, lessons delivered through
``deliver_lesson`` (standing in for the delivery engine), and waiting for edits."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy import select

from bot.app import BotApplication
from bot.db.models import LessonDelivery, Role, User, UserStatus
from bot.flows.keyboards import markup
from bot.lessons.progress import deliver_lesson
from bot.offline.fake_bot_api import FakeUser, SentMessage
from bot.services import Services


def services_of(bot: BotApplication) -> Services:
    return bot.bot_data["services"]


async def make_client(bot: BotApplication, telegram_id: int, locale: str) -> int:
    """An active client, as enrollment (issue 3) will create them; returns the user id."""
    async with services_of(bot).sessions() as session, session.begin():
        user = User(
            telegram_id=telegram_id, role=Role.CLIENT, status=UserStatus.ACTIVE, locale=locale
        )
        session.add(user)
        await session.flush()
        return user.id


async def deliver(
    bot: BotApplication, client: FakeUser, user_id: int, lesson_id: str, now: datetime | None = None
) -> SentMessage:
    """Deliver a lesson the way the delivery engine will: record it, then send what it returns."""
    services = services_of(bot)
    async with services.sessions() as session, session.begin():
        delivered = await deliver_lesson(
            session,
            services.content,
            services.catalogs,
            user_id=user_id,
            lesson_id=lesson_id,
            now=now or datetime.now(UTC),
        )
    assert delivered is not None
    message = delivered.message
    await bot.bot.send_message(message.chat_id, message.text, reply_markup=markup(message.buttons))
    return await client.expect_one()


async def delivery_row(bot: BotApplication, user_id: int, lesson_id: str) -> LessonDelivery:
    async with services_of(bot).sessions() as session:
        row = await session.scalar(
            select(LessonDelivery).where(
                LessonDelivery.user_id == user_id, LessonDelivery.lesson_id == lesson_id
            )
        )
    assert row is not None
    return row


async def edited(client: FakeUser, message: SentMessage, times: int = 1) -> SentMessage:
    """The message once it has been edited ``times`` times."""
    for _ in range(500):
        current = next(m for m in client.messages() if m.message_id == message.message_id)
        if current.edited >= times:
            return current
        await asyncio.sleep(0.01)
    raise AssertionError(f"message {message.message_id} was not edited {times} time(s)")


async def answer_of(client: FakeUser, query_id: str) -> dict:
    for _ in range(500):
        answer = client.callback_answer(query_id)
        if answer is not None:
            return answer
        await asyncio.sleep(0.01)
    raise AssertionError(f"callback query {query_id} was not answered")
