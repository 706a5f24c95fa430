"""A practitioner's lesson use cases: choose a client's program (or send one lesson
now), and read what the client did with their lessons.

Plain values in, a :class:`~bot.access.result.Result` out; the caller asked the access
policy first (``bot.access.policy``: choosing a program is the lead's change, reading
is any team member's) and owns the transaction. Nothing here commits or imports
``telegram``. Buttons offering the programs carry data made by ``button_data`` (the
front door's codec), so this module does not know the callback format.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.access.result import Result
from bot.audit import AuditAction
from bot.content.library import ContentLibrary
from bot.db.base import utcnow
from bot.db.models import ProgramEnrollment, User, UserStatus
from bot.delivery.outbox import enqueue
from bot.domain.schedule import local_date
from bot.enrollment import authorization
from bot.i18n import Catalogs, Translator
from bot.lessons import delivery as lesson_delivery
from bot.lessons import progress_report, schedule
from bot.lessons.progress import client_progress, deliver_lesson

logger = logging.getLogger(__name__)

# What is echoed back of an unknown program id.
ECHO_LENGTH = 64

ButtonData = Callable[[int, str], str]  # (client id, program id) -> callback data


def program_buttons(
    t: Translator, library: ContentLibrary, client_id: int, button_data: ButtonData
) -> list[list[tuple[str, str]]]:
    """Every program as a button, one per row."""
    programs = sorted(library.programs.values(), key=lambda p: p.id)
    return [
        [(program.title_in(t.locale), button_data(client_id, program.id))] for program in programs
    ]


def not_now(t: Translator, client: User, label: str) -> str | None:
    """Why no program can be chosen for the client now (stopped is the policy's answer)."""
    why_not = {
        UserStatus.ONBOARDING: t._(
            "{client} hasn't finished setting up yet. Once they have, you can choose "
            "their program here.",
            client=label,
        ),
        UserStatus.UNREACHABLE: t._(
            "I can't reach {client} at the moment (they may have blocked me), so nothing "
            "was changed.",
            client=label,
        ),
    }
    return why_not.get(client.status)


def offer_programs(
    t: Translator,
    *,
    client: User,
    label: str,
    library: ContentLibrary,
    button_data: ButtonData,
) -> Result:
    """/assign <client>: which program should they follow (buttons)."""
    reason = not_now(t, client, label)
    if reason is not None:
        return Result().say(reason)
    return Result().say(
        t._("Which program should {client} follow?", client=label),
        program_buttons(t, library, client.id, button_data),
    )


async def assign_program(
    session: AsyncSession,
    t: Translator,
    *,
    by_id: int,
    client: User,
    label: str,
    program_id: str,
    library: ContentLibrary,
    catalogs: Catalogs,
    default_timezone: str,
    prompt_window_minutes: int,
    button_data: ButtonData,
) -> Result:
    """Put the client on a program (or send one lesson now, given a lesson's id); the
    client is told."""
    reason = not_now(t, client, label)
    if reason is not None:
        return Result().say(reason)
    if "," in program_id:
        return await assign_programs(
            session,
            t,
            by_id=by_id,
            client=client,
            label=label,
            program_ids=[part for part in program_id.split(",") if part],
            library=library,
            catalogs=catalogs,
            default_timezone=default_timezone,
            button_data=button_data,
        )
    program = library.program(program_id)
    if program is None and library.lesson(program_id, "en") is not None:
        return await send_lesson_now(
            session,
            t,
            client=client,
            label=label,
            lesson_id=program_id,
            library=library,
            catalogs=catalogs,
            prompt_window_minutes=prompt_window_minutes,
        )
    if program is None:
        return Result().say(
            t._(
                "I don't know a program called “{program}”. Which one should {client} follow?",
                program=html.escape(program_id[:ECHO_LENGTH]),
                client=label,
            ),
            program_buttons(t, library, client.id, button_data),
        )
    title = html.escape(program.title_in(t.locale))
    current = await session.get(ProgramEnrollment, client.id)
    if current is not None and current.programs == (program.id,):  # a double tap, or a repeat
        return Result().say(
            t._(
                "{client} already follows <b>{program}</b>. Nothing was changed.",
                client=label,
                program=title,
            )
        )
    today = local_date(utcnow(), client.timezone, default_timezone)
    await schedule.enroll(
        session, library, user_id=client.id, program_id=program.id, start_on=today
    )
    logger.info(
        "event=program.assigned client_id=%s program_id=%s by=%s", client.id, program.id, by_id
    )
    their = catalogs.translator(catalogs.resolve(client.locale, None))
    return (
        Result()
        .audited(AuditAction.PROGRAM_ASSIGN)
        .say(
            t._(
                "{client} now follows <b>{program}</b>, starting today. I've let them know.",
                client=label,
                program=title,
            )
        )
        .notice(
            client.telegram_id,
            their._(
                "{name} chose a set of lessons for you: <b>{program}</b>. "
                "They arrive one at a time, at your usual time.",
                name=html.escape(await authorization.practitioner_name(session, by_id)),
                program=html.escape(program.title_in(their.locale)),
            ),
            event="program.assigned",
        )
    )


async def assign_programs(
    session: AsyncSession,
    t: Translator,
    *,
    by_id: int,
    client: User,
    label: str,
    program_ids: list[str],
    library: ContentLibrary,
    catalogs: Catalogs,
    default_timezone: str,
    button_data: ButtonData,
) -> Result:
    """/assign <client> sleep,worry: several programs, one lesson stream taking turns
    (``bot.domain.lesson_stream``); the client is told."""
    unknown = next((p for p in program_ids if library.program(p) is None), None)
    if unknown is not None or not program_ids:
        return Result().say(
            t._(
                "I don't know a program called “{program}”. Which one should {client} follow?",
                program=html.escape((unknown or "")[:ECHO_LENGTH]),
                client=label,
            ),
            program_buttons(t, library, client.id, button_data),
        )
    programs = [library.program(p) for p in dict.fromkeys(program_ids)]
    current = await session.get(ProgramEnrollment, client.id)
    titles = ", ".join(html.escape(p.title_in(t.locale)) for p in programs if p is not None)
    if current is not None and current.programs == tuple(p.id for p in programs if p):
        return Result().say(
            t._(
                "{client} already follows <b>{program}</b>. Nothing was changed.",
                client=label,
                program=titles,
            )
        )
    today = local_date(utcnow(), client.timezone, default_timezone)
    await schedule.enroll_many(
        session, library, user_id=client.id, program_ids=program_ids, start_on=today
    )
    logger.info(
        "event=program.assigned client_id=%s programs=%s by=%s",
        client.id,
        len(programs),
        by_id,
    )
    their = catalogs.translator(catalogs.resolve(client.locale, None))
    their_titles = ", ".join(p.title_in(their.locale) for p in programs if p is not None)
    return (
        Result()
        .audited(AuditAction.PROGRAM_ASSIGN)
        .say(
            t._(
                "{client} now follows <b>{program}</b>, starting today. I've let them know.",
                client=label,
                program=titles,
            )
        )
        .notice(
            client.telegram_id,
            their._(
                "{name} chose a set of lessons for you: <b>{program}</b>. "
                "They arrive one at a time, at your usual time.",
                name=html.escape(await authorization.practitioner_name(session, by_id)),
                program=html.escape(their_titles),
            ),
            event="program.assigned",
        )
    )


async def send_lesson_now(
    session: AsyncSession,
    t: Translator,
    *,
    client: User,
    label: str,
    lesson_id: str,
    library: ContentLibrary,
    catalogs: Catalogs,
    prompt_window_minutes: int,
) -> Result:
    """/assign <client> <lesson id>: one lesson now, through the delivery engine."""
    lesson = library.lesson(lesson_id, t.locale)
    title = html.escape(lesson.meta.title) if lesson else html.escape(lesson_id)
    now = utcnow()
    delivered = await deliver_lesson(
        session, library, catalogs, user_id=client.id, lesson_id=lesson_id, now=now
    )
    queued = (
        delivered is not None
        and delivered.created
        and await enqueue(
            session,
            user_id=client.id,
            chat_id=client.telegram_id,
            kind=lesson_delivery.KIND,
            key=f"{lesson_delivery.KIND}:{client.id}:{lesson_id}",
            payload={"delivery_id": delivered.delivery_id},
            due_at=now,
            expires_at=now + timedelta(minutes=prompt_window_minutes),
        )
    )
    if not queued:
        return Result().say(
            t._(
                "{client} already has <b>{lesson}</b>: they can open it again with /learn. "
                "Nothing was changed.",
                client=label,
                lesson=title,
            )
        )
    logger.info("event=lesson.sent_now client_id=%s", client.id)
    return (
        Result()
        .audited(AuditAction.LESSON_SEND)
        .say(t._("{client} gets <b>{lesson}</b> now.", client=label, lesson=title))
    )


async def lesson_progress(
    session: AsyncSession,
    t: Translator,
    *,
    client_id: int,
    label: str,
    library: ContentLibrary,
    zone: ZoneInfo,
    now: datetime,
) -> Result:
    """What the client did with each lesson delivered, with their reflections."""
    seen = await client_progress(session, library, t.locale, client_id)
    enrollment = await session.get(ProgramEnrollment, client_id)
    followed = [library.program(p) for p in enrollment.programs] if enrollment else []
    titles = [program.title_in(t.locale) for program in followed if program is not None]
    result = Result().audited(AuditAction.LESSONS_VIEW)
    for part in progress_report.render(
        t,
        client=label,
        program_title=", ".join(titles) or None,
        lessons=seen,
        zone=zone,
        now=now,
    ):
        result.say(part)
    logger.info("event=lessons.viewed client_id=%s lessons=%s", client_id, len(seen))
    return result
