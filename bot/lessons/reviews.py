"""Spaced review: a short question on a lesson's main idea about a week after it was
delivered (from the lesson's own ``review`` front matter), and the client's answer.

Planned by the lessons' daily job, a page of deliveries at a time: a delivery the client
opened, delivered between :data:`AFTER` and :data:`UNTIL` ago, whose lesson has a review
and which has no review row yet. At most one question per client a day. The row is
written when the question is queued (``lesson_review:<delivery>`` makes it safe to
repeat); the answer (or Skip) fills it in. Nothing here commits.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.content.library import ContentLibrary
from bot.db.models import LessonDelivery, LessonReview, Role, User, UserStatus
from bot.delivery.outbox import enqueue
from bot.delivery.renderers import RenderContext, Rendered
from bot.domain.lesson_schedule import lesson_moment
from bot.domain.schedule import zone_or_default
from bot.lessons import messages

KIND = "lesson_review"
#: A lesson's review question comes this long after it was delivered…
AFTER = timedelta(days=7)
#: …and not after this (a client back from a long pause is not quizzed on old lessons).
UNTIL = timedelta(days=14)
PAGE = 500


async def plan_reviews(
    sessions: async_sessionmaker[AsyncSession],
    library: ContentLibrary,
    *,
    now: datetime,
    default_timezone: str,
    window: timedelta,
) -> int:
    """Queue the review questions due now; returns how many were queued."""
    queued = 0
    after = 0
    while True:
        async with sessions() as session, session.begin():
            rows = (
                await session.execute(
                    select(LessonDelivery.id, LessonDelivery.lesson_id, User)
                    .join(User, User.id == LessonDelivery.user_id)
                    .outerjoin(LessonReview, LessonReview.delivery_id == LessonDelivery.id)
                    .where(
                        LessonDelivery.id > after,
                        LessonDelivery.opened_at.is_not(None),
                        LessonDelivery.delivered_at <= now - AFTER,
                        LessonDelivery.delivered_at > now - UNTIL,
                        LessonReview.id.is_(None),
                        User.role == Role.CLIENT,
                        User.status == UserStatus.ACTIVE,
                    )
                    .order_by(LessonDelivery.id)
                    .limit(PAGE)
                )
            ).all()
            if not rows:
                return queued
            recent = set(
                await session.scalars(
                    select(LessonDelivery.user_id)
                    .join(LessonReview, LessonReview.delivery_id == LessonDelivery.id)
                    .where(
                        LessonDelivery.user_id.in_({row[2].id for row in rows}),
                        LessonReview.asked_at > now - timedelta(days=1),
                    )
                )
            )
            for delivery_id, lesson_id, user in rows:
                lesson = library.lesson(lesson_id, "en")
                if lesson is None or lesson.meta.review is None or user.id in recent:
                    continue
                if user.paused_until is not None and user.paused_until > now:
                    continue
                recent.add(user.id)  # one a day
                zone = zone_or_default(user.timezone, default_timezone)
                due_at = lesson_moment(
                    now, user.checkin_time, zone, (user.quiet_start, user.quiet_end)
                )
                review = LessonReview(delivery_id=delivery_id, asked_at=due_at)
                session.add(review)
                await session.flush()
                queued += await enqueue(
                    session,
                    user_id=user.id,
                    chat_id=user.telegram_id,
                    kind=KIND,
                    key=f"{KIND}:{delivery_id}",
                    payload={"review_id": review.id},
                    due_at=due_at,
                    expires_at=due_at + window,
                )
        after = rows[-1][0]


def renderer(library: ContentLibrary) -> Callable[[RenderContext], Awaitable[Rendered]]:
    """The review question, in the client's language at send time."""

    async def render(context: RenderContext) -> Rendered:
        found = await _review_with_lesson(context.session, context.payload["review_id"])
        if found is None:
            raise LookupError("the review is gone (the client deleted their data?)")
        review, lesson_id = found
        lesson = library.lesson(lesson_id, context.t.locale)
        if lesson is None or lesson.meta.review is None:
            raise LookupError(f"lesson {lesson_id!r} has no review question any more")
        text, buttons = messages.review_question(
            context.t, review_id=review.id, lesson=lesson, review=lesson.meta.review
        )
        return Rendered(text=text, buttons=buttons)

    return render


async def _review_with_lesson(
    session: AsyncSession, review_id: int, user_id: int | None = None
) -> tuple[LessonReview, str] | None:
    query = (
        select(LessonReview, LessonDelivery.lesson_id)
        .join(LessonDelivery, LessonDelivery.id == LessonReview.delivery_id)
        .where(LessonReview.id == review_id)
    )
    if user_id is not None:
        query = query.where(LessonDelivery.user_id == user_id)
    row = (await session.execute(query)).first()
    return None if row is None else (row[0], row[1])


async def review_for(
    session: AsyncSession, review_id: int, user_id: int
) -> tuple[LessonReview, str] | None:
    """The review and its lesson id, only if it is ``user_id``'s: a forged id finds nothing."""
    return await _review_with_lesson(session, review_id, user_id)


def record_answer(review: LessonReview, *, answer: int, correct: bool, now: datetime) -> bool:
    """Store the first answer; False when it was answered or skipped before."""
    if review.answered_at is not None or review.skipped_at is not None:
        return False
    review.answer, review.correct, review.answered_at = answer, correct, now
    return True


def record_skip(review: LessonReview, *, thought_over: bool, now: datetime) -> bool:
    """Skip (or, for a question without answers, "I thought about it", which counts as
    answered); False when it was answered or skipped before."""
    if review.answered_at is not None or review.skipped_at is not None:
        return False
    if thought_over:
        review.answered_at = now
    else:
        review.skipped_at = now
    return True


@dataclass(frozen=True)
class ReviewCounts:
    asked: int
    answered: int
    correct: int


async def review_counts(session: AsyncSession, user_ids: Sequence[int]) -> dict[int, ReviewCounts]:
    """Per client: review questions asked, answered and answered right (one query)."""
    counts: dict[int, list[int]] = {user_id: [0, 0, 0] for user_id in user_ids}
    if not user_ids:
        return {}
    rows = await session.execute(
        select(LessonDelivery.user_id, LessonReview.answered_at, LessonReview.correct)
        .join(LessonDelivery, LessonDelivery.id == LessonReview.delivery_id)
        .where(LessonDelivery.user_id.in_(user_ids))
    )
    for user_id, answered_at, correct in rows:
        counts[user_id][0] += 1
        counts[user_id][1] += answered_at is not None
        counts[user_id][2] += bool(correct)
    return {user_id: ReviewCounts(*values) for user_id, values in counts.items()}
