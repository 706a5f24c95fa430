"""Questionnaires over the fake Bot API: the intake after onboarding (answered, resumed after
a restart, seeding a goal, seen by the practitioner), and a scheduled weekly measure
(answered over two days with a pause between, scored; another left to expire)."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.app import SENDER_KEY, BotApplication, build_application, running
from bot.audit import AuditAction
from bot.db.base import utcnow
from bot.db.models import (
    AdministrationStatus,
    AuditEvent,
    Cadence,
    Goal,
    GoalStatus,
    MeasureAdministration,
    MeasureAnswer,
    MeasureAssignment,
)
from bot.measures import callbacks
from bot.measures import delivery as measure_delivery
from bot.offline.fake_bot_api import FakeBotApi, FakeUser, SentMessage
from bot.settings import Settings
from tests.conftest import make_settings
from tests.enrollment_helpers import (
    answer_of,
    onboard_client,
    practitioner,
    press_forged,
    services,
    user_row,
)
from tests.lesson_helpers import edited

PROGRESS = {"en": "{n} of {total}", "de": "{n} von {total}", "es": "{n} de {total}"}
THANKS = {
    "en": "Thank you, that's all.",
    "de": "Danke, das war's.",
    "es": "Gracias, eso es todo.",
}
INTAKE_TITLE = {"en": "Getting started", "de": "Zum Start", "es": "Para empezar"}
WELLBEING_TITLE = {
    "en": "Weekly wellbeing check",
    "de": "Wöchentlicher Wohlbefinden-Check",
    "es": "Revisión semanal de bienestar",
}
# calm 3, energy 2, connected 4, coping 3, worry 1 (reversed on 0..4 → 3): 15 of 20.
SCORE = {
    "en": "Your score: 15 of 20 — A good week",
    "de": "Dein Wert: 15 von 20 — Eine gute Woche",
    "es": "Tu puntuación: 15 de 20 — Una buena semana",
}
EXPIRED = {
    "en": "This questionnaire has closed",
    "de": "Dieser Fragebogen ist geschlossen",
    "es": "Este cuestionario se ha cerrado",
}


@pytest.fixture
def settings(fake_api: FakeBotApi, database_url: str) -> Settings:
    # The measures job runs only when a test calls it (with its own "now").
    return make_settings(fake_api, database_url, scheduler_tick_seconds=3600)


async def run_job(bot: BotApplication, now) -> tuple[int, int]:
    return await measure_delivery.run(
        services(bot).sessions, services(bot).measures, now=now, default_timezone="UTC"
    )


def progress(language: str, n: int, total: int) -> str:
    return PROGRESS[language].format(n=n, total=total)


async def administration_of(bot: BotApplication, **where) -> MeasureAdministration:
    async with services(bot).sessions() as session:
        row = await session.scalar(select(MeasureAdministration).filter_by(**where))
    assert row is not None
    return row


async def a_day_earlier(bot: BotApplication, administration_id: int) -> None:
    """As if the administration had been opened a day earlier (a day has passed)."""
    async with services(bot).sessions() as session, session.begin():
        row = await session.get(MeasureAdministration, administration_id)
        row.opened_at -= timedelta(days=1)
        row.closes_at -= timedelta(days=1)


async def answers(bot: BotApplication, administration_id: int) -> dict[str, MeasureAnswer]:
    async with services(bot).sessions() as session:
        rows = await session.scalars(
            select(MeasureAnswer).where(MeasureAnswer.administration_id == administration_id)
        )
        return {row.item_id: row for row in rows}


async def press_and_wait(
    client: FakeUser, message: SentMessage, data: str, edits: int
) -> SentMessage:
    client.press(message, data)
    return await edited(client, message, edits)


async def answer_intake_items(
    client: FakeUser, message: SentMessage, administration_id: int, values: list[int | None]
) -> SentMessage:
    """Answer the intake's scale items from the first (None: skip); returns the message."""
    current = message
    for index, value in enumerate(values):
        data = (
            callbacks.skip(administration_id, index)
            if value is None
            else callbacks.answer(administration_id, index, value)
        )
        current = await press_and_wait(client, message, data, index + 1)
    return current


# mood 4, worry skipped, sleep 6, energy 5, relationships 8, work 7, routine 3, health 5:
# mean of the seven answered = (4 + 6 + 5 + 8 + 7 + 3 + 5) / 7 = 38 / 7 = 5.4286
INTAKE_VALUES: list[int | None] = [4, None, 6, 5, 8, 7, 3, 5]


@pytest.mark.parametrize("language", ["en", "de", "es"])
async def test_the_intake_is_answered_and_seeds_a_goal(
    fake_api: FakeBotApi, bot: BotApplication, language: str
):
    lead, _row = await practitioner(fake_api, bot, 9401)
    client = await onboard_client(fake_api, lead, 9402, language=language, alias="Anna M.")
    intake = client.messages()[-1]
    assert INTAKE_TITLE[language] in intake.plain_text
    assert progress(language, 1, 9) in intake.plain_text
    user = await user_row(bot, 9402)
    administration = await administration_of(bot, user_id=user.id, measure_id="intake")
    admin_id = administration.id

    shown = await answer_intake_items(client, intake, admin_id, INTAKE_VALUES[:3])
    assert progress(language, 4, 9) in shown.plain_text
    # a double tap on the item just answered records nothing and moves nothing
    query = press_forged(fake_api, client, shown, callbacks.answer(admin_id, 2, 6))
    await answer_of(client, query)
    # a changed answer to an item already passed replaces it (still one row)
    query = press_forged(fake_api, client, shown, callbacks.answer(admin_id, 0, 5))
    await answer_of(client, query)
    # a made-up tap for an item not asked yet is refused
    query = press_forged(fake_api, client, shown, callbacks.answer(admin_id, 6, 3))
    assert (await answer_of(client, query))["text"] == {
        "en": "This button no longer works. /help shows what you can do.",
        "de": "Diese Schaltfläche funktioniert nicht mehr. /help zeigt, was du tun kannst.",
        "es": "Este botón ya no funciona. /help muestra lo que puedes hacer.",
    }[language]
    stored = await answers(bot, admin_id)
    assert len(stored) == 3 and stored["mood"].value == 5 and stored["worry"].skipped
    assert (await administration_of(bot, id=admin_id)).current_item == 3
    query = press_forged(fake_api, client, shown, callbacks.answer(admin_id, 0, 4))  # back to 4
    await answer_of(client, query)
    assert (await edited(client, intake, 3)).edited == 3  # the forged taps edited nothing

    for index in range(3, 8):
        shown = await press_and_wait(
            client, intake, callbacks.answer(admin_id, index, INTAKE_VALUES[index]), index + 1
        )
    assert progress(language, 9, 9) in shown.plain_text
    # pick Sleep, then Mood: both ticked; then Done
    shown = await press_and_wait(client, intake, callbacks.toggle(admin_id, 8, 3), 9)
    shown = await press_and_wait(client, intake, callbacks.toggle(admin_id, 8, 1), 10)
    assert sum(text.startswith("✓ ") for text, _data in shown.buttons) == 2
    done = await press_and_wait(client, intake, callbacks.done(admin_id, 8), 11)
    assert THANKS[language] in done.plain_text
    assert not done.buttons
    assert "15" not in done.plain_text and ":" not in done.plain_text  # the intake shows no score

    finished = await administration_of(bot, id=admin_id)
    assert finished.status is AdministrationStatus.COMPLETED
    assert finished.score_total == pytest.approx(38 / 7, abs=1e-4)
    stored = await answers(bot, admin_id)
    assert stored["mood"].value == 4 and stored["focus"].choices == [1, 3]
    async with services(bot).sessions() as session:
        goals = (await session.scalars(select(Goal).where(Goal.user_id == user.id))).all()
    assert [(goal.status, goal.area) for goal in goals] == [(GoalStatus.DRAFT, "mood")]
    # the lead is told, without the answers
    notice = await lead.expect_one(timeout=10)
    assert notice.plain_text == (
        "Anna M. has answered the first questions. /intake Anna M. shows their answers."
    )


async def _answered_intake(fake_api: FakeBotApi, bot: BotApplication, client_id: int):
    lead, _row = await practitioner(fake_api, bot, client_id - 1)
    client = await onboard_client(fake_api, lead, client_id, alias="Lou")
    intake = client.messages()[-1]
    user = await user_row(bot, client_id)
    admin = await administration_of(bot, user_id=user.id, measure_id="intake")
    await answer_intake_items(client, intake, admin.id, INTAKE_VALUES)
    await press_and_wait(client, intake, callbacks.toggle(admin.id, 8, 3), 9)
    await press_and_wait(client, intake, callbacks.done(admin.id, 8), 10)
    await lead.expect_one(timeout=10)  # "has answered the first questions"
    return lead, client, user, admin, intake


async def test_the_practitioner_sees_the_intake_and_nobody_else_does(
    fake_api: FakeBotApi, bot: BotApplication
):
    lead, _client, user, admin, _intake = await _answered_intake(fake_api, bot, 9412)
    lead.send("/intake Lou")
    report = (await lead.expect_one()).plain_text
    assert "Intake of Lou" in report
    # Each answer under the item's short name, not the question the client was asked.
    assert "Mood: 4" in report and "Worry and stress: skipped" in report
    assert "Wants to work on: Sleep" in report
    assert "Your mood" not in report and "(10 = well in hand)" not in report
    assert "Which of these would you like to work on?" not in report
    assert "Score: 5.4 of 10" in report
    # another practitioner: the client is simply not found, nothing is logged for them
    other, other_row = await practitioner(fake_api, bot, 9419, name="Dr. Other")
    other.send("/intake Lou")
    assert "I can't find “Lou” among your clients" in (await other.expect_one()).plain_text
    other.send(f"/intake {user.id}")
    assert "I can't find" in (await other.expect_one()).plain_text
    other.send(f"/measure {user.id} wellbeing weekly")
    assert "I can't find" in (await other.expect_one()).plain_text
    async with services(bot).sessions() as session:
        actions = (await session.execute(select(AuditEvent.actor_user_id, AuditEvent.action))).all()
        assigned = await session.scalar(select(func.count()).select_from(MeasureAssignment))
    assert [action for actor, action in actions if actor == other_row.id] == []
    assert AuditAction.INTAKE_VIEW.value in [action for _actor, action in actions]
    assert assigned == 0
    # a client pressing (forged) buttons of someone else's questionnaire changes nothing
    stranger = await onboard_client(fake_api, lead, 9418, alias="Sam")
    query = press_forged(
        fake_api, stranger, stranger.messages()[-1], callbacks.answer(admin.id, 0, 9)
    )
    assert "no longer works" in (await answer_of(stranger, query))["text"]
    assert (await answers(bot, admin.id))["mood"].value == 4


async def test_the_intake_resumes_after_a_restart(fake_api: FakeBotApi, migrated: Settings):
    first = build_application(migrated)
    async with running(first, poll_timeout=1):
        lead, _row = await practitioner(fake_api, first, 9421)
        client = await onboard_client(fake_api, lead, 9422, language="de", alias="Eva")
        intake = client.messages()[-1]
        user = await user_row(first, 9422)
        admin = await administration_of(first, user_id=user.id, measure_id="intake")
        await answer_intake_items(client, intake, admin.id, [4, 5])
    # the bot is down a day; then the client presses the third item's button
    second = build_application(migrated)
    async with running(second, poll_timeout=1):
        await a_day_earlier(second, admin.id)
        shown = await press_and_wait(client, intake, callbacks.answer(admin.id, 2, 7), 3)
        assert progress("de", 4, 9) in shown.plain_text
        assert "Dein Schlaf" not in shown.plain_text and "Deine Energie" in shown.plain_text
        stored = await answers(second, admin.id)
        assert {k: v.value for k, v in stored.items()} == {"mood": 4, "worry": 5, "sleep": 7}
        assert (await administration_of(second, id=admin.id)).current_item == 3


async def _weekly(fake_api: FakeBotApi, bot: BotApplication, base: int, language: str):
    """A lead schedules the wellbeing check weekly; it falls due and is sent."""
    lead, _row = await practitioner(fake_api, bot, base)
    client = await onboard_client(fake_api, lead, base + 1, language=language, alias="Kim")
    user = await user_row(bot, base + 1)
    lead.send("/measure Kim wellbeing weekly")
    reply = (await lead.expect_one()).plain_text
    assert "Kim gets Weekly wellbeing check every week at their check-in time" in reply
    told = await client.expect_one(timeout=10)  # the client is told, in their language
    assert WELLBEING_TITLE[language] in told.plain_text
    async with services(bot).sessions() as session, session.begin():
        assignment = await session.scalar(select(MeasureAssignment))
        assert assignment.cadence is Cadence.WEEKLY and assignment.next_due_at is not None
        # time passes until the first slot
        assignment.next_due_at = utcnow() - timedelta(minutes=1)
        first_slot = assignment.next_slot_date
    now = utcnow()
    assert await run_job(bot, now) == (1, 0)
    assert await run_job(bot, now) == (0, 0)  # running again opens nothing more
    bot.bot_data[SENDER_KEY].wake()
    message = await client.expect_one(timeout=10)
    assert WELLBEING_TITLE[language] in message.plain_text
    assert progress(language, 1, 5) in message.plain_text
    admin = await administration_of(bot, user_id=user.id, measure_id="wellbeing")
    async with services(bot).sessions() as session:
        assignment = await session.scalar(select(MeasureAssignment))
    assert assignment.last_slot_date == first_slot == admin.slot_date
    assert assignment.next_slot_date == first_slot + timedelta(days=7)
    return lead, client, user, admin, message


@pytest.mark.parametrize("language", ["en", "de", "es"])
async def test_a_weekly_measure_answered_over_two_days_with_a_pause(
    fake_api: FakeBotApi, bot: BotApplication, language: str
):
    _lead, client, _user, admin, message = await _weekly(fake_api, bot, 9430, language)
    await press_and_wait(client, message, callbacks.answer(admin.id, 0, 3), 1)  # calm
    shown = await press_and_wait(client, message, callbacks.answer(admin.id, 1, 2), 2)  # energy
    assert progress(language, 3, 5) in shown.plain_text
    client.send("/pause 3")
    await client.expect_one()
    # a day passes (the administration was opened a day earlier; its window is 48 hours)
    await a_day_earlier(bot, admin.id)
    assert await run_job(bot, utcnow()) == (0, 0)  # not expired: still inside its window
    client.send("/resume")
    await client.expect_one()
    await press_and_wait(client, message, callbacks.answer(admin.id, 2, 4), 3)  # connected
    await press_and_wait(client, message, callbacks.answer(admin.id, 3, 3), 4)  # coping
    done = await press_and_wait(client, message, callbacks.answer(admin.id, 4, 1), 5)  # worry
    assert SCORE[language] in done.plain_text
    assert THANKS[language] in done.plain_text
    finished = await administration_of(bot, id=admin.id)
    assert finished.status is AdministrationStatus.COMPLETED
    assert finished.score_total == 15 and finished.band == 2
    stored = await answers(bot, admin.id)
    assert {k: v.value for k, v in stored.items()} == {
        "calm": 3,
        "energy": 2,
        "connected": 4,
        "coping": 3,
        "worry": 1,  # stored as answered; reversed only in the score
    }
    # a late tap on the finished questionnaire records nothing
    query = press_forged(fake_api, client, done, callbacks.answer(admin.id, 4, 3))
    assert (await answer_of(client, query))["text"] == {
        "en": "You've finished this one already. Thank you!",
        "de": "Den hast du schon ausgefüllt. Danke!",
        "es": "Ya lo has completado. ¡Gracias!",
    }[language]
    assert (await answers(bot, admin.id))["worry"].value == 1


async def test_an_unanswered_measure_expires_and_its_buttons_say_so(
    fake_api: FakeBotApi, bot: BotApplication
):
    lead, client, user, admin, message = await _weekly(fake_api, bot, 9440, "es")
    later = utcnow() + timedelta(hours=49)
    assert await run_job(bot, later) == (0, 1)
    assert (await administration_of(bot, id=admin.id)).status is AdministrationStatus.EXPIRED
    query = client.press(message, callbacks.answer(admin.id, 0, 3))
    assert EXPIRED["es"] in (await answer_of(client, query))["text"]
    assert not (await edited(client, message, 1)).buttons
    assert await answers(bot, admin.id) == {}
    # the practitioner sees it as not answered in time
    lead.send("/measure Kim")
    overview = (await lead.expect_one()).plain_text
    assert "Weekly wellbeing check: every week" in overview
    assert "not answered in time" in overview
    # and stopping it ends the schedule
    lead.send("/measure Kim wellbeing stop")
    assert "no longer sent to Kim" in (await lead.expect_one()).plain_text
    async with services(bot).sessions() as session:
        assignment = await session.scalar(select(MeasureAssignment))
    assert assignment.stopped_at is not None and assignment.next_due_at is None
    assert user.id == assignment.user_id


async def test_a_client_paused_at_the_slot_misses_it(fake_api: FakeBotApi, bot: BotApplication):
    lead, _row = await practitioner(fake_api, bot, 9450)
    await onboard_client(fake_api, lead, 9451, alias="Kim")
    lead.send("/measure Kim wellbeing fortnightly")
    assert "every two weeks" in (await lead.expect_one()).plain_text
    user = await user_row(bot, 9451)
    now = utcnow()
    async with services(bot).sessions() as session, session.begin():
        assignment = await session.scalar(select(MeasureAssignment))
        assignment.next_due_at = now - timedelta(minutes=1)
        slot = assignment.next_slot_date
        row = await session.get(type(user), user.id)
        row.paused_until = now + timedelta(days=3)
    assert await run_job(bot, now) == (1, 0)
    async with services(bot).sessions() as session:
        opened = await session.scalar(
            select(func.count())
            .select_from(MeasureAdministration)
            .where(MeasureAdministration.measure_id == "wellbeing")
        )
        assignment = await session.scalar(select(MeasureAssignment))
    assert opened == 0
    assert assignment.last_slot_date == slot
    assert assignment.next_slot_date == slot + timedelta(days=14)


async def test_a_new_check_in_time_moves_the_next_measure(
    fake_api: FakeBotApi, bot: BotApplication
):
    lead, _row = await practitioner(fake_api, bot, 9460)
    client = await onboard_client(fake_api, lead, 9461, language="de", alias="Kim")
    lead.send("/measure Kim wellbeing monthly")
    assert "every month" in (await lead.expect_one()).plain_text
    await client.expect_one(timeout=10)  # told
    client.send("/settings")
    menu = await client.expect_one()
    client.press(menu, "st:open:checkin")
    await client.expect_one()
    client.send("20 Uhr")
    assert "Check-in: 20:00" in (await client.expect_one()).plain_text
    async with services(bot).sessions() as session:
        assignment = await session.scalar(select(MeasureAssignment))
    local = assignment.next_due_at.astimezone(ZoneInfo("Europe/Vienna"))
    assert (local.hour, local.minute) == (20, 0)
    assert assignment.next_slot_date == local.date()
