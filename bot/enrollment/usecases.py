"""What a practitioner does to enroll people, as use cases for any front door: invite a
client (a link and its QR code), invite a colleague (a link), pick a client whose care
team to open. Plain values in, a :class:`~bot.access.result.Result` out; no ``telegram``.
"""

from __future__ import annotations

import html
import io
import logging
from datetime import datetime, timedelta

import segno
from babel.dates import format_date
from sqlalchemy.ext.asyncio import AsyncSession

from bot.access.result import File, Result
from bot.callbacks import ShowTeam
from bot.db.models import InviteKind
from bot.enrollment import authorization, invites, practitioners, tokens
from bot.enrollment.client_lookup import client_label
from bot.i18n import Translator

logger = logging.getLogger(__name__)

ALIAS_LENGTH = 64
TEAM_PICKER_COLUMNS = 2


async def invite_client(
    session: AsyncSession,
    t: Translator,
    *,
    practitioner_id: int,
    alias: str | None,
    now: datetime,
    valid_for: timedelta,
    bot_username: str,
) -> Result:
    """A one-time link for a new client, with its QR code (to scan in the room)."""
    alias = (alias or "").strip()[:ALIAS_LENGTH] or None
    made = await invites.create(
        session,
        InviteKind.CLIENT,
        now=now,
        valid_for=valid_for,
        created_by_id=practitioner_id,
        alias=alias,
    )
    logger.info("event=invite.created kind=client invite_id=%s by=%s", made.id, practitioner_id)
    link = tokens.deep_link(bot_username, made.payload)
    title = (
        t._("Invite for <b>{alias}</b>", alias=html.escape(alias))
        if alias
        else t._("Client invite")
    )
    caption = "\n\n".join(
        (
            title,
            link,
            t._(
                "Let your client scan the code, or send them the link. It works once and "
                "expires on {date}.",
                date=format_date(made.expires_at, "long", locale=t.locale),
            ),
        )
    )
    result = Result()
    result.photo = File(qr_png(link), "invite.png", caption)
    return result


async def invite_colleague(
    session: AsyncSession,
    t: Translator,
    *,
    practitioner_id: int,
    name: str | None,
    now: datetime,
    valid_for: timedelta,
    bot_username: str,
) -> Result:
    """A one-time link that registers a colleague as a practitioner (of this practice)."""
    name = (name or "").strip()[: practitioners.NAME_LENGTH] or None
    made = await invites.create(
        session,
        InviteKind.PRACTITIONER,
        now=now,
        valid_for=valid_for,
        created_by_id=practitioner_id,
        display_name=name,
    )
    logger.info(
        "event=invite.created kind=practitioner invite_id=%s by=%s", made.id, practitioner_id
    )
    return Result().say(
        t._(
            "Send this link to your colleague. It registers them as a practitioner, works "
            "once, and expires on {date}:\n{link}",
            date=format_date(made.expires_at, "long", locale=t.locale),
            link=tokens.deep_link(bot_username, made.payload),
        )
    )


async def team_picker(session: AsyncSession, t: Translator, *, practitioner_id: int) -> Result:
    """/team for a practitioner: a button per client whose care team they may open."""
    visible = await authorization.visible_clients(session, practitioner_id)
    if not visible:
        return Result().say(t._("No clients yet. /invite makes an invite link and a QR code."))
    buttons = [
        (
            html.unescape(client_label(t, entry.alias, entry.client.id)),
            ShowTeam(entry.client.id).pack(),
        )
        for entry in visible
    ]
    rows = [
        buttons[start : start + TEAM_PICKER_COLUMNS]
        for start in range(0, len(buttons), TEAM_PICKER_COLUMNS)
    ]
    return Result().say(t._("Whose care team?"), rows)


def qr_png(text: str) -> bytes:
    """A QR code as PNG, large enough to scan from a phone screen across a desk."""
    buffer = io.BytesIO()
    segno.make(text, error="m").save(buffer, kind="png", scale=10, border=4)
    return buffer.getvalue()
