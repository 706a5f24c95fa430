"""Issue 16, items 2 and 3, over the fake Bot API on SQLite and PostgreSQL (en, de, es).

Distress that is not crisis language gets a short warm reply and a flag of the
distress kind for the practitioner's review, never a real-time alert; an
indirect warning sign is crisis language: the resources at once and an alert
that names its severity. The crisis lines follow where the client is (the
country of the time zone they chose), and the practitioner's /client shows them.
"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from bot.app import BotApplication
from bot.db.models import OutboxMessage, Role, SafetyFlag, User
from bot.domain.crisis import Severity
from bot.offline.fake_bot_api import FakeBotApi
from bot.safety.content import load_resources
from bot.settings import SUPPORTED_LOCALES
from tests import review_helpers as h
from tests.enrollment_helpers import practitioner

DISTRESS = {
    "en": ["I'm so overwhelmed today", "😢😢"],
    "de": ["Ich kann nicht mehr", "😢😢"],
    "es": ["Ya no puedo más", "😢😢"],
}
INDIRECT = {
    "en": "Everyone would be better off without me",
    "de": "Alle wären ohne mich besser dran",
    "es": "Todos estarían mejor sin mí",
}
CARING = {
    "en": "nobody reads these messages in real time",
    "de": "niemand liest diese Nachrichten in Echtzeit",
    "es": "nadie lee estos mensajes en tiempo real",
}
BRUSH_OFF = {
    "en": "I can't answer messages like this",
    "de": "Thanks for writing",  # the brush-off's opening is never the caring reply's either
    "es": "Thanks for writing",
}
CALM_OPENING = {
    "en": "Thank you for telling me.",
    "de": "Danke, dass du mir das schreibst.",
    "es": "Gracias por contármelo.",
}
ALERT = {"en": "Safety flag", "de": "Sicherheitshinweis", "es": "Aviso de seguridad"}
MEDIUM = {
    "en": "Severity: indirect — a warning sign",
    "de": "Schweregrad: indirekt – ein Warnsignal",
    "es": "Gravedad: indirecta – una señal de alerta",
}
RESOURCES = load_resources(SUPPORTED_LOCALES)


async def team_client(
    bot: BotApplication, practitioner_id: int, telegram_id: int, *, locale: str, zone: str | None
) -> int:
    """A client in the practitioner's care (lead), with nothing open: free text is free text."""
    async with h.services(bot).sessions() as session, session.begin():
        client_id = await h.client(session, practitioner_id, telegram_id, "Sam")
        await session.execute(
            update(User).where(User.id == client_id).values(locale=locale, timezone=zone)
        )
    return client_id


async def stored_flags(bot: BotApplication, count: int) -> list[SafetyFlag]:
    """The flags, once there are ``count`` (the reply goes out before the flag is written)."""
    rows: list[SafetyFlag] = []
    for _ in range(100):
        async with h.services(bot).sessions() as session:
            rows = list(await session.scalars(select(SafetyFlag).order_by(SafetyFlag.id)))
        if len(rows) >= count:
            return rows
        await asyncio.sleep(0.05)
    return rows


async def alert_rows(bot: BotApplication) -> int:
    async with h.services(bot).sessions() as session:
        rows = await session.scalars(
            select(OutboxMessage.id).where(OutboxMessage.kind == "safety_alert")
        )
        return len(list(rows))


@pytest.mark.parametrize("language", SUPPORTED_LOCALES)
async def test_distress_gets_a_caring_reply_and_a_flag_for_review_without_an_alert(
    fake_api: FakeBotApi, bot: BotApplication, language: str
):
    doctor, doctor_row = await practitioner(fake_api, bot, 9401, language=language)
    client_id = await team_client(bot, doctor_row.id, 9402, locale=language, zone="Europe/Berlin")
    client = fake_api.user(9402, language_code=language)

    for number, message in enumerate(DISTRESS[language], start=1):
        client.send(message)
        reply = await client.expect_one()
        assert CARING[language] in reply.plain_text
        assert "/help" in reply.plain_text
        assert BRUSH_OFF[language] not in reply.plain_text
        assert CALM_OPENING[language] not in reply.plain_text  # not the crisis reply
        flags = await stored_flags(bot, number)
        assert [(f.user_id, f.severity) for f in flags] == [(client_id, Severity.DISTRESS)] * number
        assert message not in " ".join(str(value) for value in vars(flags[-1]).values())

    await doctor.expect_nothing(1.0)  # no real-time alert
    assert await alert_rows(bot) == 0

    # ... but the practitioner sees it in the client's view, as distress, not a safety flag
    doctor.send("/client Sam")
    view = await doctor.expect_one()
    assert "💬 2" in view.plain_text
    assert "⚠️" not in view.plain_text


@pytest.mark.parametrize("language", SUPPORTED_LOCALES)
async def test_an_indirect_warning_sign_gets_the_crisis_reply_and_alerts_with_its_severity(
    fake_api: FakeBotApi, bot: BotApplication, language: str
):
    doctor, doctor_row = await practitioner(fake_api, bot, 9411, language=language)
    client_id = await team_client(bot, doctor_row.id, 9412, locale=language, zone=None)
    client = fake_api.user(9412, language_code=language)

    client.send(INDIRECT[language])
    reply = await client.expect_one()
    assert reply.plain_text.startswith(CALM_OPENING[language])
    for line in RESOURCES.lines_for(language):
        assert line in reply.plain_text

    alert = await doctor.expect_one(timeout=10)
    assert ALERT[language] in alert.plain_text
    assert MEDIUM[language] in alert.plain_text
    assert INDIRECT[language] not in alert.plain_text  # never the client's words
    (flag,) = await stored_flags(bot, 1)
    assert (flag.user_id, flag.severity, flag.rule_id) == (client_id, Severity.MEDIUM, "burden")


async def test_a_client_in_london_is_shown_a_uk_line_first_and_the_practitioner_sees_it(
    fake_api: FakeBotApi, bot: BotApplication
):
    doctor, doctor_row = await practitioner(fake_api, bot, 9421, language="de")
    await team_client(bot, doctor_row.id, 9422, locale="en", zone="Europe/London")
    client = fake_api.user(9422, language_code="en")

    client.send("I want to kill myself")
    reply = await client.expect_one()
    lines = [line for line in reply.plain_text.splitlines() if line.startswith("• ")]
    assert lines[0].startswith("• If you are in danger right now")  # the anywhere line
    assert lines[1] == "• Emergency number (UK): 999 or 112"
    assert "Samaritans" in lines[2] and "116 123" in lines[2]
    assert any("988" in line for line in lines[3:])  # the language's defaults come after
    await doctor.expect_one(timeout=10)  # the alert

    client.send("/help")
    assert "116 123" in (await client.expect_one()).plain_text

    doctor.send("/client Sam")
    view = await doctor.expect_one()
    assert "Krisenangebote, die diese Person angezeigt bekommt" in view.plain_text
    assert "Vereinigtes Königreich" in view.plain_text
    assert "Samaritans, kostenlos, rund um die Uhr: 116 123" in view.plain_text


@pytest.mark.parametrize("severity", ["distress", "high", "medium"])
async def test_the_schema_takes_each_severity(bot: BotApplication, severity: str):
    async with h.services(bot).sessions() as session, session.begin():
        user = User(telegram_id=9431, role=Role.CLIENT, locale="en")
        session.add(user)
        await session.flush()
        session.add(
            SafetyFlag(
                user_id=user.id, severity=Severity(severity), rule_id="r", locale="en", source="s"
            )
        )


async def test_the_schema_still_refuses_an_unknown_severity(bot: BotApplication):
    async with h.services(bot).sessions() as session, session.begin():
        user = User(telegram_id=9432, role=Role.CLIENT, locale="en")
        session.add(user)
        await session.flush()
        user_id = user.id
    with pytest.raises((IntegrityError, DBAPIError)):
        async with h.services(bot).sessions() as session, session.begin():
            await session.execute(
                text(
                    "INSERT INTO safety_flags"
                    " (user_id, created_at, severity, rule_id, locale, source)"
                    " VALUES (:user_id, CURRENT_TIMESTAMP, 'bogus', 'r', 'en', 's')"
                ),
                {"user_id": user_id},
            )


async def test_distress_edited_into_crisis_language_raises_the_flag_and_alerts(
    fake_api: FakeBotApi, bot: BotApplication
):
    doctor, doctor_row = await practitioner(fake_api, bot, 9441, language="en")
    client_id = await team_client(bot, doctor_row.id, 9442, locale="en", zone=None)
    client = fake_api.user(9442, language_code="en")

    sent = client.send("I'm so overwhelmed today")
    assert CARING["en"] in (await client.expect_one()).plain_text
    (flag,) = await stored_flags(bot, 1)
    assert flag.severity is Severity.DISTRESS
    await doctor.expect_nothing(0.5)

    client.edit(sent, "I'm so overwhelmed today, I want to kill myself")
    assert (await client.expect_one()).plain_text.startswith(CALM_OPENING["en"])
    alert = await doctor.expect_one(timeout=10)
    assert "Severity: explicit" in alert.plain_text
    for _ in range(100):
        (flag,) = await stored_flags(bot, 1)
        if flag.severity is not Severity.DISTRESS:
            break
        await asyncio.sleep(0.05)
    assert (flag.user_id, flag.severity, flag.rule_id) == (client_id, Severity.HIGH, "suicide")

    client.edit(sent, "I'm so overwhelmed today, I want to kill myself.")  # again: no second alert
    await client.expect_one()
    await doctor.expect_nothing(1.0)
    assert await alert_rows(bot) == 1


async def test_a_strangers_distress_gets_the_caring_reply_and_nothing_is_stored(
    fake_api: FakeBotApi, bot: BotApplication
):
    stranger = fake_api.user(9451, language_code="de")
    stranger.send("Ich kann nicht mehr 😢")
    reply = await stranger.expect_one()
    assert CARING["de"] in reply.plain_text
    await stranger.expect_nothing()
    assert await stored_flags(bot, 0) == []
