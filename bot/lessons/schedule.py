"""Programs: enrolling a client, and finding which program lessons are due.

The delivery engine calls :func:`due_program_lessons` from its periodic tick, in
pages of clients (``after_user_id`` / ``limit``, so memory stays bounded), and
queues each result under an idempotency key such as ``lesson:<user>:<lesson>``;
when the client's preferred time comes (outside quiet hours) it calls
:func:`bot.lessons.progress.deliver_lesson` and sends what that returns.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.library import ContentLibrary
from bot.db.models import LessonDelivery, ProgramEnrollment, Role, User, UserStatus
from bot.domain.lesson_schedule import Pause, is_due
from bot.domain.lesson_stream import Sent, StreamProgram, held, last_sent, next_lesson, spacing
from bot.domain.schedule import local_date


class UnknownProgram(LookupError):
    """No program with this id exists in the content."""


@dataclass(frozen=True)
class DueProgramLesson:
    user_id: int
    program_id: str
    lesson_id: str
    due_on: date  # the client's local date
    # Two lessons in a row unopened: this one waits (bot.domain.lesson_stream.held).
    held: bool = False
    # Whether the client must still be told it waits (once per stall).
    tell_held: bool = False


def stream_programs(library: ContentLibrary, program_ids: Sequence[str]) -> list[StreamProgram]:
    """The programs of a stream that still exist in the content, in the order chosen."""
    found = []
    for program_id in program_ids:
        program = library.program(program_id)
        if program is not None:  # removed from the content: skipped
            found.append(
                StreamProgram(
                    program.id,
                    program.lesson_ids,
                    program.spacing_days,
                    program.spacing_after_reflection_days,
                )
            )
    return found


def programs_for_areas(library: ContentLibrary, areas: Sequence[str]) -> list[str]:
    """The program of each intake area that has one (``work_study`` -> ``work-study``)."""
    ids = [area.replace("_", "-") for area in areas]
    return [program_id for program_id in dict.fromkeys(ids) if library.program(program_id)]


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
    return await enroll_many(
        session, library, user_id=user_id, program_ids=[program_id], start_on=start_on
    )


async def enroll_many(
    session: AsyncSession,
    library: ContentLibrary,
    *,
    user_id: int,
    program_ids: Sequence[str],
    start_on: date,
) -> ProgramEnrollment:
    """Put the client on these programs (one stream, in this order) from ``start_on``."""
    ids = list(dict.fromkeys(program_ids))
    if not ids:
        raise UnknownProgram("")
    for program_id in ids:
        if library.program(program_id) is None:
            raise UnknownProgram(program_id)
    several = ",".join(ids) if len(ids) > 1 else None
    enrollment = await session.get(ProgramEnrollment, user_id)
    if enrollment is None:
        enrollment = ProgramEnrollment(
            user_id=user_id, program_id=ids[0], program_ids=several, started_on=start_on
        )
        session.add(enrollment)
    elif enrollment.programs != tuple(ids):
        enrollment.program_id, enrollment.program_ids = ids[0], several
        enrollment.started_on = start_on
    await session.flush()
    return enrollment


async def follow_areas(
    session: AsyncSession,
    library: ContentLibrary,
    *,
    user_id: int,
    areas: Sequence[str],
    start_on: date,
    default_program: str,
) -> list[str]:
    """After the intake: the programs of the chosen areas (in the order chosen) replace
    the default program. A program the practitioner chose is kept; no area with a
    program keeps the default. Returns the programs now followed ([] when unchanged)."""
    ids = programs_for_areas(library, areas)
    if not ids:
        return []
    enrollment = await session.get(ProgramEnrollment, user_id)
    if enrollment is not None and enrollment.programs != (default_program,):
        return []
    await enroll_many(session, library, user_id=user_id, program_ids=ids, start_on=start_on)
    return ids


async def sent_lessons(session: AsyncSession, user_ids: Sequence[int]) -> dict[int, list[Sent]]:
    """Every lesson delivered to these clients (one query)."""
    sent: dict[int, list[Sent]] = defaultdict(list)
    if not user_ids:
        return sent
    rows = await session.execute(
        select(
            LessonDelivery.user_id,
            LessonDelivery.lesson_id,
            LessonDelivery.program_id,
            LessonDelivery.delivered_at,
            LessonDelivery.opened_at,
            LessonDelivery.reflection_answered_at,
        ).where(LessonDelivery.user_id.in_(user_ids))
    )
    for user_id, lesson_id, program_id, delivered_at, opened_at, reflected_at in rows:
        sent[user_id].append(
            Sent(
                lesson_id, program_id, delivered_at, opened_at is not None, reflected_at is not None
            )
        )
    return sent


async def next_for(
    session: AsyncSession, library: ContentLibrary, user_id: int
) -> tuple[str, str] | None:
    """(program id, lesson id) of the client's next lesson whatever its date (for
    "another lesson now" and "resume"); None without a program or when all are sent."""
    enrollment = await session.get(ProgramEnrollment, user_id)
    if enrollment is None:
        return None
    programs = stream_programs(library, enrollment.programs)
    sent = (await sent_lessons(session, [user_id]))[user_id]
    return next_lesson(programs, sent)


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
    A lesson held back by unopened ones is returned with ``held`` (not to be sent).

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
    delivered = await sent_lessons(session, [row[0].user_id for row in enrolled])

    due = []
    for enrollment, timezone, paused_until in enrolled:
        programs = stream_programs(library, enrollment.programs)
        if not programs:  # removed from the content: nothing to deliver
            continue
        sent = delivered[enrollment.user_id]
        upcoming = next_lesson(programs, sent)
        if upcoming is None:
            continue
        today = local_date(now, timezone, default_timezone)
        last = last_sent(sent)
        pauses = []
        if paused_until is not None and paused_until > now:
            pauses.append(Pause(today, local_date(paused_until, timezone, default_timezone)))
        if is_due(
            today,
            start=enrollment.started_on,
            spacing_days=spacing(programs, sent),
            last_delivered_on=None
            if last is None
            else local_date(last.delivered_at, timezone, default_timezone),
            pauses=pauses,
        ):
            waiting = held(sent)
            told = (
                enrollment.hold_noticed_at is not None
                and last is not None
                and enrollment.hold_noticed_at >= last.delivered_at
            )
            due.append(
                DueProgramLesson(
                    enrollment.user_id,
                    upcoming[0],
                    upcoming[1],
                    today,
                    held=waiting,
                    tell_held=waiting and not told,
                )
            )
    return due
