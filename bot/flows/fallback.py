"""Everything no flow claimed: unknown commands, media, free text and stale buttons.

Each gets a short, kind reply that says what to do next. Free text passes the
crisis check first (``bot/flows/crisis.py``); apart from a safety flag, nothing
is stored.
"""

from __future__ import annotations

import logging

from telegram import Update

from bot.context import BotContext
from bot.errors import answer_press
from bot.flows import crisis

logger = logging.getLogger(__name__)


async def unknown_command(update: Update, context: BotContext) -> None:
    """A command this bot does not have."""
    _ = context.t._
    await update.effective_message.reply_text(
        _("I don't know that command. /help shows what I can do.")
    )


async def unsupported_media(update: Update, context: BotContext) -> None:
    """Stickers, photos, voice notes and the like: thank, and explain."""
    _ = context.t._
    await update.effective_message.reply_text(
        _(
            "Thank you! I can only read text and buttons, so I can't open this. "
            "/help shows what I can do."
        )
    )


async def free_text(update: Update, context: BotContext) -> None:
    """Text outside any conversation: the crisis check, else say nobody reads it, and /help."""
    check = await crisis.screen(update, context, update.effective_message.text)
    if check.matched:
        return
    if context.flooding:
        return  # they were asked to slow down; one acknowledgement per message would pile up
    if check.distress:
        await update.effective_message.reply_text(crisis.distress_reply(context))
        return
    _ = context.t._
    await update.effective_message.reply_text(
        _(
            "Thanks for writing. I can't answer messages like this, and nobody reads them "
            "in real time. If you need help now, /help lists where to turn."
        )
    )


async def edited_text(update: Update, context: BotContext) -> None:
    """An edited message: checked like a new one, otherwise left alone (no second reply)."""
    await crisis.screen(update, context, update.effective_message.text)


async def stale_button(update: Update, context: BotContext) -> None:
    """A button from an old message (or one we no longer know): answer so the spinner stops."""
    _ = context.t._
    logger.info("event=callback.stale user_id=%s", update.effective_user.id)
    await answer_press(
        update.callback_query,
        _("This button no longer works. /help shows what you can do."),
        show_alert=False,
    )
