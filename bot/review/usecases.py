"""What a practitioner reads and writes about their clients, as use cases:
their caseload, the digest now (and when it comes), one client's view, a team note, the export and
the access log.

Plain values in, a :class:`~bot.access.result.Result` out; the caller asked the
access policy first (``bot.access.policy``) and owns the transaction: nothing here
commits. The result's ``audit`` says what to log (the router logs it in the same
transaction, so nothing is shown that was not logged).
"""

from __future__ import annotations

import html
import logging
from collections.abc import Mapping, Sequence
from datetime import date
from zoneinfo import ZoneInfo

from babel.dates import format_time, get_day_names
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import charts
from bot.access.result import File, Result
from bot.audit import AuditAction
from bot.content.library import ContentLibrary
from bot.dates import Clock
from bot.db.base import utcnow
from bot.db.models import AuditEvent, Practitioner, TeamNote, TeamRole, User, UserStatus
from bot.domain.decision import DEFAULT_RULES, DecisionRules
from bot.domain.review import split_messages
from bot.domain.windows import review_week
from bot.enrollment import authorization
from bot.enrollment.client_lookup import client_label
from bot.i18n import N_, Translator
from bot.measures.model import Measure
from bot.review import digest, export
from bot.review.data import (
    CLIENT_HISTORY_WEEKS,
    ClientReview,
    last_checkins,
    load_client_review,
)

logger = logging.getLogger(__name__)

AUDIT_ROWS = 30
ACTION_LABELS = {
    AuditAction.LESSONS_VIEW.value: N_("read the lessons"),
    AuditAction.PROGRAM_ASSIGN.value: N_("chose a program"),
    AuditAction.LESSON_SEND.value: N_("sent a lesson"),
    AuditAction.DIGEST.value: N_("weekly digest"),
    AuditAction.CLIENT_VIEW.value: N_("opened the client view"),
    AuditAction.EXPORT.value: N_("exported the record"),
    AuditAction.NOTE_ADD.value: N_("wrote a team note"),
    AuditAction.GAS_SCORE.value: N_("set a GAS level"),
    AuditAction.AUDIT_VIEW.value: N_("read this log"),
    AuditAction.CASELOAD_VIEW.value: N_("opened the caseload in the web view"),
    AuditAction.GOALS_VIEW.value: N_("read the goals"),
    AuditAction.GOAL_GAS.value: N_("described a GAS level"),
    AuditAction.MEASURE_VIEW.value: N_("read the questionnaires"),
    AuditAction.INTAKE_VIEW.value: N_("read the intake"),
    AuditAction.GOAL_CREATE.value: N_("set a goal"),
    AuditAction.GOAL_CHANGE.value: N_("changed a goal"),
    AuditAction.STRATEGY_ADD.value: N_("added a strategy"),
    AuditAction.STRATEGY_CHANGE.value: N_("changed or stopped a strategy"),
    AuditAction.MEASURE_ASSIGN.value: N_("scheduled a questionnaire"),
    AuditAction.FLAG_ACK.value: N_("acknowledged a safety flag"),
    AuditAction.FLAG_REVEAL.value: N_("read a flagged message"),
    AuditAction.WORDS_READ.value: N_("read the client's own words"),
    AuditAction.ATTENTION_ACK.value: N_("acknowledged the light"),
}


# --------------------------------------------------------------------------- /clients


async def caseload(session: AsyncSession, t: Translator, *, practitioner_id: int) -> Result:
    """Everyone this practitioner may see, with how they are doing (a page of them)."""
    _ = t._
    visible = await authorization.visible_clients(session, practitioner_id)
    if not visible:
        return Result().say(_("No clients yet. /invite makes an invite link and a QR code."))
    states = {
        UserStatus.ONBOARDING: _("setting up"),
        UserStatus.ACTIVE: _("active"),
        UserStatus.STOPPED: _("stopped"),
        UserStatus.UNREACHABLE: _("unreachable"),
    }
    last = await last_checkins(session, [entry.client.id for entry in visible])
    total = await authorization.count_visible_clients(session, practitioner_id)
    lines = []
    for entry in visible:
        role = _("lead") if entry.role == TeamRole.LEAD else _("team member")
        seen = last.get(entry.client.id)
        lines.append(
            f"• {client_label(t, entry.alias, entry.client.id)} — "
            f"{states[entry.client.status]} ({role}) · "
            + (
                _("last check-in {date}", date=Clock(t.locale).day(seen))
                if seen
                else _("no check-in yet")
            )
        )
    header = _("<b>Your clients</b>")
    if total > len(visible):
        header += "\n" + _(
            "The first {shown} of {total}. /client and a name shows anyone.",
            shown=len(visible),
            total=total,
        )
    result = Result()
    for part in split_messages(header, ["\n".join(lines)]):
        result.say(part)
    return result


# --------------------------------------------------------------------------- /digest


async def digest_now(
    session: AsyncSession,
    t: Translator,
    *,
    practitioner: User,
    today: date,
    library: ContentLibrary,
    default_timezone: str,
    measures_by_id: Mapping[str, Measure],
    rules: DecisionRules = DEFAULT_RULES,
) -> Result:
    """The weekly digest of the seven days before ``today``, now (every client it shows
    is logged)."""
    built = await digest.build(
        session,
        practitioner,
        t,
        today=today,
        library=library,
        default_timezone=default_timezone,
        measures_by_id=measures_by_id,
        rules=rules,
    )
    result = Result()
    for text in built.messages:
        result.say(text)
    if built.chart is not None:
        result.photo = File(
            built.chart,
            "digest.png",
            t._("Ratings of the last 8 weeks: clients needing attention"),
        )
    result.audit, result.audit_clients = AuditAction.DIGEST, list(built.client_ids)
    logger.info("event=digest.sent_now by=%s clients=%s", practitioner.id, len(built.client_ids))
    return result


async def digest_preference(
    session: AsyncSession,
    t: Translator,
    *,
    practitioner_id: int,
    typed: str,
    locales: Sequence[str],
    default_timezone: str,
) -> Result:
    """/digest <weekday> <HH:MM>: when the weekly digest comes (local time)."""
    chosen = digest.parse_preference(typed, locales)
    if chosen is None:
        return Result().say(
            t._(
                "To choose when your weekly digest comes, send a day and a time, like "
                "/digest monday 08:00. /digest alone sends it now."
            )
        )
    weekday, at = chosen
    row = await session.get(User, practitioner_id)
    assert row is not None
    await digest.set_preference(
        session, row, weekday=weekday, at=at, now=utcnow(), default_timezone=default_timezone
    )
    logger.info("event=digest.preference_set by=%s weekday=%s", practitioner_id, weekday)
    return Result().say(
        t._(
            "Your weekly digest now comes every {day} at {time}.",
            day=get_day_names("wide", locale=t.locale)[weekday],
            time=format_time(at, "short", locale=t.locale),
        )
    )


# --------------------------------------------------------------------------- /client


async def client_view(
    session: AsyncSession,
    t: Translator,
    *,
    practitioner_id: int,
    client_id: int,
    today: date,
    zone: ZoneInfo,
    library: ContentLibrary,
    measures_by_id: Mapping[str, Measure],
    rules: DecisionRules = DEFAULT_RULES,
    crisis_lines: str = "",
    clock: Clock | None = None,
) -> Result:
    """Everything about one client: goals with history, chart, streak, notes, flags, the
    client's own words newest first, and (``crisis_lines``) which crisis lines the client
    is shown. The window and its dates are the digest's (``review_week``); ``clock`` is
    the reader's (their zone; None: ``zone``)."""
    clock = clock or Clock(t.locale, zone)
    review = await load_client_review(
        session,
        practitioner_id,
        client_id,
        today=today,
        zone=zone,
        measures_by_id=measures_by_id,
        rules=rules,
    )
    result = Result()
    if review is None:
        return result
    details = await export.goal_details(session, review.client_id)
    blocks = [
        digest.client_block(
            t,
            review,
            zone=zone,
            library=library,
            quote_length=digest.FULL_QUOTE_LENGTH,
            measure_names=digest.measure_names(t, measures_by_id),
            measures_by_id=measures_by_id,
        )
    ]
    if crisis_lines:
        blocks.append(crisis_lines)
    words = digest.words_block(t, review, clock=clock, library=library)
    if words:
        blocks.append(words)
    for goal in review.goals:
        blocks.append(digest.goal_history(t, goal, details, zone))
    header = client_header(t, review, today=today, clock=clock)
    for part in split_messages(header, blocks):
        result.say(part)
    if any(goal.series for goal in review.goals):
        picture = await charts.png(
            digest.chart_panels(t, [review]), y_label=t._("rating (0–10)"), locale=t.locale
        )
        result.photo = File(picture, "client.png")
    logger.info("event=client.viewed client_id=%s by=%s", review.client_id, practitioner_id)
    return result.audited(AuditAction.CLIENT_VIEW)


def client_header(t: Translator, review: ClientReview, *, today: date, clock: Clock) -> str:
    """The client view's (and report's) title, naming the window's days as the digest does."""
    week = review_week(today)
    return t._(
        "<b>{client}</b>: {days}, and {weeks} weeks of ratings",
        client=digest.label(t, review),
        days=clock.span(week.start, week.end),
        weeks=CLIENT_HISTORY_WEEKS,
    )


# --------------------------------------------------------------------------- /note


async def add_note(
    session: AsyncSession, t: Translator, *, author_id: int, client_id: int, label: str, text: str
) -> Result:
    """A note for the client's care team (never shown to the client)."""
    session.add(TeamNote(client_id=client_id, author_id=author_id, text=text.strip()))
    await session.flush()
    logger.info("event=note.added client_id=%s by=%s", client_id, author_id)
    return (
        Result()
        .audited(AuditAction.NOTE_ADD)
        .say(
            t._(
                "Noted for {client}'s care team. The client doesn't see team notes in the "
                "chat, but finds them in their copy of their data (/mydata).",
                client=label,
            )
        )
    )


# --------------------------------------------------------------------------- /export


async def export_client(
    session: AsyncSession,
    t: Translator,
    *,
    practitioner_id: int,
    client_id: int,
    today: date,
    zone: ZoneInfo,
    library: ContentLibrary,
    measures_by_id: Mapping[str, Measure],
    rules: DecisionRules = DEFAULT_RULES,
    clock: Clock | None = None,
) -> Result:
    """CSV files (zip) and a PDF report, for the clinical record (the lead)."""
    files = await export.build(
        session,
        practitioner_id,
        client_id,
        t,
        today=today,
        zone=zone,
        library=library,
        measures_by_id=measures_by_id,
        rules=rules,
        clock=clock,
    )
    logger.info("event=client.exported client_id=%s by=%s", client_id, practitioner_id)
    name = f"between-client-{files.client_id}-{today.isoformat()}"
    result = Result().audited(AuditAction.EXPORT)
    result.documents = [
        File(files.zip, f"{name}.zip", t._("The data as CSV files (one per kind of record).")),
        File(files.pdf, f"{name}.pdf", t._("A printable report for the clinical record.")),
    ]
    return result


async def export_fhir(
    session: AsyncSession,
    t: Translator,
    *,
    client_id: int,
    today: date,
    measures_by_id: Mapping[str, Measure],
) -> Result:
    """An HL7 FHIR R4 Bundle of the client's measures and goals (the lead)."""
    # Imported here: fhir.resources' models cost start-up time and memory until used.
    from bot.review import fhir

    document = await fhir.bundle(
        session, client_id, measures_by_id=measures_by_id, locale=t.locale, now=utcnow()
    )
    logger.info("event=client.exported_fhir client_id=%s", client_id)
    name = f"between-client-{client_id}-{today.isoformat()}.fhir.json"
    result = Result().audited(AuditAction.EXPORT)
    result.documents = [
        File(
            fhir.to_json(document),
            name,
            t._(
                "An HL7 FHIR R4 Bundle: every questionnaire answered, its total score "
                "(LOINC-coded where a code exists) and the goals with their status."
            ),
        )
    ]
    return result


# --------------------------------------------------------------------------- /audit


async def access_log_rows(
    session: AsyncSession, *, client_id: int, limit: int = AUDIT_ROWS
) -> list[tuple[AuditEvent, str | None]]:
    """The latest access-log rows of a client with who did it (their name), newest first."""
    rows = await session.execute(
        select(AuditEvent, Practitioner.display_name)
        .outerjoin(Practitioner, Practitioner.user_id == AuditEvent.actor_user_id)
        .where(AuditEvent.client_user_id == client_id)
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
        .limit(limit)
    )
    return [(event, name) for event, name in rows.all()]


async def access_log(
    session: AsyncSession,
    t: Translator,
    *,
    client_id: int,
    label: str,
    zone: ZoneInfo,
    clock: Clock | None = None,
) -> Result:
    """The latest reads and changes of the client's data, newest first (the lead)."""
    rows = await access_log_rows(session, client_id=client_id)
    lines = [t._("<b>Access log of {client}</b> (newest first)", client=label)]
    if not rows:
        lines.append(t._("Nobody has read their data yet."))
    for event, name in rows:
        when = (clock or Clock(t.locale, zone)).moment(event.created_at)
        who = html.escape(name) if name else str(event.actor_user_id)
        action = ACTION_LABELS.get(event.action)
        lines.append(f"• {when} — {who} — {t._(action) if action else event.action}")
    result = Result().audited(AuditAction.AUDIT_VIEW)
    for part in split_messages("\n".join(lines), []):
        result.say(part)
    return result
