"""The operator's way in: practitioner invites and practices, from the command line."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.base import utcnow
from bot.db.models import InviteKind
from bot.db.session import create_engine, create_session_factory
from bot.enrollment import invites, practices, tokens
from bot.enrollment.practices import PracticeError, PracticeRow, PractitionerRow
from bot.settings import Settings

T = TypeVar("T")


async def _in_transaction(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    engine = create_engine(settings.database_url)
    try:
        async with create_session_factory(engine)() as session, session.begin():
            return await work(session)
    finally:
        await engine.dispose()


async def _practice_id(session: AsyncSession, name: str | None) -> int | None:
    if name is None:
        return None
    practice = await practices.by_name(session, name)
    if practice is None:
        raise PracticeError(
            f"there is no practice named {name!r} (`python -m bot practice list` shows them)"
        )
    return practice.id


async def create_practitioner_invite(
    settings: Settings, username: str, name: str | None, practice: str | None = None
) -> tuple[str, str, datetime]:
    """A one-time link that registers a practitioner into ``practice`` (default: the
    default practice)."""

    async def work(session: AsyncSession) -> invites.NewInvite:
        return await invites.create(
            session,
            InviteKind.PRACTITIONER,
            now=utcnow(),
            valid_for=timedelta(days=settings.invite_valid_days),
            display_name=(name or "").strip()[:64] or None,
            practice_id=await _practice_id(session, practice),
        )

    made = await _in_transaction(settings, work)
    return tokens.deep_link(username, made.payload), made.payload, made.expires_at


async def add_practice(settings: Settings, name: str) -> PracticeRow:
    async def work(session: AsyncSession) -> PracticeRow:
        await practices.default(session)  # the first practice is the default: never this one
        made = await practices.create(session, name)
        return PracticeRow(made.id, made.name, False, 0)

    return await _in_transaction(settings, work)


async def list_practices(settings: Settings) -> list[PracticeRow]:
    return await _in_transaction(settings, practices.overview)


async def list_practitioners(settings: Settings, practice: str | None) -> list[PractitionerRow]:
    async def work(session: AsyncSession) -> list[PractitionerRow]:
        return await practices.members(session, await _practice_id(session, practice))

    return await _in_transaction(settings, work)


async def link_practitioner(settings: Settings, user_id: int, practice: str) -> str:
    """Move a registered practitioner into a practice; returns their name."""

    async def work(session: AsyncSession) -> str:
        practice_id = await _practice_id(session, practice)
        assert practice_id is not None
        return (await practices.link(session, user_id, practice_id)).display_name

    return await _in_transaction(settings, work)
