"""Cross-cutting work done for every update before any flow sees it (handler group -1)."""

from __future__ import annotations

from telegram import Update

from bot.context import BotContext
from bot.users import find_by_telegram_id


async def identify_user(update: Update, context: BotContext) -> None:
    """Load the sender's record, if any, and pick the language to answer in."""
    sender = update.effective_user
    if sender is None:
        return
    async with context.services.sessions() as session:
        context.user_record = await find_by_telegram_id(session, sender.id)
    chosen = context.user_record.locale if context.user_record else None
    context.use_locale(context.services.catalogs.resolve(chosen, sender.language_code))
