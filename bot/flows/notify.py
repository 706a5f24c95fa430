"""Messages that are not a reply to what someone just did (a client joined, a request
for consent, a member was declined, a client deleted their data).

They all go through :func:`notify`, which queues them in the delivery engine's
outbox: the sender delivers them under Telegram's limits, retries on failures,
and marks someone who blocked the bot unreachable. The text is already in the
recipient's language; the row keeps it with its buttons until it is sent.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from sqlalchemy import select
from telegram import InlineKeyboardMarkup

from bot.context import BotContext
from bot.db.base import utcnow
from bot.db.models import User
from bot.delivery import notices
from bot.delivery.outbox import enqueue

logger = logging.getLogger(__name__)

# A notice is news about now: worth sending after a short outage, not days later.
VALID_FOR = timedelta(hours=24)


async def notify(
    context: BotContext,
    telegram_id: int,
    text: str,
    *,
    event: str,
    reply_markup: InlineKeyboardMarkup | None = None,
) -> bool:
    """Queue a notice for a known user; returns whether it was queued."""
    now = utcnow()
    async with context.services.sessions() as session, session.begin():
        user_id = await session.scalar(select(User.id).where(User.telegram_id == telegram_id))
        if user_id is None:
            logger.info("event=notice.unknown_recipient notice=%s chat_id=%s", event, telegram_id)
            return False
        await enqueue(
            session,
            user_id=user_id,
            chat_id=telegram_id,
            kind=notices.KIND,
            key=f"{notices.KIND}:{event}:{uuid.uuid4().hex}",
            payload=notices.payload(text, _buttons(reply_markup)),
            due_at=now,
            expires_at=now + VALID_FOR,
        )
    logger.info("event=notice.queued notice=%s user_id=%s", event, user_id)
    return True


def _buttons(markup: InlineKeyboardMarkup | None) -> list[list[tuple[str, str]]]:
    if markup is None:
        return []
    return [
        [
            (button.text, button.callback_data)
            for button in row
            if isinstance(button.callback_data, str) and button.callback_data
        ]
        for row in markup.inline_keyboard
    ]
