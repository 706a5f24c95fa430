"""Programs: enrolling a client, and finding which program lessons are due.

The delivery engine calls :func:`due_program_lessons` from its periodic tick, in
pages of clients (``after_user_id`` / ``limit``, so memory stays bounded), and
queues each result under an idempotency key such as ``lesson:<user>:<lesson>``;
when the client's preferred time comes (outside quiet hours) it calls
:func:`bot.lessons.progress.deliver_lesson` and sends what that returns.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.library import ContentLibrary
from bot.db.models import LessonDelivery, ProgramEnrollment, Role, User, UserStatus
from bot.domain.lesson_schedule import Pause, is_due
from bot.domain.schedule import local_date


class UnknownProgram(LookupError):
    """No program with this id exists in the content."""


@dataclass(frozen=True)
class DueProgramLesson:
    user_id: int
    program_id: str
    lesson_id: str
    due_on: date  # the client's local date


async def enroll(
    session: AsyncSession,
    library: ContentLibrary,
    *,
    user_id: int,
    program_id: str,
    start_on: date,
) -> ProgramEnrollment:
    """Put the client on ``program_id`` from the local date ``start_on`` (replacing any
    program they followed; lessons already delivered are not sent again)."""
    if library.program(program_id) is None:
        raise UnknownProgram(program_id)
    enrollment = await session.get(ProgramEnrollment, user_id)
    if enrollment is None:
        enrollment = ProgramEnrollment(user_id=user_id, program_id=program_id, started_on=start_on)
        session.add(enrollment)
    elif enrollment.program_id != program_id:
        enrollment.program_id, enrollment.started_on = program_id, start_on
    await session.flush()
    return enrollment


async def due_program_lessons(
    session: AsyncSession,
    library: ContentLibrary,
    *,
    now: datetime,
    default_timezone: str,
    after_user_id: int = 0,
    limit: int = 500,
) -> list[DueProgramLesson]:
    """The next lesson of every active, enrolled client whose lesson is due today (their
    local date), for clients with ids above ``after_user_id``, at most ``limit`` clients.

    Two queries per page of clients, never one per client.
    """
    enrolled = (
        await session.execute(
            select(ProgramEnrollment, User.timezone, User.paused_until)
            .join(User, User.id == ProgramEnrollment.user_id)
            .where(
                User.role == Role.CLIENT,
                User.status == UserStatus.ACTIVE,
                ProgramEnrollment.user_id > after_user_id,
            )
            .order_by(ProgramEnrollment.user_id)
            .limit(limit)
        )
    ).all()
    if not enrolled:
        return []
    user_ids = [row[0].user_id for row in enrolled]
    delivered: dict[int, dict[str, datetime]] = defaultdict(dict)
    rows = await session.execute(
        select(LessonDelivery.user_id, LessonDelivery.lesson_id, LessonDelivery.delivered_at).where(
            LessonDelivery.user_id.in_(user_ids)
        )
    )
    for user_id, lesson_id, delivered_at in rows:
        delivered[user_id][lesson_id] = delivered_at

    due = []
    for enrollment, timezone, paused_until in enrolled:
        program = library.program(enrollment.program_id)
        if program is None:  # removed from the content: nothing to deliver
            continue
        sent = delivered[enrollment.user_id]
        upcoming = next((lesson for lesson in program.lesson_ids if lesson not in sent), None)
        if upcoming is None:
            continue
        today = local_date(now, timezone, default_timezone)
        last = max(sent.values(), default=None)
        pauses = []
        if paused_until is not None and paused_until > now:
            pauses.append(Pause(today, local_date(paused_until, timezone, default_timezone)))
        if is_due(
            today,
            start=enrollment.started_on,
            spacing_days=program.spacing_days,
            last_delivered_on=None
            if last is None
            else local_date(last, timezone, default_timezone),
            pauses=pauses,
        ):
            due.append(DueProgramLesson(enrollment.user_id, program.id, upcoming, today))
    return due
