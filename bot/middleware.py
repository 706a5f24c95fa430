"""Cross-cutting work done for every update before any flow sees it (handler group -1)."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatType
from telegram.error import TelegramError

from bot.callbacks import answers_a_question
from bot.context import BotContext
from bot.db.base import utcnow
from bot.db.session import reader
from bot.users import read_sender

logger = logging.getLogger(__name__)


async def identify_user(update: Update, context: BotContext) -> None:
    """Load the sender's record, if any, and pick the language to answer in."""
    sender = update.effective_user
    if sender is None:
        return
    # Once per update: handlers use ``context.user_record`` (a read outside a
    # transaction; a handler that writes reads what it needs again in its own).
    async with reader(context.services.engine).connect() as connection:
        context.user_record = await read_sender(connection, sender.id)
    chosen = context.user_record.locale if context.user_record else None
    context.use_locale(context.services.catalogs.resolve(chosen, sender.language_code))
    await _count(sender.id, update, context)


async def _count(sender_id: int, update: Update, context: BotContext) -> None:
    """Flood control: one polite "slow down" per episode; the update is still handled.

    A button that answers a question the bot asked is not counted: tapping through the
    onboarding, the intake and a check-in is normal use, however fast (bench/
    onboarding_burst.py measures it). Typed messages, commands and any other press are."""
    query = update.callback_query
    if query is not None and answers_a_question(query.data):
        context.flooding = False
        return
    verdict = context.services.flood.admit(sender_id, utcnow())
    context.flooding = verdict.flooding
    if not verdict.warn:
        return
    logger.info("event=flood.slow_down user_id=%s", sender_id)
    chat = update.effective_chat
    if chat is None or chat.type != ChatType.PRIVATE:
        return
    try:
        await context.bot.send_message(
            chat.id,
            context.t._(
                "You're sending me a lot at once. Please slow down a little: nothing you "
                "send gets lost. If you need help now, /help lists where to turn."
            ),
        )
    except TelegramError:
        logger.info("event=flood.slow_down_failed user_id=%s", sender_id)
