"""Finding one of a practitioner's clients from what they typed after a command.

A practitioner names a client by the private alias they gave them at /invite
(``/lessons Anna M.``), or by number (``/lessons 12``; clients without an alias
are listed as "client 12"). Only clients on the practitioner's own care teams
are searched, so someone else's client is simply not found: the answer never
tells whether such a client exists.
"""

from __future__ import annotations

import html

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import CareTeamMember, MembershipState, User
from bot.enrollment.authorization import VisibleClient
from bot.i18n import Translator


def normalize(typed: str) -> str:
    """Aliases compare without case and with any run of spaces as one."""
    return " ".join(typed.split()).casefold()


async def find_clients(
    session: AsyncSession, practitioner_id: int, typed: str
) -> list[VisibleClient]:
    """The practitioner's clients that ``typed`` names (more than one when aliases repeat).

    One query over this practitioner's active memberships; aliases are compared in
    Python because SQLite's ``lower()`` knows only ASCII (``Lucía`` vs ``LUCÍA``).
    """
    wanted = normalize(typed).removeprefix("#")
    if not wanted:
        return []
    query = (  # bounded by one practitioner's caseload
        select(CareTeamMember, User)
        .join(User, User.id == CareTeamMember.client_id)
        .where(
            CareTeamMember.practitioner_id == practitioner_id,
            CareTeamMember.state == MembershipState.ACTIVE,
        )
        .order_by(CareTeamMember.id)
    )
    number = int(wanted) if wanted.isdigit() else None
    rows = await session.execute(query)
    return [
        VisibleClient(user, member.role, member.alias)
        for member, user in rows
        if user.id == number or (member.alias is not None and normalize(member.alias) == wanted)
    ]


def client_label(translator: Translator, alias: str | None, client_id: int) -> str:
    """How a practitioner sees a client: their own alias (escaped), else a number."""
    return html.escape(alias) if alias else translator._("client {number}", number=client_id)
