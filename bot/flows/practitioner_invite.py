"""Practitioners: joining from an invite link, and inviting a colleague from inside the bot."""

from __future__ import annotations

import html
import logging
from datetime import timedelta

from babel.dates import format_date
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update

from bot.context import BotContext
from bot.db.base import utcnow
from bot.db.models import Invite, InviteKind, Role
from bot.enrollment import invites, practitioners, tokens
from bot.flows import menus
from bot.flows.outgoing import Outgoing

logger = logging.getLogger(__name__)


async def accept(
    update: Update, context: BotContext, out: Outgoing, session: AsyncSession, invite: Invite
) -> None:
    """A practitioner invite: register this account (once) and say what to do next."""
    _ = context.t._
    sender = update.effective_user
    known = context.user_record
    if known is not None:
        if known.role == Role.PRACTITIONER:
            out.say(
                _("You're already registered as a practitioner. /invite makes a client invite.")
            )
        else:
            out.say(
                _(
                    "This link is for practitioners, and you already use Between as a client, "
                    "so nothing changed. /help shows what you can do."
                )
            )
        return
    user = await practitioners.register(
        session,
        invite,
        sender.id,
        locale=context.t.locale,
        fallback_name=sender.full_name,
        now=utcnow(),
    )
    if user is None:
        out.say(_("You're already registered as a practitioner. /invite makes a client invite."))
        return
    await session.flush()
    name = await practitioners.display_name(session, user.id)
    logger.info("event=practitioner.registered user_id=%s invite_id=%s", user.id, invite.id)
    out.say(
        "\n\n".join(
            (
                _("Welcome to Between, {name}!", name=html.escape(name)),
                _(
                    "You're registered as a practitioner. To enroll a client, send "
                    "/invite followed by a name only you will see, for example "
                    "<code>/invite Anna M.</code>: I'll give you a link and a QR code."
                ),
                _(
                    "/clients lists your clients, /team manages a client's care team, "
                    "/colleague invites a colleague, and /settings sets your language and "
                    "time zone."
                ),
            )
        )
    )
    await menus.publish_for(context, sender.id, Role.PRACTITIONER, context.t.locale)


async def invite_colleague(update: Update, context: BotContext) -> None:
    """/colleague [name]: a one-time link that registers a colleague as a practitioner."""
    _ = context.t._
    user = context.user_record
    if user is None or user.role != Role.PRACTITIONER:
        await update.effective_message.reply_text(_("This command is for practitioners."))
        return
    name = " ".join(context.args or ()).strip()[: practitioners.NAME_LENGTH] or None
    async with context.services.sessions() as session, session.begin():
        made = await invites.create(
            session,
            InviteKind.PRACTITIONER,
            now=utcnow(),
            valid_for=timedelta(days=context.services.settings.invite_valid_days),
            created_by_id=user.id,
            display_name=name,
        )
    logger.info("event=invite.created kind=practitioner invite_id=%s by=%s", made.id, user.id)
    link = tokens.deep_link(context.bot.username, made.payload)
    until = format_date(made.expires_at, "long", locale=context.t.locale)
    await update.effective_message.reply_text(
        _(
            "Send this link to your colleague. It registers them as a practitioner, works "
            "once, and expires on {date}:\n{link}",
            date=until,
            link=link,
        )
    )
