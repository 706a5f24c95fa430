"""The one access policy (``bot.access.policy``) on both databases: a client is found only
among the practitioner's own active care teams; lead-only actions refuse team members;
changes refuse a stopped client, reads don't; a paused client is like an active one."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.access import policy
from bot.access.policy import (
    LEAD_CHANGE,
    LEAD_READ,
    TEAM_CHANGE,
    TEAM_READ,
    Access,
    Allowed,
    ClientState,
    Refusal,
    Refused,
)
from bot.db.base import utcnow
from bot.db.models import CareTeamMember, MembershipState, Role, TeamRole, User, UserStatus


def test_the_one_rule_for_stopped_clients_is_enforced_by_the_declarations():
    assert all(
        a.change == a.refuses_stopped for a in (TEAM_READ, LEAD_READ, TEAM_CHANGE, LEAD_CHANGE)
    )
    with pytest.raises(ValueError):
        Access(change=True, lead_only=True, refuses_stopped=False)
    with pytest.raises(ValueError):
        Access(change=False, lead_only=False, refuses_stopped=True)


async def test_who_may_do_what_to_which_client(migrated_sessions: async_sessionmaker[AsyncSession]):
    async with migrated_sessions() as session, session.begin():
        lead = User(telegram_id=71, role=Role.PRACTITIONER)
        member = User(telegram_id=72, role=Role.PRACTITIONER)
        stranger = User(telegram_id=73, role=Role.PRACTITIONER)
        anna = User(telegram_id=74, role=Role.CLIENT, status=UserStatus.ACTIVE)
        ben = User(telegram_id=75, role=Role.CLIENT, status=UserStatus.STOPPED)
        cleo = User(telegram_id=76, role=Role.CLIENT, status=UserStatus.ACTIVE)
        cleo.paused_until = utcnow() + timedelta(days=3)
        twin = User(telegram_id=77, role=Role.CLIENT, status=UserStatus.ACTIVE)
        session.add_all([lead, member, stranger, anna, ben, cleo, twin])
        await session.flush()

        def team(client: User, who: User, role: TeamRole, alias: str, state=None):
            return CareTeamMember(
                client_id=client.id,
                practitioner_id=who.id,
                role=role,
                state=state or MembershipState.ACTIVE,
                alias=alias,
            )

        session.add_all(
            [
                team(anna, lead, TeamRole.LEAD, "Anna M."),
                team(anna, member, TeamRole.MEMBER, "Anna"),
                team(ben, lead, TeamRole.LEAD, "Ben"),
                team(cleo, lead, TeamRole.LEAD, "Cleo"),
                team(twin, lead, TeamRole.LEAD, "Anna M."),  # two clients, one alias
                team(cleo, stranger, TeamRole.MEMBER, "Cleo", MembershipState.PENDING),
            ]
        )
        await session.flush()

        async def ask(user, name, access):
            return await policy.authorize_named(session, user, name, access)

        # the lead: found by alias or number; an alias on two clients is ambiguous
        allowed = await ask(lead, "ben", TEAM_READ)
        assert isinstance(allowed, Allowed) and allowed.client_id == ben.id
        assert allowed.is_lead
        ambiguous = await ask(lead, "Anna M.", TEAM_READ)
        assert isinstance(ambiguous, Refused) and ambiguous.reason is Refusal.AMBIGUOUS
        assert set(ambiguous.others) == {anna.id, twin.id}
        assert isinstance(await ask(lead, f"#{anna.id}", LEAD_CHANGE), Allowed)
        # stopped: reads allowed, changes refused (for the lead too)
        assert isinstance(await ask(lead, "Ben", LEAD_READ), Allowed)
        for access in (TEAM_CHANGE, LEAD_CHANGE):
            refused = await ask(lead, "Ben", access)
            assert isinstance(refused, Refused) and refused.reason is Refusal.STOPPED
            assert refused.client is not None and refused.client.client.id == ben.id
        # paused: like active
        assert policy.client_state(cleo) is ClientState.PAUSED
        assert isinstance(await ask(lead, "Cleo", LEAD_CHANGE), Allowed)
        # a team member: reads and team notes, not the lead's actions
        assert isinstance(await ask(member, "Anna", TEAM_READ), Allowed)
        assert isinstance(await ask(member, "Anna", TEAM_CHANGE), Allowed)
        for access in (LEAD_READ, LEAD_CHANGE):
            refused = await ask(member, "anna", access)
            assert isinstance(refused, Refused) and refused.reason is Refusal.NOT_LEAD
        # a stranger (a pending membership is none) and a client find nobody
        for name in ("Cleo", str(cleo.id), "Anna"):
            refused = await ask(stranger, name, TEAM_READ)
            assert isinstance(refused, Refused) and refused.reason is Refusal.NOT_FOUND
            assert refused.client is None
        refused = await ask(anna, "Anna M.", TEAM_READ)
        assert isinstance(refused, Refused) and refused.reason is Refusal.NOT_PRACTITIONER
        # by id (a button, a web request): the same answers
        by_id = await policy.authorize_id(session, member, anna.id, LEAD_CHANGE)
        assert isinstance(by_id, Refused) and by_id.reason is Refusal.NOT_LEAD
        by_id = await policy.authorize_id(session, stranger, cleo.id, TEAM_READ)
        assert isinstance(by_id, Refused) and by_id.reason is Refusal.NOT_FOUND
        by_id = await policy.authorize_id(session, lead, ben.id, LEAD_CHANGE)
        assert isinstance(by_id, Refused) and by_id.reason is Refusal.STOPPED
        assert isinstance(await policy.authorize_id(session, lead, ben.id, TEAM_READ), Allowed)
