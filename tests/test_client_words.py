"""The client's own words reach the practitioner who may read them, and the digest and
/client count in one window (issue 17, items 4 and 6; a reason in the alerts, item 1).

Over the fake Bot API on SQLite and PostgreSQL: "Show message" on a safety alert sends the
flagged words and writes the access log, while a forged button, a proposed team member
the client has not agreed to, or a practitioner of another team gets the kind answer and
changes nothing; the alert names the severity and the client's local time; /client lists
check-in notes, reflections and program answers newest first in the practitioner's time
zone (and the PDF report carries them); digest and /client read the same morning agree.
"""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from bot.app import BotApplication
from bot.audit import AuditAction
from bot.dates import Clock
from bot.db.models import (
    AuditEvent,
    CareTeamMember,
    Checkin,
    CheckinStatus,
    LessonDelivery,
    MembershipState,
    ProgramAnswer,
    SafetyFlag,
    TeamRole,
    User,
)
from bot.domain.crisis import Severity
from bot.domain.windows import review_week
from bot.offline.fake_bot_api import FakeBotApi
from bot.review import export
from tests import review_helpers as h
from tests.enrollment_helpers import answer_of, onboard_client, practitioner, press_forged, user_row

KIND = "Sorry, this button isn't for you, or it no longer works. Nothing was changed."
WORDS = "I want to kill myself tonight & <b>soon</b>"
SEVERITY = {
    "en": "Severity: explicit — crisis language",
    "de": "Schweregrad: ausdrücklich – Krisensprache",
    "es": "Gravedad: explícita – lenguaje de crisis",
}
SHOW = {"en": "Show message", "de": "Nachricht zeigen", "es": "Mostrar mensaje"}
THEIR_TIME = {"en": "their time", "de": "Ortszeit der Person", "es": "hora local de la persona"}
SHOWN = {
    "en": "raised the safety flag",
    "de": "den Sicherheitshinweis ausgelöst hat",
    "es": "generó el aviso de seguridad",
}
MEXICO = "America/Mexico_City"


async def _zone(bot: BotApplication, user_id: int, zone: str | None) -> None:
    async with h.services(bot).sessions() as session, session.begin():
        await session.execute(update(User).where(User.id == user_id).values(timezone=zone))


async def _audit(bot: BotApplication) -> list[tuple[int, str, int]]:
    async with h.services(bot).sessions() as session:
        rows = await session.scalars(select(AuditEvent).order_by(AuditEvent.id))
        return [(r.actor_user_id, r.action, r.client_user_id) for r in rows]


async def _flag(bot: BotApplication) -> SafetyFlag:
    async with h.services(bot).sessions() as session:
        (flag,) = (await session.scalars(select(SafetyFlag))).all()
        return flag


# ------------------------------------------------------------------ the safety alert


@pytest.mark.parametrize("language", ["en", "de", "es"])
async def test_show_message_sends_the_words_on_request_and_writes_the_access_log(
    fake_api: FakeBotApi, bot: BotApplication, language: str
):
    doctor, doctor_row = await practitioner(fake_api, bot, 9501, language=language)
    await _zone(bot, doctor_row.id, MEXICO)
    client = await onboard_client(fake_api, doctor, 9502, language="en", alias="Lu <M>")
    client_row = await user_row(bot, 9502)
    assert client_row is not None and client_row.timezone == "Europe/Vienna"

    client.send(WORDS)
    await client.expect_one()  # the crisis resources, at once
    alert = await doctor.expect_one(timeout=10)
    flag = await _flag(bot)
    text = alert.plain_text
    # the severity and the client's own local time; the words are not pushed
    assert SEVERITY[language] in text
    their_time = Clock(language, ZoneInfo("Europe/Vienna")).moment(flag.created_at)
    assert f"{their_time}, {THEIR_TIME[language]}" in text
    assert "kill myself" not in text and "soon" not in text
    # the client's traffic light with its reason, on one line (as in the digest)
    assert any(line[:1] in "🔴🟡🟢⚪" for line in text.split("\n") if line), text
    assert alert.buttons == [(SHOW[language], f"sf:{flag.id}")]
    assert await _audit(bot) == []

    doctor.press(alert, f"sf:{flag.id}")
    shown = await doctor.expect_one(timeout=10)
    assert SHOWN[language] in shown.plain_text
    assert WORDS in shown.plain_text  # as typed, shown as text, never as markup
    assert "&lt;b&gt;soon&lt;/b&gt;" in shown.text
    # dated in the reader's zone (Mexico City), not the client's
    assert Clock(language, ZoneInfo(MEXICO)).moment(flag.created_at) in shown.plain_text
    assert await _audit(bot) == [(doctor_row.id, AuditAction.FLAG_REVEAL, client_row.id)]


async def test_a_reveal_nobody_may_read_changes_nothing_and_is_answered_kindly(
    fake_api: FakeBotApi, bot: BotApplication
):
    doctor, _doctor_row = await practitioner(fake_api, bot, 9511)
    client = await onboard_client(fake_api, doctor, 9512, alias="Ana")
    client_row = await user_row(bot, 9512)
    assert client_row is not None
    proposed, proposed_row = await practitioner(fake_api, bot, 9513, name="Dr. Proposed")
    removed, removed_row = await practitioner(fake_api, bot, 9514, name="Dr. Removed")
    colleague, colleague_row = await practitioner(fake_api, bot, 9515, name="Dr. Team")
    stranger, _stranger_row = await practitioner(fake_api, bot, 9516, name="Dr. Other")
    async with h.services(bot).sessions() as session, session.begin():
        for row, state in (
            (proposed_row, MembershipState.PENDING),  # the client has not agreed yet
            (removed_row, MembershipState.REMOVED),
            (colleague_row, MembershipState.ACTIVE),  # agreed to by the client
        ):
            session.add(
                CareTeamMember(
                    client_id=client_row.id,
                    practitioner_id=row.id,
                    role=TeamRole.MEMBER,
                    state=state,
                    alias="Ana T.",
                )
            )
    client.send("I want to kill myself")
    await client.expect_one()
    alert = await doctor.expect_one(timeout=10)
    flag = await _flag(bot)

    for someone in (proposed, removed, stranger):
        query = press_forged(fake_api, someone, someone.messages()[-1], f"sf:{flag.id}")
        assert (await answer_of(someone, query))["text"] == KIND
        await someone.expect_nothing(0.3)
    for forged in ("sf:2147483647", "sf:x", f"sf:{flag.id}:1", "sf:"):
        query = press_forged(fake_api, doctor, alert, forged)
        assert (await answer_of(doctor, query))["text"] == KIND
    await doctor.expect_nothing(0.3)
    assert await _audit(bot) == []  # nothing was read, nothing was logged

    # a member the client agreed to may read the client's words (bot.access.policy.WORDS_READ)
    query = press_forged(fake_api, colleague, colleague.messages()[-1], f"sf:{flag.id}")
    assert "I want to kill myself" in (await colleague.expect_one(timeout=10)).plain_text
    assert (await answer_of(colleague, query)).get("text") is None
    assert await _audit(bot) == [(colleague_row.id, AuditAction.FLAG_REVEAL, client_row.id)]


async def test_a_distress_flag_keeps_no_words(fake_api: FakeBotApi, bot: BotApplication):
    doctor, doctor_row = await practitioner(fake_api, bot, 9521)
    async with h.services(bot).sessions() as session, session.begin():
        client_id = await h.client(session, doctor_row.id, 9522, "Sam")
    client = fake_api.user(9522, language_code="en")
    client.send("I'm so overwhelmed today")
    await client.expect_one()
    for _ in range(100):
        async with h.services(bot).sessions() as session:
            flag = await session.scalar(select(SafetyFlag))
        if flag is not None:
            break
        await client.expect_nothing(0.05)
    assert flag is not None and flag.severity is Severity.DISTRESS and flag.text is None
    query = press_forged(fake_api, doctor, doctor.messages()[-1], f"sf:{flag.id}")
    assert "were not kept" in (await doctor.expect_one(timeout=10)).plain_text
    await answer_of(doctor, query)
    assert await _audit(bot) == []
    assert flag.user_id == client_id


# ------------------------------------------------------------------ /client and the report

NOTE = "Slept badly, <tired> & restless"
REFLECTION = "Walking helped more than I thought"
ANSWER = "A walk on Sunday with Ana"
QUESTION = {
    "en": "Which small activity will you plan for this week?",
    "de": "Welche kleine Aktivität planst du für diese Woche?",
    "es": "¿Qué actividad pequeña vas a planear para esta semana?",
}
TITLE = {
    "en": "In their own words (newest first)",
    "de": "In eigenen Worten (neueste zuerst)",
    "es": "En sus propias palabras (lo más reciente primero)",
}


async def _client_with_words(bot: BotApplication, practitioner_id: int, telegram_id: int):
    """A client who wrote a check-in note 3 days ago, a reflection 2 days ago and a program
    answer yesterday; returns their id and the three moments, oldest first."""
    d = [h.today() - timedelta(days=n) for n in range(5)]
    moments = [h.at(d[3], 20), h.at(d[2], 18), h.at(d[1], 23)]
    async with h.services(bot).sessions() as session, session.begin():
        client_id = await h.client(session, practitioner_id, telegram_id, "Ana")
        checkin = await h.day(session, client_id, d[3], CheckinStatus.ANSWERED)
        await session.execute(
            update(Checkin).where(Checkin.id == checkin).values(note=NOTE, answered_at=moments[0])
        )
        delivery = LessonDelivery(
            user_id=client_id,
            lesson_id="behavioural-activation",
            program_id="foundations",
            delivered_at=h.at(d[2], 8),
            opened_at=h.at(d[2], 9),
            finished_at=h.at(d[2], 10),
            reflection_text=REFLECTION,
            reflection_answered_at=moments[1],
        )
        session.add(delivery)
        await session.flush()
        session.add(
            ProgramAnswer(
                delivery_id=delivery.id,
                question=0,
                asked_at=moments[2] - timedelta(minutes=5),
                answer_text=ANSWER,
                answered_at=moments[2],
            )
        )
    return client_id, moments


@pytest.mark.parametrize("language", ["en", "de", "es"])
async def test_the_client_view_lists_the_clients_words_newest_first_in_local_time(
    fake_api: FakeBotApi, bot: BotApplication, language: str, monkeypatch: pytest.MonkeyPatch
):
    doctor, row = await practitioner(fake_api, bot, 9531, language=language)
    await _zone(bot, row.id, MEXICO)
    _client_id, moments = await _client_with_words(bot, row.id, 95310)

    doctor.send("/client Ana")
    view = (await doctor.expect_one(timeout=20)).plain_text  # no goals: no chart
    words = view[view.index(TITLE[language]) :]
    clock = Clock(language, ZoneInfo(MEXICO))
    positions = [words.index(text) for text in (ANSWER, REFLECTION, NOTE)]
    assert positions == sorted(positions)  # newest first
    stamps = [words.index(clock.moment(moment)) for moment in reversed(moments)]
    assert stamps == sorted(stamps)
    assert QUESTION[language] in words  # which program question it answers
    # yesterday 23:00 UTC is yesterday 17:00 in Mexico City: the reader's zone, not UTC
    assert clock.moment(moments[2]).endswith("17:00")

    # the PDF report (the lead's export) carries every one of them
    captured: list[str] = []
    drawing = export.pdf_report

    def capture(title, summary, panels, **options):
        captured.append(summary)
        return drawing(title, summary, panels, **options)

    monkeypatch.setattr(export, "pdf_report", capture)
    doctor.send("/export Ana")
    await doctor.expect(2, timeout=30)
    (summary,) = captured
    assert all(text in summary for text in (ANSWER, REFLECTION, NOTE))
    assert clock.moment(moments[0]) in summary


async def test_without_a_known_zone_the_times_are_utc_and_say_so(
    fake_api: FakeBotApi, bot: BotApplication
):
    doctor, row = await practitioner(fake_api, bot, 9541)
    await _zone(bot, row.id, None)
    _client_id, moments = await _client_with_words(bot, row.id, 95410)
    doctor.send("/client Ana")
    view = (await doctor.expect_one(timeout=20)).plain_text
    assert f"{Clock('en').moment(moments[2])}" in view
    assert Clock("en").moment(moments[2]).endswith(", 23:00 UTC")


# ------------------------------------------------------------------ one window, read twice

AGREED = {
    "en": ("Check-ins: 4 of 7 answered (57%)", "Strategies done: 3 of 4 due", "Lessons: 1 sent"),
    "de": (
        "Check-ins: 4 von 7 beantwortet (57\xa0%)",
        "Strategien umgesetzt: 3 von 4 fälligen",
        "Lektionen: 1 gesendet, 1 geöffnet, 1 abgeschlossen",
    ),
    "es": (
        "Check-ins: 4 de 7 respondidos (57\xa0%)",
        "Estrategias hechas: 3 de 4 previstas",
        "Lecciones: enviadas 1, abiertas 1, terminadas 1",
    ),
}


@pytest.mark.parametrize("language", ["en", "de", "es"])
async def test_the_digest_and_the_client_view_agree_read_the_same_morning(
    fake_api: FakeBotApi, bot: BotApplication, language: str
):
    doctor, row = await practitioner(fake_api, bot, 9551, language=language)
    await h.set_utc(bot, row.id)
    cases = await h.caseload(bot, row.id, 95500)
    # Today's check-in is already answered: today is not over, so neither view counts it
    # (the digest said "4 of 7" while /client said "5 of 7" — or "5 of 6" — before).
    async with h.services(bot).sessions() as session, session.begin():
        await h.day(
            session, cases.anna, h.today(), CheckinStatus.ANSWERED, {cases.anna_goals[0]: 9}
        )

    doctor.send("/digest")
    digest = (await doctor.expect(2, timeout=20))[0].plain_text
    doctor.send("/client Anna")
    view = (await doctor.expect(2, timeout=20))[0].plain_text  # then the chart

    week = review_week(h.today())
    days = Clock(language).span(week.start, week.end)
    assert days in digest.split("\n")[0]  # "Weekly digest, 29 Nov 2026 – 5 Dec 2026"
    assert view.startswith(f"Anna: {days}")
    anna = digest[digest.index("\nAnna\n") :]
    anna = anna[: anna.index("\n\n")]
    for line in AGREED[language]:
        assert line in anna, (line, anna)
        assert line in view, (line, view)
