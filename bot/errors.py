"""The last line of defence: log what failed (ids only) and answer the user kindly."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypeGuard

from telegram import CallbackQuery, Update
from telegram.constants import ChatType
from telegram.error import BadRequest, Forbidden, TelegramError

from bot.context import BotContext

logger = logging.getLogger(__name__)

# Telegram answers these in normal operation; they are not failures.
_HARMLESS = ("message is not modified", "query is too old")


def is_harmless(error: BaseException | None) -> TypeGuard[BadRequest]:
    """An edit that changes nothing (a double tap), or a button press answered too late."""
    # PTB capitalises Telegram's descriptions ("Message is not modified: ...").
    return isinstance(error, BadRequest) and any(t in error.message.lower() for t in _HARMLESS)


@contextmanager
def harmless_ignored() -> Iterator[None]:
    """Around an edit or a query answer: Telegram's harmless refusals are not errors.

    ``with harmless_ignored(): await query.edit_message_text(...)``; any other error
    goes on to :func:`on_error`.
    """
    try:
        yield
    except BadRequest as error:
        if not is_harmless(error):
            raise
        logger.info("event=update.harmless error=%s", error.message)


async def answer_press(
    query: CallbackQuery | None, text: str | None = None, *, show_alert: bool = False
) -> None:
    """Answer a button press; a query Telegram no longer takes is not an error.

    Telegram refuses an answer to a press that is too old (the bot was slow or catching
    up after an outage) or already answered (the same update handled by another
    instance). Either way the press itself still counts: the handler goes on to do its
    work and edit or send what it shows, instead of stopping at the answer. (``None``:
    PTB types the query as optional; a handler for presses always has one.)"""
    if query is None:
        return
    with harmless_ignored():
        await query.answer(text, show_alert=show_alert)


async def on_error(update: object, context: BotContext) -> None:
    """Log the failure by update id and error type, never with message text."""
    error = context.error
    update_id = update.update_id if isinstance(update, Update) else None
    if is_harmless(error):
        logger.info("event=update.harmless update_id=%s error=%s", update_id, error.message)
        return
    if isinstance(error, Forbidden):
        logger.info("event=update.forbidden update_id=%s", update_id)
        return
    logger.error(
        "event=update.failed update_id=%s error=%s",
        update_id,
        type(error).__name__,
        exc_info=error,
    )
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    if update.effective_chat.type != ChatType.PRIVATE:
        return
    try:
        await context.bot.send_message(
            update.effective_chat.id,
            context.t._("Sorry, something went wrong on my side. Please try again in a moment."),
        )
    except TelegramError:
        logger.warning("event=update.apology_failed update_id=%s", update_id)
