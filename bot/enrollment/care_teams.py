"""Care teams: the lead proposes a colleague, the client decides, the client or lead removes.

A proposed colleague sees nothing until the client agrees (the membership is
``pending`` until then, and only ``active`` memberships grant access).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import (
    CareTeamMember,
    MembershipState,
    Practitioner,
    Role,
    TeamRole,
    User,
    UserStatus,
)
from bot.enrollment import authorization


class Proposal(StrEnum):
    ASKED = "asked"
    ALREADY_ON_TEAM = "already_on_team"
    ALREADY_ASKED = "already_asked"
    NOT_ALLOWED = "not_allowed"


@dataclass(frozen=True)
class Proposed:
    outcome: Proposal
    membership: CareTeamMember | None = None
    client: User | None = None


async def propose(
    session: AsyncSession, lead_id: int, client_id: int, colleague_id: int
) -> Proposed:
    """The lead asks to add a colleague; the client must then agree."""
    lead = await authorization.membership(session, lead_id, client_id)
    colleague = await session.get(User, colleague_id)
    client = await session.get(User, client_id)
    if (
        lead is None
        or lead.role != TeamRole.LEAD
        or colleague is None
        or colleague.role != Role.PRACTITIONER
        or colleague.status != UserStatus.ACTIVE
        or colleague_id == lead_id
        or client is None
    ):
        return Proposed(Proposal.NOT_ALLOWED)
    existing = await session.scalar(
        select(CareTeamMember).where(
            CareTeamMember.client_id == client_id, CareTeamMember.practitioner_id == colleague_id
        )
    )
    if existing is not None and existing.state == MembershipState.ACTIVE:
        return Proposed(Proposal.ALREADY_ON_TEAM, existing, client)
    if existing is not None and existing.state == MembershipState.PENDING:
        return Proposed(Proposal.ALREADY_ASKED, existing, client)
    if existing is None:
        existing = CareTeamMember(client_id=client_id, practitioner_id=colleague_id)
        session.add(existing)
    existing.role, existing.state = TeamRole.MEMBER, MembershipState.PENDING
    existing.alias, existing.invited_by_id, existing.decided_at = lead.alias, lead_id, None
    await session.flush()
    return Proposed(Proposal.ASKED, existing, client)


async def decide(
    session: AsyncSession, membership_id: int, client_id: int, *, agree: bool, now: datetime
) -> CareTeamMember | None:
    """The client's answer; None when the request is not theirs or no longer open."""
    member = await session.get(CareTeamMember, membership_id, with_for_update=True)
    if member is None or member.client_id != client_id:
        return None
    if member.state != MembershipState.PENDING:
        return None
    member.state = MembershipState.ACTIVE if agree else MembershipState.DECLINED
    member.decided_at = now
    return member


async def remove(
    session: AsyncSession, membership_id: int, actor_id: int, now: datetime
) -> CareTeamMember | None:
    """The client, or the client's lead, removes a member (never the lead)."""
    member = await session.get(CareTeamMember, membership_id, with_for_update=True)
    if member is None or member.role != TeamRole.MEMBER:
        return None
    if member.state not in (MembershipState.ACTIVE, MembershipState.PENDING):
        return None
    allowed = actor_id == member.client_id or await authorization.is_lead(
        session, actor_id, member.client_id
    )
    if not allowed:
        return None
    member.state, member.decided_at = MembershipState.REMOVED, now
    return member


@dataclass(frozen=True)
class TeamEntry:
    membership: CareTeamMember
    practitioner: User
    name: str


async def team(session: AsyncSession, client_id: int) -> list[TeamEntry]:
    """The client's team, lead first, without declined or removed members."""
    rows = await session.execute(
        select(CareTeamMember, User, Practitioner)
        .join(User, User.id == CareTeamMember.practitioner_id)
        .join(Practitioner, Practitioner.user_id == User.id)
        .where(
            CareTeamMember.client_id == client_id,
            CareTeamMember.state.in_((MembershipState.ACTIVE, MembershipState.PENDING)),
        )
        .order_by(CareTeamMember.role, CareTeamMember.id)
    )
    return [TeamEntry(member, user, p.display_name) for member, user, p in rows]
