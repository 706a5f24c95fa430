"""The "Show message" button of a safety alert: parse, ask the use case, answer.

A forged or stale button, or one pressed by someone the access policy does not let
read the client's words, gets the kind "isn't for you" answer and changes nothing.
"""

from __future__ import annotations

import logging

from telegram import Update

from bot.callbacks import RevealFlag
from bot.context import BotContext
from bot.errors import answer_press
from bot.i18n import N_
from bot.safety.reveal import reveal

logger = logging.getLogger(__name__)

PATTERN = r"^sf:"
REFUSED = N_("Sorry, this button isn't for you, or it no longer works. Nothing was changed.")


async def show_message(update: Update, context: BotContext) -> None:
    """Send the flagged words to a practitioner who may read them."""
    query = update.callback_query
    data = RevealFlag.parse(query.data)
    shown = None
    if data is not None:
        async with context.services.sessions() as session, session.begin():
            shown = (
                await reveal(session, context.t, user=context.user_record, flag_id=data.flag_id)
            ).text
    if shown is None or query.message is None:
        logger.warning("event=callback.refused user_id=%s action=sf", update.effective_user.id)
        await answer_press(query, context.t._(REFUSED), show_alert=True)
        return
    await answer_press(query)
    await context.bot.send_message(chat_id=query.message.chat.id, text=shown)
