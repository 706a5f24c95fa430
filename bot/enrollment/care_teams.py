"""Care teams: the lead proposes a colleague, the client decides, the client or lead removes.

A proposed colleague sees nothing until the client agrees (the membership is
``pending`` until then, and only ``active`` memberships grant access).

Colleagues come from the lead's own practice. Someone from another practice comes
only through a team invite: a single-use link the lead makes for one client
(:func:`make_link`), which the invited practitioner opens (:func:`open_link`) and
accepts (:func:`answer_link`); the client is then asked exactly as for a colleague.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import (
    CareTeamMember,
    Invite,
    InviteKind,
    MembershipState,
    Practitioner,
    Role,
    TeamRole,
    User,
    UserStatus,
)
from bot.enrollment import authorization, invites


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
    session: AsyncSession,
    lead_id: int,
    client_id: int,
    colleague_id: int,
    *,
    from_team_link: bool = False,
) -> Proposed:
    """The lead asks to add a colleague; the client must then agree.

    The colleague must be of the lead's practice, unless they accepted the lead's
    team invite (``from_team_link``): a forged id of someone elsewhere is refused."""
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
    if not from_team_link and not await authorization.same_practice(session, lead_id, colleague_id):
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


# ------------------------------------------------------------------ team invites (links)


async def make_link(
    session: AsyncSession, lead_id: int, client_id: int, *, now: datetime, valid_for: timedelta
) -> invites.NewInvite | None:
    """A single-use team invite for this client's team; None unless ``lead_id`` leads it."""
    lead = await authorization.membership(session, lead_id, client_id)
    if lead is None or lead.role != TeamRole.LEAD:
        return None
    return await invites.create(
        session,
        InviteKind.TEAM,
        now=now,
        valid_for=valid_for,
        created_by_id=lead_id,
        client_id=client_id,
    )


class LinkOpened(StrEnum):
    ASK = "ask"  # show the invitation with "Accept" / "No, thanks"
    ANSWERED = "answered"  # this practitioner already answered it
    NOT_A_PRACTITIONER = "not_a_practitioner"
    TAKEN = "taken"  # someone else opened it first: it is theirs
    OWN = "own"  # the lead opened their own link
    ON_TEAM = "on_team"  # already on (or asked onto) this team
    GONE = "gone"  # the maker no longer leads this client's team


async def open_link(session: AsyncSession, invite: Invite, opener: User | None) -> LinkOpened:
    """Someone opened a team invite (already checked as known, unused or theirs, unexpired).

    The first practitioner to open it holds it: nobody else can answer it."""
    if opener is None or opener.role != Role.PRACTITIONER:
        return LinkOpened.NOT_A_PRACTITIONER
    if invite.used_at is not None:
        return LinkOpened.ANSWERED
    if invite.opened_by_telegram_id not in (None, opener.telegram_id):
        return LinkOpened.TAKEN
    if invite.created_by_id == opener.id:
        return LinkOpened.OWN
    if (
        invite.created_by_id is None
        or invite.client_id is None
        or not await authorization.is_lead(session, invite.created_by_id, invite.client_id)
    ):
        return LinkOpened.GONE
    existing = await session.scalar(
        select(CareTeamMember.state).where(
            CareTeamMember.client_id == invite.client_id,
            CareTeamMember.practitioner_id == opener.id,
        )
    )
    if existing in (MembershipState.ACTIVE, MembershipState.PENDING):
        return LinkOpened.ON_TEAM
    invite.opened_by_telegram_id = opener.telegram_id
    return LinkOpened.ASK


@dataclass(frozen=True)
class LinkAnswer:
    invite: Invite
    proposed: Proposed | None  # None when the invited practitioner said no


async def answer_link(
    session: AsyncSession, invite_id: int, practitioner: User, *, accept: bool, now: datetime
) -> LinkAnswer | None:
    """The invited practitioner accepts (the client is then asked) or declines.

    Uses the invite up either way; None when it is not theirs to answer (not opened
    by them, used, expired, not a team invite), and then nothing changes."""
    invite = await session.get(Invite, invite_id)
    if (
        invite is None
        or invite.kind != InviteKind.TEAM
        or invite.created_by_id is None
        or invite.client_id is None
        or practitioner.role != Role.PRACTITIONER
    ):
        return None
    if not await invites.claim(session, invite_id, now, opened_by=practitioner.telegram_id):
        return None
    invite.used_by_id = practitioner.id
    if not accept:
        return LinkAnswer(invite, None)
    proposed = await propose(
        session, invite.created_by_id, invite.client_id, practitioner.id, from_team_link=True
    )
    return LinkAnswer(invite, proposed)
