"""The bot works only in private chats: in a group or channel it says so once and leaves."""

from __future__ import annotations

import logging

from telegram import ChatMember, Update
from telegram.constants import ChatType
from telegram.error import Forbidden

from bot.context import BotContext

logger = logging.getLogger(__name__)

_PRESENT = (ChatMember.MEMBER, ChatMember.ADMINISTRATOR, ChatMember.RESTRICTED)


async def added_to_group(update: Update, context: BotContext) -> None:
    """Someone added the bot to a group: explain and leave."""
    change = update.my_chat_member
    if change.new_chat_member.status not in _PRESENT or change.chat.type == ChatType.PRIVATE:
        return
    await _explain_and_leave(update, context)


async def message_in_group(update: Update, context: BotContext) -> None:
    """A message in a group the bot is still in (it was added while offline)."""
    await _explain_and_leave(update, context)


async def _explain_and_leave(update: Update, context: BotContext) -> None:
    chat = update.effective_chat
    _ = context.t._
    try:
        if chat.type != ChatType.CHANNEL:
            await context.bot.send_message(
                chat.id,
                _(
                    "I only work in private chats, so that what you share stays between "
                    "you and your care team. Please write to me directly. Goodbye!"
                ),
            )
        await context.bot.leave_chat(chat.id)
    except Forbidden:
        # Already gone (a second update from the same group): nothing left to do.
        logger.info("event=group.already_left chat_id=%s", chat.id)
        return
    logger.info("event=group.left chat_id=%s", chat.id)
