"""A practitioner's questionnaire use cases: read a client's intake, see what is
scheduled and the latest results, schedule a questionnaire or stop it.

Plain values in, a :class:`~bot.access.result.Result` out; the caller asked the access
policy first (``bot.access.policy``: reading is any team member's, scheduling and
stopping the lead's) and owns the transaction. Nothing here commits or imports
``telegram``.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.access.result import Result
from bot.audit import AuditAction
from bot.db.base import utcnow
from bot.db.models import AdministrationStatus, Cadence, MeasureAdministration, User, UserStatus
from bot.domain.practitioner_args import MeasureFrequency
from bot.domain.schedule import zone_or_default
from bot.enrollment import authorization
from bot.i18n import N_, Catalogs, Translator
from bot.measures import administrations, messages
from bot.measures import scheduling as measure_scheduling
from bot.measures.administrations import INTAKE
from bot.measures.model import ItemKind, Measure

logger = logging.getLogger(__name__)

CADENCE_NAMES = {
    Cadence.WEEKLY: N_("every week"),
    Cadence.FORTNIGHTLY: N_("every two weeks"),
    Cadence.MONTHLY: N_("every month"),
}
RECENT = 5
# What is echoed back of an unknown questionnaire id.
ECHO_LENGTH = 64


def usage(t: Translator, measures: Mapping[str, Measure]) -> str:
    ids = ", ".join(sorted(m for m in measures if m != INTAKE)) or "–"
    return t._(
        "Schedule a questionnaire like this: /measure Anna wellbeing weekly "
        "(or fortnightly, monthly; stop ends it). /measure Anna shows what is scheduled "
        "and the latest results. Questionnaires: {measures}",
        measures=html.escape(ids),
    )


# --------------------------------------------------------------------------- /intake


async def intake_report(
    session: AsyncSession,
    t: Translator,
    *,
    client_id: int,
    label: str,
    measures: Mapping[str, Measure],
    zone: ZoneInfo,
) -> Result:
    """The client's intake answers (any team member)."""
    locale = t.locale
    measure = measures.get(INTAKE)
    result = Result().audited(AuditAction.INTAKE_VIEW)
    administration = await session.scalar(
        select(MeasureAdministration)
        .where(
            MeasureAdministration.user_id == client_id,
            MeasureAdministration.measure_id == INTAKE,
        )
        .order_by(MeasureAdministration.id.desc())
        .limit(1)
    )
    logger.info("event=intake.viewed client_id=%s", client_id)
    if measure is None or administration is None:
        return result.say(t._("{client} hasn't had the intake questions.", client=label))
    answers = await administrations.answers_of(session, administration.id)
    lines = [t._("<b>Intake of {client}</b>", client=label)]
    status = {
        AdministrationStatus.OPEN: t._(
            "Not finished yet: {answered} of {total} answered.",
            answered=len(answers),
            total=len(measure.items),
        ),
        AdministrationStatus.EXPIRED: t._(
            "Left unfinished: {answered} of {total} answered.",
            answered=len(answers),
            total=len(measure.items),
        ),
    }
    if administration.status is AdministrationStatus.COMPLETED and administration.completed_at:
        when = format_date(administration.completed_at.astimezone(zone).date(), locale=locale)
        lines.append(t._("Answered on {date}.", date=when))
    else:
        lines.append(status[administration.status])
    lines.append("")
    for item in measure.items:
        name = (item.label or item.text).get(locale)
        lines.append(f"{html.escape(name)}: {_shown(t, measure, item, answers)}")
    if administration.score_total is not None:
        lines.append("")
        lines.append(
            t._(
                "Score: {score} of {most}",
                score=messages.number(administration.score_total, locale),
                most=messages.number(messages.highest(measure), locale),
            )
        )
        band = messages.band_label(measure, administration.band, locale)
        if band:
            lines.append(html.escape(band))
    return result.say("\n".join(lines))


def _shown(t: Translator, measure: Measure, item: Any, answers: Mapping[str, Any]) -> str:
    row = answers.get(item.id)
    if row is None:
        return "–"
    if row.skipped:
        return t._("skipped")
    if item.kind is ItemKind.CHOICE:
        by_value = {option.value: option for option in measure.option_sets[item.options]}
        return html.escape(
            ", ".join(by_value[v].text(t.locale) for v in row.choices or () if v in by_value)
        )
    options = {option.value: option for option in measure.option_sets[item.options]}
    option = options.get(row.value) if row.value is not None else None
    return html.escape(option.text(t.locale) if option else str(row.value))


# --------------------------------------------------------------------------- /measure


async def overview(
    session: AsyncSession,
    t: Translator,
    *,
    client_id: int,
    label: str,
    measures: Mapping[str, Measure],
    zone: ZoneInfo,
) -> Result:
    """What is scheduled for the client, and their latest results (any team member)."""
    locale = t.locale
    lines = [t._("<b>Questionnaires of {client}</b>", client=label)]
    for assignment in await measure_scheduling.assignments_of(session, client_id):
        known = measures.get(assignment.measure_id)
        title = known.title.get(locale) if known else assignment.measure_id
        lines.append(f"• {html.escape(title)}: {t._(CADENCE_NAMES[assignment.cadence])}")
    recent = await session.scalars(
        select(MeasureAdministration)
        .where(
            MeasureAdministration.user_id == client_id,
            MeasureAdministration.measure_id != INTAKE,
        )
        .order_by(MeasureAdministration.opened_at.desc())
        .limit(RECENT)
    )
    shown = False
    for administration in recent:
        known = measures.get(administration.measure_id)
        if known is None:
            continue
        if not shown:
            lines += ["", t._("Latest results:")]
            shown = True
        day = format_date(administration.opened_at.astimezone(zone).date(), locale=locale)
        if administration.status is AdministrationStatus.COMPLETED:
            if administration.score_total is None:
                result = t._("answered, too many items skipped for a score")
            else:
                result = t._(
                    "{score} of {most}",
                    score=messages.number(administration.score_total, locale),
                    most=messages.number(messages.highest(known), locale),
                )
                band = messages.band_label(known, administration.band, locale)
                if band:
                    result += f" — {html.escape(band)}"
        elif administration.status is AdministrationStatus.EXPIRED:
            result = t._("not answered in time")
        else:
            result = t._("not finished yet")
        lines.append(f"• {day}, {html.escape(known.title.get(locale))}: {result}")
    if len(lines) == 1:
        lines.append(t._("Nothing scheduled or answered yet."))
    logger.info("event=measures.viewed client_id=%s", client_id)
    return Result().audited(AuditAction.MEASURE_VIEW).say("\n".join(lines))


async def schedule(
    session: AsyncSession,
    t: Translator,
    *,
    by_id: int,
    client: User,
    label: str,
    measure_id: str,
    frequency: MeasureFrequency,
    measures: Mapping[str, Measure],
    catalogs: Catalogs,
    default_timezone: str,
    now: datetime | None = None,
) -> Result:
    """Schedule a questionnaire (the client is told), or stop it (the lead)."""
    measure = measures.get(measure_id)
    if measure is None or measure_id == INTAKE:
        return Result().say(
            t._(
                "I don't know a questionnaire called “{measure}”.",
                measure=html.escape(measure_id[:ECHO_LENGTH]),
            )
            + "\n\n"
            + usage(t, measures)
        )
    title = html.escape(measure.title.get(t.locale))
    now = now or utcnow()
    if frequency is MeasureFrequency.STOP:
        stopped = await measure_scheduling.stop(session, client.id, measure.id, now=now)
        if stopped is None:
            return Result().say(
                t._("<b>{measure}</b> isn't scheduled for {client}.", measure=title, client=label)
            )
        return (
            Result()
            .audited(AuditAction.MEASURE_ASSIGN)
            .say(
                t._("<b>{measure}</b> is no longer sent to {client}.", measure=title, client=label)
            )
        )
    if client.status is not UserStatus.ACTIVE:
        return Result().say(
            t._(
                "{client} isn't active at the moment (not set up yet, stopped, or unreachable), "
                "so nothing was scheduled.",
                client=label,
            )
        )
    cadence = Cadence(frequency.value)
    assignment, changed = await measure_scheduling.assign(
        session,
        client,
        measure_id=measure.id,
        cadence=cadence,
        by=by_id,
        now=now,
        default_timezone=default_timezone,
    )
    how_often = t._(CADENCE_NAMES[cadence])
    if not changed:
        return Result().say(
            t._(
                "{client} already gets <b>{measure}</b> {how_often}. Nothing was changed.",
                client=label,
                measure=title,
                how_often=how_often,
            )
        )
    logger.info(
        "event=measure.assigned client_id=%s measure=%s cadence=%s by=%s",
        client.id,
        measure.id,
        cadence.value,
        by_id,
    )
    zone = zone_or_default(client.timezone, default_timezone)
    due = assignment.next_due_at
    first = assignment.next_slot_date or (due.astimezone(zone).date() if due else now.date())
    their = catalogs.translator(catalogs.resolve(client.locale, None))
    return (
        Result()
        .audited(AuditAction.MEASURE_ASSIGN)
        .say(
            t._(
                "{client} gets <b>{measure}</b> {how_often} at their check-in time, first on "
                "{date}. I've let them know.",
                client=label,
                measure=title,
                how_often=how_often,
                date=format_date(first, locale=t.locale),
            )
        )
        .notice(
            client.telegram_id,
            their._(
                "{name} would like you to answer a few short questions, <b>{measure}</b>, "
                "{how_often} at your check-in time. You can skip any question.",
                name=html.escape(await authorization.practitioner_name(session, by_id)),
                measure=html.escape(measure.title.get(their.locale)),
                how_often=their._(CADENCE_NAMES[cadence]),
            ),
            event="measure.assigned",
        )
    )
