"""Practices: which practitioners belong together on a shared installation.

Every practitioner belongs to exactly one practice. Colleagues are offered only
from one's own practice; someone from another practice joins a client's team
only through a single-use team invite (``InviteKind.TEAM``) that they accept and
the client agrees to. The practice with the lowest id is the default: the one
migration 0013 made for everyone already there, and the one a practitioner joins
when nobody named another.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Practice, Practitioner, User

NAME_LENGTH = 64
DEFAULT_NAME = "Default"


class PracticeError(ValueError):
    """An operator's request that cannot be done (unknown or duplicate name…)."""


async def default(session: AsyncSession) -> Practice:
    """The default practice (made here if an empty schema has none yet)."""
    found = await session.scalar(select(Practice).order_by(Practice.id).limit(1))
    if found is None:
        found = Practice(name=DEFAULT_NAME)
        session.add(found)
        await session.flush()
    return found


async def by_name(session: AsyncSession, name: str) -> Practice | None:
    return await session.scalar(select(Practice).where(Practice.name == name.strip()))


async def create(session: AsyncSession, name: str) -> Practice:
    name = name.strip()
    if not name or len(name) > NAME_LENGTH:
        raise PracticeError(f"a practice's name has 1 to {NAME_LENGTH} characters")
    if await by_name(session, name) is not None:
        raise PracticeError(f"there is already a practice named {name!r}")
    practice = Practice(name=name)
    session.add(practice)
    await session.flush()
    return practice


async def practice_of(session: AsyncSession, practitioner_id: int) -> int | None:
    """The practice of this practitioner; None for anyone who is not one."""
    return await session.scalar(
        select(Practitioner.practice_id).where(Practitioner.user_id == practitioner_id)
    )


@dataclass(frozen=True)
class PracticeRow:
    id: int
    name: str
    is_default: bool
    practitioners: int


async def overview(session: AsyncSession) -> list[PracticeRow]:
    """Every practice with how many practitioners it has (for ``practice list``)."""
    counts = (
        select(Practitioner.practice_id, func.count().label("n"))
        .group_by(Practitioner.practice_id)
        .subquery()
    )
    rows = (
        await session.execute(
            select(Practice.id, Practice.name, counts.c.n)
            .outerjoin(counts, counts.c.practice_id == Practice.id)
            .order_by(Practice.id)
        )
    ).all()
    first = rows[0][0] if rows else None
    return [PracticeRow(id_, name, id_ == first, n or 0) for id_, name, n in rows]


@dataclass(frozen=True)
class PractitionerRow:
    user_id: int
    telegram_id: int
    name: str
    practice: str


async def members(session: AsyncSession, practice_id: int | None = None) -> list[PractitionerRow]:
    """The practitioners of one practice, or of all (for ``practitioner list``)."""
    query = (
        select(User.id, User.telegram_id, Practitioner.display_name, Practice.name)
        .join(Practitioner, Practitioner.user_id == User.id)
        .join(Practice, Practice.id == Practitioner.practice_id)
        .order_by(Practice.id, Practitioner.display_name, User.id)
    )
    if practice_id is not None:
        query = query.where(Practitioner.practice_id == practice_id)
    return [PractitionerRow(*row) for row in (await session.execute(query)).all()]


async def link(session: AsyncSession, practitioner_id: int, practice_id: int) -> Practitioner:
    """Move a practitioner into a practice. The care teams they are on stay as they are
    (each client agreed to them); from now on colleagues are offered from the new one."""
    practitioner = await session.get(Practitioner, practitioner_id, with_for_update=True)
    if practitioner is None:
        raise PracticeError(f"no practitioner has the id {practitioner_id}")
    practitioner.practice_id = practice_id
    return practitioner
