"""The one access policy for practitioner actions on a client, for every front door.

The chat commands (``bot/flows/practitioner_router.py``) and, later, the web view ask
the same question: may this user do this to this client? A practitioner sees a
client only through an active care-team membership (``bot.enrollment``: the queries
live there, this module only wraps them); what an action requires is declared with
it as an :class:`Access`:

- ``change``: it writes the client's record (a read only reads);
- ``lead_only``: only the client's lead practitioner, not any team member;
- ``refuses_stopped``: refused once the client has stopped the companion.

The rule for stopped clients, everywhere: **changes are refused, reads are allowed**
(the record is kept until the client deletes it, and the team may still read it).
A paused client (``/pause``) is treated like an active one.

The answer is :class:`Allowed` (with the client) or :class:`Refused` with a
:class:`Refusal` that the front door renders in the user's language. Nothing here
imports ``telegram``; nothing here commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.base import utcnow
from bot.db.models import Role, TeamRole, User, UserStatus
from bot.enrollment import authorization
from bot.enrollment.authorization import VisibleClient
from bot.enrollment.client_lookup import find_clients


@dataclass(frozen=True)
class Access:
    """What an action requires."""

    change: bool
    lead_only: bool
    refuses_stopped: bool

    def __post_init__(self) -> None:
        # The one rule: every change refuses a stopped client; a read never does.
        if self.change != self.refuses_stopped:
            raise ValueError("changes refuse stopped clients, reads don't")


#: Any member of the care team may read.
TEAM_READ = Access(change=False, lead_only=False, refuses_stopped=False)
#: Only the lead may read (the export, the access log).
LEAD_READ = Access(change=False, lead_only=True, refuses_stopped=False)
#: Who may read the client's own words (check-in notes, reflections, program answers, a
#: flagged message): every active member of their care team. The client agreed to each
#: one — the lead at consent ("Who sees it: your practitioner, and other professionals
#: only if you agree to each one"), every member when asked ("… would then see your
#: check-ins, your progress and the notes shared in the team"). A proposed member the
#: client has not agreed to yet, a removed one, or anyone else reads none of it. The
#: client's own /mydata holds the same words; /delete erases them.
WORDS_READ = TEAM_READ
#: Any member of the care team may write (a team note); not about a stopped client.
TEAM_CHANGE = Access(change=True, lead_only=False, refuses_stopped=True)
#: Only the lead may change the client's plan (goals, GAS, strategies, programs, measures).
LEAD_CHANGE = Access(change=True, lead_only=True, refuses_stopped=True)


class ClientState(StrEnum):
    """How the client is doing, as far as the policy cares."""

    ONBOARDING = "onboarding"
    ACTIVE = "active"
    PAUSED = "paused"  # on a /pause holiday
    STOPPED = "stopped"
    UNREACHABLE = "unreachable"


def client_state(client: User, now: datetime | None = None) -> ClientState:
    if client.status is UserStatus.ACTIVE:
        paused = client.paused_until is not None and client.paused_until > (now or utcnow())
        return ClientState.PAUSED if paused else ClientState.ACTIVE
    return ClientState(client.status.value)


class Refusal(StrEnum):
    NOT_PRACTITIONER = "not_practitioner"  # the sender is not a practitioner at all
    NOT_FOUND = "not_found"  # nobody on their care teams answers to the name
    AMBIGUOUS = "ambiguous"  # more than one of their clients answers to it
    NOT_LEAD = "not_lead"  # a team member, and the action is the lead's
    STOPPED = "stopped"  # the client has stopped, and the action is a change


@dataclass(frozen=True)
class Allowed:
    client: VisibleClient
    named: str  # the words that named the client

    @property
    def client_id(self) -> int:
        return self.client.client.id

    @property
    def is_lead(self) -> bool:
        return self.client.role == TeamRole.LEAD


@dataclass(frozen=True)
class Refused:
    reason: Refusal
    named: str = ""
    client: VisibleClient | None = None  # set for NOT_LEAD and STOPPED
    others: tuple[int, ...] = field(default=())  # the clients' numbers, for AMBIGUOUS


def is_practitioner(user: User | None) -> bool:
    return user is not None and user.role == Role.PRACTITIONER


def decide(found: VisibleClient, access: Access) -> Refusal | None:
    """Whether a client already found on the user's care team allows the action."""
    if access.lead_only and found.role != TeamRole.LEAD:
        return Refusal.NOT_LEAD
    if access.refuses_stopped and client_state(found.client) is ClientState.STOPPED:
        return Refusal.STOPPED
    return None


async def find_named(
    session: AsyncSession, user: User, names: Iterable[str]
) -> tuple[str, list[VisibleClient]] | None:
    """The first of ``names`` that names any of the user's clients, with who answers to it."""
    for name in names:
        matches = await find_clients(session, user.id, name)
        if matches:
            return name, matches
    return None


def allow(named: str, matches: list[VisibleClient], access: Access) -> Allowed | Refused:
    """The answer for the clients one name found (:func:`find_named`)."""
    if len(matches) > 1:
        return Refused(Refusal.AMBIGUOUS, named, others=tuple(match.client.id for match in matches))
    refusal = decide(matches[0], access)
    if refusal is not None:
        return Refused(refusal, named, matches[0])
    return Allowed(matches[0], named)


async def authorize_named(
    session: AsyncSession, user: User | None, name: str, access: Access
) -> Allowed | Refused:
    """May ``user`` do an action requiring ``access`` to the client they call ``name``?"""
    if user is None or not is_practitioner(user):
        return Refused(Refusal.NOT_PRACTITIONER)
    found = await find_named(session, user, [name])
    if found is None:
        return Refused(Refusal.NOT_FOUND, name)
    return allow(*found, access)


async def authorize_id(
    session: AsyncSession, user: User | None, client_id: int, access: Access
) -> Allowed | Refused:
    """The same question for a client known by id (a button, a web request)."""
    if user is None or not is_practitioner(user):
        return Refused(Refusal.NOT_PRACTITIONER)
    membership = await authorization.membership(session, user.id, client_id)
    client = await session.get(User, client_id) if membership is not None else None
    if membership is None or client is None:
        return Refused(Refusal.NOT_FOUND)
    found = VisibleClient(client, membership.role, membership.alias)
    refusal = decide(found, access)
    return Refused(refusal, client=found) if refusal is not None else Allowed(found, "")
