"""The crisis check in the bot, over the fake Bot API, on SQLite and PostgreSQL.

A crisis message gets the resources at once; a known user's message leaves a
flag row (no text) and calls the practitioner-alert hook once; a stranger's
leaves nothing; a figure of speech gets the ordinary reply; /help lists the
resources from the data.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from bot.app import BotApplication, build_application, running
from bot.db import migrate
from bot.db.models import Role, SafetyFlag, User
from bot.db.session import create_engine
from bot.domain.crisis import MODEL_RULE_ID, Severity
from bot.flows import crisis
from bot.offline.fake_bot_api import FakeBotApi
from bot.safety.content import load_resources
from bot.settings import SUPPORTED_LOCALES
from tests.conftest import make_settings

CRISIS = {
    "en": "I can't do this anymore, I want to kill myself",
    "de": "Ich kann nicht mehr, ich will mich umbringen",
    "es": "Ya no puedo más, quiero matarme",
}
FIGURATIVE = {
    "en": "This homework is killing me",
    "de": "Ich sterbe vor Langeweile",
    "es": "Me muero de risa con este vídeo",
}
CALM_OPENING = {
    "en": "Thank you for telling me.",
    "de": "Danke, dass du mir das schreibst.",
    "es": "Gracias por contármelo.",
}
ORDINARY_REPLY = {
    "en": "nobody reads them in real time",
    "de": "niemand liest sie in Echtzeit",
    "es": "nadie los lee en tiempo real",
}
RESOURCES = load_resources(SUPPORTED_LOCALES)


@pytest.fixture
def alerts(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """Records each call of the practitioner-alert hook (client id, flag id)."""
    calls: list[tuple[int, int]] = []

    async def record(session, *, client_id: int, flag_id: int) -> None:
        calls.append((client_id, flag_id))

    monkeypatch.setattr(crisis, "alert_lead_practitioner", record)
    return calls


async def add_client(bot: BotApplication, telegram_id: int, locale: str | None = None) -> int:
    async with bot.bot_data["services"].sessions() as session, session.begin():
        user = User(telegram_id=telegram_id, role=Role.CLIENT, locale=locale)
        session.add(user)
        await session.flush()
        return user.id


async def flags(bot: BotApplication, count: int = 0) -> list[SafetyFlag]:
    """The flags stored, once there are ``count`` (the reply goes out before the flag is
    written, so that a slow database never delays the resources)."""
    for _ in range(100):
        async with bot.bot_data["services"].sessions() as session:
            rows = list(await session.scalars(select(SafetyFlag).order_by(SafetyFlag.id)))
        if len(rows) >= count:
            return rows
        await asyncio.sleep(0.05)
    return rows


def assert_lists_resources(text: str, locale: str, country: str | None = None) -> None:
    for line in RESOURCES.lines_for(locale, country):
        assert line in text


async def client_writes(
    fake_api: FakeBotApi, bot: BotApplication, telegram_id: int, locale: str, text: str
) -> tuple[int, Any]:
    """A new client writes ``text``: the one reply is the calm opening with the crisis
    lines of their language, and nothing follows. Returns (user id, the reply)."""
    user_id = await add_client(bot, telegram_id)
    client = fake_api.user(telegram_id, language_code=locale)
    client.send(text)
    reply = await client.expect_one()
    assert reply.plain_text.startswith(CALM_OPENING[locale])
    assert_lists_resources(reply.plain_text, locale)
    await client.expect_nothing()
    return user_id, reply


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
async def test_a_clients_crisis_message_gets_the_resources_at_once_and_a_flag(
    fake_api: FakeBotApi, bot: BotApplication, alerts: list, locale: str
):
    user_id, reply = await client_writes(fake_api, bot, 2001, locale, CRISIS[locale])
    assert "?" not in reply.plain_text  # asks nothing
    (flag,) = await flags(bot, 1)
    assert (flag.user_id, flag.severity, flag.rule_id, flag.locale) == (
        user_id,
        Severity.HIGH,
        "suicide",
        locale,
    )
    # The words are kept for "Show message" (issue 17), only in the encrypted column.
    assert flag.text == CRISIS[locale]
    stored = " ".join(str(value) for key, value in vars(flag).items() if key != "text")
    assert CRISIS[locale] not in stored and "umbringen" not in stored
    async with bot.bot_data["services"].sessions() as session:
        raw = await session.scalar(
            sa.select(sa.cast(SafetyFlag.__table__.c.text, sa.Text())).where(
                SafetyFlag.id == flag.id
            )
        )
    assert raw and CRISIS[locale] not in raw and "umbringen" not in raw
    assert alerts == [(user_id, flag.id)]


# Sentences of the model's own corpus that no lexicon rule matches (tests/test_crisis_model.py
# checks both): only the model beside the lexicon reads them as crisis language.
MODEL_ONLY = {
    "en": "i won't be a problem for much longer",
    "de": "ich mag nicht mehr leben",
    "es": "esta vida ya no es para mí",
}


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
async def test_a_message_only_the_model_catches_is_answered_and_flagged_medium(
    fake_api: FakeBotApi, bot: BotApplication, alerts: list, locale: str
):
    user_id, _reply = await client_writes(fake_api, bot, 2013, locale, MODEL_ONLY[locale])
    (flag,) = await flags(bot, 1)
    assert (flag.user_id, flag.severity, flag.rule_id, flag.locale) == (
        user_id,
        Severity.MEDIUM,
        MODEL_RULE_ID,
        locale,
    )
    assert flag.text == MODEL_ONLY[locale]  # kept for "Show message", as for a lexicon match
    assert alerts == [(user_id, flag.id)]


async def test_a_strangers_crisis_message_gets_the_resources_and_nothing_is_stored(
    fake_api: FakeBotApi, bot: BotApplication, alerts: list
):
    stranger = fake_api.user(2002, language_code="es")
    stranger.send(CRISIS["es"])
    reply = await stranger.expect_one()
    assert_lists_resources(reply.plain_text, "es")
    await stranger.expect_nothing()
    assert await flags(bot) == []
    assert alerts == []


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
async def test_a_figure_of_speech_gets_the_ordinary_reply(
    fake_api: FakeBotApi, bot: BotApplication, alerts: list, locale: str
):
    await add_client(bot, 2003)
    client = fake_api.user(2003, language_code=locale)
    client.send(FIGURATIVE[locale])
    reply = await client.expect_one()
    assert ORDINARY_REPLY[locale] in reply.plain_text
    assert await flags(bot) == []


async def test_the_users_stored_language_answers_whatever_language_they_wrote_in(
    fake_api: FakeBotApi, bot: BotApplication, alerts: list
):
    await add_client(bot, 2004, locale="de")
    client = fake_api.user(2004, language_code="en")
    client.send(CRISIS["es"])
    reply = await client.expect_one()
    assert reply.plain_text.startswith(CALM_OPENING["de"])
    assert_lists_resources(reply.plain_text, "de")
    (flag,) = await flags(bot, 1)
    assert flag.locale == "es"  # the lexicon that matched


async def test_an_edit_that_adds_crisis_language_is_answered_and_flagged_once(
    fake_api: FakeBotApi, bot: BotApplication, alerts: list
):
    await add_client(bot, 2005)
    client = fake_api.user(2005, language_code="en")
    sent = client.send("Had a long day")
    assert ORDINARY_REPLY["en"] in (await client.expect_one()).plain_text
    client.edit(sent, "Had a long day. I want to die")
    reply = await client.expect_one()
    assert reply.plain_text.startswith(CALM_OPENING["en"])
    # Telegram redelivers, users edit again: the same message never flags twice.
    client.edit(sent, "Had a long day. I want to die.")
    await client.expect_one()
    await client.expect_nothing()
    assert len(await flags(bot, 1)) == 1
    assert len(alerts) == 1


async def test_a_failed_crisis_reply_is_sent_again(
    fake_api: FakeBotApi, bot: BotApplication, alerts: list
):
    await add_client(bot, 2011)
    client = fake_api.user(2011, language_code="en")
    fake_api.fail("sendMessage", 502, times=1)
    client.send("I want to kill myself")
    reply = await client.expect_one()
    assert reply.plain_text.startswith(CALM_OPENING["en"])
    assert len(await flags(bot, 1)) == 1


async def test_the_flag_is_kept_even_when_telegram_cannot_take_the_reply(
    fake_api: FakeBotApi, bot: BotApplication, alerts: list
):
    user_id = await add_client(bot, 2012)
    client = fake_api.user(2012, language_code="en")
    fake_api.fail("sendMessage", 500, times=2)
    client.send("I want to kill myself")
    (flag,) = await flags(bot, 1)
    assert flag.user_id == user_id
    assert alerts == [(user_id, flag.id)]


async def test_a_harmless_edit_gets_no_reply(fake_api: FakeBotApi, bot: BotApplication):
    client = fake_api.user(2006, language_code="en")
    sent = client.send("hello")
    await client.expect_one()
    client.edit(sent, "hello again")
    await client.expect_nothing()


async def test_two_crisis_messages_are_two_flags(
    fake_api: FakeBotApi, bot: BotApplication, alerts: list
):
    await add_client(bot, 2007)
    client = fake_api.user(2007, language_code="en")
    client.send("I want to kill myself")
    await client.expect_one()
    client.send("nobody would miss me")
    await client.expect_one()
    assert [(f.rule_id, f.severity) for f in await flags(bot, 2)] == [
        ("suicide", Severity.HIGH),
        ("burden", Severity.MEDIUM),
    ]
    assert len(alerts) == 2


async def test_the_crisis_path_logs_no_text(
    fake_api: FakeBotApi, bot: BotApplication, caplog: pytest.LogCaptureFixture
):
    await add_client(bot, 2008)
    client = fake_api.user(2008, language_code="de")
    with caplog.at_level(logging.DEBUG):
        client.send(CRISIS["de"])
        await client.expect_one()
        await client.expect_nothing(wait=0.3)
    await flags(bot, 1)
    # The bot's own log lines (the library's DEBUG output is a matter for the log policy).
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("bot"))
    assert "event=crisis.matched" in logged
    assert "umbringen" not in logged and "kann nicht mehr" not in logged


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
async def test_help_lists_the_resources_from_the_data(
    fake_api: FakeBotApi, bot: BotApplication, locale: str
):
    client = fake_api.user(2009, language_code=locale)
    client.send("/help")
    reply = await client.expect_one()
    assert_lists_resources(reply.plain_text, locale)
    assert "/start" in reply.plain_text  # the rest of /help is still there


@pytest.fixture
async def bot_in_germany(fake_api: FakeBotApi, database_url: str) -> AsyncIterator[BotApplication]:
    settings = make_settings(fake_api, database_url, crisis_country="DE")
    engine = create_engine(settings.database_url)
    try:
        await migrate.upgrade(engine)
    finally:
        await engine.dispose()
    application = build_application(settings)
    async with running(application, poll_timeout=1):
        yield application


async def test_with_a_country_configured_its_lines_are_shown(
    fake_api: FakeBotApi, bot_in_germany: BotApplication
):
    client = fake_api.user(2010, language_code="en")
    client.send("/help")
    help_reply = await client.expect_one()
    assert_lists_resources(help_reply.plain_text, "en", "DE")
    assert "TelefonSeelsorge" in help_reply.plain_text
    assert "988" not in help_reply.plain_text
    client.send("I want to die")
    crisis_reply = await client.expect_one()
    assert "0800 111 0 111" in crisis_reply.plain_text


@pytest.mark.parametrize("language", ["en", "de", "es"])
async def test_a_reflection_in_crisis_language_is_stored_and_answered_with_resources(
    fake_api: FakeBotApi, bot: BotApplication, alerts: list[tuple[int, int]], language: str
):
    from tests.lesson_helpers import deliver, delivery_row, edited, make_client

    labels = {"en": ("Next »", "Done ✓"), "de": ("Weiter »", "Fertig ✓")}
    labels["es"] = ("Siguiente »", "Hecho ✓")
    user_id = await make_client(bot, 4201, language)
    client = fake_api.user(4201, language_code=language)
    first = await deliver(bot, client, user_id, "thoughts-feelings-actions")
    client.press(first, labels[language][0])
    client.press(await edited(client, first), labels[language][1])
    await client.expect_one()  # the reflection question

    client.send(CRISIS[language])
    reply = await client.expect_one()
    assert reply.plain_text.startswith(CALM_OPENING[language])
    await client.expect_nothing(0.3)  # no thanks, no quiz: nothing more is asked
    row = await delivery_row(bot, user_id, "thoughts-feelings-actions")
    assert row.reflection_text == CRISIS[language]  # what they wrote is kept
    async with bot.bot_data["services"].sessions() as session:
        flags = (await session.scalars(select(SafetyFlag))).all()
    assert [flag.user_id for flag in flags] == [user_id]
    assert alerts == [(user_id, flags[0].id)]
