"""A crisis message reaches the client's lead practitioner at once, through the outbox."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from bot.app import BotApplication
from bot.db.models import OutboxMessage, OutboxStatus
from bot.offline.fake_bot_api import FakeBotApi
from tests.enrollment_helpers import onboard_client, practitioner

CRISIS = {
    "en": "I want to kill myself",
    "de": "Ich will mich umbringen",
    "es": "Quiero matarme",
}
ALERT = {"en": "Safety flag", "de": "Sicherheitshinweis", "es": "Aviso de seguridad"}


@pytest.mark.parametrize("language", ["en", "de", "es"])
async def test_the_lead_practitioner_is_alerted_without_the_clients_words(
    fake_api: FakeBotApi, bot: BotApplication, language: str
):
    doctor, _ = await practitioner(fake_api, bot, 9301, language=language)
    client = await onboard_client(fake_api, doctor, 9302, language="en", alias="M. <Ruiz>")

    client.send(CRISIS["en"])
    await client.expect_one()  # the resources, at once

    alert = await doctor.expect_one(timeout=10)
    assert ALERT[language] in alert.plain_text
    assert "M. <Ruiz>" in alert.plain_text  # the alias, escaped and shown as typed
    assert CRISIS["en"] not in alert.plain_text  # never the client's words
    assert await alert_statuses(bot) == [OutboxStatus.SENT]  # one row, marked sent

    client.send(CRISIS["en"] + "!")  # a second flag: a second alert, never a duplicate
    await client.expect_one()
    assert ALERT[language] in (await doctor.expect_one(timeout=10)).plain_text
    await doctor.expect_nothing(0.5)


async def alert_statuses(bot: BotApplication) -> list[OutboxStatus]:
    """The alert rows' statuses once the sender has recorded its outcomes (it batches them)."""
    for _ in range(100):
        async with bot.bot_data["services"].sessions() as session:
            statuses = list(
                await session.scalars(
                    select(OutboxMessage.status).where(OutboxMessage.kind == "safety_alert")
                )
            )
        if OutboxStatus.SENDING not in statuses:
            return statuses
        await asyncio.sleep(0.05)
    return statuses
