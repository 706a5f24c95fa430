"""Practitioners: registering from an invite, and their names."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Invite, Practitioner, Role, User, UserStatus
from bot.enrollment import invites

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
    session.add(Practitioner(user_id=user.id, display_name=name))
    invite.used_at, invite.used_by_id = now, user.id
    return user


async def display_name(session: AsyncSession, user_id: int | None) -> str:
    if user_id is None:
        return ""
    practitioner = await session.get(Practitioner, user_id)
    return practitioner.display_name if practitioner else ""


async def everyone_but(session: AsyncSession, user_id: int) -> list[tuple[User, Practitioner]]:
    """The other practitioners of this installation, by name (to pick a colleague)."""
    rows = await session.execute(
        select(User, Practitioner)
        .join(Practitioner, Practitioner.user_id == User.id)
        .where(User.id != user_id, User.status == UserStatus.ACTIVE)
        .order_by(Practitioner.display_name, User.id)
        .limit(50)
    )
    return [(user, practitioner) for user, practitioner in rows]
