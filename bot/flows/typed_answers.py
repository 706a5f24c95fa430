"""A typed answer to a question that has buttons: taken as the button would be.

    "7", "seven", "sieben", "6/10" at a check-in's rating   -> stored like the 7 button
    "yes", "ja", "sí", "done" at a strategy's question       -> stored like "Done ✓"
    "5" at an intake item, "a little" at a labelled item      -> stored like its button
    "yes" / "no" after /delete or /stop                       -> like "Yes, delete everything"
    anything else while such a question is open               -> what I'm waiting for, and
                                                                 the question with its buttons

A taker of ``bot.flows.free_text``: it answers only while a question with buttons is
open (``bot.answers.open_question``), after the conversations that take any text. The
crisis check runs first, on every text it looks at: a crisis message is never taken
as an answer. Parsing is ``bot.domain.typed_answers``; storing is the same use case the
button calls (``bot.answers.usecases``), once per message.
"""

from __future__ import annotations

import logging

from telegram import InlineKeyboardMarkup, Update

from bot.answers import usecases
from bot.answers.open_question import (
    STOP,
    CheckinQuestion,
    ConfirmQuestion,
    MeasureQuestion,
    OpenQuestion,
    find_open_question,
)
from bot.checkins import answers as checkin_answers
from bot.checkins import messages as checkin_messages
from bot.context import BotContext
from bot.db.base import utcnow
from bot.delivery.renderers import Rendered
from bot.flows import checkins, crisis, data_rights, measures, pause
from bot.flows.keyboards import markup
from bot.flows.outgoing import Outgoing
from bot.i18n import N_
from bot.measures import messages as measure_messages
from bot.measures.administrations import Outcome as MeasureOutcome
from bot.measures.model import ItemKind

NUMBERS = N_(
    "I'm waiting for your answer to this question. Tap a button, or type a number "
    "from {low} to {high}."
)
YES_NO = N_("I'm waiting for your answer to this question. Tap a button, or type yes or no.")
BUTTONS = N_("I'm waiting for your answer to this question. Tap one of the buttons.")

logger = logging.getLogger(__name__)


async def take_answer(update: Update, context: BotContext) -> bool:
    """Free text while a question with buttons is open: its answer, or the question again."""
    user = context.user_record
    message = update.effective_message
    if user is None or message is None or message.text is None:
        return False
    services = context.services
    async with services.sessions() as session, session.begin():
        question = await find_open_question(session, user.id, utcnow())
    if question is None:
        return False
    check = await crisis.screen(update, context, message.text)
    if check.matched:
        return True  # the crisis resources were sent; nothing is taken as an answer
    out = Outgoing(message.chat_id)
    view: Rendered | None = None
    async with services.sessions() as session, session.begin():
        taken = await usecases.take_typed(
            session,
            user_id=user.id,
            message_id=message.message_id,
            text=message.text,
            now=utcnow(),
            rules=checkins.rules(context),
            measures=services.measures,
        )
        if taken.kind is usecases.Kind.MEASURE:
            assert taken.measure is not None
            view = await measures.after_answer(context, session, user, taken.measure, out)
    kind = taken.kind
    logger.info("event=typed_answer user_id=%s kind=%s", user.id, kind)
    if kind is usecases.Kind.NONE:
        return False  # answered meanwhile (another instance): the general reply
    if kind is usecases.Kind.AGAIN:
        return True  # the same message delivered again: taken already
    if kind is usecases.Kind.UNFIT:
        if check.distress:
            await message.reply_text(crisis.distress_reply(context))
        elif not context.flooding:
            assert taken.question is not None
            await _offer_again(update, context, taken.question)
        return True
    assert taken.question is not None
    if kind is usecases.Kind.CHECKIN:
        assert taken.checkin is not None
        if taken.checkin.refused:  # the question changed meanwhile: show where it is
            await _offer_again(update, context, taken.question)
        else:
            await _checkin_reply(update, context, taken.checkin)
        return True
    if kind is usecases.Kind.MEASURE:
        assert taken.measure is not None
        if not await _measure_reply(update, context, taken.measure.outcome, view):
            await _offer_again(update, context, taken.question)
        await out.send(context)
        return True
    assert isinstance(taken.question, ConfirmQuestion)
    if taken.question.what == STOP:
        await pause.stop_answered(update, context, yes=taken.yes)
    else:
        await data_rights.answered(update, context, yes=taken.yes)
    return True


async def _checkin_reply(
    update: Update, context: BotContext, outcome: checkin_answers.Outcome
) -> None:
    message = update.effective_message
    t = context.t
    rendered = checkins.render(t, outcome)
    if rendered is not None:
        await message.reply_text(rendered.text, reply_markup=markup(rendered.buttons))
    elif (toast := checkins.toast(t, outcome.toast)) is not None:
        await message.reply_text(toast)
    if outcome.low_twice:
        await message.reply_text(checkin_messages.low_twice(t))


async def _measure_reply(
    update: Update, context: BotContext, outcome: MeasureOutcome, view: Rendered | None
) -> bool:
    """The questionnaire's next item or its closing words; False when there is nothing
    to say (the answer was refused: the item changed meanwhile)."""
    message = update.effective_message
    t = context.t
    if view is not None:
        await message.reply_text(view.text, reply_markup=markup(view.buttons))
    elif outcome == MeasureOutcome.EXPIRED:
        await message.reply_text(t._(measure_messages.EXPIRED))
    elif outcome == MeasureOutcome.ALREADY_DONE:
        await message.reply_text(t._(measure_messages.ALREADY_DONE))
    else:
        return False
    return True


async def _offer_again(update: Update, context: BotContext, question: OpenQuestion) -> None:
    """What I'm waiting for, and the open question again with its buttons."""
    t = context.t
    message = update.effective_message
    text: str | None = None
    buttons: InlineKeyboardMarkup | None = None
    lead = t._(YES_NO)
    if isinstance(question, CheckinQuestion):
        if question.kind == "goal":
            lead = t._(NUMBERS, low=0, high=10)
        user = context.user_record
        assert user is not None
        press = checkin_answers.Press(day=question.day, op=checkin_answers.Op.SHOW)
        async with context.services.sessions() as session, session.begin():
            outcome = await checkin_answers.answer(
                session, user_id=user.id, press=press, now=utcnow(), rules=checkins.rules(context)
            )
        rendered = checkins.render(t, outcome)
        if rendered is not None:
            text, buttons = rendered.text, markup(rendered.buttons)
    elif isinstance(question, MeasureQuestion):
        async with context.services.sessions() as session:
            view = await measures.item_on_screen(context, session, question.administration_id)
        lead = _measure_lead(context, question)
        if view is not None:
            text, buttons = view.text, markup(view.buttons)
    elif question.what == STOP:
        text, buttons = pause.stop_question(context)
    else:
        text, buttons = data_rights.delete_question(context)
    if text is None:
        return
    await message.reply_text(f"{lead}\n\n{text}", reply_markup=buttons)


def _measure_lead(context: BotContext, question: MeasureQuestion) -> str:
    t = context.t
    measure = context.services.measures.get(question.measure_id)
    if measure is not None and question.item_index < len(measure.items):
        item = measure.items[question.item_index]
        options = measure.option_sets[item.options]
        if item.kind is ItemKind.SCALE and all(o.label is None for o in options):
            values = [o.value for o in options]
            return t._(NUMBERS, low=min(values), high=max(values))
    return t._(BUTTONS)
