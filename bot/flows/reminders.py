"""The daily check-in reminder's button: "Skip today".

Skipping is always fine and never questioned. The button is checked against the
person who pressed it; a reminder whose window has passed says so kindly.
"""

from __future__ import annotations

import logging

from telegram import Update

from bot.context import BotContext
from bot.db.base import utcnow
from bot.delivery import checkin_reminder
from bot.delivery.outbox import find_sent
from bot.errors import answer_press
from bot.flows import fallback

logger = logging.getLogger(__name__)

SKIP_PATTERN = rf"^{checkin_reminder.SKIP_PREFIX}"


async def skip_today(update: Update, context: BotContext) -> None:
    """Acknowledge the skip and take the button away."""
    _ = context.t._
    query = update.callback_query
    outbox_id = checkin_reminder.skip_data_outbox_id(query.data or "")
    reminder = None
    if outbox_id is not None:
        async with context.services.sessions() as session:
            reminder = await find_sent(
                session, outbox_id, chat_id=update.effective_user.id, kind=checkin_reminder.KIND
            )
    if reminder is None:  # forged or foreign data
        await fallback.stale_button(update, context)
        return
    await answer_press(query)
    if reminder.expires_at <= utcnow():
        logger.info("event=checkin_reminder.skip_expired outbox_id=%s", reminder.id)
        await query.edit_message_text(_("This reminder has expired. There is nothing to do."))
        return
    logger.info("event=checkin_reminder.skipped outbox_id=%s", reminder.id)
    await query.edit_message_text(_("Okay, skipped for today. Take care."))
