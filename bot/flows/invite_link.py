"""/start with a payload: someone opened an invite link.

The token is checked first (unknown, used, expired, or too many bad tries get a
clear answer and change nothing); a good one is handed to the flow of its kind.
"""

from __future__ import annotations

import logging

from telegram import Update

from bot.context import BotContext
from bot.db.base import utcnow
from bot.db.models import InviteKind
from bot.enrollment import invites
from bot.enrollment.invites import Check
from bot.flows import onboarding, practitioner_invite
from bot.flows.outgoing import Outgoing

logger = logging.getLogger(__name__)


async def start_with_payload(update: Update, context: BotContext) -> None:
    """Check the invite token in the link, then welcome a practitioner or a client."""
    sender = update.effective_user
    payload = context.args[0] if context.args else ""
    out = Outgoing(update.effective_chat.id)
    async with context.services.sessions() as session, session.begin():
        opened = await invites.open_payload(session, payload, sender.id, utcnow())
        logger.info("event=invite.opened user_id=%s check=%s", sender.id, opened.check)
        if opened.check is not Check.OK or opened.invite is None:
            team = opened.invite is not None and opened.invite.kind is InviteKind.TEAM
            refusal = _team_refusal if team else _refusal
            out.say(refusal(context, opened.check))
        elif opened.invite.kind is InviteKind.PRACTITIONER:
            await practitioner_invite.accept(update, context, out, session, opened.invite)
        elif opened.invite.kind is InviteKind.TEAM:
            await practitioner_invite.open_team_link(update, context, out, session, opened.invite)
        else:
            await onboarding.welcome(update, context, out, session, opened.invite)
    await out.send(context)


def _team_refusal(context: BotContext, check: Check) -> str:
    _ = context.t._
    if check is Check.EXPIRED:
        return _(
            "This team invite has expired, so nothing changed. Please ask your colleague "
            "for a new one."
        )
    return _(
        "This team invite has already been used. Each link works only once: please ask "
        "your colleague for a new one."
    )


def _refusal(context: BotContext, check: Check) -> str:
    _ = context.t._
    if check is Check.USED:
        return _(
            "This invite link has already been used. Each link works only once: please ask "
            "your practitioner for a new one."
        )
    if check is Check.EXPIRED:
        return _(
            "This invite link has expired. Please ask your practitioner for a new one; "
            "nothing about you was stored."
        )
    if check is Check.SLOWED_DOWN:
        return _(
            "That didn't work several times in a row, so let's pause for a few minutes. "
            "Then open the link exactly as your practitioner sent it."
        )
    return _(
        "I don't recognise this invite link. Please open it exactly as your practitioner "
        "sent it, or ask them for a new one."
    )
