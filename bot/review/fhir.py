"""/export <client> fhir: one client's record as an HL7 FHIR R4 Bundle (JSON), for
practices whose record system imports FHIR.

The Bundle (type ``collection``) holds:

- a **Patient** carrying only Between's client number as an identifier (no name: the
  alias is the practitioner's private word, and the record system knows the patient);
- a **QuestionnaireResponse** for every completed administration of a measure: each
  answered item by its id (``linkId``), text and answer (the option's value and its
  label); skipped items are left out;
- an **Observation** (category ``survey``) for every total score, coded with LOINC where
  the measure file gives a code it is sure of (PHQ-9 44261-6, GAD-7 70274-6; the WHO-5
  has none here and carries a local code), the severity band as a note, and
  ``derivedFrom`` its QuestionnaireResponse;
- a **Goal** for every goal that left the draft stage, with its lifecycle status
  (active, on-hold, completed, cancelled) and achievement.

Built as plain dicts and validated with ``fhir.resources`` (its ``R4B`` package: FHIR
4.3, whose Bundle, Patient, QuestionnaireResponse, Observation and Goal are the R4
4.0.1 structures; the library ships no separate R4 package) before it is written, so a
broken resource fails here and never reaches a record system. Ids are stable UUIDs
(uuid5 of the row), so exporting twice gives the same references.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from fhir.resources.R4B.bundle import Bundle
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import (
    AdministrationStatus,
    Goal,
    GoalStatus,
    MeasureAdministration,
    MeasureAnswer,
)
from bot.goals.manage import LISTED, NUMBER_ORDER
from bot.measures.model import ItemKind, Measure

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
GOAL_ACHIEVEMENT = "http://terminology.hl7.org/CodeSystem/goal-achievement"
# Between's own naming systems (URIs that name, not locations).
CLIENT_SYSTEM = "urn:between:client"
MEASURE_SYSTEM = "urn:between:measure"
NAMESPACE = uuid.UUID("7f0c9b52-5d0e-4b8a-9a57-2f7e4c1d6a10")

LIFECYCLE = {
    GoalStatus.ACTIVE: "active",
    GoalStatus.PAUSED: "on-hold",
    GoalStatus.ACHIEVED: "completed",
    GoalStatus.DROPPED: "cancelled",
}
ACHIEVEMENT = {
    GoalStatus.ACTIVE: ("in-progress", "In Progress"),
    GoalStatus.PAUSED: ("in-progress", "In Progress"),
    GoalStatus.ACHIEVED: ("achieved", "Achieved"),
    GoalStatus.DROPPED: ("not-achieved", "Not Achieved"),
}


def _urn(kind: str, key: object) -> str:
    return f"urn:uuid:{uuid.uuid5(NAMESPACE, f'{kind}:{key}')}"


def _instant(value: datetime) -> str:
    return value.isoformat()


async def bundle(
    session: AsyncSession,
    client_id: int,
    *,
    measures_by_id: Mapping[str, Measure],
    locale: str,
    now: datetime,
) -> Bundle:
    """The validated Bundle of one client's measures and goals (three queries)."""
    patient = _urn("patient", client_id)
    entries: list[dict[str, Any]] = [
        {
            "fullUrl": patient,
            "resource": {
                "resourceType": "Patient",
                "identifier": [{"system": CLIENT_SYSTEM, "value": str(client_id)}],
            },
        }
    ]
    administrations = list(
        await session.scalars(
            select(MeasureAdministration)
            .where(
                MeasureAdministration.user_id == client_id,
                MeasureAdministration.status == AdministrationStatus.COMPLETED,
            )
            .order_by(MeasureAdministration.completed_at, MeasureAdministration.id)
        )
    )
    answers: dict[int, list[MeasureAnswer]] = {}
    for row in await session.scalars(
        select(MeasureAnswer)
        .join(MeasureAdministration, MeasureAdministration.id == MeasureAnswer.administration_id)
        .where(MeasureAdministration.user_id == client_id)
        .order_by(MeasureAnswer.id)
    ):
        answers.setdefault(row.administration_id, []).append(row)
    for administration in administrations:
        measure = measures_by_id.get(administration.measure_id)
        if measure is None or administration.completed_at is None:
            continue  # a file since removed: its rows stay in the CSV bundle
        response = _urn("questionnaire-response", administration.id)
        entries.append(
            {
                "fullUrl": response,
                "resource": _response(
                    measure, administration, answers.get(administration.id, []), patient, locale
                ),
            }
        )
        if administration.score_total is not None:
            entries.append(
                {
                    "fullUrl": _urn("observation", administration.id),
                    "resource": _observation(measure, administration, patient, response, locale),
                }
            )
    for goal in await session.scalars(
        select(Goal)
        .where(Goal.user_id == client_id, Goal.status.in_(LISTED))
        .order_by(*NUMBER_ORDER)
    ):
        entries.append({"fullUrl": _urn("goal", goal.id), "resource": _goal(goal, patient)})
    return Bundle.model_validate(
        {
            "resourceType": "Bundle",
            "type": "collection",
            "timestamp": _instant(now),
            "identifier": {"system": CLIENT_SYSTEM, "value": f"{client_id}:{now.isoformat()}"},
            "entry": entries,
        }
    )


def _response(
    measure: Measure,
    administration: MeasureAdministration,
    rows: list[MeasureAnswer],
    patient: str,
    locale: str,
) -> dict[str, Any]:
    by_item = {row.item_id: row for row in rows}
    items = []
    for item in measure.items:
        row = by_item.get(item.id)
        if row is None or row.skipped:
            continue
        options = {o.value: o for o in measure.option_sets[item.options]}
        values = (row.choices or []) if item.kind is ItemKind.CHOICE else [row.value]
        answer = [
            {
                "valueCoding": {
                    "system": f"{MEASURE_SYSTEM}:{measure.id}:{item.options}",
                    "code": str(value),
                    "display": options[value].text(locale) if value in options else str(value),
                }
            }
            for value in values
            if value is not None
        ]
        if answer:
            items.append({"linkId": item.id, "text": item.text.get(locale), "answer": answer})
    resource: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": f"{MEASURE_SYSTEM}:{measure.id}|{administration.measure_version}",
        "status": "completed",
        "subject": {"reference": patient},
        "authored": _instant(administration.completed_at or administration.opened_at),
    }
    if items:
        resource["item"] = items
    return resource


def _observation(
    measure: Measure,
    administration: MeasureAdministration,
    patient: str,
    response: str,
    locale: str,
) -> dict[str, Any]:
    name = measure.name(locale)
    coding = [{"system": MEASURE_SYSTEM, "code": f"{measure.id}-total", "display": name}]
    if measure.loinc_total:
        coding.insert(0, {"system": LOINC, "code": measure.loinc_total})
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "status": "final",
        "category": [{"coding": [{"system": CATEGORY, "code": "survey", "display": "Survey"}]}],
        "code": {"coding": coding, "text": name},
        "subject": {"reference": patient},
        "effectiveDateTime": _instant(administration.completed_at or administration.opened_at),
        "valueQuantity": {
            "value": administration.score_total,
            "unit": "{score}",
            "system": UCUM,
            "code": "{score}",
        },
        "derivedFrom": [{"reference": response}],
    }
    bands = measure.scoring.bands if measure.scoring else ()
    if administration.band is not None and 0 <= administration.band < len(bands):
        resource["note"] = [{"text": bands[administration.band].label.get(locale)}]
    return resource


def _goal(goal: Goal, patient: str) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Goal",
        "lifecycleStatus": LIFECYCLE.get(goal.status, "proposed"),
        "description": {"text": goal.title or "—"},
        "subject": {"reference": patient},
        "startDate": goal.created_at.date().isoformat(),
    }
    achievement = ACHIEVEMENT.get(goal.status)
    if achievement is not None:
        code, display = achievement
        resource["achievementStatus"] = {
            "coding": [{"system": GOAL_ACHIEVEMENT, "code": code, "display": display}]
        }
    if goal.target_date is not None:
        resource["target"] = [{"dueDate": goal.target_date.isoformat()}]
    if goal.closed_at is not None:
        resource["statusDate"] = goal.closed_at.date().isoformat()
    return resource


def to_json(document: Bundle) -> bytes:
    return document.model_dump_json(exclude_none=True, indent=2).encode()
