"""Practitioners: registering from an invite, and their names."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Invite, Practitioner, Role, User, UserStatus
from bot.enrollment import invites, practices

NAME_LENGTH = 64


async def register(
    session: AsyncSession,
    invite: Invite,
    telegram_id: int,
    *,
    locale: str | None,
    fallback_name: str,
    now: datetime,
) -> User | None:
    """Make this account a practitioner and use up the invite; None if it was used meanwhile
    (a redelivered /start: the first one registered)."""
    if not await invites.claim(session, invite.id, now):
        return None
    user = User(telegram_id=telegram_id, role=Role.PRACTITIONER, status=UserStatus.ACTIVE)
    user.locale = locale
    session.add(user)
    await session.flush()
    name = (invite.display_name or fallback_name or "").strip()[:NAME_LENGTH] or "—"
    session.add(
        Practitioner(
            user_id=user.id, display_name=name, practice_id=await practice_for(session, invite)
        )
    )
    invite.used_at, invite.used_by_id = now, user.id
    return user


async def practice_for(session: AsyncSession, invite: Invite) -> int:
    """The practice a practitioner invite leads into: the one it names, else the
    inviting colleague's, else the default one (an operator's invite without a name)."""
    if invite.practice_id is not None:
        return invite.practice_id
    if invite.created_by_id is not None:
        found = await practices.practice_of(session, invite.created_by_id)
        if found is not None:
            return found
    return (await practices.default(session)).id


async def display_name(session: AsyncSession, user_id: int | None) -> str:
    if user_id is None:
        return ""
    practitioner = await session.get(Practitioner, user_id)
    return practitioner.display_name if practitioner else ""


async def everyone_but(session: AsyncSession, user_id: int) -> list[tuple[User, Practitioner]]:
    """The other practitioners of this one's practice, by name (to pick a colleague).
    Nobody of another practice is listed: they come only through a team invite."""
    own_practice = (
        select(Practitioner.practice_id).where(Practitioner.user_id == user_id).scalar_subquery()
    )
    rows = await session.execute(
        select(User, Practitioner)
        .join(Practitioner, Practitioner.user_id == User.id)
        .where(
            User.id != user_id,
            User.status == UserStatus.ACTIVE,
            Practitioner.practice_id == own_practice,
        )
        .order_by(Practitioner.display_name, User.id)
        .limit(50)
    )
    return [(user, practitioner) for user, practitioner in rows]
