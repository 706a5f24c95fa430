"""Free text, handed to whichever conversation is waiting for it.

Several flows ask for typed answers (a lesson's reflection, a goal's wording, a
check-in note). Each offers a *taker*: it looks in the database for its own open
question and, when there is one, stores the text, replies and returns True. The
first taker that answers wins; when none does, the general free-text reply runs
(which still checks for crisis language). The order is wiring, so it lives in
``bot/app.py``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any

from telegram import Update

from bot.context import BotContext
from bot.flows import fallback

TextTaker = Callable[[Update, BotContext], Awaitable[bool]]


def dispatcher(
    takers: Sequence[TextTaker],
) -> Callable[[Update, BotContext], Coroutine[Any, Any, None]]:
    """A message handler that offers the text to each taker in turn."""
    takers = tuple(takers)

    async def on_text(update: Update, context: BotContext) -> None:
        if context.user_record is not None:
            for take in takers:
                if await take(update, context):
                    return
        await fallback.free_text(update, context)

    return on_text
