"""First contact over the fake Bot API: /start, /help, anything else, and group chats."""

from __future__ import annotations

import pytest

from bot.app import BotApplication
from bot.db.models import Role, User
from bot.offline.fake_bot_api import FakeBotApi

pytestmark = pytest.mark.usefixtures("bot")

GREETING = {
    "en": "you need the personal invite link",
    "de": "brauchst du den persönlichen Einladungslink",
    "es": "necesitas el enlace de invitación personal",
}
NOT_AN_EMERGENCY_SERVICE = {
    "en": "I am not an emergency service, and nobody reads these messages in real time.",
    "de": "Ich bin kein Notdienst, und niemand liest diese Nachrichten in Echtzeit.",
    "es": "No soy un servicio de emergencias, y nadie lee estos mensajes en tiempo real.",
}
EMERGENCY_NUMBER = {"en": "emergency number", "de": "Notruf", "es": "número de emergencias"}


@pytest.mark.parametrize("language", ["en", "de", "es"])
async def test_start_without_invite_greets_in_the_users_language(
    fake_api: FakeBotApi, language: str
):
    client = fake_api.user(1001, first_name="Ana", language_code=language)
    client.send("/start")
    reply = await client.expect_one()
    assert "Ana" in reply.plain_text
    assert GREETING[language] in reply.plain_text
    assert "/help" in reply.plain_text


@pytest.mark.parametrize("language", ["en", "de", "es"])
async def test_help_says_what_the_bot_is_not_and_where_to_turn(fake_api: FakeBotApi, language: str):
    client = fake_api.user(1002, language_code=language)
    client.send("/help")
    reply = await client.expect_one()
    assert NOT_AN_EMERGENCY_SERVICE[language] in reply.plain_text
    assert EMERGENCY_NUMBER[language] in reply.plain_text
    assert "112" in reply.plain_text


@pytest.mark.parametrize(
    ("code", "expected"), [("es-419", "es"), ("de-CH", "de"), ("pt-br", "en"), (None, "en")]
)
async def test_region_and_unknown_language_codes_fall_back(
    fake_api: FakeBotApi, code: str | None, expected: str
):
    client = fake_api.user(1003, language_code=code)
    client.send("/start")
    reply = await client.expect_one()
    assert GREETING[expected] in reply.plain_text


async def test_a_stored_language_choice_wins_over_telegrams(
    fake_api: FakeBotApi, bot: BotApplication
):
    services = bot.bot_data["services"]
    async with services.sessions() as session, session.begin():
        session.add(User(telegram_id=1004, role=Role.CLIENT, locale="es"))
    client = fake_api.user(1004, language_code="de")
    client.send("/help")
    reply = await client.expect_one()
    assert NOT_AN_EMERGENCY_SERVICE["es"] in reply.plain_text


async def test_a_name_with_markup_is_shown_as_text(fake_api: FakeBotApi):
    client = fake_api.user(1005, first_name="<b>Jo & Co</b>", language_code="en")
    client.send("/start")
    reply = await client.expect_one()
    assert "<b>Jo & Co</b>" in reply.plain_text


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        (lambda user: user.send("/frobnicate"), "I don't know that command."),
        (lambda user: user.send_sticker(), "I can only read text and buttons"),
        (lambda user: user.send_photo(), "I can only read text and buttons"),
        (lambda user: user.send_location(52.52, 13.40), "I can only read text and buttons"),
        (lambda user: user.send("hello there"), "nobody reads them in real time"),
    ],
    ids=["unknown-command", "sticker", "photo", "location", "free-text"],
)
async def test_anything_else_gets_a_short_kind_reply(fake_api: FakeBotApi, action, expected):
    client = fake_api.user(1006, language_code="en")
    action(client)
    reply = await client.expect_one()
    assert expected in reply.plain_text
    assert "/help" in reply.plain_text


async def test_unknown_command_in_german(fake_api: FakeBotApi):
    client = fake_api.user(1007, language_code="de")
    client.send("/frobnicate")
    reply = await client.expect_one()
    assert reply.plain_text == "Diesen Befehl kenne ich nicht. /help zeigt, was ich kann."


async def test_an_edited_message_gets_no_second_reply(fake_api: FakeBotApi):
    client = fake_api.user(1008, language_code="en")
    sent = client.send("hello")
    await client.expect_one()
    client.edit(sent, "hello again")
    await client.expect_nothing()


async def test_being_added_to_a_group_says_why_and_leaves(fake_api: FakeBotApi):
    member = fake_api.user(1009, language_code="es")
    group = fake_api.group(-5001, title="Familia")
    group.add_bot(by=member)
    assert await group.wait_until_left()
    said = fake_api.sent(-5001)
    assert len(said) == 1
    assert "Solo funciono en chats privados" in said[0].plain_text


async def test_a_message_in_a_group_it_is_still_in_makes_it_leave(fake_api: FakeBotApi):
    member = fake_api.user(1010, language_code="de")
    group = fake_api.group(-5002, title="Team", chat_type="supergroup")
    group.send(member, "/start")
    assert await group.wait_until_left()
    assert "Ich arbeite nur in privaten Chats" in fake_api.sent(-5002)[0].plain_text


async def test_a_failed_answer_gets_an_apology_and_the_bot_keeps_working(fake_api: FakeBotApi):
    client = fake_api.user(1011, language_code="en")
    fake_api.fail("sendMessage", 500, times=1)
    client.send("/help")
    apology = await client.expect_one()
    assert "something went wrong on my side" in apology.plain_text
    client.send("/help")
    reply = await client.expect_one()
    assert NOT_AN_EMERGENCY_SERVICE["en"] in reply.plain_text


async def test_command_menu_is_published_in_every_language(fake_api: FakeBotApi):
    commands = fake_api.commands
    descriptions = {
        language: {c["command"]: c["description"] for c in commands_for(commands, language)}
        for language in ("en", "de", "es")
    }
    assert descriptions["de"]["help"] == "Was ich bin und wo du Hilfe findest"
    assert descriptions["es"]["start"] == "Empezar"
    assert descriptions["en"]["start"] == "Begin"


def commands_for(commands: dict, language: str) -> list[dict]:
    for (_scope, code), listed in commands.items():
        if code == language:
            return listed
    raise AssertionError(f"no commands for {language}: {commands}")
