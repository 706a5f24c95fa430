"""What every practitioner command shares: who may use it, and naming one client.

A practitioner names a client by the alias they gave (or by number); nobody, or
more than one client, answering to it gets a kind explanation instead.
"""

from __future__ import annotations

import html

from telegram import Update

from bot.context import BotContext
from bot.db.models import Role, User
from bot.enrollment.authorization import VisibleClient
from bot.flows.outgoing import Outgoing
from bot.i18n import Translator

# What is echoed back of a name that matched nothing (it may be anything, of any length).
ECHO_LENGTH = 64


def practitioner(context: BotContext) -> User | None:
    """The sender, when they are a practitioner."""
    user = context.user_record
    return user if user is not None and user.role == Role.PRACTITIONER else None


async def not_for_you(update: Update, context: BotContext) -> None:
    await update.effective_message.reply_text(context.t._("This command is for practitioners."))


def one_client(
    out: Outgoing, t: Translator, typed: str, matches: list[VisibleClient]
) -> VisibleClient | None:
    """The one client the practitioner named; otherwise says what to do and returns None."""
    if len(matches) == 1:
        return matches[0]
    name = html.escape(" ".join(typed.split())[:ECHO_LENGTH])
    if not matches:
        out.say(
            t._(
                "I can't find “{name}” among your clients. /clients lists them by the "
                "names you gave them.",
                name=name,
            )
        )
        return None
    out.say(
        t._(
            "More than one of your clients is called “{name}”. Please use their number "
            "instead: {numbers}.",
            name=name,
            numbers=", ".join(str(match.client.id) for match in matches),
        )
    )
    return None
