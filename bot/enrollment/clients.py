"""Clients: consent, the onboarding steps, pause, resume and stop."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.base import utcnow
from bot.db.models import (
    CareTeamMember,
    ConversationStep,
    Invite,
    InviteKind,
    MembershipState,
    Role,
    TeamRole,
    User,
    UserStatus,
)
from bot.db.rows import rowcount
from bot.enrollment import authorization, invites

ONBOARDING = "onboarding"
SETTINGS = "settings"
# The questions of onboarding, in order; settings asks any one of them.
STEPS: tuple[str, ...] = ("language", "timezone", "checkin", "quiet")
MAX_PAUSE_DAYS = 60


@dataclass(frozen=True)
class Joined:
    user: User
    lead_id: int
    created: bool  # False when this was a repeated tap on "I agree"


async def agree(
    session: AsyncSession, invite_id: int, telegram_id: int, *, locale: str | None, now: datetime
) -> Joined | None:
    """The client agreed: from now on the bot stores what onboarding asks.

    Returns None when this invite is not (or no longer) this person's to accept.
    """
    invite = await session.get(Invite, invite_id)
    if invite is None or invite.kind != InviteKind.CLIENT or invite.created_by_id is None:
        return None
    existing = await _user(session, telegram_id)
    if existing is not None and invite.used_by_id != existing.id:
        return None  # already a client or a practitioner: one account, one role
    if not await invites.claim(session, invite_id, now, opened_by=telegram_id):
        # Used meanwhile: by this very person (a second tap) is fine, by anyone else not.
        await session.refresh(invite)
        existing = await _user(session, telegram_id)
        if existing is not None and invite.used_by_id == existing.id:
            return Joined(existing, invite.created_by_id, created=False)
        return None
    user = User(telegram_id=telegram_id, role=Role.CLIENT, status=UserStatus.ONBOARDING)
    user.locale = locale
    session.add(user)
    await session.flush()
    session.add(
        CareTeamMember(
            client_id=user.id,
            practitioner_id=invite.created_by_id,
            role=TeamRole.LEAD,
            state=MembershipState.ACTIVE,
            alias=invite.alias,
            invited_by_id=invite.created_by_id,
            decided_at=now,
        )
    )
    session.add(ConversationStep(user_id=user.id, flow=ONBOARDING, step=STEPS[0]))
    invite.used_at, invite.used_by_id, invite.opened_by_telegram_id = now, user.id, None
    return Joined(user, invite.created_by_id, created=True)


async def _user(session: AsyncSession, telegram_id: int) -> User | None:
    return await session.scalar(
        select(User)
        .where(User.telegram_id == telegram_id)
        .execution_options(populate_existing=True)
    )


async def not_now(session: AsyncSession, invite_id: int, telegram_id: int) -> bool:
    """The client said "not now": forget who opened the link; it still works until it expires."""
    invite = await session.get(Invite, invite_id)
    if invite is None or invite.opened_by_telegram_id != telegram_id:
        return False
    invite.opened_by_telegram_id = None
    return True


async def open_step(session: AsyncSession, user_id: int) -> ConversationStep | None:
    """The open onboarding or /settings question (a yes/no confirmation kept in the same
    table, ``bot.answers``, is not one of them)."""
    row = await session.get(ConversationStep, user_id, populate_existing=True)
    return row if row is not None and row.flow in (ONBOARDING, SETTINGS) else None


async def claim_step(session: AsyncSession, user_id: int, flow: str, step: str) -> bool:
    """Take the open question to answer it: True for exactly one of two racing answers.

    A compare-and-set in one UPDATE: a double tap's second answer waits for the first
    to commit and then finds the question moved on (SQLite and PostgreSQL alike).
    """
    result = await session.execute(
        update(ConversationStep)
        .where(
            ConversationStep.user_id == user_id,
            ConversationStep.flow == flow,
            ConversationStep.step == step,
        )
        .values(updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1


async def set_step(session: AsyncSession, user_id: int, flow: str, step: str) -> None:
    row = await session.get(ConversationStep, user_id)
    if row is None:
        session.add(ConversationStep(user_id=user_id, flow=flow, step=step))
    else:
        row.flow, row.step = flow, step


async def close_step(session: AsyncSession, user_id: int) -> None:
    row = await session.get(ConversationStep, user_id)
    if row is not None:
        await session.delete(row)


def step_after(step: str) -> str | None:
    index = STEPS.index(step)
    return STEPS[index + 1] if index + 1 < len(STEPS) else None


async def finish_onboarding(session: AsyncSession, user: User) -> list[authorization.Viewer]:
    """Onboarding done: the client is active; returns who on the team should hear of it."""
    user.status = UserStatus.ACTIVE
    await close_step(session, user.id)
    return await authorization.team_viewers(session, user.id)


async def pause(user: User, days: int, now: datetime) -> datetime:
    days = max(1, min(days, MAX_PAUSE_DAYS))
    user.paused_until = now + timedelta(days=days)
    return user.paused_until


async def resume(user: User) -> bool:
    """End a pause, or come back after /stop. Returns whether the client had stopped."""
    was_stopped = user.status == UserStatus.STOPPED
    user.paused_until = None
    if was_stopped:
        user.status = UserStatus.ACTIVE
        user.stopped_at = None
    return was_stopped


async def stop(session: AsyncSession, user: User, now: datetime) -> list[authorization.Viewer]:
    """The client ends the companion: nothing more is sent; data stays until /delete (or
    until RETENTION_DAYS after ``now``)."""
    user.status = UserStatus.STOPPED
    user.stopped_at = now
    user.paused_until = None
    await close_step(session, user.id)
    return await authorization.team_viewers(session, user.id)
