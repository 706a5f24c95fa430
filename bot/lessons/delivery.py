"""Program lessons through the delivery engine: planned daily, sent at the client's time.

A planning job finds the clients whose next program lesson is due on their local date,
records the delivery (so its buttons can name it) and queues one outbox row per lesson,
due at least 30 minutes after the client's check-in (or now, if that has passed today;
``bot.domain.lesson_schedule.lesson_moment``), never in their quiet hours; pauses are
honoured by ``due_program_lessons``. The row's key (``lesson:<user>:<lesson>``) makes
planning safe to repeat, in one instance or several. The lesson's first page is rendered
at send time in the client's language.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.content.library import ContentLibrary
from bot.db.models import LessonDelivery, ProgramEnrollment, User
from bot.delivery.outbox import enqueue
from bot.delivery.renderers import RenderContext, Rendered
from bot.domain.lesson_schedule import lesson_moment
from bot.domain.schedule import zone_or_default
from bot.i18n import Catalogs
from bot.lessons import messages
from bot.lessons.progress import deliver_lesson
from bot.lessons.schedule import due_program_lessons

logger = logging.getLogger(__name__)

KIND = "lesson"
# The one line sent when unopened lessons hold the stream, with a button to resume.
HELD_KIND = "lesson_held"
PAGE = 500


async def plan_lessons(
    sessions: async_sessionmaker[AsyncSession],
    library: ContentLibrary,
    catalogs: Catalogs,
    *,
    now: datetime,
    default_timezone: str,
    window: timedelta,
) -> int:
    """Queue every program lesson due today; returns how many rows were new."""
    queued = 0
    after = 0
    while True:
        async with sessions() as session, session.begin():
            boundary = list(
                await session.scalars(
                    select(ProgramEnrollment.user_id)
                    .where(ProgramEnrollment.user_id > after)
                    .order_by(ProgramEnrollment.user_id)
                    .limit(PAGE)
                )
            )
            if not boundary:
                return queued
            due = await due_program_lessons(
                session,
                library,
                now=now,
                default_timezone=default_timezone,
                after_user_id=after,
                limit=PAGE,
            )
            users = {
                user.id: user
                for user in await session.scalars(
                    select(User).where(User.id.in_([item.user_id for item in due]))
                )
            }
            told = []
            for item in due:
                user = users[item.user_id]
                zone = zone_or_default(user.timezone, default_timezone)
                due_at = lesson_moment(
                    now, user.checkin_time, zone, (user.quiet_start, user.quiet_end)
                )
                if item.held:
                    if item.tell_held:
                        told.append(user.id)
                        queued += await enqueue(
                            session,
                            user_id=user.id,
                            chat_id=user.telegram_id,
                            kind=HELD_KIND,
                            key=f"{HELD_KIND}:{user.id}:{item.lesson_id}",
                            payload={},
                            due_at=due_at,
                            expires_at=due_at + window,
                        )
                    continue
                delivered = await deliver_lesson(
                    session,
                    library,
                    catalogs,
                    user_id=user.id,
                    lesson_id=item.lesson_id,
                    now=due_at,
                    program_id=item.program_id,
                )
                if delivered is None:
                    continue
                queued += await enqueue(
                    session,
                    user_id=user.id,
                    chat_id=user.telegram_id,
                    kind=KIND,
                    key=f"{KIND}:{user.id}:{item.lesson_id}",
                    payload={"delivery_id": delivered.delivery_id},
                    due_at=due_at,
                    expires_at=due_at + window,
                )
            if told:  # one UPDATE for the page: each stall is told once
                await session.execute(
                    update(ProgramEnrollment)
                    .where(ProgramEnrollment.user_id.in_(told))
                    .values(hold_noticed_at=now)
                    .execution_options(synchronize_session=False)
                )
        after = boundary[-1]


@dataclass(frozen=True)
class Deliveries:
    """The lesson deliveries of one claimed batch's rows, read at once (by id)."""

    by_id: dict[int, LessonDelivery]


async def prefetch(session: AsyncSession, contexts: Sequence[RenderContext]) -> Deliveries:
    """The deliveries the batch's lessons name, in one query (not one per lesson)."""
    ids = {i for c in contexts if isinstance(i := c.payload.get("delivery_id"), int)}
    found = await session.scalars(select(LessonDelivery).where(LessonDelivery.id.in_(ids)))
    return Deliveries({delivery.id: delivery for delivery in found})


def renderer(library: ContentLibrary) -> Callable[[RenderContext], Awaitable[Rendered]]:
    """The first page of a delivered lesson, in the client's language at send time."""

    async def render(context: RenderContext) -> Rendered:
        delivery_id = context.payload["delivery_id"]
        read = context.prefetched
        if isinstance(read, Deliveries):
            delivery = read.by_id.get(delivery_id)
        else:
            delivery = await context.session.get(LessonDelivery, delivery_id)
        if delivery is None:
            raise LookupError("the lesson delivery is gone (the client deleted their data?)")
        lesson = library.lesson(delivery.lesson_id, context.t.locale)
        if lesson is None:
            raise LookupError(f"lesson {delivery.lesson_id!r} is no longer in the content")
        page = messages.lesson_page(
            library, context.t, chat_id=0, delivery_id=delivery.id, lesson=lesson, page=0
        )
        return Rendered(text=page.text, buttons=page.buttons)

    return render


async def render_held(context: RenderContext) -> Rendered:
    text, buttons = messages.held_notice(context.t, context.user_id)
    return Rendered(text=text, buttons=buttons)
