"""A client's onboarding over the fake Bot API, in en, de and es, with each way to a time zone."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from bot.app import BotApplication, build_application, running
from bot.db.models import (
    CareTeamMember,
    ConversationStep,
    Invite,
    InviteKind,
    ProgramEnrollment,
    Schedule,
    User,
    UserStatus,
)
from bot.offline.fake_bot_api import FakeBotApi
from bot.settings import Settings
from tests.enrollment_helpers import (
    answer_of,
    button_data,
    count,
    invite_link,
    practitioner,
    press_forged,
    user_row,
)

ALL_SET = {"en": "You're all set!", "de": "Alles bereit!", "es": "¡Todo listo!"}
CONSENT = {
    "en": "I am not an emergency service",
    "de": "Ich bin kein Notdienst",
    "es": "No soy un servicio de emergencias",
}
JOINED = "has joined and finished setting up"


async def _consent(fake_api: FakeBotApi, bot: BotApplication, language: str, client_id: int):
    doctor, _row = await practitioner(fake_api, bot, name="Dr. Weber")
    payload = await invite_link(doctor, "Anna M.")
    client = fake_api.user(client_id, first_name="Ana", language_code=language)
    client.send(f"/start {payload}")
    consent = await client.expect_one()
    return doctor, client, consent, payload


@pytest.mark.parametrize(
    ("language", "method"),
    [
        ("en", "location"),
        ("en", "city"),
        ("en", "list"),
        ("de", "location"),
        ("de", "city"),
        ("de", "list"),
        ("es", "location"),
        ("es", "city"),
        ("es", "list"),
    ],
)
async def test_complete_onboarding(
    fake_api: FakeBotApi, bot: BotApplication, language: str, method: str
):
    doctor, client, consent, _payload = await _consent(fake_api, bot, language, 2001)
    assert "Dr. Weber" in consent.plain_text
    assert CONSENT[language] in consent.plain_text
    assert await user_row(bot, 2001) is None  # nothing stored before agreeing

    client.press(consent, button_data(consent, "ob:agree:")[0])
    question = await client.expect_one()
    assert [data for _t, data in question.buttons] == ["ob:lang:en", "ob:lang:de", "ob:lang:es"]
    client.press(question, f"ob:lang:{language}")
    zone_question = await client.expect_one()
    assert zone_question.reply_markup["keyboard"][0][0]["request_location"] is True

    if method == "location":
        client.send_location(40.4168, -3.7038)  # Madrid
        confirm = await client.expect_one()
    elif method == "city":
        client.send("  MADRID ")
        choices = await client.expect_one()  # Madrid in Spain, and one in Colombia
        assert "Colombia" in choices.plain_text or len(choices.buttons) >= 2
        client.press(choices, button_data(choices, "ob:city:")[0])
        confirm = await client.expect_one()
    else:
        label = zone_question.reply_markup["keyboard"][1][0]["text"]
        client.send(label)
        regions = await client.expect_one()
        client.press(regions, "ob:tzr:eu")
        zones = await client.expect_one()
        client.press(zones, "ob:tzp:Europe/Madrid")
        confirm = await client.expect_one()
    assert ":" in confirm.plain_text  # the local time is shown
    client.press(confirm, "ob:tzok:Europe/Madrid")
    saved, _checkin = await client.expect(2)
    assert saved.reply_markup == {"remove_keyboard": True}
    client.send("8:30" if language != "de" else "8.30 Uhr")
    quiet = await client.expect_one()
    client.send("22-7")
    done = await client.expect_one()
    assert ALL_SET[language] in done.plain_text

    user = await user_row(bot, 2001)
    assert user.status == UserStatus.ACTIVE
    assert user.locale == language
    assert user.timezone == "Europe/Madrid"
    assert user.checkin_time == time(8, 30)
    assert (user.quiet_start, user.quiet_end) == (time(22), time(7))
    assert await count(bot, ConversationStep) == 0
    async with bot.bot_data["services"].sessions() as session:
        program = await session.get(ProgramEnrollment, user.id)
    assert program is not None and program.program_id == "foundations"  # DEFAULT_PROGRAM
    async with bot.bot_data["services"].sessions() as session:
        schedule = await session.scalar(select(Schedule).where(Schedule.user_id == user.id))
    assert schedule.kind == "checkin_reminder"  # the daily check-in, at the chosen time
    local = schedule.next_due_at.astimezone(ZoneInfo("Europe/Madrid"))
    assert (local.hour, local.minute) == (8, 30)
    notice = await doctor.expect_one()
    assert "Anna M." in notice.plain_text and JOINED in notice.plain_text
    assert quiet.buttons  # the quiet-hours question had buttons too


async def test_not_now_stores_nothing(fake_api: FakeBotApi, bot: BotApplication):
    _doctor, client, consent, payload = await _consent(fake_api, bot, "en", 2002)
    client.press(consent, button_data(consent, "ob:later:")[0])
    reply = await client.expect_one()
    assert "Nothing about you was stored" in reply.plain_text
    assert await user_row(bot, 2002) is None
    async with bot.bot_data["services"].sessions() as session:
        invite = await session.scalar(select(Invite).where(Invite.kind == InviteKind.CLIENT))
    assert invite.opened_by_telegram_id is None and invite.used_at is None
    # the link still works later
    client.send(f"/start {payload}")
    again = await client.expect_one()
    assert button_data(again, "ob:agree:")


async def test_bad_input_at_every_step_gets_a_hint_and_the_question_again(
    fake_api: FakeBotApi, bot: BotApplication
):
    _doctor, client, _consent_message, _payload = await _consent(fake_api, bot, "en", 2003)
    client.send_sticker()
    again = await client.expect_one()
    assert button_data(again, "ob:agree:")  # the consent question, again
    client.press(again, button_data(again, "ob:agree:")[0])
    language = await client.expect_one()
    client.send("whatever")
    hint = await client.expect_one()
    assert "Please choose with one of the buttons" in hint.plain_text
    client.press(hint, "ob:lang:en")
    await client.expect_one()
    client.send("Atlantis Under The Sea")
    hint = await client.expect_one()
    assert "couldn't find a city" in hint.plain_text
    client.send_photo()
    hint = await client.expect_one()
    assert "I can only read text and buttons" in hint.plain_text
    # a stale button from the language question, pressed later
    query = client.press(language, "ob:lang:de")
    assert (await answer_of(client, query))["text"] == "This button is from an earlier question."
    assert (await user_row(bot, 2003)).locale == "en"
    # days later, the same old button also shows the question that is open now
    async with bot.bot_data["services"].sessions() as session, session.begin():
        await session.execute(
            update(ConversationStep).values(updated_at=datetime.now(UTC) - timedelta(days=3))
        )
    client.press(language, "ob:lang:de")
    reshown = await client.expect_one()
    assert "Which time zone" in reshown.plain_text
    assert (await user_row(bot, 2003)).locale == "en"
    client.send("Skip for now")
    await client.expect(2)
    client.send("half past never")
    hint = await client.expect_one()
    assert "I didn't catch a time" in hint.plain_text
    client.press(hint, "ob:ci:skip")
    await client.expect_one()
    client.press(client.messages()[-1], "ob:qh:none")
    done = await client.expect_one()
    assert "You're all set!" in done.plain_text
    user = await user_row(bot, 2003)
    assert user.locale == "en" and user.timezone is None and user.checkin_time is None


async def test_a_restart_mid_onboarding_resumes_at_the_same_question(
    fake_api: FakeBotApi, migrated: Settings
):
    first = build_application(migrated)
    async with running(first, poll_timeout=1):
        _doctor, client, consent, _payload = await _consent(fake_api, first, "de", 2004)
        client.press(consent, button_data(consent, "ob:agree:")[0])
        language = await client.expect_one()
        client.press(language, "ob:lang:de")
        zone_question = await client.expect_one()
    # the bot is down; the client writes meanwhile, then it comes back on the same database
    client.send("/start")
    second = build_application(migrated)
    async with running(second, poll_timeout=1):
        resumed = await client.expect_one()
        assert "Machen wir da weiter, wo wir aufgehört haben." in resumed.plain_text
        assert resumed.reply_markup == zone_question.reply_markup
        # a button of the question answered before the restart changes nothing
        query = press_forged(fake_api, client, language, "ob:lang:es")
        stale = await answer_of(client, query)
        assert stale["text"] == "Dieser Knopf gehört zu einer früheren Frage."
        assert (await user_row(second, 2004)).locale == "de"
        client.send("Berlin")
        choices = await client.expect_one()
        client.press(choices, button_data(choices, "ob:city:")[0])  # Berlin, Germany: largest
        confirm = await client.expect_one()
        assert "Berlin, Deutschland" in confirm.plain_text
        client.press(confirm, "ob:tzok:Europe/Berlin")
        await client.expect(2)
        assert (await user_row(second, 2004)).timezone == "Europe/Berlin"
        assert await count(second, CareTeamMember) == 1
        assert (await user_row(second, 2004)).status == UserStatus.ONBOARDING


async def test_double_taps_enroll_once_and_answer_once(fake_api: FakeBotApi, bot: BotApplication):
    _doctor, client, consent, _payload = await _consent(fake_api, bot, "en", 2005)
    agree = button_data(consent, "ob:agree:")[0]
    client.press(consent, agree)
    press_forged(fake_api, client, consent, agree)  # the second tap, before the first is done
    question = await client.expect_one()
    await client.expect_nothing(0.5)
    client.press(question, "ob:lang:en")
    press_forged(fake_api, client, question, "ob:lang:en")
    zone_question = await client.expect_one()
    assert "Which time zone" in zone_question.plain_text
    await client.expect_nothing(0.5)
    assert await count(bot, User) == 2  # the practitioner and this client, once
    assert await count(bot, CareTeamMember) == 1


async def test_a_forged_value_for_the_open_question_is_refused_kindly(
    fake_api: FakeBotApi, bot: BotApplication
):
    """A button of the right question with a value no button ever had (``ob:lang:xx``)."""
    _doctor, client, consent, _payload = await _consent(fake_api, bot, "en", 2006)
    client.press(consent, button_data(consent, "ob:agree:")[0])
    language = await client.expect_one()
    for forged in ("ob:lang:xx", "ob:lang:zz-ZZ", "ob:lang:Europe/Berlin"):
        query = press_forged(fake_api, client, language, forged)
        await answer_of(client, query)
        refused = await client.expect_one()
        assert refused.plain_text.startswith("That button doesn't work here.")
        assert "Which language should I use with you?" in refused.plain_text
        assert "something went wrong" not in refused.plain_text
    user = await user_row(bot, 2006)
    assert user.locale == "en" and user.timezone is None
    async with bot.bot_data["services"].sessions() as session:
        step = await session.scalar(select(ConversationStep))
    assert (step.flow, step.step) == ("onboarding", "language")
