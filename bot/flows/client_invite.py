"""/invite [alias]: a practitioner makes a one-time link for a client, with its QR code."""

from __future__ import annotations

import html
import io
import logging
from datetime import timedelta

import segno
from babel.dates import format_date
from telegram import InputFile, Update

from bot.context import BotContext
from bot.db.base import utcnow
from bot.db.models import InviteKind, Role
from bot.enrollment import invites, tokens

logger = logging.getLogger(__name__)

ALIAS_LENGTH = 64


async def invite(update: Update, context: BotContext) -> None:
    """Make a client invite and send its link and QR code (to scan in the room)."""
    _ = context.t._
    user = context.user_record
    if user is None or user.role != Role.PRACTITIONER:
        await update.effective_message.reply_text(_("This command is for practitioners."))
        return
    alias = " ".join(context.args or ()).strip()[:ALIAS_LENGTH] or None
    async with context.services.sessions() as session, session.begin():
        made = await invites.create(
            session,
            InviteKind.CLIENT,
            now=utcnow(),
            valid_for=timedelta(days=context.services.settings.invite_valid_days),
            created_by_id=user.id,
            alias=alias,
        )
    logger.info("event=invite.created kind=client invite_id=%s by=%s", made.id, user.id)
    link = tokens.deep_link(context.bot.username, made.payload)
    until = format_date(made.expires_at, "long", locale=context.t.locale)
    title = (
        _("Invite for <b>{alias}</b>", alias=html.escape(alias)) if alias else _("Client invite")
    )
    caption = "\n\n".join(
        (
            title,
            link,
            _(
                "Let your client scan the code, or send them the link. It works once and "
                "expires on {date}.",
                date=until,
            ),
        )
    )
    await update.effective_message.reply_photo(
        InputFile(qr_png(link), filename="invite.png"), caption=caption
    )


def qr_png(text: str) -> bytes:
    """A QR code as PNG, large enough to scan from a phone screen across a desk."""
    buffer = io.BytesIO()
    segno.make(text, error="m").save(buffer, kind="png", scale=10, border=4)
    return buffer.getvalue()
