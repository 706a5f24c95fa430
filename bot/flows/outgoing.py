"""What a handler will say once its transaction has committed.

A handler that writes collects its replies (and notices to others) here and sends
them after the commit, so nobody is told "saved" about something that was rolled
back, and a test that reads the database after the reply sees the change.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from telegram import InlineKeyboardMarkup, ReplyKeyboardMarkup, ReplyKeyboardRemove

from bot.context import BotContext
from bot.flows.notify import notify

Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | None


@dataclass
class Outgoing:
    chat_id: int
    replies: list[tuple[str, Markup]] = field(default_factory=list)
    notices: list[tuple[int, str, str, InlineKeyboardMarkup | None]] = field(default_factory=list)

    def say(self, text: str, reply_markup: Markup = None) -> None:
        """A reply in this chat."""
        self.replies.append((text, reply_markup))

    def notice(
        self,
        chat_id: int,
        text: str,
        *,
        event: str,
        reply_markup: InlineKeyboardMarkup | None = None,
    ) -> None:
        """A message to someone else (goes through :func:`bot.flows.notify.notify`)."""
        self.notices.append((chat_id, text, event, reply_markup))

    async def send(self, context: BotContext) -> None:
        replies, notices = list(self.replies), list(self.notices)
        self.replies.clear()
        self.notices.clear()
        for text, markup in replies:
            await context.bot.send_message(self.chat_id, text, reply_markup=markup)
        for chat_id, text, event, markup in notices:
            await notify(context, chat_id, text, event=event, reply_markup=markup)
