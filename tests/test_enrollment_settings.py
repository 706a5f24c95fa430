"""/settings, /pause, /resume and /stop, and the command menus of each role."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.app import BotApplication
from bot.db.models import ConversationStep, Schedule, UserStatus
from bot.offline.fake_bot_api import FakeBotApi
from tests.enrollment_helpers import count, onboard_client, practitioner, press_forged, user_row


async def test_a_client_changes_time_zone_and_check_in_time(
    fake_api: FakeBotApi, bot: BotApplication
):
    doctor, _row = await practitioner(fake_api, bot, 5001)
    client = await onboard_client(fake_api, doctor, 5002, language="de")
    client.send("/settings")
    menu = await client.expect_one()
    assert "Zeitzone: Wien" in menu.plain_text
    client.press(menu, "st:open:timezone")
    question = await client.expect_one()
    assert question.reply_markup["keyboard"][0][0]["request_location"] is True
    client.send_location(-34.6, -58.4)  # Buenos Aires
    confirm = await client.expect_one()
    assert "Buenos Aires" in confirm.plain_text
    client.press(confirm, "st:tzok:America/Argentina/Buenos_Aires")
    _ack, saved = await client.expect(2)
    assert "Gespeichert. Das gilt ab der nächsten geplanten Nachricht." in saved.plain_text
    assert (await user_row(bot, 5002)).timezone == "America/Argentina/Buenos_Aires"

    client.send("/settings")
    menu = await client.expect_one()
    client.press(menu, "st:open:checkin")
    await client.expect_one()
    client.send("20 Uhr")
    saved = await client.expect_one()
    assert "Check-in: 20:00" in saved.plain_text
    assert (await user_row(bot, 5002)).checkin_time == time(20)
    assert await count(bot, ConversationStep) == 0
    # The change applies from the next scheduled message: 20:00 in Buenos Aires.
    async with bot.bot_data["services"].sessions() as session:
        schedule = await session.scalar(
            select(Schedule).where(Schedule.user_id == (await user_row(bot, 5002)).id)
        )
    local = schedule.next_due_at.astimezone(ZoneInfo("America/Argentina/Buenos_Aires"))
    assert (local.hour, local.minute) == (20, 0)
    # free text after that is not taken for a setting any more: the intake's first
    # question is the one still open, so it is offered again (issue 16)
    client.send("21 Uhr")
    reply = await client.expect_one()
    assert reply.plain_text.startswith("Ich warte noch auf deine Antwort auf diese Frage.")
    assert "Deine Stimmung" in reply.plain_text
    assert (await user_row(bot, 5002)).checkin_time == time(20)


async def test_a_practitioner_changes_language_and_gets_the_menu_in_it(
    fake_api: FakeBotApi, bot: BotApplication
):
    doctor, _row = await practitioner(fake_api, bot, 5011, language="en")
    doctor.send("/settings")
    menu = await doctor.expect_one()
    assert "st:open:checkin" not in [data for _t, data in menu.buttons]
    doctor.press(menu, "st:open:language")
    question = await doctor.expect_one()
    doctor.press(question, "st:lang:es")
    saved = await doctor.expect_one()
    assert "Guardado." in saved.plain_text
    assert (await user_row(bot, 5011)).locale == "es"
    scoped = next(v for k, v in fake_api.commands.items() if '"chat_id": 5011' in k[0])
    described = {c["command"]: c["description"] for c in scoped}
    assert described["invite"] == "Invitar a un cliente (enlace y código QR)"


async def test_pause_resume_and_stop(fake_api: FakeBotApi, bot: BotApplication):
    doctor, _row = await practitioner(fake_api, bot, 5021)
    client = await onboard_client(fake_api, doctor, 5022, language="es", alias="Luis")
    scoped = next(v for k, v in fake_api.commands.items() if '"chat_id": 5022' in k[0])
    assert {"pause", "resume", "stop", "settings"} <= {c["command"] for c in scoped}
    assert "invite" not in {c["command"] for c in scoped}

    client.send("/pause 7")
    reply = await client.expect_one()
    assert "Disfruta de tu pausa" in reply.plain_text
    paused = (await user_row(bot, 5022)).paused_until
    assert timedelta(days=6, hours=23) < paused - datetime.now(UTC) <= timedelta(days=7)
    client.send("/pause nunca")
    assert "entre 1 y 60" in (await client.expect_one()).plain_text
    client.send("/resume")
    assert "¡Qué bien que vuelvas!" in (await client.expect_one()).plain_text
    assert (await user_row(bot, 5022)).paused_until is None

    client.send("/pause")
    lengths = await client.expect_one()
    client.press(lengths, "pz:3")
    assert "Disfruta de tu pausa" in (await client.expect_one()).plain_text

    client.send("/stop")
    ask = await client.expect_one()
    client.press(ask, "stop:yes")
    done = await client.expect_one()
    assert "No te escribiré más" in done.plain_text
    user = await user_row(bot, 5022)
    assert user.status == UserStatus.STOPPED and user.paused_until is None
    told = await doctor.expect_one()
    assert "<b>Luis</b> stopped the companion" in told.text
    # the stop button pressed again (a double tap) changes nothing and tells nobody again
    press_forged(fake_api, client, ask, "stop:yes")
    assert "Ya has terminado" in (await client.expect_one()).plain_text
    await doctor.expect_nothing(0.3)
    client.send("/resume")
    assert "¡Qué bien que vuelvas!" in (await client.expect_one()).plain_text
    assert (await user_row(bot, 5022)).status == UserStatus.ACTIVE
    assert "<b>Luis</b> started the companion again" in (await doctor.expect_one()).text


async def test_a_forged_value_for_an_open_setting_is_refused_kindly(
    fake_api: FakeBotApi, bot: BotApplication
):
    """``st:ci:99x`` on the open check-in question: the question again, nothing changed."""
    doctor, _row = await practitioner(fake_api, bot, 5031)
    client = await onboard_client(fake_api, doctor, 5032)
    client.send("/settings")
    menu = await client.expect_one()
    client.press(menu, "st:open:checkin")
    question = await client.expect_one()
    for forged in ("st:ci:99x", "st:ci:2500", "st:ci:0860", "st:ci:-800"):
        press_forged(fake_api, client, question, forged)
        refused = await client.expect_one()
        assert refused.plain_text.startswith("That button doesn't work here.")
        assert "When would you like your daily check-in?" in refused.plain_text
    assert (await user_row(bot, 5032)).checkin_time == time(8)
    async with bot.bot_data["services"].sessions() as session:
        step = await session.scalar(select(ConversationStep))
    assert (step.flow, step.step) == ("settings", "checkin")
