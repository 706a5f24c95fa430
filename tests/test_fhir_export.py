"""/export <client> fhir over the fake Bot API (SQLite and PostgreSQL): an HL7 FHIR R4
Bundle that fhir.resources parses and validates, with a QuestionnaireResponse per
administration, a LOINC-coded Observation per total, and the goals with their status."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import timedelta

from fhir.resources.R4B.bundle import Bundle
from sqlalchemy import select

from bot.app import BotApplication
from bot.audit import AuditAction
from bot.db.base import utcnow
from bot.db.models import (
    AdministrationStatus,
    AuditEvent,
    Goal,
    GoalStatus,
    MeasureAdministration,
    MeasureAnswer,
)
from bot.offline.fake_bot_api import FakeBotApi
from tests import review_helpers as h
from tests.enrollment_helpers import practitioner


async def _administration(session, user_id, measure_id, values, total, band, days_ago):
    answered = utcnow() - timedelta(days=days_ago)
    row = MeasureAdministration(
        user_id=user_id,
        measure_id=measure_id,
        measure_version=1,
        status=AdministrationStatus.COMPLETED,
        current_item=len(values),
        opened_at=answered,
        closes_at=answered + timedelta(days=3),
        completed_at=answered,
        score_total=total,
        band=band,
    )
    session.add(row)
    await session.flush()
    for item_id, value in values.items():
        session.add(
            MeasureAnswer(
                administration_id=row.id,
                item_id=item_id,
                value=value,
                skipped=value is None,
                answered_at=answered,
            )
        )
    return row.id


async def test_the_fhir_export_is_a_valid_r4_bundle(fake_api: FakeBotApi, bot: BotApplication):
    doctor, row = await practitioner(fake_api, bot, 9701)
    await h.set_utc(bot, row.id)
    async with h.services(bot).sessions() as session, session.begin():
        kim = await h.client(session, row.id, 97011, "Kim")
        phq = {f"q{n}": 2 for n in range(1, 10)} | {"q3": None, "difficulty": 1}
        first = await _administration(session, kim, "phq9", phq, 18.0, 3, 20)
        await _administration(session, kim, "phq9", {f"q{n}": 1 for n in range(1, 10)}, 9.0, 1, 3)
        await _administration(session, kim, "gad7", {f"q{n}": 1 for n in range(1, 8)}, 7.0, 1, 3)
        await _administration(session, kim, "who5", {f"q{n}": 3 for n in range(1, 6)}, 15.0, 2, 3)
        await h.goal(session, kim, "Sleep before midnight")
        done = await h.goal(session, kim, "Walk daily")
        (await session.get(Goal, done)).status = GoalStatus.ACHIEVED

    doctor.send("/export Kim fhir")
    document = await doctor.expect_one(timeout=30)
    assert document.method == "sendDocument" and document.filename.endswith(".fhir.json")
    bundle = Bundle.model_validate_json(document.file)  # parses and validates every resource
    assert bundle.type == "collection"
    kinds = [entry.resource.get_resource_type() for entry in bundle.entry]
    assert kinds.count("Patient") == 1
    assert kinds.count("QuestionnaireResponse") == 4
    assert kinds.count("Observation") == 4
    assert kinds.count("Goal") == 2
    observations = [
        e.resource for e in bundle.entry if e.resource.get_resource_type() == "Observation"
    ]
    codes = [[c.code for c in o.code.coding] for o in observations]
    assert codes == [
        ["44261-6", "phq9-total"],
        ["44261-6", "phq9-total"],
        ["70274-6", "gad7-total"],
        ["who5-total"],  # no LOINC code we are sure of
    ]
    assert [o.valueQuantity.value for o in observations] == [18, 9, 7, 15]
    assert observations[0].note[0].text == "Moderately severe"
    responses = {
        e.fullUrl: e.resource
        for e in bundle.entry
        if e.resource.get_resource_type() == "QuestionnaireResponse"
    }
    assert observations[0].derivedFrom[0].reference in responses
    phq9 = responses[observations[0].derivedFrom[0].reference]
    assert phq9.status == "completed" and phq9.questionnaire == "urn:between:measure:phq9|1"
    linked = [item.linkId for item in phq9.item]
    assert linked == ["q1", "q2", "q4", "q5", "q6", "q7", "q8", "q9", "difficulty"]  # q3 skipped
    assert phq9.item[-2].answer[0].valueCoding.display == "More than half the days"
    goals = [e.resource for e in bundle.entry if e.resource.get_resource_type() == "Goal"]
    assert [(g.description.text, g.lifecycleStatus) for g in goals] == [
        ("Sleep before midnight", "active"),
        ("Walk daily", "completed"),
    ]
    assert goals[1].achievementStatus.coding[0].code == "achieved"
    patient = next(e for e in bundle.entry if e.resource.get_resource_type() == "Patient")
    assert all(o.subject.reference == patient.fullUrl for o in observations)
    assert first  # the ids are the rows'
    async with h.services(bot).sessions() as session:
        actions = list(await session.scalars(select(AuditEvent.action)))
    assert actions == [AuditAction.EXPORT]

    doctor.send("/export Kim xml")
    assert "/export Anna fhir" in (await doctor.expect_one()).plain_text


async def test_the_csv_bundle_carries_measures_and_the_traffic_light_history(
    fake_api: FakeBotApi, bot: BotApplication
):
    doctor, row = await practitioner(fake_api, bot, 9711)
    await h.set_utc(bot, row.id)
    async with h.services(bot).sessions() as session, session.begin():
        kim = await h.client(session, row.id, 97111, "Kim")
        await _administration(session, kim, "gad7", {f"q{n}": 1 for n in range(1, 8)}, 7.0, 1, 20)
        await _administration(session, kim, "gad7", {f"q{n}": 2 for n in range(1, 8)}, 14.0, 2, 3)
    doctor.send("/export Kim")
    bundle, report = await doctor.expect(2, timeout=30)
    assert report.file.startswith(b"%PDF")
    with zipfile.ZipFile(io.BytesIO(bundle.file)) as archive:
        measures = list(csv.DictReader(io.StringIO(archive.read("measures.csv").decode())))
        answers = list(csv.DictReader(io.StringIO(archive.read("measure_answers.csv").decode())))
        lights = list(csv.DictReader(io.StringIO(archive.read("traffic_light.csv").decode())))
    assert [(m["measure_id"], m["total"], m["band"], m["in_clinical_range"]) for m in measures] == [
        ("gad7", "7.0", "Mild", "no"),
        ("gad7", "14.0", "Moderate", "yes"),
    ]
    assert len(answers) == 14
    # 12 weeks, newest first: this week red (7 → 14, reliable: 4 points or more), the
    # weeks before the second answer grey (one answer is a baseline).
    assert len(lights) == 12
    assert lights[0]["colour"] == "red"
    assert lights[0]["reasons"].startswith("GAD-7 worse: 7 → 14")
    assert "into the clinical range (cut-off 10)" in lights[0]["reasons"]
    assert {light["colour"] for light in lights[1:]} == {"grey"}
