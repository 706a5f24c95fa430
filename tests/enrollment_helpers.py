"""Shared steps for the enrollment tests: practitioners, invites and onboarded clients."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from bot.app import BotApplication
from bot.db.base import utcnow
from bot.db.models import InviteKind, User
from bot.enrollment import invites, practices
from bot.offline.fake_bot_api import FakeBotApi, FakeUser, SentMessage

LINK = re.compile(r"https://t\.me/between_test_bot\?start=([A-Za-z0-9_-]+)")


def services(bot: BotApplication):
    return bot.bot_data["services"]


async def new_invite(
    bot: BotApplication,
    kind: InviteKind,
    *,
    created_by_id: int | None = None,
    alias: str | None = None,
    name: str | None = None,
    valid_for: timedelta = timedelta(days=7),
    practice: str | None = None,
    client_id: int | None = None,
) -> str:
    async with services(bot).sessions() as session, session.begin():
        practice_id = None
        if practice is not None:  # made on first use
            found = await practices.by_name(session, practice)
            practice_id = (found or await practices.create(session, practice)).id
        made = await invites.create(
            session,
            kind,
            now=utcnow(),
            valid_for=valid_for,
            created_by_id=created_by_id,
            alias=alias,
            display_name=name,
            practice_id=practice_id,
            client_id=client_id,
        )
    return made.payload


async def user_row(bot: BotApplication, telegram_id: int) -> User | None:
    async with services(bot).sessions() as session:
        return await session.scalar(select(User).where(User.telegram_id == telegram_id))


async def count(bot: BotApplication, model) -> int:
    async with services(bot).sessions() as session:
        return await session.scalar(select(func.count()).select_from(model))


async def practitioner(
    fake_api: FakeBotApi,
    bot: BotApplication,
    telegram_id: int = 9001,
    *,
    name: str = "Dr. Weber",
    language: str = "en",
    practice: str | None = None,
) -> tuple[FakeUser, User]:
    """A practitioner registered through a practitioner invite link (into ``practice``,
    made if new; default: the default practice)."""
    payload = await new_invite(bot, InviteKind.PRACTITIONER, name=name, practice=practice)
    user = fake_api.user(telegram_id, first_name="P", language_code=language)
    user.send(f"/start {payload}")
    await user.expect_one()
    row = await user_row(bot, telegram_id)
    assert row is not None
    return user, row


async def invite_link(practitioner_user: FakeUser, alias: str = "Anna M.") -> str:
    """The practitioner asks for a client invite; returns the payload from the caption."""
    practitioner_user.send(f"/invite {alias}")
    photo = await practitioner_user.expect_one()
    match = LINK.search(photo.plain_caption or "")
    assert match, photo.plain_caption
    return match.group(1)


def button_data(message: SentMessage, prefix: str) -> list[str]:
    return [data for _text, data in message.buttons if data and data.startswith(prefix)]


async def onboard_client(
    fake_api: FakeBotApi,
    practitioner_user: FakeUser,
    telegram_id: int,
    *,
    language: str = "en",
    alias: str = "Anna M.",
) -> FakeUser:
    """A client who went through onboarding the quickest way (buttons only, a city typed)."""
    payload = await invite_link(practitioner_user, alias)
    client = fake_api.user(telegram_id, first_name="C", language_code=language)
    client.send(f"/start {payload}")
    consent = await client.expect_one()
    client.press(consent, button_data(consent, "ob:agree:")[0])
    question = await client.expect_one()
    client.press(question, f"ob:lang:{language}")
    await client.expect_one()  # time zone question
    client.send("Wien")  # one match: Vienna
    confirm = await client.expect_one()
    client.press(confirm, "ob:tzok:Europe/Vienna")
    await client.expect(2)  # saved + check-in question
    checkin = client.messages()[-1]
    client.press(checkin, "ob:ci:0800")
    quiet = await client.expect_one()
    client.press(quiet, "ob:qh:2200-0700")
    await client.expect(2)  # all set, and the first intake question
    await practitioner_user.expect_one()  # "has joined"
    return client


def press_forged(fake_api: FakeBotApi, user: FakeUser, message: SentMessage, data: str) -> str:
    """Press a button that was never offered: callback data made up by a malicious client."""
    world = fake_api._world

    def build() -> dict:
        current = world.log.get(message.chat_id, message.message_id)
        return {
            "id": world.callbacks.open(),
            "from": world.directory.user(user.id),
            "chat_instance": "forged",
            "message": current.to_api_dict(),
            "data": data,
        }

    return world.publish("callback_query", build)["id"]


async def answer_of(user: FakeUser, query_id: str) -> dict:
    """The bot's answer to a callback query, once it came."""
    import asyncio

    for _ in range(500):
        answer = user.callback_answer(query_id)
        if answer is not None:
            return answer
        await asyncio.sleep(0.01)
    raise AssertionError(f"callback query {query_id} was not answered")
