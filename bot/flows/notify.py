"""Messages that are not a reply to what someone just did (a client joined, a request
for consent, a member was declined).

They all go through :func:`notify`, the one seam where the delivery engine's outbox
will take over (retries, rate limits, quiet hours). For now it sends directly.
"""

from __future__ import annotations

import logging

from telegram import InlineKeyboardMarkup
from telegram.error import Forbidden, TelegramError

from bot.context import BotContext

logger = logging.getLogger(__name__)


async def notify(
    context: BotContext,
    telegram_id: int,
    text: str,
    *,
    event: str,
    reply_markup: InlineKeyboardMarkup | None = None,
) -> bool:
    """Send a notice; returns whether Telegram took it. Failures are logged, never raised."""
    try:
        await context.bot.send_message(telegram_id, text, reply_markup=reply_markup)
    except Forbidden:
        logger.info("event=notice.blocked notice=%s chat_id=%s", event, telegram_id)
        return False
    except TelegramError as error:
        logger.warning(
            "event=notice.failed notice=%s chat_id=%s error=%s",
            event,
            telegram_id,
            type(error).__name__,
        )
        return False
    logger.info("event=notice.sent notice=%s chat_id=%s", event, telegram_id)
    return True
