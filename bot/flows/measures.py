"""Questionnaires: the intake after onboarding, scheduled measures, and what practitioners see.

    client, after "You're all set!"  -> the intake, one item at a time (buttons, "3 of 9")
    a button                         -> the same message edited to the next item
    the last item                    -> thanks (and the score, where the measure allows);
                                        after the intake, the lead is told and a goal
                                        conversation starts for the first chosen area

/intake and /measure (what practitioners read and schedule) are routed by
``bot/flows/practitioner_router.py``; their use cases are in ``bot.measures.usecases``.

Every button names an administration; one that is not the sender's is refused with
the same answer as a stale button, and nothing is written. Callback data: see
``bot.measures.callbacks``.
"""

from __future__ import annotations

import contextlib
import html
import logging

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.error import BadRequest

from bot.context import BotContext
from bot.db.base import utcnow
from bot.db.models import (
    MeasureAdministration,
    TeamRole,
    User,
)
from bot.delivery.renderers import Rendered
from bot.domain.schedule import local_date
from bot.enrollment import authorization
from bot.enrollment.client_lookup import client_label
from bot.errors import answer_press
from bot.flows import crisis, fallback, goals
from bot.flows.keyboards import markup
from bot.flows.outgoing import Outgoing
from bot.i18n import N_
from bot.lessons import schedule as lesson_schedule
from bot.measures import administrations, callbacks, messages
from bot.measures.administrations import INTAKE, Outcome
from bot.measures.model import ItemKind, Measure

logger = logging.getLogger(__name__)

CALLBACK_PATTERN = callbacks.PATTERN
ITEM_ALERT = N_(
    "Thank you for answering that honestly. Thoughts like these deserve support from a "
    "person, soon. I'm only a bot and nobody reads this in real time, so please reach "
    "out now:\n{lines}\n\nI've let your practitioner know. You can go on with the "
    "questions whenever you're ready, or skip them."
)


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
    settings = context.services.settings
    await lesson_schedule.follow_areas(
        session,
        context.services.content,
        user_id=user.id,
        areas=areas,
        start_on=local_date(utcnow(), user.timezone, settings.default_timezone),
        default_program=settings.default_program,
    )
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
    async with context.services.sessions() as session, session.begin():
        result = await administrations.answer(
            session, context.services.measures, tap, user_id=user.id, now=utcnow()
        )
        view = await after_answer(context, session, user, result, out)
    outcome = result.outcome
    if outcome in (Outcome.REFUSED, Outcome.STALE):
        await _refuse(update, context)
        return
    if outcome is Outcome.EXPIRED:
        await answer_press(query, t._(messages.EXPIRED), show_alert=True)
        await _remove_buttons(update)
        return
    if outcome is Outcome.ALREADY_DONE:
        await answer_press(query, t._(messages.ALREADY_DONE))
        await _remove_buttons(update)
        return
    await answer_press(query, t._(messages.CHANGED) if outcome is Outcome.REPLACED else None)
    if view is not None:
        with contextlib.suppress(BadRequest):  # unchanged, or too old to edit
            await query.edit_message_text(view.text, reply_markup=markup(view.buttons))
    if result.alert:
        # An answer the measure declares as an alert (e.g. PHQ-9 item 9): the crisis lines
        # now, below the questionnaire, which goes on; the lead was alerted in the transaction.
        out.say(t._(ITEM_ALERT, lines=crisis.resource_list(context)))
    await out.send(context)


async def after_answer(
    context: BotContext,
    session: AsyncSession,
    user: User,
    result: administrations.Answered,
    out: Outgoing,
) -> Rendered | None:
    """What the questionnaire shows after an answer (a button or a typed one): the next
    item, or the closing words (after the intake, the lead hears of it and a goal starts)."""
    t = context.t
    administration, measure = result.administration, result.measure
    if result.outcome in (Outcome.NEXT, Outcome.TOGGLED):
        assert administration is not None and measure is not None
        item = measure.items[administration.current_item]
        picked: tuple[int, ...] = ()
        if item.kind is ItemKind.CHOICE:
            picked = await administrations.picked(session, administration.id, item.id)
        return messages.item_message(t, measure, administration, picked=picked)
    if result.outcome is Outcome.COMPLETED:
        assert administration is not None and measure is not None
        view = messages.closing_message(t, measure, administration)
        if measure.id == INTAKE:
            await _intake_done(context, session, user, measure, administration, out)
        return view
    return None


async def item_on_screen(
    context: BotContext, session: AsyncSession, administration_id: int
) -> Rendered | None:
    """The item an open questionnaire is asking, with its buttons (to offer it again)."""
    administration = await session.get(MeasureAdministration, administration_id)
    if administration is None:
        return None
    measure = context.services.measures.get(administration.measure_id)
    if measure is None or administration.current_item >= len(measure.items):
        return None
    item = measure.items[administration.current_item]
    picked: tuple[int, ...] = ()
    if item.kind is ItemKind.CHOICE:
        picked = await administrations.picked(session, administration.id, item.id)
    return messages.item_message(context.t, measure, administration, picked=picked)


async def _refuse(update: Update, context: BotContext) -> None:
    logger.info("event=measure.callback_refused user_id=%s", update.effective_user.id)
    await fallback.stale_button(update, context)


async def _remove_buttons(update: Update) -> None:
    with contextlib.suppress(BadRequest):
        await update.callback_query.edit_message_reply_markup(None)
