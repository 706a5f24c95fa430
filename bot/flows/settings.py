"""/settings: see your choices, change one of them (the same step objects as onboarding,
``bot/preferences/steps.py``), see them again.

The open question is remembered (flow ``settings``) until answered; its answers arrive
through ``bot/flows/onboarding.py``'s handlers, which hand a saved one back to
:func:`saved` here.
"""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update

from bot.callbacks import OpenSetting, SettingStep
from bot.context import BotContext
from bot.db.base import utcnow
from bot.db.models import Role, User, UserStatus
from bot.delivery.scheduling import reschedule_user
from bot.enrollment import clients
from bot.errors import answer_press
from bot.flows import fallback, keyboards, questions
from bot.flows.outgoing import Outgoing
from bot.measures import scheduling as measure_scheduling
from bot.preferences.labels import preferences_summary

logger = logging.getLogger(__name__)

# What each role may change, in the order shown.
CHOICES = {
    Role.CLIENT: (
        SettingStep.LANGUAGE,
        SettingStep.TIMEZONE,
        SettingStep.CHECKIN,
        SettingStep.QUIET,
    ),
    Role.PRACTITIONER: (SettingStep.LANGUAGE, SettingStep.TIMEZONE, SettingStep.QUIET),
}


async def show(update: Update, context: BotContext) -> None:
    """Show the current choices, with a button for each."""
    _ = context.t._
    user = context.user_record
    if user is None:
        await update.effective_message.reply_text(
            _("Settings come once you've joined with an invite link. /help says more.")
        )
        return
    if user.status == UserStatus.ONBOARDING:
        out = Outgoing(update.effective_chat.id)
        async with context.services.sessions() as session, session.begin():
            await questions.resume(context, out, session, user)
        await out.send(context)
        return
    labels = {
        "language": _("Language"),
        "timezone": _("Time zone"),
        "checkin": _("Check-in time"),
        "quiet": _("Quiet hours"),
    }
    buttons = [(labels[step], OpenSetting(step).pack()) for step in CHOICES[user.role]]
    await update.effective_message.reply_text(
        _("<b>Your settings</b>")
        + "\n"
        + preferences_summary(context.t, user, context.services.settings.default_timezone)
        + "\n\n"
        + _("What would you like to change?"),
        reply_markup=keyboards.inline(*keyboards.in_rows(buttons, 2)),
    )


async def open_question(update: Update, context: BotContext) -> None:
    """A settings button: open that question (it is remembered until answered)."""
    query = update.callback_query
    _ = context.t._
    parsed = OpenSetting.parse(query.data)
    user = context.user_record
    if parsed is None:
        await fallback.stale_button(update, context)
        return
    step = parsed.step.value
    if user is None or user.status == UserStatus.ONBOARDING or step not in CHOICES[user.role]:
        logger.info("event=callback.refused user_id=%s action=settings", update.effective_user.id)
        await answer_press(query, _("This button no longer works. /help shows what you can do."))
        return
    await answer_press(query)
    out = Outgoing(update.effective_chat.id)
    async with context.services.sessions() as session, session.begin():
        await clients.set_step(session, user.id, clients.SETTINGS, step)
        questions.ask(context, out, clients.SETTINGS, step)
    await out.send(context)


async def saved(context: BotContext, out: Outgoing, session: AsyncSession, user: User) -> None:
    """The answer is stored: close the question, reschedule, show the choices again."""
    _ = context.t._
    default_timezone = context.services.settings.default_timezone
    await clients.close_step(session, user.id)
    # "A change applies from the next scheduled message."
    await reschedule_user(session, user.id, now=utcnow(), default_timezone=default_timezone)
    await measure_scheduling.reschedule(
        session, user, now=utcnow(), default_timezone=default_timezone
    )
    out.say(
        _("Saved. This applies from the next scheduled message.")
        + "\n\n"
        + preferences_summary(context.t, user, default_timezone),
    )
