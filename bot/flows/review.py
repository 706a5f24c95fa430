"""What a practitioner reads and writes about their clients:

    /digest            -> the weekly digest now (the week before today), chart included
    /client Anna       -> Anna's goals with history, chart, streak, adherence, lessons,
                          reflections, team notes and flags
    /note Anna <text>  -> a note for Anna's care team (never shown to Anna)
    /gas Anna 2 +1     -> goal 2 of Anna is at GAS level +1 (the lead)
    /export Anna       -> a zip of CSV files and a PDF report (the lead)
    /audit Anna        -> who read or changed Anna's data, and when (the lead)

A client is named by the practitioner's alias or number, looked for only among their
own care teams (someone else's client is simply "not found"). Every read of a client's
data is written to the access log in the read's own transaction.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Sequence
from datetime import timedelta

from babel.dates import format_datetime, format_time, get_day_names
from sqlalchemy import select
from telegram import InputFile, Update

from bot import audit
from bot.audit import AuditAction
from bot.context import BotContext
from bot.db.base import utcnow
from bot.db.models import (
    AuditEvent,
    GasScore,
    Practitioner,
    TeamNote,
    TeamRole,
    User,
)
from bot.domain.gas import GAS_LEVELS
from bot.domain.review import Week, split_messages
from bot.domain.schedule import zone_or_default
from bot.enrollment.client_lookup import client_label, find_clients
from bot.flows.outgoing import Outgoing
from bot.flows.practitioner_commands import not_for_you, one_client, practitioner
from bot.goals.manage import numbered_goals
from bot.i18n import N_
from bot.review import chart, digest, export
from bot.review.data import load_review
from bot.safety import lines as crisis_lines

logger = logging.getLogger(__name__)

NOTE_LENGTH = 2000
AUDIT_ROWS = 30
HISTORY_WEEKS = 12
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
}
_GAS_ARGS = re.compile(r"^(.+?)\s+(\d{1,2})\s+([-+−]?[0-2])$")


def _today(context: BotContext, user: User):
    zone = zone_or_default(user.timezone, context.services.settings.default_timezone)
    return zone, utcnow().astimezone(zone).date()


# --------------------------------------------------------------------------- /digest


async def digest_now(update: Update, context: BotContext) -> None:
    """/digest: the weekly digest of the seven days before today, now."""
    user = practitioner(context)
    if user is None:
        await not_for_you(update, context)
        return
    if context.args:
        await _digest_preference(update, context, user)
        return
    _zone, today = _today(context, user)
    services = context.services
    async with services.sessions() as session, session.begin():
        built = await digest.build(
            session,
            user,
            context.t,
            today=today,
            library=services.content,
            default_timezone=services.settings.default_timezone,
            measures_by_id=services.measures,
        )
        await audit.record_many(session, user.id, AuditAction.DIGEST, built.client_ids)
    for text in built.messages:
        await update.effective_message.reply_text(text)
    if built.chart is not None:
        await update.effective_message.reply_photo(
            InputFile(built.chart, filename="digest.png"),
            caption=context.t._("Ratings of the last 8 weeks: clients needing attention"),
        )
    logger.info("event=digest.sent_now by=%s clients=%s", user.id, len(built.client_ids))


async def _digest_preference(update: Update, context: BotContext, user: User) -> None:
    """/digest <weekday> <HH:MM>: when the weekly digest comes (local time)."""
    t = context.t
    services = context.services
    chosen = digest.parse_preference(" ".join(context.args), services.catalogs.locales)
    if chosen is None:
        await update.effective_message.reply_text(
            t._(
                "To choose when your weekly digest comes, send a day and a time, like "
                "/digest monday 08:00. /digest alone sends it now."
            )
        )
        return
    weekday, at = chosen
    async with services.sessions() as session, session.begin():
        row = await session.get(User, user.id)
        await digest.set_preference(
            session,
            row,
            weekday=weekday,
            at=at,
            now=utcnow(),
            default_timezone=services.settings.default_timezone,
        )
    logger.info("event=digest.preference_set by=%s weekday=%s", user.id, weekday)
    await update.effective_message.reply_text(
        t._(
            "Your weekly digest now comes every {day} at {time}.",
            day=get_day_names("wide", locale=t.locale)[weekday],
            time=format_time(at, "short", locale=t.locale),
        )
    )


# --------------------------------------------------------------------------- /client


async def client_view(update: Update, context: BotContext) -> None:
    """/client <alias>: everything about one client, chart included."""
    t = context.t
    user = practitioner(context)
    if user is None:
        await not_for_you(update, context)
        return
    if not context.args:
        await update.effective_message.reply_text(
            t._("Tell me whose data to show, like /client Anna. /clients lists your clients.")
        )
        return
    zone, today = _today(context, user)
    typed = " ".join(context.args)
    out = Outgoing(update.effective_chat.id)
    picture = None
    async with context.services.sessions() as session, session.begin():
        found = one_client(out, t, typed, await find_clients(session, user.id, typed))
        if found is not None:
            week = Week(today - timedelta(days=6), today)
            reviews = await load_review(
                session,
                user.id,
                week=week,
                zone=zone,
                client_id=found.client.id,
                history_weeks=HISTORY_WEEKS,
                all_texts=True,
                measures_by_id=context.services.measures,
            )
            if reviews:
                review = reviews[0]
                await audit.record(session, user.id, AuditAction.CLIENT_VIEW, review.client_id)
                details = await export.goal_details(session, review.client_id)
                blocks = [
                    digest.client_block(
                        t,
                        review,
                        zone=zone,
                        library=context.services.content,
                        quote_length=digest.FULL_QUOTE_LENGTH,
                    )
                ]
                blocks.append(crisis_lines.for_practitioner(t, context.services, found.client))
                for goal in review.goals:
                    blocks.append(digest.goal_history(t, goal, details, zone))
                header = t._(
                    "<b>{client}</b>: the last 7 days, and {weeks} weeks of ratings",
                    client=digest.label(t, review),
                    weeks=HISTORY_WEEKS,
                )
                for part in split_messages(header, blocks):
                    out.say(part)
                if any(goal.series for goal in review.goals):
                    picture = await chart.png(
                        digest.chart_panels(t, [review]), y_label=t._("rating (0–10)")
                    )
                logger.info("event=client.viewed client_id=%s by=%s", review.client_id, user.id)
    await out.send(context)
    if picture is not None:
        await update.effective_message.reply_photo(InputFile(picture, filename="client.png"))


# --------------------------------------------------------------------------- /note


async def note(update: Update, context: BotContext) -> None:
    """/note <alias> <text>: a note for the client's care team."""
    t = context.t
    user = practitioner(context)
    if user is None:
        await not_for_you(update, context)
        return
    text = (update.effective_message.text or "").partition(" ")[2].strip()
    usage = t._(
        "Write the note after the client's name, like /note Anna Talked about sleep today. "
        "Only their care team sees it."
    )
    if not text:
        await update.effective_message.reply_text(usage)
        return
    out = Outgoing(update.effective_chat.id)
    async with context.services.sessions() as session, session.begin():
        # The longest run of first words (up to six) that names one of their clients.
        words = text.split()
        found, body, named = None, "", False
        for cut in range(min(len(words) - 1, 6), 0, -1):
            name = " ".join(words[:cut])
            matches = await find_clients(session, user.id, name)
            if matches:
                named = True
                found = one_client(out, t, name, matches)
                body = text.split(None, cut)[cut]
                break
        if not named:
            if await find_clients(session, user.id, text):
                out.say(usage)  # a name and no note
            else:
                one_client(out, t, words[0], [])
        elif found is not None:
            body = body.strip()[:NOTE_LENGTH]
            session.add(TeamNote(client_id=found.client.id, author_id=user.id, text=body))
            await audit.record(session, user.id, AuditAction.NOTE_ADD, found.client.id)
            logger.info("event=note.added client_id=%s by=%s", found.client.id, user.id)
            out.say(
                t._(
                    "Noted for {client}'s care team. The client doesn't see team notes.",
                    client=client_label(t, found.alias, found.client.id),
                )
            )
    await out.send(context)


# --------------------------------------------------------------------------- /gas


def is_gas_score(args: Sequence[str]) -> bool:
    """Whether /gas was typed as a score (ends with the level, no description)."""
    return _GAS_ARGS.match(" ".join(args)) is not None


async def gas_score(update: Update, context: BotContext) -> None:
    """/gas <alias> <goal number> <level>: the GAS level a goal is at now (the lead)."""
    t = context.t
    user = practitioner(context)
    if user is None:
        await not_for_you(update, context)
        return
    typed = " ".join(context.args or [])
    match = _GAS_ARGS.match(typed)
    if match is None:
        await update.effective_message.reply_text(
            t._(
                "Tell me the client, the goal's number and the level from -2 to +2, "
                "like /gas Anna 1 +1. /client Anna shows the goals' numbers."
            )
        )
        return
    named, number, level = match[1], int(match[2]), int(match[3].replace("−", "-"))
    out = Outgoing(update.effective_chat.id)
    async with context.services.sessions() as session, session.begin():
        found = one_client(out, t, named, await find_clients(session, user.id, named))
        if found is not None:
            label = client_label(t, found.alias, found.client.id)
            goals = await numbered_goals(session, found.client.id)
            if found.role != TeamRole.LEAD:
                out.say(t._("Only the lead practitioner of {client} can do this.", client=label))
            elif not 1 <= number <= len(goals) or level not in GAS_LEVELS:
                out.say(
                    t.ngettext(
                        "{client} has {count} goal; the level goes from -2 to +2.",
                        "{client} has {count} goals; the level goes from -2 to +2.",
                        len(goals),
                        client=label,
                    )
                )
            else:
                goal = goals[number - 1]
                session.add(GasScore(goal_id=goal.id, level=level, rated_by_id=user.id))
                await audit.record(session, user.id, AuditAction.GAS_SCORE, found.client.id)
                out.say(
                    t._(
                        "Goal {number} of {client} is at GAS level {level} now.",
                        number=number,
                        client=label,
                        level=f"{level:+d}",
                    )
                )
    await out.send(context)


# --------------------------------------------------------------------------- /export


async def export_client(update: Update, context: BotContext) -> None:
    """/export <alias>: CSV files (zip) and a PDF report, for the clinical record."""
    t = context.t
    user = practitioner(context)
    if user is None:
        await not_for_you(update, context)
        return
    if not context.args:
        await update.effective_message.reply_text(
            t._("Tell me whose data to export, like /export Anna.")
        )
        return
    zone, today = _today(context, user)
    typed = " ".join(context.args)
    out = Outgoing(update.effective_chat.id)
    files = None
    async with context.services.sessions() as session, session.begin():
        found = one_client(out, t, typed, await find_clients(session, user.id, typed))
        if found is not None and found.role != TeamRole.LEAD:
            out.say(
                t._(
                    "Only the lead practitioner of {client} can do this.",
                    client=client_label(t, found.alias, found.client.id),
                )
            )
        elif found is not None:
            files = await export.build(
                session,
                user.id,
                found.client.id,
                t,
                today=today,
                zone=zone,
                library=context.services.content,
                measures_by_id=context.services.measures,
            )
            await audit.record(session, user.id, AuditAction.EXPORT, found.client.id)
            logger.info("event=client.exported client_id=%s by=%s", found.client.id, user.id)
    await out.send(context)
    if files is not None:
        name = f"between-client-{files.client_id}-{today.isoformat()}"
        await update.effective_message.reply_document(
            InputFile(files.zip, filename=f"{name}.zip"),
            caption=t._("The data as CSV files (one per kind of record)."),
        )
        await update.effective_message.reply_document(
            InputFile(files.pdf, filename=f"{name}.pdf"),
            caption=t._("A printable report for the clinical record."),
        )


# --------------------------------------------------------------------------- /audit


async def audit_log(update: Update, context: BotContext) -> None:
    """/audit <alias>: the latest reads and changes of the client's data (the lead)."""
    t = context.t
    user = practitioner(context)
    if user is None:
        await not_for_you(update, context)
        return
    if not context.args:
        await update.effective_message.reply_text(
            t._("Tell me whose access log to show, like /audit Anna.")
        )
        return
    zone, _today_date = _today(context, user)
    typed = " ".join(context.args)
    out = Outgoing(update.effective_chat.id)
    async with context.services.sessions() as session, session.begin():
        found = one_client(out, t, typed, await find_clients(session, user.id, typed))
        if found is not None:
            label = client_label(t, found.alias, found.client.id)
            if found.role != TeamRole.LEAD:
                out.say(t._("Only the lead practitioner of {client} can do this.", client=label))
            else:
                rows = (
                    await session.execute(
                        select(AuditEvent, Practitioner.display_name)
                        .outerjoin(Practitioner, Practitioner.user_id == AuditEvent.actor_user_id)
                        .where(AuditEvent.client_user_id == found.client.id)
                        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
                        .limit(AUDIT_ROWS)
                    )
                ).all()
                await audit.record(session, user.id, AuditAction.AUDIT_VIEW, found.client.id)
                lines = [t._("<b>Access log of {client}</b> (newest first)", client=label)]
                if not rows:
                    lines.append(t._("Nobody has read their data yet."))
                for event, name in rows:
                    when = format_datetime(event.created_at, "short", tzinfo=zone, locale=t.locale)
                    who = html.escape(name) if name else str(event.actor_user_id)
                    action = ACTION_LABELS.get(event.action)
                    lines.append(f"• {when} — {who} — {t._(action) if action else event.action}")
                for part in split_messages("\n".join(lines), []):
                    out.say(part)
    await out.send(context)
