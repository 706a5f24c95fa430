"""Questionnaires: the intake after onboarding, scheduled measures, and what practitioners see.

    client, after "You're all set!"  -> the intake, one item at a time (buttons, "3 of 9")
    a button                         -> the same message edited to the next item
    the last item                    -> thanks (and the score, where the measure allows);
                                        after the intake, the lead is told and a goal
                                        conversation starts for the first chosen area
    /intake Anna                     -> the practitioner reads Anna's intake answers
    /measure Anna                    -> Anna's scheduled measures and latest results
    /measure Anna wellbeing weekly   -> schedule (the lead only; Anna is told)
    /measure Anna wellbeing stop     -> stop it

Every button names an administration; one that is not the sender's is refused with
the same answer as a stale button, and nothing is written. Callback data: see
``bot.measures.callbacks``.
"""

from __future__ import annotations

import contextlib
import html
import logging

from babel.dates import format_date
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.error import BadRequest

from bot import audit
from bot.audit import AuditAction
from bot.context import BotContext
from bot.db.base import utcnow
from bot.db.models import (
    AdministrationStatus,
    Cadence,
    MeasureAdministration,
    TeamRole,
    User,
    UserStatus,
)
from bot.delivery.renderers import Rendered
from bot.domain.schedule import zone_or_default
from bot.enrollment import authorization
from bot.enrollment.client_lookup import find_clients
from bot.flows import fallback, goals
from bot.flows.keyboards import markup
from bot.flows.onboarding import client_label
from bot.flows.outgoing import Outgoing
from bot.flows.practitioner_commands import ECHO_LENGTH, not_for_you, one_client, practitioner
from bot.i18n import N_, Translator
from bot.measures import administrations, callbacks, messages
from bot.measures import scheduling as measure_scheduling
from bot.measures.administrations import INTAKE, Outcome
from bot.measures.model import ItemKind, Measure

logger = logging.getLogger(__name__)

CALLBACK_PATTERN = callbacks.PATTERN
CADENCE_NAMES = {
    Cadence.WEEKLY: N_("every week"),
    Cadence.FORTNIGHTLY: N_("every two weeks"),
    Cadence.MONTHLY: N_("every month"),
}
STOP = "stop"
RECENT = 5


# --------------------------------------------------------------------------- the intake


async def start_intake(
    context: BotContext, session: AsyncSession, user: User, out: Outgoing
) -> None:
    """Right after onboarding: the intake's first item (once in a client's life)."""
    measure = context.services.measures.get(INTAKE)
    if measure is None:
        return
    administration = await administrations.open_intake(
        session, measure, user_id=user.id, now=utcnow()
    )
    if administration is None:
        return
    rendered = messages.item_message(context.t, measure, administration)
    out.say(rendered.text, reply_markup=markup(rendered.buttons))


async def begin_goal(
    context: BotContext, session: AsyncSession, user: User, out: Outgoing, *, area: str
) -> None:
    """The goal conversation, starting from the area the client chose first."""
    await goals.begin(context, session, user, out, area=area)


async def _intake_done(
    context: BotContext,
    session: AsyncSession,
    user: User,
    measure: Measure,
    administration: MeasureAdministration,
    out: Outgoing,
) -> None:
    """Tell the lead (without the answers) and start a goal for the first chosen area."""
    answers = await administrations.answers_of(session, administration.id)
    catalogs = context.services.catalogs
    for viewer in await authorization.team_viewers(session, user.id):
        if viewer.role != TeamRole.LEAD:
            continue
        their = catalogs.translator(catalogs.resolve(viewer.locale, None))
        out.notice(
            viewer.telegram_id,
            their._(
                "<b>{client}</b> has answered the first questions. "
                "/intake {name} shows their answers.",
                client=client_label(their, viewer.alias, user.id),
                name=html.escape(viewer.alias or str(user.id)),
            ),
            event="intake.done",
        )
    areas = administrations.chosen_items(measure, answers)
    logger.info("event=intake.done user_id=%s areas=%s", user.id, len(areas))
    if areas:
        await begin_goal(context, session, user, out, area=areas[0])


# --------------------------------------------------------------------------- buttons


async def on_button(update: Update, context: BotContext) -> None:
    """Any questionnaire button: check it is the sender's, record, show what comes next."""
    query = update.callback_query
    tap = callbacks.decode(query.data)
    user = context.user_record
    if tap is None or user is None:
        await _refuse(update, context)
        return
    t = context.t
    out = Outgoing(update.effective_chat.id)
    view: Rendered | None = None
    async with context.services.sessions() as session, session.begin():
        result = await administrations.answer(
            session, context.services.measures, tap, user_id=user.id, now=utcnow()
        )
        administration, measure = result.administration, result.measure
        if result.outcome in (Outcome.NEXT, Outcome.TOGGLED):
            assert administration is not None and measure is not None
            item = measure.items[administration.current_item]
            picked: tuple[int, ...] = ()
            if item.kind is ItemKind.CHOICE:
                picked = await administrations.picked(session, administration.id, item.id)
            view = messages.item_message(t, measure, administration, picked=picked)
        elif result.outcome is Outcome.COMPLETED:
            assert administration is not None and measure is not None
            view = messages.closing_message(t, measure, administration)
            if measure.id == INTAKE:
                await _intake_done(context, session, user, measure, administration, out)
    outcome = result.outcome
    if outcome in (Outcome.REFUSED, Outcome.STALE):
        await _refuse(update, context)
        return
    if outcome is Outcome.EXPIRED:
        await query.answer(t._(messages.EXPIRED), show_alert=True)
        await _remove_buttons(update)
        return
    if outcome is Outcome.ALREADY_DONE:
        await query.answer(t._(messages.ALREADY_DONE))
        await _remove_buttons(update)
        return
    await query.answer(t._(messages.CHANGED) if outcome is Outcome.REPLACED else None)
    if view is not None:
        with contextlib.suppress(BadRequest):  # unchanged, or too old to edit
            await query.edit_message_text(view.text, reply_markup=markup(view.buttons))
    await out.send(context)


async def _refuse(update: Update, context: BotContext) -> None:
    logger.info("event=measure.callback_refused user_id=%s", update.effective_user.id)
    await fallback.stale_button(update, context)


async def _remove_buttons(update: Update) -> None:
    with contextlib.suppress(BadRequest):
        await update.callback_query.edit_message_reply_markup(None)


# --------------------------------------------------------------------------- practitioners


async def intake(update: Update, context: BotContext) -> None:
    """/intake <client>: the client's intake answers, for anyone on their care team."""
    t = context.t
    user = practitioner(context)
    if user is None:
        await not_for_you(update, context)
        return
    if not context.args:
        await update.effective_message.reply_text(
            t._("Tell me whose intake to show, like /intake Anna. /clients lists your clients.")
        )
        return
    typed = " ".join(context.args)
    out = Outgoing(update.effective_chat.id)
    async with context.services.sessions() as session, session.begin():
        found = one_client(out, t, typed, await find_clients(session, user.id, typed))
        if found is not None and await authorization.may_see(session, user.id, found.client.id):
            client_id = found.client.id
            label = client_label(t, found.alias, client_id)
            await audit.record(session, user.id, AuditAction.INTAKE_VIEW, client_id)
            out.say(await _intake_report(context, session, user, client_id, label))
            logger.info("event=intake.viewed client_id=%s by=%s", client_id, user.id)
    await out.send(context)


async def _intake_report(
    context: BotContext, session: AsyncSession, viewer: User, client_id: int, label: str
) -> str:
    t = context.t
    locale = t.locale
    measure = context.services.measures.get(INTAKE)
    administration = await session.scalar(
        select(MeasureAdministration)
        .where(
            MeasureAdministration.user_id == client_id,
            MeasureAdministration.measure_id == INTAKE,
        )
        .order_by(MeasureAdministration.id.desc())
        .limit(1)
    )
    if measure is None or administration is None:
        return t._("{client} hasn't had the intake questions.", client=label)
    answers = await administrations.answers_of(session, administration.id)
    zone = zone_or_default(viewer.timezone, context.services.settings.default_timezone)
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
        lines.append(f"{html.escape(item.text.get(locale))}: {_shown(t, measure, item, answers)}")
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
    return "\n".join(lines)


def _shown(t: Translator, measure: Measure, item, answers) -> str:
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


async def measure(update: Update, context: BotContext) -> None:
    """/measure <client> [<measure> <weekly|fortnightly|monthly|stop>]."""
    t = context.t
    user = practitioner(context)
    if user is None:
        await not_for_you(update, context)
        return
    args = context.args or []
    if not args:
        await update.effective_message.reply_text(_usage(context))
        return
    choice: str | None = None
    measure_id: str | None = None
    named = " ".join(args)
    last = args[-1].lower()
    if len(args) >= 3 and (last == STOP or last in {cadence.value for cadence in Cadence}):
        named, measure_id, choice = " ".join(args[:-2]), args[-2].lower(), last
    out = Outgoing(update.effective_chat.id)
    async with context.services.sessions() as session, session.begin():
        matches = await find_clients(session, user.id, named)
        if not matches and len(args) >= 2 and choice is None:
            out.say(_usage(context))
        else:
            found = one_client(out, t, named, matches)
            if found is not None:
                membership = await authorization.membership(session, user.id, found.client.id)
                if membership is not None:
                    label = client_label(t, found.alias, found.client.id)
                    if measure_id is None:
                        await _overview(context, session, user, found.client, label, out)
                    else:
                        await _schedule(
                            context, session, user, membership.role, found.client, label,
                            measure_id, choice or "", out,
                        )  # fmt: skip
    await out.send(context)


def _usage(context: BotContext) -> str:
    t = context.t
    ids = ", ".join(sorted(m for m in context.services.measures if m != INTAKE)) or "–"
    return t._(
        "Schedule a questionnaire like this: /measure Anna wellbeing weekly "
        "(or fortnightly, monthly; stop ends it). /measure Anna shows what is scheduled "
        "and the latest results. Questionnaires: {measures}",
        measures=html.escape(ids),
    )


async def _schedule(
    context: BotContext,
    session: AsyncSession,
    user: User,
    role: TeamRole,
    client: User,
    label: str,
    measure_id: str,
    choice: str,
    out: Outgoing,
) -> None:
    t = context.t
    measure = context.services.measures.get(measure_id)
    if measure is None or measure_id == INTAKE:
        out.say(
            t._(
                "I don't know a questionnaire called “{measure}”.",
                measure=html.escape(measure_id[:ECHO_LENGTH]),
            )
            + "\n\n"
            + _usage(context)
        )
        return
    if role != TeamRole.LEAD:
        out.say(
            t._(
                "Only the lead practitioner of {client} can schedule questionnaires. "
                "You can see the results with /measure.",
                client=label,
            )
        )
        return
    title = html.escape(measure.title.get(t.locale))
    now = utcnow()
    if choice == STOP:
        stopped = await measure_scheduling.stop(session, client.id, measure.id, now=now)
        if stopped is None:
            out.say(
                t._("<b>{measure}</b> isn't scheduled for {client}.", measure=title, client=label)
            )
            return
        await audit.record(session, user.id, AuditAction.MEASURE_ASSIGN, client.id)
        out.say(t._("<b>{measure}</b> is no longer sent to {client}.", measure=title, client=label))
        return
    if client.status is not UserStatus.ACTIVE:
        out.say(
            t._(
                "{client} isn't active at the moment (not set up yet, stopped, or unreachable), "
                "so nothing was scheduled.",
                client=label,
            )
        )
        return
    cadence = Cadence(choice)
    assignment, changed = await measure_scheduling.assign(
        session,
        client,
        measure_id=measure.id,
        cadence=cadence,
        by=user.id,
        now=now,
        default_timezone=context.services.settings.default_timezone,
    )
    how_often = t._(CADENCE_NAMES[cadence])
    if not changed:
        out.say(
            t._(
                "{client} already gets <b>{measure}</b> {how_often}. Nothing was changed.",
                client=label,
                measure=title,
                how_often=how_often,
            )
        )
        return
    await audit.record(session, user.id, AuditAction.MEASURE_ASSIGN, client.id)
    logger.info(
        "event=measure.assigned client_id=%s measure=%s cadence=%s by=%s",
        client.id,
        measure.id,
        cadence.value,
        user.id,
    )
    zone = zone_or_default(client.timezone, context.services.settings.default_timezone)
    first = assignment.next_slot_date or assignment.next_due_at.astimezone(zone).date()
    out.say(
        t._(
            "{client} gets <b>{measure}</b> {how_often} at their check-in time, first on "
            "{date}. I've let them know.",
            client=label,
            measure=title,
            how_often=how_often,
            date=format_date(first, locale=t.locale),
        )
    )
    catalogs = context.services.catalogs
    their = catalogs.translator(catalogs.resolve(client.locale, None))
    out.notice(
        client.telegram_id,
        their._(
            "{name} would like you to answer a few short questions, <b>{measure}</b>, "
            "{how_often} at your check-in time. You can skip any question.",
            name=html.escape(await authorization.practitioner_name(session, user.id)),
            measure=html.escape(measure.title.get(their.locale)),
            how_often=their._(CADENCE_NAMES[cadence]),
        ),
        event="measure.assigned",
    )


async def _overview(
    context: BotContext,
    session: AsyncSession,
    user: User,
    client: User,
    label: str,
    out: Outgoing,
) -> None:
    """What is scheduled for the client, and their latest results (any team member)."""
    t = context.t
    locale = t.locale
    measures = context.services.measures
    zone = zone_or_default(user.timezone, context.services.settings.default_timezone)
    await audit.record(session, user.id, AuditAction.MEASURE_VIEW, client.id)
    lines = [t._("<b>Questionnaires of {client}</b>", client=label)]
    for assignment in await measure_scheduling.assignments_of(session, client.id):
        known = measures.get(assignment.measure_id)
        title = known.title.get(locale) if known else assignment.measure_id
        lines.append(f"• {html.escape(title)}: {t._(CADENCE_NAMES[assignment.cadence])}")
    recent = await session.scalars(
        select(MeasureAdministration)
        .where(
            MeasureAdministration.user_id == client.id,
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
    out.say("\n".join(lines))
    logger.info("event=measures.viewed client_id=%s by=%s", client.id, user.id)
