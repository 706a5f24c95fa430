"""The questionnaires a practitioner's new clients get by default (/measures), and
giving them to a client who has just finished setting up.

    /measures                       what new clients get
    /measures phq9,gad7 fortnightly  every new client gets these, from setup on
    /measures none                  nothing by default

Stored on the practitioner (``practitioners.default_measures``); applied once, when a
client of theirs (as lead) finishes onboarding: the same assignments as
``/measure <client> <id> <frequency>`` (:func:`bot.measures.scheduling.assign`). Use
cases: plain values in, a :class:`~bot.access.result.Result` out, nothing committed.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Mapping
from datetime import datetime

from babel.lists import format_list
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.access.result import Result
from bot.db.models import Cadence, CareTeamMember, MembershipState, Practitioner, TeamRole, User
from bot.domain.practitioner_args import (
    MeasureDefaults,
    MeasureFrequency,
    MeasureOverview,
    parse_measure_defaults,
)
from bot.i18n import Translator
from bot.measures import scheduling as measure_scheduling
from bot.measures.administrations import INTAKE
from bot.measures.model import Measure
from bot.measures.usecases import CADENCE_NAMES, ECHO_LENGTH

logger = logging.getLogger(__name__)


def usage(t: Translator, measures: Mapping[str, Measure]) -> str:
    ids = ", ".join(sorted(m for m in measures if m != INTAKE)) or "–"
    return t._(
        "Like this: /measures phq9,gad7 fortnightly (or weekly, monthly) — the questionnaires "
        "every new client of yours gets once they finish setting up; /measures none clears "
        "it. Questionnaires: {measures}",
        measures=html.escape(ids),
    )


def _names(t: Translator, ids: list[str], measures: Mapping[str, Measure]) -> str:
    shown = [html.escape(measures[i].name(t.locale)) for i in ids if i in measures]
    return format_list(shown, locale=t.locale)


async def measure_defaults(
    session: AsyncSession,
    t: Translator,
    *,
    practitioner_id: int,
    words: list[str],
    measures: Mapping[str, Measure],
) -> Result:
    """Show, set or clear the practitioner's default questionnaires."""
    parsed = parse_measure_defaults(words)
    practitioner = await session.get(Practitioner, practitioner_id)
    if practitioner is None:
        return Result().say(usage(t, measures))
    if parsed is MeasureOverview.OVERVIEW:
        ids = [i for i in practitioner.default_measures or [] if i in measures]
        if not ids or practitioner.default_measure_cadence is None:
            return Result().say(
                t._("New clients get no questionnaires by default.") + "\n\n" + usage(t, measures)
            )
        cadence = Cadence(practitioner.default_measure_cadence)
        return Result().say(
            t._(
                "New clients get {measures} {how_often} at their check-in time, once they "
                "finish setting up. /measures none clears it.",
                measures=_names(t, ids, measures),
                how_often=t._(CADENCE_NAMES[cadence]),
            )
        )
    if not isinstance(parsed, MeasureDefaults):
        return Result().say(usage(t, measures))
    if parsed.frequency is MeasureFrequency.STOP:
        practitioner.default_measures = None
        practitioner.default_measure_cadence = None
        logger.info("event=measures.defaults_cleared by=%s", practitioner_id)
        return Result().say(t._("New clients won't get questionnaires by default any more."))
    unknown = [i for i in parsed.measure_ids if i not in measures or i == INTAKE]
    if unknown:
        return Result().say(
            t._(
                "I don't know a questionnaire called “{measure}”.",
                measure=html.escape(unknown[0][:ECHO_LENGTH]),
            )
            + "\n\n"
            + usage(t, measures)
        )
    cadence = Cadence(parsed.frequency.value)
    practitioner.default_measures = list(parsed.measure_ids)
    practitioner.default_measure_cadence = cadence.value
    logger.info(
        "event=measures.defaults_set by=%s count=%s cadence=%s",
        practitioner_id,
        len(parsed.measure_ids),
        cadence.value,
    )
    return Result().say(
        t._(
            "Every new client of yours gets {measures} {how_often} at their check-in time, "
            "once they finish setting up. Clients you have already keep what they have: "
            "/measure Anna phq9 weekly schedules one for a client.",
            measures=_names(t, list(parsed.measure_ids), measures),
            how_often=t._(CADENCE_NAMES[cadence]),
        )
    )


async def apply_defaults(
    session: AsyncSession,
    client: User,
    *,
    measures: Mapping[str, Measure],
    now: datetime,
    default_timezone: str,
) -> tuple[list[Measure], Cadence, int] | None:
    """Schedule the lead's default questionnaires for a client who has just finished
    setting up: the measures, the cadence and the lead's id; None when there are none."""
    lead = await session.scalar(
        select(Practitioner)
        .join(CareTeamMember, CareTeamMember.practitioner_id == Practitioner.user_id)
        .where(
            CareTeamMember.client_id == client.id,
            CareTeamMember.role == TeamRole.LEAD,
            CareTeamMember.state == MembershipState.ACTIVE,
        )
        .limit(1)
    )
    if lead is None or not lead.default_measures or lead.default_measure_cadence is None:
        return None
    cadence = Cadence(lead.default_measure_cadence)
    given = [measures[i] for i in lead.default_measures if i in measures and i != INTAKE]
    for measure in given:
        await measure_scheduling.assign(
            session,
            client,
            measure_id=measure.id,
            cadence=cadence,
            by=lead.user_id,
            now=now,
            default_timezone=default_timezone,
        )
    logger.info("event=measures.defaults_applied client_id=%s count=%s", client.id, len(given))
    return (given, cadence, lead.user_id) if given else None
