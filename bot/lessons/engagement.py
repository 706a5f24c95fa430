"""What a client did with their lessons, per area (program): delivered, opened, finished,
reflected on; and their spaced-review answers. For the practitioner's views (``/client``,
the digest, the PDF report); counts over all time, two queries for any number of clients.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import LessonDelivery
from bot.lessons.reviews import ReviewCounts, review_counts


@dataclass(frozen=True)
class AreaEngagement:
    program_id: str | None  # None: lessons a practitioner sent on their own
    delivered: int
    opened: int
    finished: int
    reflected: int


@dataclass(frozen=True)
class Engagement:
    areas: tuple[AreaEngagement, ...]
    reviews: ReviewCounts


async def engagement(session: AsyncSession, user_ids: Sequence[int]) -> dict[int, Engagement]:
    """Per client (only those with a lesson delivered): counts per program, and reviews."""
    if not user_ids:
        return {}
    rows = await session.execute(
        select(
            LessonDelivery.user_id,
            LessonDelivery.program_id,
            func.count(),
            func.count(LessonDelivery.opened_at),
            func.count(LessonDelivery.finished_at),
            func.count(LessonDelivery.reflection_answered_at),
        )
        .where(LessonDelivery.user_id.in_(user_ids))
        .group_by(LessonDelivery.user_id, LessonDelivery.program_id)
        .order_by(LessonDelivery.user_id, LessonDelivery.program_id)
    )
    areas: dict[int, list[AreaEngagement]] = {}
    for user_id, program_id, delivered, opened, finished, reflected in rows:
        areas.setdefault(user_id, []).append(
            AreaEngagement(program_id, delivered, opened, finished, reflected)
        )
    reviews = await review_counts(session, list(areas))
    return {
        user_id: Engagement(tuple(found), reviews.get(user_id, ReviewCounts(0, 0, 0)))
        for user_id, found in areas.items()
    }
