"""The preference questions in a chat, shared by onboarding and /settings: ask the
open step's question, read a button or a message into the step object
(:mod:`bot.preferences.steps`), render what it decides.

The open step is a ``conversation_steps`` row (flow ``onboarding`` or ``settings``,
step name); buttons are checked against it, so an old or doubled tap changes nothing.
What happens once an answer is saved is the caller's: onboarding moves on,
/settings confirms.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import (
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.error import BadRequest

from bot.callbacks import OnboardingAnswer, Question, SettingsAnswer
from bot.context import BotContext
from bot.db.base import utcnow
from bot.db.models import ConversationStep, User
from bot.enrollment import clients
from bot.errors import answer_press
from bot.flows import keyboards, menus
from bot.flows.outgoing import Outgoing
from bot.preferences.steps import STEP_OF, STEPS, Env, Outcome, Prompt, Reask, Refused, Save, Show
from bot.users import find_by_telegram_id

logger = logging.getLogger(__name__)

ANSWER: dict[str, type[OnboardingAnswer] | type[SettingsAnswer]] = {
    clients.ONBOARDING: OnboardingAnswer,
    clients.SETTINGS: SettingsAnswer,
}
# Taps this close to the last answer are double taps, not someone coming back.
DOUBLE_TAP = timedelta(seconds=10)


@dataclass(frozen=True)
class Saved:
    """An answer was stored on ``user``; ``step`` is still the open row."""

    user: User
    step: ConversationStep


def env(context: BotContext) -> Env:
    return Env(context.t, context.services.catalogs, context.services.settings.default_timezone)


# --------------------------------------------------------------------------- asking


def render(out: Outgoing, flow: str, prompt: Prompt, *, lead: str | None = None) -> None:
    """Say a step's prompt, its choices as buttons of ``flow`` (``ob:`` or ``st:``)."""
    text = f"{lead}\n\n{prompt.text}" if lead else prompt.text
    markup: InlineKeyboardMarkup | ReplyKeyboardMarkup
    if prompt.keyboard:
        markup = ReplyKeyboardMarkup(
            [
                [KeyboardButton(key.label, request_location=key.location) for key in row]
                for row in prompt.keyboard
            ],
            resize_keyboard=True,
            one_time_keyboard=False,
        )
    else:
        data = ANSWER[flow]
        markup = keyboards.inline(
            *(
                [(choice.label, data(choice.question, choice.value).pack()) for choice in row]
                for row in prompt.choices
            )
        )
    out.say(text, reply_markup=markup)


def ask(
    context: BotContext, out: Outgoing, flow: str, step: str, *, lead: str | None = None
) -> None:
    """Send the question of ``step`` (optionally after a short line about the last answer)."""
    render(out, flow, STEPS[step].ask(env(context)), lead=lead)


async def resume(context: BotContext, out: Outgoing, session: AsyncSession, user: User) -> None:
    """Show the question this person stopped at, or say that all is set."""
    _ = context.t._
    step = await clients.open_step(session, user.id)
    if step is None:
        out.say(
            _("You're all set up already. /settings shows your choices, /help what I can do."),
        )
        return
    ask(context, out, step.flow, step.step, lead=_("Let's pick up where we left off."))


# --------------------------------------------------------------------------- answers


async def answer_button(
    update: Update,
    context: BotContext,
    out: Outgoing,
    session: AsyncSession,
    flow: str,
    question: Question,
    value: str,
) -> Saved | None:
    """A button of a question: only one of the open question counts (once)."""
    query = update.callback_query
    _ = context.t._
    user = await find_by_telegram_id(session, update.effective_user.id)
    claimed = user is not None and await clients.claim_step(
        session, user.id, flow, STEP_OF[question]
    )
    step = await clients.open_step(session, user.id) if user else None
    if not claimed or user is None or step is None:
        await answer_press(query, _("This button is from an earlier question."))
        logger.info(
            "event=callback.stale user_id=%s data=%s",
            update.effective_user.id,
            f"{ANSWER[flow].PREFIX}:{question}",
        )
        if user is not None and step is not None and not just_asked(step):
            ask(context, out, step.flow, step.step)
        return None
    await answer_press(query)
    outcome = await STEPS[step.step].on_button(env(context), question, value)
    return await _apply(update, context, out, user, step, outcome)


async def answer_message(
    update: Update, context: BotContext, out: Outgoing, user: User, step: ConversationStep
) -> Saved | None:
    """Anything typed or sent while ``step`` is open."""
    _ = context.t._
    message = update.effective_message
    text = (message.text or "").strip()
    if text.startswith("/start"):
        ask(context, out, step.flow, step.step, lead=_("Let's pick up where we left off."))
        return None
    question = STEPS[step.step]
    if message.location is not None:
        place = message.location
        outcome = question.on_location(env(context), place.latitude, place.longitude)
        if outcome is not None:
            return await _apply(update, context, out, user, step, outcome)
    if not text:
        lead = _("Thanks! I can only read text and buttons here.")
        ask(context, out, step.flow, step.step, lead=lead)
        return None
    outcome = await question.on_text(env(context), text)
    return await _apply(update, context, out, user, step, outcome)


async def _apply(
    update: Update,
    context: BotContext,
    out: Outgoing,
    user: User,
    step: ConversationStep,
    outcome: Outcome,
) -> Saved | None:
    _ = context.t._
    match outcome:
        case Refused():
            logger.warning("event=callback.refused user_id=%s step=%s", user.id, step.step)
            ask(context, out, step.flow, step.step, lead=_("That button doesn't work here."))
            return None
        case Show(prompt=prompt, drop=drop):
            if drop:
                await drop_buttons(update)
            render(out, step.flow, prompt)
            return None
        case Reask(lead=lead, drop=drop):
            if drop:
                await drop_buttons(update)
            ask(context, out, step.flow, step.step, lead=lead)
            return None
        case Save(value=value, note=note):
            await drop_buttons(update)
            if note:
                # The time zone is settled: take the location keyboard away.
                out.say(note, reply_markup=ReplyKeyboardRemove())
            question = STEPS[step.step]
            question.save(user, value)
            if question.switches_language and user.locale:
                context.use_locale(user.locale)
                await menus.publish_for(context, user.telegram_id, user.role, user.locale)
            logger.info(
                "event=preference.saved user_id=%s flow=%s step=%s", user.id, step.flow, step.step
            )
            return Saved(user, step)
    return None


# --------------------------------------------------------------------------- helpers


def just_asked(step: ConversationStep) -> bool:
    """The open question was asked a moment ago: a stale tap is a double tap, so the
    question (still on screen) is not sent again."""
    return step.updated_at > utcnow() - DOUBLE_TAP


async def drop_buttons(update: Update) -> None:
    """Take the buttons off an answered question, so it can't be answered twice."""
    query = update.callback_query
    if query is None or query.message is None:
        return
    # Already gone, or too old to edit: harmless.
    with contextlib.suppress(BadRequest):
        await query.edit_message_reply_markup(None)
