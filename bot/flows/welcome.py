"""First contact: /start without an invite, and /help.

A stranger is told what Between is and that it starts with a practitioner's
invite link; nothing about them is stored.
"""

from __future__ import annotations

import html
import logging

from telegram import Update

from bot.context import BotContext
from bot.db.models import Role, UserStatus
from bot.flows.crisis import resource_list
from bot.flows.menus import CLIENT_MENU

logger = logging.getLogger(__name__)


async def start(update: Update, context: BotContext) -> None:
    """Greet someone who arrived without an invite and tell them how to begin."""
    _ = context.t._
    sender = update.effective_user
    name = html.escape(sender.first_name) if sender and sender.first_name else ""
    greeting = _("Hello, {name}!", name=name) if name else _("Hello!")
    text = "\n\n".join(
        (
            greeting,
            _(
                "I'm <b>Between</b>, a companion for the days between your sessions "
                "with a practitioner: a therapist, counsellor, social worker or coach."
            ),
            _(
                "To begin, you need the personal invite link that your practitioner "
                "gives you. Open that link and I will take it from there."
            ),
            _("/help tells you what I can and cannot do."),
        )
    )
    logger.info("event=start.without_invite user_id=%s", sender.id if sender else None)
    await update.effective_message.reply_text(text)


async def help_command(update: Update, context: BotContext) -> None:
    """Say what the bot is and is not, where to turn in a crisis, and what one can do."""
    await update.effective_message.reply_text(help_text(context))


def help_text(context: BotContext) -> str:
    _ = context.t._
    return "\n\n".join(
        (
            _(
                "<b>What I am</b>\nA companion your practitioner sets up with you: short "
                "lessons, quick check-ins on your goals, and your progress in one place."
            ),
            _(
                "<b>What I am not</b>\nI am not an emergency service, and nobody reads "
                "these messages in real time."
            ),
            _("<b>If you need help now</b>") + "\n" + resource_list(context),
            commands(context),
        )
    )


def commands(context: BotContext) -> str:
    """What this person can do: a client who finished onboarding gets their whole menu
    (the same list as Telegram's command menu), anyone else how to begin."""
    _ = context.t._
    user = context.user_record
    if user is None or user.role != Role.CLIENT or user.status is UserStatus.ONBOARDING:
        return _("<b>Commands</b>\n/start – begin\n/help – this message")
    lines = [f"/{name} – {_(description)}" for name, description in CLIENT_MENU]
    return "\n".join((_("<b>What you can do</b>"), *lines))
