"""What practitioners read and write about their clients, over the fake Bot API:
the digest (now and scheduled), the client view, notes, GAS levels, exports, the
access log, alerts — and every kind of bad input."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
import zipfile
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from bot.app import SENDER_KEY, BotApplication, planning, review_sweep
from bot.audit import AuditAction
from bot.dates import Clock
from bot.db.base import utcnow
from bot.db.models import (
    AuditEvent,
    CareTeamMember,
    Checkin,
    CheckinStatus,
    GasScore,
    MembershipState,
    Schedule,
    TeamNote,
    TeamRole,
    UserEvent,
)
from bot.delivery import engine as delivery_engine
from bot.domain.windows import review_week
from bot.offline.fake_bot_api import FakeBotApi
from tests import review_helpers as h
from tests.enrollment_helpers import practitioner

ORDER = ("Anna", "Dan", "Ben", "Cleo")


async def _lead(fake_api, bot, telegram_id, language="en"):
    user, row = await practitioner(fake_api, bot, telegram_id, language=language)
    await h.set_utc(bot, row.id)
    return user, row


async def _audit(bot) -> list[tuple[int, str, int]]:
    async with h.services(bot).sessions() as session:
        rows = await session.scalars(select(AuditEvent).order_by(AuditEvent.id))
        return [(r.actor_user_id, r.action, r.client_user_id) for r in rows]


async def test_the_digest_has_every_part_ordered_by_attention_with_a_chart(
    fake_api: FakeBotApi, bot: BotApplication
):
    doctor, row = await _lead(fake_api, bot, 8101)
    cases = await h.caseload(bot, row.id, 81000)

    doctor.send("/digest")
    messages = await doctor.expect(2, timeout=20)  # the text fits one message, then the chart
    text, photo = messages[0].plain_text, messages[1]
    assert photo.method == "sendPhoto" and photo.file.startswith(b"\x89PNG")
    assert "clients needing attention" in photo.plain_caption

    week = h.today() - timedelta(days=7)
    assert text.startswith("Weekly digest, ")
    assert "2 clients need your attention first." in text
    # Anna (a flag) first, then Dan (unreachable); then the others by name
    positions = [text.index(f"\n{name}\n") for name in ORDER]
    assert positions == sorted(positions)
    assert text.index("Needs your attention") < positions[0]
    assert positions[1] < text.index("Everyone else") < positions[2]

    anna = text[positions[0] : positions[1]]
    assert "⚠️ 1 safety flag this week" in anna
    assert "Check-ins: 4 of 7 answered (57%)" in anna
    assert "Streak: 4 (best 9)" in anna
    assert "1. Sleep before midnight: 3.0 this week, 6.0 the 4 weeks before ↓" in anna
    assert "GAS level +1" in anna
    assert "2. Walk daily: 5.5 this week, 5.0 the 4 weeks before →" in anna
    assert "GAS T-score: 62.4" in anna  # 50 + 10·2/√(0.7·2 + 0.3·4)
    assert "Strategies done: 3 of 4" in anna
    assert "Lessons finished: " in anna
    assert f"“{h.REFLECTION}”" in anna  # escaped, shown as typed
    assert h.NOTE in anna
    dan = text[positions[1] : positions[2]]
    assert "I can't reach them" in dan and "No goals yet." in dan
    ben = text[positions[2] : positions[3]]
    assert "1. Read: 7.0 this week, 7.0 the 4 weeks before →" in ben
    assert "Check-ins: 2 of 2 answered (100%)" in ben
    cleo = text[positions[3] :]
    assert "Check-ins: none were asked this week." in cleo
    assert week.isoformat() not in text  # dates by Babel, not ISO
    # every client shown is in the access log, once
    digest_rows = [a for a in await _audit(bot) if a[1] == AuditAction.DIGEST]
    assert sorted(c for _a, _b, c in digest_rows) == sorted(
        [cases.anna, cases.ben, cases.cleo, cases.dan]
    )


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("de", ("Check-ins: 4 von 7 beantwortet (57\xa0%)", "GAS-T-Wert: 62,4", "3,0")),
        ("es", ("Check-ins: 4 de 7 respondidos (57\xa0%)", "Puntuación T de GAS: 62,4", "3,0")),
    ],
)
async def test_the_digest_in_the_practitioners_language(
    fake_api: FakeBotApi, bot: BotApplication, language: str, expected: tuple[str, ...]
):
    doctor, row = await _lead(fake_api, bot, 8111, language=language)
    await h.caseload(bot, row.id, 81100)
    doctor.send("/digest")
    text = (await doctor.expect(2, timeout=20))[0].plain_text
    for part in expected:
        assert part in text, (part, text)


async def test_a_big_digest_is_split_between_clients(fake_api: FakeBotApi, bot: BotApplication):
    doctor, row = await _lead(fake_api, bot, 8121)
    names = [f"Client {n:02d} " + "x" * 40 for n in range(40)]
    async with h.services(bot).sessions() as session, session.begin():
        for n, name in enumerate(names):
            client = await h.client(session, row.id, 81200 + n, name)
            session.add(
                TeamNote(
                    client_id=client,
                    author_id=row.id,
                    text=f"note {n} " + "y" * 280,
                    created_at=h.at(h.today() - timedelta(days=2)),
                )
            )
    doctor.send("/digest")
    messages = []
    while True:
        try:
            messages.append(await doctor.expect_one(timeout=5))
        except AssertionError:
            break
        if messages[-1].method != "sendMessage":
            break
    texts = [m.text for m in messages if m.method == "sendMessage"]
    assert len(texts) > 3
    assert all(len(m.plain_text) <= 4096 for m in messages)
    for n, name in enumerate(names):  # each client whole, in exactly one message
        holding = [t for t in texts if name in t]
        assert len(holding) == 1
        assert f"note {n} " in holding[0]
    assert "No client needs special attention this week." in texts[0]


async def test_the_scheduled_digest_goes_through_the_outbox_on_monday_morning(
    fake_api: FakeBotApi, bot: BotApplication
):
    doctor, row = await _lead(fake_api, bot, 8131)
    await h.caseload(bot, row.id, 81300)
    services = h.services(bot)
    await review_sweep(services, now=utcnow())
    async with services.sessions() as session, session.begin():
        schedule = await session.scalar(
            select(Schedule).where(Schedule.user_id == row.id, Schedule.kind == "digest")
        )
        assert schedule.weekdays == 1 and schedule.local_time.hour == 8
        due = schedule.next_due_at
        assert due.weekday() == 0 and due.hour == 8  # Monday 08:00 in UTC
        # it is due now
        schedule.next_due_at = utcnow() - timedelta(minutes=1)
        schedule.next_slot_date = h.today()
    await review_sweep(services, now=utcnow())  # a second sweep adds no second schedule
    await delivery_engine.tick(services.sessions, planning(services.settings))
    bot.bot_data[SENDER_KEY].wake()
    messages = await doctor.expect(2, timeout=20)
    assert "Weekly digest" in messages[0].plain_text
    assert messages[1].method == "sendPhoto"
    async with services.sessions() as session:
        assert (
            await session.scalar(
                select(func.count()).select_from(Schedule).where(Schedule.kind == "digest")
            )
            == 1
        )
    for _ in range(100):  # the access log is written when the sender records "sent"
        if len([a for a in await _audit(bot) if a[1] == AuditAction.DIGEST]) == 4:
            break
        await asyncio.sleep(0.05)
    assert len([a for a in await _audit(bot) if a[1] == AuditAction.DIGEST]) == 4


async def test_the_client_view_notes_and_the_team(fake_api: FakeBotApi, bot: BotApplication):
    doctor, row = await _lead(fake_api, bot, 8141)
    cases = await h.caseload(bot, row.id, 81400)
    colleague, colleague_row = await _lead(fake_api, bot, 8142)
    anna = fake_api.user(81401, first_name="A", language_code="en")
    async with h.services(bot).sessions() as session, session.begin():
        session.add(
            CareTeamMember(
                client_id=cases.anna,
                practitioner_id=colleague_row.id,
                role=TeamRole.MEMBER,
                state=MembershipState.ACTIVE,
                alias="A. from Dr W",
            )
        )

    colleague.send("/note A. from Dr W  Called the <clinic> today")
    saved = await colleague.expect_one()
    assert "Noted for A. from Dr W's care team" in saved.plain_text
    async with h.services(bot).sessions() as session:
        texts = list(await session.scalars(select(TeamNote.text).order_by(TeamNote.id)))
    assert texts == [h.NOTE, "Called the <clinic> today"]
    await anna.expect_nothing(0.3)  # never to the client
    # … but the client's own data export holds what is written about them
    anna.send("/mydata")
    archive = zipfile.ZipFile(io.BytesIO((await anna.expect_one(timeout=10)).file))
    exported = json.loads(archive.read("team_notes.json"))
    assert sorted(n["text"] for n in exported) == sorted(texts)

    # the colleague's digest holds Anna (by the colleague's own alias) and the week's note
    colleague.send("/digest")
    digest_text = (await colleague.expect(2, timeout=20))[0].plain_text
    assert "\nA. from Dr W\n" in digest_text and h.NOTE in digest_text
    assert "\nBen\n" not in digest_text  # not on Ben's team

    doctor.send("/client anna")
    messages = await doctor.expect(2, timeout=20)
    view = "\n".join(m.plain_text for m in messages if m.method == "sendMessage")
    assert messages[-1].method == "sendPhoto"
    # the window's dates, as the digest names them (issue 17: the same window in both)
    week = review_week(h.today())
    assert f"Anna: {Clock('en').span(week.start, week.end)}, and 12 weeks of ratings" in view
    assert "Called the <clinic> today" in view and h.NOTE in view
    assert "Status: active, revised 1 time" in view  # goal 1
    assert "Status: active, revised 0 times" in view  # goal 2
    assert f"GAS level +1: {h.GAS_PLUS_ONE}" in view
    assert "Until " in view and ": Sleep earlier" in view
    assert "Weekly means, oldest first:" in view
    assert "⚠️ 1 safety flag this week" in view

    # the access log: the lead reads it; the colleague may not
    colleague.send("/audit A. from Dr W")
    assert "Only the lead practitioner" in (await colleague.expect_one()).plain_text
    doctor.send("/audit Anna")
    log = (await doctor.expect_one()).plain_text
    assert "Access log of Anna" in log
    assert "opened the client view" in log and "wrote a team note" in log
    assert (row.id, AuditAction.CLIENT_VIEW, cases.anna) in await _audit(bot)
    assert (colleague_row.id, AuditAction.NOTE_ADD, cases.anna) in await _audit(bot)


async def test_gas_levels_and_export(fake_api: FakeBotApi, bot: BotApplication):
    doctor, row = await _lead(fake_api, bot, 8151)
    cases = await h.caseload(bot, row.id, 81500)

    doctor.send("/gas Anna 2 -1")
    assert "Goal 2 of Anna is at GAS level -1 now." in (await doctor.expect_one()).plain_text
    doctor.send("/gas Anna 5 +1")
    assert "Anna has 2 goals" in (await doctor.expect_one()).plain_text
    doctor.send("/gas Anna 1")
    usage = (await doctor.expect_one()).plain_text
    assert "/gas Anna 2 +1 records the level goal 2 has reached now" in usage
    async with h.services(bot).sessions() as session:
        last = await session.scalar(select(GasScore).order_by(GasScore.id.desc()))
    assert (last.goal_id, last.level, last.rated_by_id) == (cases.anna_goals[1], -1, row.id)

    doctor.send("/export Anna")
    bundle, report = await doctor.expect(2, timeout=30)
    assert bundle.method == report.method == "sendDocument"
    assert bundle.filename.endswith(".zip") and report.filename.endswith(".pdf")
    with zipfile.ZipFile(io.BytesIO(bundle.file)) as archive:
        names = set(archive.namelist())
        ratings = list(csv.DictReader(io.StringIO(archive.read("ratings.csv").decode())))
        notes = list(csv.DictReader(io.StringIO(archive.read("team_notes.csv").decode())))
        reflections = list(csv.DictReader(io.StringIO(archive.read("reflections.csv").decode())))
        gas_rows = list(csv.DictReader(io.StringIO(archive.read("gas_levels.csv").decode())))
    assert {
        "goals.csv",
        "goal_history.csv",
        "checkins.csv",
        "strategies.csv",
        "strategy_answers.csv",
        "lessons.csv",
        "measures.csv",
    } <= names
    # 4 + 2 in the week, 4 + 2 in the baseline, 1 old = 13 ratings, read back as written
    assert len(ratings) == 13
    assert sorted(int(r["value"]) for r in ratings) == sorted(
        [3, 4, 2, 3, 5, 6, 6, 7, 6, 5, 5, 5, 0]
    )
    assert notes[0]["text"] == h.NOTE
    assert reflections[0]["text"] == h.REFLECTION
    assert [int(r["level"]) for r in gas_rows] == [0, 1, 1, -1]
    assert report.file.startswith(b"%PDF")
    pages = len(re.findall(rb"/Type\s*/Page\b(?!s)", report.file))
    assert pages >= 2  # the summary and the chart
    assert (row.id, AuditAction.EXPORT, cases.anna) in await _audit(bot)


async def test_bad_input_gets_a_readable_answer(fake_api: FakeBotApi, bot: BotApplication):
    doctor, _row = await _lead(fake_api, bot, 8161)
    other, other_row = await _lead(fake_api, bot, 8162)

    doctor.send("/digest")  # no clients
    assert "You have no clients yet" in (await doctor.expect_one()).plain_text
    doctor.send("/clients")
    assert "No clients yet" in (await doctor.expect_one()).plain_text

    await h.caseload(bot, other_row.id, 81600)  # the other practitioner's clients
    for command in ("/client Anna", "/export Anna", "/audit Anna", "/gas Anna 1 +1"):
        doctor.send(command)
        assert "I can't find “Anna” among your clients" in (await doctor.expect_one()).plain_text
    doctor.send("/note Anna hello")
    assert "I can't find “Anna”" in (await doctor.expect_one()).plain_text
    for command in ("/client", "/export", "/audit", "/note"):
        doctor.send(command)
        assert "like " in (await doctor.expect_one()).plain_text
    assert await _audit(bot) == []  # nothing was read

    other.send("/note Anna")  # a name but no note
    assert "Write the note after the client's name" in (await other.expect_one()).plain_text
    other.send("/client Cleo")  # no goals, an empty week
    view = (await other.expect_one()).plain_text
    assert "No goals yet." in view and "none were asked" in view

    client = fake_api.user(81601, first_name="A", language_code="en")
    client.send("/digest")
    assert "This command is for practitioners." in (await client.expect_one()).plain_text

    other.send("/clients")
    listing = (await other.expect_one()).plain_text
    assert "Anna — active (lead) · last check-in" in listing
    assert "Cleo — active (lead) · no check-in yet" in listing
    assert "Dan — unreachable" in listing


ALERTS = {
    "en": (
        "Anna rated a goal 3 today, against a recent mean of 7.0",
        "Ben has missed 3 check-ins in a row",
        "I can't reach Cleo any more",
    ),
    "de": (
        "Anna hat ein Ziel heute mit 3 bewertet, bei einem jüngsten Mittel von 7,0",
        "Ben hat 3 Check-ins in Folge verpasst",
        "Ich erreiche Cleo nicht mehr",
    ),
    "es": (
        "Anna valoró hoy un objetivo con 3, frente a una media reciente de 7,0",
        "Ben ha perdido 3 check-ins seguidos",
        "Ya no puedo contactar con Cleo",
    ),
}


@pytest.mark.parametrize("language", ["en", "de", "es"])
async def test_alerts_arrive_once_each(fake_api: FakeBotApi, bot: BotApplication, language: str):
    doctor, row = await _lead(fake_api, bot, 8171, language=language)
    services = h.services(bot)
    now = utcnow()
    yesterday = h.today() - timedelta(days=1)
    async with services.sessions() as session, session.begin():
        anna = await h.client(session, row.id, 81701, "Anna")
        ben = await h.client(session, row.id, 81702, "Ben")
        cleo = await h.client(session, row.id, 81703, "Cleo")
        goal = await h.goal(session, anna, "Sleep")
        old = now - timedelta(days=3)
        for n, value in ((5, 7), (4, 6), (3, 8)):  # mean 7.0
            await h.day(
                session,
                anna,
                h.today() - timedelta(days=n),
                CheckinStatus.ANSWERED,
                {goal: value},
                answered_at=old,
            )
        for n in (3, 2, 1):  # Ben: three missed in a row
            session.add(
                Checkin(
                    user_id=ben,
                    local_date=h.today() - timedelta(days=n),
                    source="scheduled",
                    status=CheckinStatus.MISSED,
                    opened_at=old,
                    closes_at=old,
                    updated_at=now,
                )
            )
        session.add(UserEvent(user_id=cleo, kind="unreachable", occurred_at=now))
    # the sweep's watermarks start now: only what follows counts
    await review_sweep(services, now=now - timedelta(hours=2))
    async with services.sessions() as session, session.begin():
        await h.day(session, anna, yesterday, CheckinStatus.ANSWERED, {goal: 3}, answered_at=now)
    await review_sweep(services, now=utcnow())
    bot.bot_data[SENDER_KEY].wake()
    alerts = [m.plain_text for m in await doctor.expect(3, timeout=20)]
    for expected in ALERTS[language]:
        assert sum(expected in a for a in alerts) == 1, (expected, alerts)
    # each alert ends with the client's colour and reasons in one line, as the digest says it
    ben_alert = next(a for a in alerts if ALERTS[language][1] in a)
    assert ben_alert.split("\n")[-1].startswith("🟡 "), ben_alert
    if language == "en":
        assert "3 check-ins missed in a row" in ben_alert.split("\n")[-1]

    # again, and on another instance's sweep: nothing new
    async with services.sessions() as session, session.begin():
        await session.execute(
            update(Checkin).where(Checkin.user_id == ben).values(updated_at=utcnow())
        )
    await review_sweep(services, now=utcnow() + timedelta(seconds=1))
    bot.bot_data[SENDER_KEY].wake()
    await doctor.expect_nothing(1.0)


async def test_the_practitioner_chooses_the_digest_day_and_time(
    fake_api: FakeBotApi, bot: BotApplication
):
    doctor, row = await _lead(fake_api, bot, 8181, language="de")
    doctor.send("/digest Freitag 18:30")
    assert (await doctor.expect_one()).plain_text == (
        "Deine Wochenübersicht kommt jetzt jeden Freitag um 18:30."
    )
    doctor.send("/digest someday 99:00")
    assert "/digest montag 08:00" in (await doctor.expect_one()).plain_text
    async with h.services(bot).sessions() as session:
        schedules = list(
            await session.scalars(
                select(Schedule).where(Schedule.user_id == row.id, Schedule.kind == "digest")
            )
        )
    assert len(schedules) == 1
    assert schedules[0].weekdays == 1 << 4
    due = schedules[0].next_due_at
    assert (due.weekday(), due.hour, due.minute) == (4, 18, 30)  # UTC is the local zone here


async def test_two_hundred_clients(fake_api: FakeBotApi, bot: BotApplication):
    doctor, row = await _lead(fake_api, bot, 8191)
    async with h.services(bot).sessions() as session, session.begin():
        for n in range(200):
            client = await h.client(session, row.id, 819000 + n, f"Person {n:03d}")
            goal = await h.goal(session, client, "Sleep")
            await h.day(
                session,
                client,
                h.today() - timedelta(days=1),
                CheckinStatus.ANSWERED,
                {goal: n % 11},
            )
    doctor.send("/clients")
    listing = [await doctor.expect_one(timeout=20)]
    while "Person 099" not in listing[-1].plain_text:
        listing.append(await doctor.expect_one(timeout=20))
    assert "The first 100 of 200." in listing[0].plain_text
    assert "Person 100" not in "".join(m.plain_text for m in listing)
    assert all(len(m.plain_text) <= 4096 for m in listing)
    doctor.send("/digest")
    texts = [(await doctor.expect_one(timeout=20)).plain_text]
    while "Person 199" not in texts[-1]:  # the last client (no one needs attention: no chart)
        texts.append((await doctor.expect_one(timeout=20)).plain_text)
    await doctor.expect_nothing(0.5)
    assert len(texts) >= 3 and all(len(t) <= 4096 for t in texts)
    everything = "\n".join(texts)
    for n in range(200):
        assert everything.count(f"\nPerson {n:03d}\n") == 1
    assert "No client needs special attention this week." in texts[0]


async def test_reliable_change_on_measure_totals(fake_api: FakeBotApi, bot: BotApplication):
    from bot.db.models import AdministrationStatus, MeasureAdministration
    from bot.measures.model import Norms

    doctor, row = await _lead(fake_api, bot, 8201)
    cases = await h.caseload(bot, row.id, 82000)
    services = h.services(bot)
    # A licensed-style instrument: the shipped wellbeing check with published norms.
    wellbeing = services.measures["wellbeing"]
    scoring = wellbeing.scoring.model_copy(
        update={"reliability": 0.84, "norms": Norms(mean=10, sd=4.0, source="a test manual")}
    )
    services.measures["rc-test"] = wellbeing.model_copy(
        update={"id": "rc-test", "scoring": scoring}
    )
    now = utcnow()
    async with services.sessions() as session, session.begin():
        for client, totals in (
            (cases.anna, (18, 12, 9)),
            (cases.ben, (10, 8)),
            (cases.cleo, (14,)),
        ):
            for days_ago, total in zip((21, 14, 3), totals, strict=False):
                answered = now - timedelta(days=days_ago)
                session.add(
                    MeasureAdministration(
                        user_id=client,
                        measure_id="rc-test",
                        measure_version=1,
                        status=AdministrationStatus.COMPLETED,
                        opened_at=answered,
                        closes_at=answered + timedelta(days=3),
                        completed_at=answered,
                        score_total=total,
                    )
                )
    doctor.send("/digest")
    text = (await doctor.expect(2, timeout=20))[0].plain_text
    # The first total is the baseline, the latest the current one.
    # S_diff = √2 · 4 · √0.16 = 2.2627; (9 − 18) / 2.2627 = −3.98; (8 − 10) / 2.2627 = −0.88
    assert "Weekly wellbeing check: 18 → 9, reliable change (RCI -3.98)" in text
    assert "Weekly wellbeing check: 10 → 8, within measurement error (RCI -0.88)" in text
    # one answer alone is a baseline, not a change
    assert "Weekly wellbeing check: 14, first answer" in text
    # a reliable deterioration turns the light red, with the reason in the opening lines
    assert "🔴 Anna: Weekly wellbeing check worse: 18 → 9" in text


async def test_the_digest_reads_with_the_same_number_of_queries_for_any_caseload(
    fake_api: FakeBotApi, bot: BotApplication
):
    from sqlalchemy import event

    from bot.db.models import User
    from bot.db.session import create_engine, create_session_factory
    from bot.review import digest

    _doctor, row = await _lead(fake_api, bot, 8211)
    services = h.services(bot)
    counted = []

    def count(*_args: object) -> None:
        counted.append(1)

    async def queries() -> int:
        # An engine of its own: the bot's tick and sender keep using theirs meanwhile.
        engine = create_engine(services.settings.database_url)
        event.listen(engine.sync_engine, "before_cursor_execute", count)
        try:
            async with create_session_factory(engine)() as session:
                doctor = await session.get(User, row.id)
                counted.clear()
                await digest.build(
                    session,
                    doctor,
                    services.catalogs.translator("en"),
                    today=h.today(),
                    library=services.content,
                    default_timezone="UTC",
                )
                return len(counted)
        finally:
            await engine.dispose()

    await h.caseload(bot, row.id, 821000)
    four = await queries()
    assert 5 < four < 20  # the bulk reads, counted
    await h.caseload(bot, row.id, 822000)
    await h.caseload(bot, row.id, 823000)
    assert await queries() == four  # twelve clients: no query per client
