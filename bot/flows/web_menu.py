"""The practitioners' menu button that opens the web view (Mini App), per chat.

Set with ``setChatMenuButton`` for each active practitioner's chat when ``WEB_APP_URL``
is set: at start (practitioners are few: one call each, through the rate limiter)
and when one registers. Clients never get it: their chats keep the default menu.
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from telegram import Bot, MenuButtonWebApp, WebAppInfo
from telegram.error import TelegramError

from bot.db.models import Role, User, UserStatus
from bot.i18n import N_, Translator
from bot.services import Services

logger = logging.getLogger(__name__)

LABEL = N_("Caseload")


async def set_for(bot: Bot, chat_id: int, url: str, t: Translator) -> bool:
    """The button in one practitioner's chat; a failure is logged, never raised."""
    try:
        await bot.set_chat_menu_button(
            chat_id=chat_id, menu_button=MenuButtonWebApp(t._(LABEL), WebAppInfo(url + "/"))
        )
    except TelegramError as error:
        logger.warning("event=web.menu_failed chat_id=%s error=%s", chat_id, type(error).__name__)
        return False
    return True


async def set_for_practitioners(bot: Bot, services: Services, url: str) -> int:
    """Every active practitioner's chat (at start); returns how many were set."""
    async with services.sessions() as session:
        rows = (
            await session.execute(
                select(User.telegram_id, User.locale).where(
                    User.role == Role.PRACTITIONER, User.status == UserStatus.ACTIVE
                )
            )
        ).all()
    done = 0
    for telegram_id, locale in rows:
        done += await set_for(bot, telegram_id, url, services.catalogs.translator(locale))
    logger.info("event=web.menu_set practitioners=%s", done)
    return done
