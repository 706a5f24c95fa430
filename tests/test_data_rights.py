"""/mydata and /delete over the fake Bot API: a client sees all their data, then erases it."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from sqlalchemy import func, select

from bot.app import BotApplication
from bot.db.base import Base
from bot.db.models import AuditEvent, LessonDelivery, SafetyFlag, User
from bot.offline.fake_bot_api import FakeBotApi
from tests.enrollment_helpers import onboard_client, practitioner, user_row
from tests.lesson_helpers import deliver, edited

REFLECTION = "I felt calmer after the walk"
DELETED_NOTICE = {
    "en": "deleted their data from Between",
    "de": "hat die eigenen Daten aus Between gelöscht",
    "es": "ha borrado sus datos de Between",
}
CONFIRM = {"en": "Yes, delete everything", "de": "Ja, alles löschen", "es": "Sí, borrar todo"}
DONE = {
    "en": "everything I stored about you is deleted",
    "de": "ist gelöscht",
    "es": "está borrado",
}


async def client_with_history(fake_api: FakeBotApi, bot: BotApplication, language: str):
    """An onboarded client with a lesson, a reflection and a safety flag."""
    doctor, _ = await practitioner(fake_api, bot, 9101, language=language)
    client = await onboard_client(fake_api, doctor, 9102, language=language, alias="Lou")
    row = await user_row(bot, 9102)
    labels = {"en": ("Next »", "Done ✓"), "de": ("Weiter »", "Fertig ✓")}
    labels["es"] = ("Siguiente »", "Hecho ✓")
    first = await deliver(bot, client, row.id, "thoughts-feelings-actions")
    client.press(first, labels[language][0])
    client.press(await edited(client, first), labels[language][1])
    await client.expect_one()
    client.send(REFLECTION)
    await client.expect(2)
    client.send("I want to kill myself")
    await client.expect_one()
    await doctor.expect_one(timeout=10)  # the safety alert
    return doctor, client, row


async def rows_about(bot: BotApplication, user_id: int) -> int:
    async with bot.bot_data["services"].sessions() as session:
        total = 0
        for model in (LessonDelivery, SafetyFlag):
            total += await session.scalar(
                select(func.count()).select_from(model).where(model.user_id == user_id)
            )
        return total


@pytest.mark.parametrize("language", ["en", "de", "es"])
async def test_mydata_sends_everything_then_delete_erases_it(
    fake_api: FakeBotApi, bot: BotApplication, language: str
):
    doctor, client, row = await client_with_history(fake_api, bot, language)
    doctor.send("/lessons Lou")  # a practitioner's read: recorded in the access log
    await doctor.expect_one()

    client.send("/mydata")
    sent = await client.expect_one()
    assert sent.method == "sendDocument" and sent.filename.endswith(".zip")
    archive = zipfile.ZipFile(io.BytesIO(sent.file))
    users = json.loads(archive.read("users.json"))
    assert users[0]["telegram_id"] == 9102 and users[0]["locale"] == language
    deliveries = json.loads(archive.read("lesson_deliveries.json"))
    assert deliveries[0]["reflection_text"] == REFLECTION  # decrypted for its owner
    assert json.loads(archive.read("safety_flags.json"))[0]["severity"]
    assert "care_team_members.csv" in archive.namelist()
    assert not [name for name in archive.namelist() if name.startswith("invites")] or all(
        "token_hash" not in archive.read(name).decode() for name in archive.namelist()
    )
    assert await rows_about(bot, row.id) == 2

    client.send("/delete")
    question = await client.expect_one()
    client.press(question, CONFIRM[language])
    done = await client.expect_one()
    assert DONE[language] in done.plain_text
    notice = await doctor.expect_one()
    assert "Lou" in notice.plain_text and DELETED_NOTICE[language] in notice.plain_text

    assert await user_row(bot, 9102) is None
    assert await rows_about(bot, row.id) == 0
    async with bot.bot_data["services"].sessions() as session:  # the access log stays, anonymous
        views = (await session.scalars(select(AuditEvent))).all()
    assert views and all(v.client_user_id is None and v.subject_ref for v in views)
    assert len({v.subject_ref for v in views}) == 1
    async with bot.bot_data["services"].sessions() as session:
        for table in Base.metadata.sorted_tables:
            for column in table.columns:
                if column.info.get("on_erase") == "anonymize":
                    continue
                if any(fk.column.table is User.__table__ for fk in column.foreign_keys):
                    left = await session.scalar(
                        select(func.count()).select_from(table).where(column == row.id)
                    )
                    assert left == 0, f"{table.name}.{column.name} still refers to the client"

    client.send("/mydata")  # a stranger now
    assert "nothing to send" in (await client.expect_one()).plain_text or language != "en"


async def test_no_keeps_everything_and_a_double_tap_erases_once(
    fake_api: FakeBotApi, bot: BotApplication
):
    doctor, client, _row = await client_with_history(fake_api, bot, "en")
    client.send("/delete")
    question = await client.expect_one()
    client.press(question, "No, keep it")
    assert "Nothing was deleted" in (await client.expect_one()).plain_text
    assert await user_row(bot, 9102) is not None

    client.send("/delete")
    question = await client.expect_one()
    client.press(question, "del:yes")
    client.press(question, "del:yes")
    replies = await client.expect(2)
    assert sum("is deleted" in reply.plain_text for reply in replies) == 1
    assert await doctor.expect_one()
    await doctor.expect_nothing(0.3)  # told once


async def test_strangers_and_practitioners(fake_api: FakeBotApi, bot: BotApplication):
    stranger = fake_api.user(9201, language_code="de")
    stranger.send("/delete")
    assert "nichts zu löschen" in (await stranger.expect_one()).plain_text
    doctor, _ = await practitioner(fake_api, bot, 9202)
    doctor.send("/delete")
    assert "people who run this bot" in (await doctor.expect_one()).plain_text
    doctor.send("/mydata")
    sent = await doctor.expect_one()
    assert sent.method == "sendDocument"
