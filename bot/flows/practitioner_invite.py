"""Practitioners: joining from an invite link (``/colleague`` makes one, through the
practitioner router and bot/enrollment/usecases.py), and opening a team invite (a lead's
single-use link onto one client's team)."""

from __future__ import annotations

import html
import logging

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update

from bot.callbacks import AnswerTeamLink, LinkAnswer
from bot.context import BotContext
from bot.db.base import utcnow
from bot.db.models import Invite, Role
from bot.enrollment import care_teams, practitioners
from bot.enrollment.care_teams import LinkOpened
from bot.flows import keyboards, menus, web_menu
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
    web_app_url = context.services.settings.web_app_url
    if web_app_url:
        await web_menu.set_for(context.bot, sender.id, web_app_url, context.t)
    out.say(
        "\n\n".join(
            (
                _("Welcome to Between, {name}!", name=html.escape(name)),
                _(
                    "You're registered as a practitioner. To enroll a client, send "
                    "/invite followed by a name for your client list, for example "
                    "<code>/invite Anna M.</code>: I'll give you a link and a QR code. "
                    "The client can see that name in their copy of their data (/mydata)."
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


async def open_team_link(
    update: Update, context: BotContext, out: Outgoing, session: AsyncSession, invite: Invite
) -> None:
    """A team invite: a practitioner is asked whether to join a client's care team."""
    _ = context.t._
    opened = await care_teams.open_link(session, invite, context.user_record)
    lead = html.escape(await practitioners.display_name(session, invite.created_by_id))
    if opened is LinkOpened.ASK:
        out.say(
            _(
                "<b>{lead}</b> invites you onto the care team of a client of theirs. If you "
                "accept, the client is asked first; until they agree, you see nothing about "
                "them. Do you accept?",
                lead=lead,
            ),
            reply_markup=keyboards.inline(
                [
                    (_("Accept"), AnswerTeamLink(LinkAnswer.ACCEPT, invite.id).pack()),
                    (_("No, thanks"), AnswerTeamLink(LinkAnswer.DECLINE, invite.id).pack()),
                ]
            ),
        )
    elif opened is LinkOpened.NOT_A_PRACTITIONER:
        out.say(
            _(
                "This link is for practitioners registered with Between, so nothing changed. "
                "Ask {lead} for an invite as a practitioner first.",
                lead=lead,
            )
        )
    elif opened is LinkOpened.ANSWERED:
        out.say(_("You've already answered this invite. /clients lists your clients."))
    elif opened is LinkOpened.OWN:
        out.say(_("This is your own team invite: send it to the colleague it's meant for."))
    elif opened is LinkOpened.ON_TEAM:
        out.say(_("You're already on this care team (or the client is being asked)."))
    elif opened is LinkOpened.TAKEN:
        out.say(
            _(
                "This invite link has already been used. Each link works only once: please "
                "ask {lead} for a new one.",
                lead=lead,
            )
        )
    else:
        out.say(_("This invite no longer works, so nothing changed."))
    logger.info("event=team_link.opened invite_id=%s outcome=%s", invite.id, opened)
