"""Practitioners choose a client's program (/assign) and read their lessons (/lessons); every
read and assignment is in the access log; nobody reaches a client who isn't theirs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from bot.app import BotApplication
from bot.audit import AuditAction
from bot.db.models import (
    AuditEvent,
    CareTeamMember,
    LessonDelivery,
    MembershipState,
    ProgramEnrollment,
    TeamRole,
    User,
    UserStatus,
)
from bot.lessons import progress_report
from bot.lessons.progress import deliver_lesson
from bot.lessons.schedule import local_date
from bot.offline.fake_bot_api import FakeBotApi
from bot.settings import PROJECT_ROOT
from tests.enrollment_helpers import (
    answer_of,
    button_data,
    onboard_client,
    practitioner,
    press_forged,
    services,
    user_row,
)
from tests.lesson_helpers import deliver, edited

LESSON = "thoughts-feelings-actions"  # two pages, a reflection and a quiz
CALM = {"en": "Skills for calmer days", "de": "Werkzeuge für ruhigere Tage"}
TOLD = {
    "es": "Dr. Weber ha elegido unas lecciones para ti: <b>Herramientas para días más "
    "tranquilos</b>. Llegarán de una en una, a tu hora de siempre.",
    "de": "Dr. Weber hat Lektionen für dich ausgewählt: <b>Werkzeuge für ruhigere Tage</b>. "
    "Sie kommen nacheinander, zu deiner gewohnten Zeit.",
}


async def _enrollment(bot: BotApplication, client_id: int) -> ProgramEnrollment | None:
    async with services(bot).sessions() as session:
        return await session.get(ProgramEnrollment, client_id)


async def _audit(bot: BotApplication) -> list[tuple[int, str, int]]:
    async with services(bot).sessions() as session:
        rows = await session.scalars(select(AuditEvent).order_by(AuditEvent.id))
        return [(row.actor_user_id, row.action, row.client_user_id) for row in rows]


async def _add_member(bot: BotApplication, client_id: int, practitioner_id: int) -> None:
    """A colleague the client has agreed to (the consent flow is tested in the care team tests)."""
    async with services(bot).sessions() as session, session.begin():
        session.add(
            CareTeamMember(
                client_id=client_id,
                practitioner_id=practitioner_id,
                role=TeamRole.MEMBER,
                state=MembershipState.ACTIVE,
                alias="Sam",
            )
        )


@pytest.mark.parametrize("language", ["es", "de"])
async def test_the_lead_assigns_a_program_by_name_and_the_client_is_told(
    fake_api: FakeBotApi, bot: BotApplication, language: str
):
    lead, lead_row = await practitioner(fake_api, bot, 6001, name="Dr. Weber")
    client = await onboard_client(fake_api, lead, 6002, language=language, alias="Lucía R.")
    client_row = await user_row(bot, 6002)
    assert (await _enrollment(bot, client_row.id)).program_id == "foundations"  # the default

    lead.send("/assign  LUCÍA r.  calm-skills")  # any case, any spacing
    done = await lead.expect_one()
    assert "Lucía R. now follows Skills for calmer days, starting today" in done.plain_text
    told = await client.expect_one()
    assert told.text == TOLD[language]
    enrollment = await _enrollment(bot, client_row.id)
    assert enrollment.program_id == "calm-skills"
    assert enrollment.started_on == local_date(datetime.now(UTC), "Europe/Vienna", "UTC")
    assert await _audit(bot) == [(lead_row.id, AuditAction.PROGRAM_ASSIGN, client_row.id)]

    # the same again (a double tap, a redelivered update): nothing changes, nobody is told twice
    lead.send("/assign Lucía R. calm-skills")
    again = await lead.expect_one()
    assert "already follows Skills for calmer days. Nothing was changed." in again.plain_text
    await client.expect_nothing(0.3)
    assert len(await _audit(bot)) == 1


async def test_the_lead_picks_a_program_from_buttons(fake_api: FakeBotApi, bot: BotApplication):
    lead, lead_row = await practitioner(fake_api, bot, 6011, name="Dr. Weber", language="de")
    client = await onboard_client(fake_api, lead, 6012, language="de", alias="Anna M.")
    client_row = await user_row(bot, 6012)

    lead.send("/assign anna m.")
    offer = await lead.expect_one()
    assert "Welchem Programm soll Anna M. folgen?" in offer.plain_text
    data = button_data(offer, "pa:")
    shipped = sorted(path.stem for path in (PROJECT_ROOT / "content" / "programs").glob("*.yaml"))
    assert {"calm-skills", "foundations"} <= set(shipped)
    assert data == [f"pa:{client_row.id}:{program}" for program in shipped]  # by id
    assert all(len(item.encode()) <= 64 for item in data)
    lead.press(offer, CALM["de"])
    done = await lead.expect_one()
    assert "Anna M. folgt ab heute Werkzeuge für ruhigere Tage" in done.plain_text
    assert (await edited(lead, offer)).buttons == []  # the choice cannot be made twice
    assert (await client.expect_one()).text == TOLD["de"]
    assert (await _enrollment(bot, client_row.id)).program_id == "calm-skills"

    # the same button pressed again later: said kindly, nothing changed, nobody told
    press_forged(fake_api, lead, offer, f"pa:{client_row.id}:calm-skills")
    assert "folgt bereits" in (await lead.expect_one()).plain_text
    await client.expect_nothing(0.3)
    assert await _audit(bot) == [(lead_row.id, "program.assign", client_row.id)]


async def test_bad_input_to_assign_gets_a_kind_answer_and_changes_nothing(
    fake_api: FakeBotApi, bot: BotApplication
):
    lead, _lead_row = await practitioner(fake_api, bot, 6021)
    client = await onboard_client(fake_api, lead, 6022, alias="Anna M.")
    client_row = await user_row(bot, 6022)

    lead.send("/assign")
    assert "like /assign Anna" in (await lead.expect_one()).plain_text
    lead.send("/assign <b>Nobody</b> calm-skills")
    unknown = await lead.expect_one()
    assert "I can't find “<b>Nobody</b>” among your clients" in unknown.plain_text
    lead.send("/assign Anna M. no-such-program")
    no_program = await lead.expect_one()
    assert "I don't know a program called “no-such-program”" in no_program.plain_text
    assert button_data(no_program, "pa:")  # and offers the real ones
    # forged or mangled callback data
    for data in ("pa:abc:calm-skills", f"pa:{client_row.id}:<script>", "pa:"):
        query = press_forged(fake_api, lead, no_program, data)
        assert "Nothing was changed" in (await answer_of(lead, query))["text"]

    async with services(bot).sessions() as session, session.begin():
        await session.execute(
            update(User).where(User.id == client_row.id).values(status=UserStatus.STOPPED)
        )
    lead.send("/assign Anna M. calm-skills")
    stopped = await lead.expect_one()
    assert "Anna M. has stopped the companion" in stopped.plain_text
    lead.press(no_program, CALM["en"])
    assert "has stopped the companion" in (await lead.expect_one()).plain_text

    await client.expect_nothing(0.3)
    assert (await _enrollment(bot, client_row.id)).program_id == "foundations"
    assert await _audit(bot) == []

    # a client is not a practitioner
    client.send("/assign Anna M. calm-skills")
    assert "This command is for practitioners." in (await client.expect_one()).plain_text
    client.send("/lessons Anna M.")
    assert "This command is for practitioners." in (await client.expect_one()).plain_text


async def test_a_team_member_may_read_but_not_assign(fake_api: FakeBotApi, bot: BotApplication):
    lead, _lead_row = await practitioner(fake_api, bot, 6031)
    member, member_row = await practitioner(fake_api, bot, 6032, name="Dr. Ruiz", language="es")
    client = await onboard_client(fake_api, lead, 6033, alias="Anna M.")
    client_row = await user_row(bot, 6033)
    await _add_member(bot, client_row.id, member_row.id)

    member.send("/assign Sam calm-skills")
    refused = await member.expect_one()
    assert "Solo la persona profesional responsable de Sam puede elegir" in refused.plain_text
    member.send(f"/assign {client_row.id}")  # by number, for the buttons: refused the same way
    assert "Solo la persona profesional responsable" in (await member.expect_one()).plain_text
    press_forged(fake_api, member, refused, f"pa:{client_row.id}:calm-skills")
    assert "Solo la persona profesional responsable" in (await member.expect_one()).plain_text
    assert (await _enrollment(bot, client_row.id)).program_id == "foundations"
    await client.expect_nothing(0.3)

    member.send("/lessons sam")
    shown = await member.expect_one()
    assert "Lecciones de Sam" in shown.plain_text
    assert "Sam aún no ha recibido ninguna lección." in shown.plain_text
    assert "Programa: Fundamentos" in shown.plain_text
    assert await _audit(bot) == [(member_row.id, "lessons.view", client_row.id)]


async def test_another_practitioners_client_is_out_of_reach(
    fake_api: FakeBotApi, bot: BotApplication
):
    lead, _lead_row = await practitioner(fake_api, bot, 6041)
    stranger, _stranger_row = await practitioner(fake_api, bot, 6042, name="Dr. Nobody")
    client = await onboard_client(fake_api, lead, 6043, alias="Anna M.")
    client_row = await user_row(bot, 6043)

    for typed in ("/assign Anna M. calm-skills", f"/assign {client_row.id}", "/lessons Anna M."):
        stranger.send(typed)
        assert "I can't find" in (await stranger.expect_one()).plain_text
    stranger.send(f"/lessons {client_row.id}")
    assert "I can't find" in (await stranger.expect_one()).plain_text
    last = stranger.messages()[-1]
    query = press_forged(fake_api, stranger, last, f"pa:{client_row.id}:calm-skills")
    assert "isn't for you" in (await answer_of(stranger, query))["text"]

    await stranger.expect_nothing(0.3)
    await client.expect_nothing(0.1)
    assert (await _enrollment(bot, client_row.id)).program_id == "foundations"
    assert await _audit(bot) == []


async def _everything(user) -> list:
    """Every message that arrives until none has come for a second."""
    received = []
    while True:
        try:
            received += await user.expect(1, timeout=1.0)
        except AssertionError:
            return received


HEADINGS = {
    "en": ("Lessons of Anna M.", "Their reflection, in their own words", "Delivered"),
    "de": ("Lektionen von Anna M.", "Die Reflexion, in eigenen Worten", "Zugestellt am"),
    "es": ("Lecciones de Anna M.", "Su reflexión, con sus propias palabras", "Enviada el"),
}


@pytest.mark.parametrize("language", ["en", "de", "es"])
async def test_lessons_shows_progress_and_the_clients_own_words(
    fake_api: FakeBotApi, bot: BotApplication, language: str
):
    lead, lead_row = await practitioner(fake_api, bot, 6051, language=language)
    client = await onboard_client(fake_api, lead, 6052, alias="Anna M.")
    client_row = await user_row(bot, 6052)
    first = await deliver(bot, client, client_row.id, LESSON)
    client.press(first, "Next »")
    second = await edited(client, first)
    client.press(second, "Done ✓")
    await client.expect_one()  # the reflection question
    client.send("I felt <b>brave</b> & a bit tired.")
    await client.expect(2)  # saved, and the quiz question

    lead.send("/lessons Anna M.")
    shown = await lead.expect_one()
    heading, own_words, delivered = HEADINGS[language]
    assert heading in shown.plain_text
    title = services(bot).content.lesson(LESSON, language).meta.title
    assert f"1. {title}" in shown.plain_text
    assert own_words in shown.plain_text
    # the client's words, exactly as typed, shown as text (never as markup) and quoted
    assert "I felt <b>brave</b> & a bit tired." in shown.plain_text
    assert "I felt &lt;b&gt;brave&lt;/b&gt; &amp; a bit tired." in shown.text
    assert any(entity["type"] == "blockquote" for entity in shown.entities)
    async with services(bot).sessions() as session:
        row = await session.scalar(
            select(LessonDelivery).where(LessonDelivery.user_id == client_row.id)
        )
    zone = ZoneInfo(services(bot).settings.default_timezone)
    stamp = progress_report.when(row.delivered_at, language, zone)
    assert f"{delivered} {stamp}" in shown.plain_text
    assert await _audit(bot) == [(lead_row.id, "lessons.view", client_row.id)]

    lead.send("/lessons Anna M.")  # every view is recorded
    await lead.expect_one()
    assert len(await _audit(bot)) == 2


async def test_long_progress_is_split_into_messages_telegram_accepts(
    fake_api: FakeBotApi, bot: BotApplication
):
    lead, _lead_row = await practitioner(fake_api, bot, 6061)
    client = await onboard_client(fake_api, lead, 6062, alias="Anna M.")
    client_row = await user_row(bot, 6062)
    lessons = ["how-between-works", "smart-goals", LESSON]
    for lesson in lessons:
        await deliver(bot, client, client_row.id, lesson)
    words = "<i>so</i> & " * 350  # 4,200 characters of the client's own, with markup-like text
    async with services(bot).sessions() as session, session.begin():
        for delivery in await session.scalars(select(LessonDelivery)):
            delivery.reflection_text = words
            delivery.reflection_answered_at = datetime.now(UTC)

    lead.send("/lessons Anna M.")
    parts = await _everything(lead)  # the fake Bot API refuses anything over Telegram's limits
    assert len(parts) > 1 and "Lessons of Anna M." in parts[0].plain_text
    seen = "".join(part.plain_text for part in parts)
    assert seen.count("<i>so</i> &") == 350 * len(lessons)
    assert all(len(part.plain_text) <= 4096 for part in parts)


async def test_the_access_log_takes_only_known_actions(migrated_sessions):
    from bot import audit

    async with migrated_sessions() as session, session.begin():
        with pytest.raises(ValueError):
            await audit.record(session, 1, "looked.around", 2)  # type: ignore[arg-type]


@pytest.mark.parametrize("language", ["en", "es"])
async def test_the_lead_sends_one_lesson_now_through_the_outbox(
    fake_api: FakeBotApi, bot: BotApplication, language: str
):
    lead, lead_row = await practitioner(fake_api, bot, 6101, name="Dr. Weber")
    client = await onboard_client(fake_api, lead, 6102, language=language, alias="Lou")
    client_row = await user_row(bot, 6102)
    title = services(bot).content.lesson("paced-breathing", "en").meta.title

    lead.send("/assign Lou paced-breathing")
    assert f"Lou gets {title} now." in (await lead.expect_one()).plain_text
    lesson = await client.expect_one(timeout=10)
    assert services(bot).content.lesson("paced-breathing", language).meta.title in (
        lesson.plain_text
    )
    assert lesson.buttons  # the reading flow's buttons name the new delivery
    assert await _audit(bot) == [(lead_row.id, AuditAction.LESSON_SEND, client_row.id)]

    lead.send("/assign Lou paced-breathing")  # again: already there, nothing sent twice
    assert "already has" in (await lead.expect_one()).plain_text
    await client.expect_nothing(0.5)


PLANNED = {"en": "Planned for", "de": "Geplant für", "es": "Programada para el"}


@pytest.mark.parametrize("language", ["en", "de", "es"])
async def test_lessons_never_shows_a_lesson_planned_for_later_as_delivered(
    fake_api: FakeBotApi, bot: BotApplication, language: str
):
    """Planning records the lesson at the moment it is due (this evening, say)."""
    lead, _lead_row = await practitioner(fake_api, bot, 6071, language=language)
    await onboard_client(fake_api, lead, 6072, alias="Anna M.")
    client_row = await user_row(bot, 6072)
    later = datetime.now(UTC) + timedelta(hours=3)
    async with services(bot).sessions() as session, session.begin():
        await deliver_lesson(
            session,
            services(bot).content,
            services(bot).catalogs,
            user_id=client_row.id,
            lesson_id=LESSON,
            now=later,
        )
    lead.send("/lessons Anna M.")
    shown = (await lead.expect_one()).plain_text
    zone = ZoneInfo(services(bot).settings.default_timezone)
    stamp = progress_report.when(later, language, zone)
    assert f"{PLANNED[language]} {stamp}" in shown
    assert HEADINGS[language][2] not in shown  # not "Delivered …"
