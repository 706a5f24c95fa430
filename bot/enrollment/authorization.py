"""The one place that answers "may practitioner P see client C?".

A practitioner sees a client only through an ``active`` care-team membership:
the lead from the client's consent at onboarding, a member from the client's
consent to that member. Everything else is refused.

Practices: a practitioner is offered, and may be proposed as, a colleague only
within their own practice (``same_practice``); someone from another practice
comes onto a team only through a team invite they accepted. Nobody of another
practice is ever listed.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import CareTeamMember, MembershipState, Practitioner, TeamRole, User


@dataclass(frozen=True)
class Viewer:
    """A practitioner who may see a client, with what they need to be told things."""

    user_id: int
    telegram_id: int
    locale: str | None
    role: TeamRole
    alias: str | None  # their private name for the client


async def membership(
    session: AsyncSession, practitioner_id: int, client_id: int
) -> CareTeamMember | None:
    """The active membership of P on C's team, or None."""
    return await session.scalar(
        select(CareTeamMember).where(
            CareTeamMember.practitioner_id == practitioner_id,
            CareTeamMember.client_id == client_id,
            CareTeamMember.state == MembershipState.ACTIVE,
        )
    )


async def may_see(session: AsyncSession, practitioner_id: int, client_id: int) -> bool:
    return await membership(session, practitioner_id, client_id) is not None


async def is_lead(session: AsyncSession, practitioner_id: int, client_id: int) -> bool:
    found = await membership(session, practitioner_id, client_id)
    return found is not None and found.role == TeamRole.LEAD


async def team_viewers(session: AsyncSession, client_id: int) -> list[Viewer]:
    """Everyone who may see this client now (for notices about them)."""
    rows = await session.execute(
        select(CareTeamMember, User)
        .join(User, User.id == CareTeamMember.practitioner_id)
        .where(
            CareTeamMember.client_id == client_id,
            CareTeamMember.state == MembershipState.ACTIVE,
        )
        .order_by(CareTeamMember.id)
    )
    return [
        Viewer(user.id, user.telegram_id, user.locale, member.role, member.alias)
        for member, user in rows
    ]


@dataclass(frozen=True)
class VisibleClient:
    client: User
    role: TeamRole
    alias: str | None


async def visible_clients(session: AsyncSession, practitioner_id: int) -> list[VisibleClient]:
    """The clients this practitioner may see, oldest first (bounded by a page size)."""
    rows = await session.execute(
        select(CareTeamMember, User)
        .join(User, User.id == CareTeamMember.client_id)
        .where(
            CareTeamMember.practitioner_id == practitioner_id,
            CareTeamMember.state == MembershipState.ACTIVE,
        )
        .order_by(CareTeamMember.id)
        .limit(100)
    )
    return [VisibleClient(user, member.role, member.alias) for member, user in rows]


async def count_visible_clients(session: AsyncSession, practitioner_id: int) -> int:
    """How many clients this practitioner may see (``visible_clients`` shows a page)."""
    return (
        await session.scalar(
            select(func.count()).where(
                CareTeamMember.practitioner_id == practitioner_id,
                CareTeamMember.state == MembershipState.ACTIVE,
            )
        )
        or 0
    )


async def same_practice(session: AsyncSession, practitioner_id: int, other_id: int) -> bool:
    """Whether both are practitioners of one practice (False when either is not one)."""
    practices = (
        await session.scalars(
            select(Practitioner.practice_id).where(
                Practitioner.user_id.in_((practitioner_id, other_id))
            )
        )
    ).all()
    expected = 1 if practitioner_id == other_id else 2
    return len(practices) == expected and len(set(practices)) == 1


async def practitioner_name(session: AsyncSession, user_id: int) -> str:
    practitioner = await session.get(Practitioner, user_id)
    return practitioner.display_name if practitioner else ""
