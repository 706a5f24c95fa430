"""The web view over HTTP (Starlette's app through httpx), on SQLite and PostgreSQL: who
may see what, what is logged, what is stored, and what is refused."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from urllib.parse import parse_qsl, urlencode

import pytest
from sqlalchemy import func, select

from bot.audit import AuditAction
from bot.db.base import utcnow
from bot.db.models import (
    AttentionAcknowledgement,
    Checkin,
    CheckinSource,
    CheckinStatus,
    GasLevel,
    GasScore,
    Goal,
    MeasureAssignment,
    OutboxMessage,
    SafetyFlag,
    Strategy,
    StrategyFrequency,
    TeamNote,
)
from bot.settings import Settings
from tests import review_helpers as h
from tests.web_helpers import (
    COLLEAGUE,
    LEAD,
    STRANGER,
    World,
    audit_rows,
    client_for,
    count,
    csrf_for,
    csrf_of,
    init_data,
    make_world,
    signed_in,
)


@pytest.fixture
async def world(migrated: Settings) -> AsyncIterator[World]:
    made = await make_world(migrated)
    try:
        yield made
    finally:
        await made.services.engine.dispose()


async def test_caseload_puts_the_red_client_first_with_its_reason_and_logs_the_read(
    world: World,
):
    async with signed_in(world, LEAD) as web:
        page = await web.get("/caseload")
    assert page.status_code == 200
    names = [name for name in ("Anna", "Ben", "Cleo", "Dan") if name in page.text]
    assert page.text.index("Anna") < min(page.text.index(n) for n in names[1:])
    assert "needs attention" in page.text
    assert "Sleep before midnight" in page.text  # the reason names the goal
    assert "1 open safety flag" in page.text
    assert "1 red · 0 yellow · 0 green · 3 not enough data" in page.text
    shown = {client for _actor, client in await audit_rows(world.services, "caseload.view")}
    caseload = world.caseload
    assert shown == {caseload.anna, caseload.ben, caseload.cleo, caseload.dan}


async def test_a_goal_rated_long_ago_is_compared_with_its_own_first_week(world: World):
    """The first week was 100 days ago, before the weeks the caseload reads in full: the
    baseline still comes from it (8), not from the oldest day read (3)."""
    d = [h.today() - timedelta(days=n) for n in range(101)]
    async with world.services.sessions() as session, session.begin():
        olga = await h.client(session, world.lead, 70_900, "Olga")
        garden = await h.goal(session, olga, "Garden daily")
        for n in [*range(100, 93, -1), *range(40, 0, -1)]:
            await h.day(session, olga, d[n], CheckinStatus.ANSWERED, {garden: 8 if n > 90 else 3})
    async with signed_in(world, LEAD) as web:
        page = await web.get("/caseload", params={"q": "Olga"})
    assert "down 5.0 vs first week, a reliable change" in page.text


async def test_caseload_search_and_filter(world: World):
    async with signed_in(world, LEAD) as web:
        found = await web.get("/caseload", params={"q": "be"})
        attention = await web.get("/caseload", params={"show": "attention"})
        by_name = await web.get("/caseload", params={"sort": "name"})
    assert "Ben" in found.text and "Anna" not in found.text
    assert "Anna" in attention.text and "Ben" not in attention.text
    text = by_name.text
    assert text.index(">Anna<") < text.index(">Ben<") < text.index(">Cleo<") < text.index(">Dan<")


async def test_client_page_shows_goals_chart_notes_and_the_access_log(world: World):
    async with signed_in(world, LEAD) as web:
        page = await web.get(f"/clients/{world.anna}")
    assert page.status_code == 200
    text = page.text
    assert "<svg" in text and 'class="series"' in text
    # 2 runs of rated days in goal 1's chart: a gap where days were missed
    assert text.split("Ratings of goal 2")[0].count('class="series"') == 2
    assert "Discussed sleep hygiene &amp; routines" in text
    assert "Asleep by midnight 5 nights of 7" in text  # what GAS +1 looks like
    assert "Access log" in text and "opened the client view" in text
    actions = {action for action in ("client.view", "lessons.view", "audit.view")}
    for action in actions:
        assert await audit_rows(world.services, action) == [(world.lead, world.anna)]


async def test_the_clients_own_words_are_shown_only_on_request_and_logged(world: World):
    now = utcnow()
    async with world.services.sessions() as session, session.begin():
        session.add(
            Checkin(
                user_id=world.anna,
                local_date=now.date(),
                source=CheckinSource.SCHEDULED,
                status=CheckinStatus.ANSWERED,
                opened_at=now,
                closes_at=now,
                answered_at=now,
                note="Slept badly, worried about <work>",
            )
        )
    async with signed_in(world, COLLEAGUE) as web:
        page = await web.get(f"/clients/{world.anna}")
        shown = await web.get(f"/clients/{world.anna}?words=1")
    assert "Show the client&#39;s own words" in page.text
    assert "Slept badly" not in page.text
    assert await audit_rows(world.services, "words.read") == [(world.colleague, world.anna)]
    assert "Slept badly, worried about &lt;work&gt;" in shown.text
    assert "check-in note" in shown.text and "This reading is in the access log." in shown.text
    async with signed_in(world, STRANGER) as web:
        refused = await web.get(f"/clients/{world.anna}?words=1")
    assert refused.status_code == 404 and "Slept badly" not in refused.text
    assert await audit_rows(world.services, "words.read") == [(world.colleague, world.anna)]


async def test_tampered_or_expired_init_data_gets_401_in_the_users_language(world: World):
    settings = world.services.settings
    fields = dict(parse_qsl(init_data(settings, LEAD, language="de")))
    fields["user"] = fields["user"].replace(str(LEAD), str(LEAD + 1))
    async with client_for(world) as web:
        tampered = await web.post("/auth", data={"init_data": urlencode(fields), "next": "/"})
        expired = await web.post(
            "/auth",
            data={"init_data": init_data(settings, LEAD, language="es", age=3601), "next": "/"},
        )
        header = await web.get("/caseload", headers={"X-Telegram-Init-Data": urlencode(fields)})
        nothing = await web.get("/caseload")
    assert tampered.status_code == 401
    assert "Telegram" in tampered.text and 'lang="de"' in tampered.text
    assert "erneut" in tampered.text
    assert expired.status_code == 401 and 'lang="es"' in expired.text
    assert "Traceback" not in tampered.text + expired.text
    assert header.status_code == 401
    assert "between_session" not in tampered.headers.get("set-cookie", "")
    # Without anything, only the page that hands initData over: no client data.
    assert nothing.status_code == 200 and "Anna" not in nothing.text
    assert 'id="signin"' in nothing.text


async def test_a_client_who_is_not_on_their_teams_is_404_for_reads_and_writes(world: World):
    async with signed_in(world, STRANGER) as web:
        caseload = await web.get("/caseload")
        page = await web.get(f"/clients/{world.anna}")
        missing = await web.get("/clients/999999")
    assert page.status_code == 404 and missing.status_code == 404
    assert "Anna" not in caseload.text and "Anna" not in page.text
    async with signed_in(world, STRANGER) as web:
        token = csrf_for(world, web)  # a valid token of their own session
        note = await web.post(
            f"/clients/{world.anna}/notes", data={"csrf": token, "text": "not mine"}
        )
        gas = await web.post(
            f"/clients/{world.anna}/gas", data={"csrf": token, "goal": "1", "level": "1"}
        )
    assert note.status_code == gas.status_code == 404
    assert await count(world.services, TeamNote) == 1
    assert await count(world.services, GasScore) == 3
    assert await audit_rows(world.services, "client.view") == []


async def test_a_team_member_sees_the_client_but_not_what_only_the_lead_may(world: World):
    async with signed_in(world, COLLEAGUE) as web:
        caseload = await web.get("/caseload")
        page = await web.get(f"/clients/{world.anna}")
        token = csrf_of(page.text)
        gas = await web.post(
            f"/clients/{world.anna}/gas", data={"csrf": token, "goal": "1", "level": "2"}
        )
        export = await web.get(f"/clients/{world.anna}/export.pdf")
        note = await web.post(
            f"/clients/{world.anna}/notes", data={"csrf": token, "text": "Seen at the clinic"}
        )
    assert "Anna K." in caseload.text and "Ben" not in caseload.text  # their own alias
    assert page.status_code == 200 and "Sleep before midnight" in page.text
    assert "Access log" not in page.text and "Record a GAS level" not in page.text
    assert gas.status_code == 403 and "Only the lead practitioner" in gas.text
    assert export.status_code == 404
    assert note.status_code == 303
    async with world.services.sessions() as session:
        levels = (await session.scalars(select(GasScore.level))).all()
        notes = (await session.scalars(select(TeamNote.text).order_by(TeamNote.id))).all()
    assert sorted(levels) == [0, 1, 1]  # nothing added
    assert notes[-1] == "Seen at the clinic"
    assert (world.colleague, world.anna) in await audit_rows(world.services, "note.add")


async def test_writes_without_the_sessions_csrf_token_are_refused(world: World):
    async with signed_in(world, LEAD) as other:
        other_token = csrf_of((await other.get(f"/clients/{world.anna}")).text)
    async with signed_in(world, LEAD) as web:
        missing = await web.post(f"/clients/{world.anna}/notes", data={"text": "no token"})
        foreign = await web.post(
            f"/clients/{world.anna}/notes", data={"csrf": other_token, "text": "old token"}
        )
        by_header = await web.post(
            f"/clients/{world.anna}/notes",
            data={"text": "header only"},
            headers={"X-Telegram-Init-Data": init_data(world.services.settings, LEAD)},
        )
    assert missing.status_code == foreign.status_code == by_header.status_code == 403
    assert await count(world.services, TeamNote) == 1
    assert await audit_rows(world.services, "note.add") == []


async def test_the_lead_records_a_gas_level_and_a_note_through_the_use_cases(world: World):
    async with signed_in(world, LEAD) as web:
        token = csrf_of((await web.get(f"/clients/{world.anna}")).text)
        gas = await web.post(
            f"/clients/{world.anna}/gas", data={"csrf": token, "goal": "2", "level": "-1"}
        )
        note = await web.post(
            f"/clients/{world.anna}/notes", data={"csrf": token, "text": "Call <b>Monday</b>"}
        )
        after = await web.get(note.headers["location"])
        bad = await web.post(
            f"/clients/{world.anna}/gas", data={"csrf": token, "goal": "7", "level": "1"}
        )
    assert gas.status_code == note.status_code == 303
    async with world.services.sessions() as session:
        newest = (
            await session.execute(
                select(GasScore.goal_id, GasScore.level, GasScore.rated_by_id)
                .order_by(GasScore.id.desc())
                .limit(1)
            )
        ).one()
        notes = (await session.scalars(select(TeamNote.text).order_by(TeamNote.id))).all()
    assert tuple(newest) == (world.caseload.anna_goals[1], -1, world.lead)
    assert notes[-1] == "Call <b>Monday</b>"
    assert "Call &lt;b&gt;Monday&lt;/b&gt;" in after.text and "The note is saved." in after.text
    assert bad.status_code == 400 and "has 2 goals" in bad.text
    assert await audit_rows(world.services, AuditAction.GAS_SCORE.value) == [
        (world.lead, world.anna)
    ]


async def test_the_lead_describes_a_gas_level_and_schedules_a_questionnaire(world: World):
    async with signed_in(world, COLLEAGUE) as web:
        token = csrf_of((await web.get(f"/clients/{world.anna}")).text)
        not_lead = await web.post(
            f"/clients/{world.anna}/gas-levels",
            data={"csrf": token, "goal": "1", "level": "2", "description": "Colleague"},
        )
    async with signed_in(world, LEAD) as web:
        page = await web.get(f"/clients/{world.anna}")
        token = csrf_of(page.text)
        described = await web.post(
            f"/clients/{world.anna}/gas-levels",
            data={"csrf": token, "goal": "1", "level": "2", "description": "Asleep by 11 <pm>"},
        )
        after = await web.get(described.headers["location"])
        scheduled = await web.post(
            f"/clients/{world.anna}/measures",
            data={"csrf": token, "measure": "gad7", "frequency": "fortnightly"},
        )
        forged = await web.post(
            f"/clients/{world.anna}/measures",
            data={"csrf": token, "measure": "intake", "frequency": "hourly"},
        )
        empty = await web.post(
            f"/clients/{world.anna}/gas-levels",
            data={"csrf": token, "goal": "1", "level": "9", "description": " "},
        )
    assert "Describe a GAS level" in page.text and "Schedule a questionnaire" in page.text
    assert not_lead.status_code == 403 and "Only the lead practitioner" in not_lead.text
    assert described.status_code == scheduled.status_code == 303
    assert "Asleep by 11 &lt;pm&gt;" in after.text
    assert "The description of the GAS level is saved." in after.text
    assert forged.status_code == empty.status_code == 400
    assert "Please choose a questionnaire" in forged.text
    async with world.services.sessions() as session:
        levels = (
            await session.execute(select(GasLevel.goal_id, GasLevel.level, GasLevel.description))
        ).all()
        assignments = (
            await session.execute(
                select(
                    MeasureAssignment.user_id,
                    MeasureAssignment.measure_id,
                    MeasureAssignment.cadence,
                )
            )
        ).all()
    assert (world.caseload.anna_goals[0], 2, "Asleep by 11 <pm>") in [tuple(r) for r in levels]
    assert "Colleague" not in [row.description for row in levels]
    assert [
        (row.user_id, row.measure_id, str(row.cadence))
        for row in assignments
        if row.measure_id == "gad7"
    ] == [(world.anna, "gad7", "fortnightly")]
    assert await audit_rows(world.services, "goal.gas") == [(world.lead, world.anna)]
    assert await audit_rows(world.services, "measure.assign") == [(world.lead, world.anna)]


async def test_the_lead_adds_and_rewords_a_goal_and_adds_a_strategy(world: World):
    async with signed_in(world, LEAD) as web:
        token = csrf_of((await web.get(f"/clients/{world.anna}")).text)
        added = await web.post(
            f"/clients/{world.anna}/goals",
            data={"csrf": token, "goal": "new", "verb": "edit", "text": "Walk after lunch"},
        )
        reworded = await web.post(
            f"/clients/{world.anna}/goals",
            data={"csrf": token, "goal": "1", "verb": "edit", "text": "Asleep by 11"},
        )
        strategy = await web.post(
            f"/clients/{world.anna}/strategies",
            data={"csrf": token, "goal": "1", "often": "3", "text": "No screens after 10"},
        )
        after = await web.get(strategy.headers["location"])
        forged = await web.post(
            f"/clients/{world.anna}/goals",
            data={"csrf": token, "goal": "1", "verb": "explode", "text": ""},
        )
        no_wording = await web.post(
            f"/clients/{world.anna}/goals", data={"csrf": token, "goal": "new", "verb": "edit"}
        )
    assert added.status_code == reworded.status_code == strategy.status_code == 303
    assert "The strategy is saved." in after.text and "No screens after 10" in after.text
    assert forged.status_code == no_wording.status_code == 400
    async with world.services.sessions() as session:
        goals = (
            await session.execute(
                select(Goal.title, Goal.version).where(Goal.user_id == world.anna).order_by(Goal.id)
            )
        ).all()
        strategies = (await session.execute(select(Strategy.title, Strategy.times_per_week))).all()
        told = await session.scalar(
            select(func.count()).where(
                OutboxMessage.user_id == world.anna, OutboxMessage.kind == "goal_change"
            )
        )
    assert goals[0] == ("Asleep by 11", 3) and goals[-1] == ("Walk after lunch", 1)
    assert ("No screens after 10", 3) in [tuple(row) for row in strategies]
    assert told == 3  # the client hears of each change
    assert await audit_rows(world.services, "goal.create") == [(world.lead, world.anna)]
    assert await audit_rows(world.services, "strategy.add") == [(world.lead, world.anna)]


async def test_the_lead_rewords_and_stops_a_strategy_and_a_colleague_may_not(world: World):
    anna = f"/clients/{world.anna}"
    async with signed_in(world, COLLEAGUE) as web:
        token = csrf_of((await web.get(anna)).text)
        not_lead = await web.post(
            f"{anna}/strategies/change",
            data={"csrf": token, "which": "1.1", "verb": "stop"},
        )
    async with signed_in(world, LEAD) as web:
        token = csrf_of((await web.get(anna)).text)
        for title in ("No screens after 10", "Tea instead of coffee"):
            await web.post(
                f"{anna}/strategies",
                data={"csrf": token, "goal": "1", "often": "3", "text": title},
            )
        page = (await web.get(anna)).text
        edited = await web.post(
            f"{anna}/strategies/change",
            data={"csrf": token, "which": "1.1", "verb": "edit", "text": "No screens after 9"},
        )
        more_often = await web.post(
            f"{anna}/strategies/change",
            data={"csrf": token, "which": "1.2", "verb": "edit", "often": "7"},
        )
        after = await web.get(more_often.headers["location"])
        stopped = await web.post(
            f"{anna}/strategies/change", data={"csrf": token, "which": "1.2", "verb": "stop"}
        )
        refused = [
            await web.post(f"{anna}/strategies/change", data={"csrf": token, **fields})
            for fields in (
                {"which": "1.9", "verb": "stop"},  # no such strategy
                {"which": "x.1", "verb": "stop"},
                {"which": "1.1", "verb": "explode"},
                {"which": "1.1", "verb": "edit"},  # nothing to change
                {"which": "1.1", "verb": "edit", "often": "8"},
            )
        ]
    assert 'value="1.2"' in page and "Change a strategy" in page
    assert not_lead.status_code == 403
    assert edited.status_code == more_often.status_code == stopped.status_code == 303
    assert "No screens after 9 (3 times a week)" in after.text
    assert "Tea instead of coffee (daily)" in after.text
    assert [response.status_code for response in refused] == [400] * 5
    assert "has no strategy 9" in refused[0].text
    async with world.services.sessions() as session:
        rows = (
            await session.execute(
                select(Strategy.title, Strategy.frequency, Strategy.times_per_week, Strategy.active)
                .join(Goal, Goal.id == Strategy.goal_id)
                .where(Goal.user_id == world.anna)
                .order_by(Strategy.id)
            )
        ).all()
        told = await session.scalar(
            select(func.count()).where(
                OutboxMessage.user_id == world.anna, OutboxMessage.kind == "goal_change"
            )
        )
    assert [tuple(row) for row in rows][-2:] == [
        ("No screens after 9", StrategyFrequency.TIMES_PER_WEEK, 3, True),
        ("Tea instead of coffee", StrategyFrequency.DAILY, None, False),
    ]
    assert told == 5  # two added, two changed, one stopped: the client hears of each
    assert await audit_rows(world.services, "strategy.change") == [(world.lead, world.anna)] * 3


async def test_the_lead_acknowledges_a_red_light_and_the_team_sees_who_and_when(world: World):
    anna = f"/clients/{world.anna}"
    async with signed_in(world, COLLEAGUE) as web:
        token = csrf_of((await web.get(anna)).text)
        not_lead = await web.post(f"{anna}/attention", data={"csrf": token})
    async with signed_in(world, LEAD) as web:
        page = await web.get(anna)
        token = csrf_of(page.text)
        done = await web.post(f"{anna}/attention", data={"csrf": token})
        after = await web.get(done.headers["location"])
        again = await web.post(f"{anna}/attention", data={"csrf": token})
        grey = await web.post(f"/clients/{world.caseload.ben}/attention", data={"csrf": token})
    async with signed_in(world, COLLEAGUE) as web:
        seen_by_team = await web.get(anna)
        caseload = await web.get("/caseload")
    assert not_lead.status_code == 403
    assert "acknowledged by Dr. Lead" in caseload.text
    assert "Acknowledge: I&#39;m on it" in page.text
    assert done.status_code == 303 and "The light is acknowledged." in after.text
    assert "acknowledged by Dr. Lead" in after.text and "I&#39;m on it" not in after.text
    assert again.status_code == 400 and "already acknowledged" in again.text
    assert grey.status_code == 400 and "does not ask for attention" in grey.text
    assert "acknowledged by Dr. Lead" in seen_by_team.text
    async with world.services.sessions() as session:
        rows = (
            await session.execute(
                select(
                    AttentionAcknowledgement.client_id,
                    AttentionAcknowledgement.colour,
                    AttentionAcknowledgement.acknowledged_by_id,
                )
            )
        ).all()
    assert [tuple(row) for row in rows] == [(world.anna, "red", world.lead)]
    assert await audit_rows(world.services, "attention.ack") == [(world.lead, world.anna)]


async def test_the_lead_downloads_the_pdf_the_csv_files_and_the_fhir_bundle(world: World):
    async with signed_in(world, LEAD) as web:
        pdf = await web.get(f"/clients/{world.anna}/export.pdf")
        csv = await web.get(f"/clients/{world.anna}/export.zip")
        fhir = await web.get(f"/clients/{world.anna}/export.json")
        other = await web.get(f"/clients/{world.anna}/export.exe")
    async with signed_in(world, COLLEAGUE) as web:
        not_lead = await web.get(f"/clients/{world.anna}/export.json")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert csv.status_code == 200 and csv.content.startswith(b"PK")
    assert fhir.status_code == 200 and fhir.headers["content-type"] == "application/fhir+json"
    bundle = fhir.json()
    assert bundle["resourceType"] == "Bundle"
    goals = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Goal"]
    assert any(goal["description"]["text"] == "Sleep before midnight" for goal in goals)
    assert other.status_code == not_lead.status_code == 404
    assert len(await audit_rows(world.services, "client.export")) == 3


async def test_every_page_carries_a_strict_content_security_policy(world: World):
    async with signed_in(world, LEAD) as web:
        pages = [await web.get("/caseload"), await web.get(f"/clients/{world.anna}")]
        pages.append(await web.get("/clients/999999"))
    for page in pages:
        policy = page.headers["content-security-policy"]
        assert "script-src 'self' https://telegram.org;" in policy
        assert "unsafe-inline" not in policy
        assert "<script>" not in page.text  # no inline script
        external = re_external(page.text)
        assert external <= {"https://telegram.org/js/telegram-web-app.js"}, external


def re_external(text: str) -> set[str]:
    import re

    return set(re.findall(r'(?:src|href)="(https?://[^"]+)"', text))


async def test_pages_speak_the_practitioners_language(migrated: Settings):
    made = await make_world(migrated, lead_locale="de")
    try:
        async with signed_in(made, LEAD) as web:
            caseload = await web.get("/caseload")
            page = await web.get(f"/clients/{made.anna}")
    finally:
        await made.services.engine.dispose()
    assert 'lang="de"' in caseload.text and "Deine Klient:innen" in caseload.text
    assert "Teamnotizen" in page.text


async def test_the_lead_acknowledges_a_safety_flag_and_it_is_no_longer_open(world: World):
    async with world.services.sessions() as session:
        flag_id = await session.scalar(
            select(SafetyFlag.id).where(SafetyFlag.user_id == world.anna)
        )
    address = f"/clients/{world.anna}/flags/{flag_id}/acknowledge"
    async with signed_in(world, COLLEAGUE) as web:
        page = await web.get(f"/clients/{world.anna}")
        refused = await web.post(address, data={"csrf": csrf_of(page.text)})
    assert "Acknowledge" not in page.text and "open" in page.text
    assert refused.status_code == 403
    async with signed_in(world, LEAD) as web:
        page = await web.get(f"/clients/{world.anna}")
        assert "explicit crisis language" in page.text
        done = await web.post(address, data={"csrf": csrf_of(page.text)})
        again = await web.post(address, data={"csrf": csrf_of(page.text)})
        after = await web.get(done.headers["location"])
        caseload = await web.get("/caseload")
    assert done.status_code == 303
    assert again.status_code == 400 and "already acknowledged" in again.text
    assert "The safety flag is acknowledged." in after.text
    assert "acknowledged by Dr. Lead" in after.text
    assert "open safety flag" not in caseload.text
    async with world.services.sessions() as session:
        flag = await session.get(SafetyFlag, flag_id)
    assert flag is not None and flag.acknowledged_by_id == world.lead
    assert flag.acknowledged_at is not None
    assert await audit_rows(world.services, "flag.ack") == [(world.lead, world.anna)]


async def test_someone_who_is_not_a_practitioner_is_told_so(world: World):
    settings = world.services.settings
    async with client_for(world) as web:
        stranger = await web.post(
            "/auth", data={"init_data": init_data(settings, 555, language="es"), "next": "/"}
        )
    assert stranger.status_code == 403 and 'lang="es"' in stranger.text
    assert "profesionales" in stranger.text
    assert "between_session" not in stranger.headers.get("set-cookie", "")
