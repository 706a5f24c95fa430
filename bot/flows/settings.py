"""/settings: see your choices and change one of them (the same questions as onboarding)."""

from __future__ import annotations

import logging

from telegram import Update

from bot.callbacks import OpenSetting, SettingStep
from bot.context import BotContext
from bot.db.models import Role, User, UserStatus
from bot.enrollment import clients
from bot.flows import fallback, keyboards, onboarding
from bot.flows.outgoing import Outgoing

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
            await onboarding.resume(update, context, out, session, user)
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
        + onboarding.preferences_summary(context, user)
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
        await query.answer(_("This button no longer works. /help shows what you can do."))
        return
    await query.answer()
    out = Outgoing(update.effective_chat.id)
    async with context.services.sessions() as session, session.begin():
        current = await session.get(User, user.id)
        if current is None:  # erased meanwhile (/delete on another device)
            return
        await clients.set_step(session, user.id, clients.SETTINGS, step)
        await onboarding.ask(update, context, out, current, clients.SETTINGS, step)
    await out.send(context)
