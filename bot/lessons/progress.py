"""Lesson use cases: deliver, read, finish, reflect, answer the quiz, list.

Each takes plain values and a session, and never commits: the caller (a
handler, or the delivery engine) owns the transaction. Every write is safe to
repeat, because Telegram redelivers updates and people double-tap.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.lessons import Lesson
from bot.content.library import ContentLibrary
from bot.db.models import (
    LessonDelivery,
    LessonQuizAnswer,
    LessonReview,
    ProgramAnswer,
    Role,
    User,
    UserStatus,
)
from bot.db.rows import rowcount
from bot.i18n import Catalogs, Translator
from bot.lessons import messages
from bot.lessons.messages import LessonListItem, OutgoingMessage

# A reflection question waits this long for a typed answer; later text is not taken as one.
REFLECTION_WINDOW = timedelta(hours=24)
# The same for a program's question asked after a lesson.
QUESTION_WINDOW = timedelta(hours=24)
# Two presses of Done within this time ask the reflection question once.
DOUBLE_TAP = timedelta(seconds=30)
LEARN_LIST_LIMIT = 30


class UnknownLesson(LookupError):
    """No lesson with this id exists in the content (in any language)."""


@dataclass(frozen=True)
class DeliveredLesson:
    delivery_id: int
    created: bool  # False: it had been delivered before (the row and progress were kept)
    locale: str
    message: OutgoingMessage  # page 1 with its buttons; send it to the client


async def deliver_lesson(
    session: AsyncSession,
    library: ContentLibrary,
    catalogs: Catalogs,
    *,
    user_id: int,
    lesson_id: str,
    now: datetime,
    program_id: str | None = None,
) -> DeliveredLesson | None:
    """Record that ``lesson_id`` is delivered to the client ``user_id`` and return its first
    page to send. None when the user is not an active client (nothing is written).

    Idempotent: one delivery row per client and lesson, so calling it again (a retried
    outbox row, a practitioner sending the lesson again) returns the same delivery.
    """
    user = await session.get(User, user_id)
    if user is None or user.role is not Role.CLIENT or user.status is not UserStatus.ACTIVE:
        return None
    locale = catalogs.resolve(user.locale, None)
    lesson = library.lesson(lesson_id, locale)
    if lesson is None:
        raise UnknownLesson(lesson_id)
    delivery, created = await _delivery_row(session, user_id, lesson_id, program_id, now)
    t = catalogs.translator(locale)
    message = messages.lesson_page(
        library, t, chat_id=user.telegram_id, delivery_id=delivery.id, lesson=lesson, page=0
    )
    return DeliveredLesson(delivery.id, created, locale, message)


async def _delivery_row(
    session: AsyncSession, user_id: int, lesson_id: str, program_id: str | None, now: datetime
) -> tuple[LessonDelivery, bool]:
    existing = await _find(session, user_id, lesson_id)
    if existing is not None:
        return existing, False
    delivery = LessonDelivery(
        user_id=user_id, lesson_id=lesson_id, program_id=program_id, delivered_at=now
    )
    try:
        async with session.begin_nested():
            session.add(delivery)
    except IntegrityError:  # delivered concurrently by another instance: use theirs
        found = await _find(session, user_id, lesson_id)
        assert found is not None
        return found, False
    return delivery, True


async def _find(session: AsyncSession, user_id: int, lesson_id: str) -> LessonDelivery | None:
    return await session.scalar(
        select(LessonDelivery).where(
            LessonDelivery.user_id == user_id, LessonDelivery.lesson_id == lesson_id
        )
    )


async def delivery_for(
    session: AsyncSession, delivery_id: int, user_id: int
) -> LessonDelivery | None:
    """The delivery, only if it belongs to ``user_id``: a forged id finds nothing."""
    return await session.scalar(
        select(LessonDelivery).where(
            LessonDelivery.id == delivery_id, LessonDelivery.user_id == user_id
        )
    )


def mark_opened(delivery: LessonDelivery, now: datetime) -> None:
    if delivery.opened_at is None:
        delivery.opened_at = now


def mark_finished(delivery: LessonDelivery, now: datetime) -> None:
    mark_opened(delivery, now)
    if delivery.finished_at is None:
        delivery.finished_at = now


async def ask_reflection(session: AsyncSession, delivery: LessonDelivery, now: datetime) -> bool:
    """Claim the right to ask the reflection question now; False when it was just asked
    (a double tap) or has been answered. A conditional UPDATE, so two instances agree."""
    result = await session.execute(
        update(LessonDelivery)
        .where(
            LessonDelivery.id == delivery.id,
            LessonDelivery.reflection_answered_at.is_(None),
            or_(
                LessonDelivery.reflection_asked_at.is_(None),
                LessonDelivery.reflection_asked_at < now - DOUBLE_TAP,
            ),
        )
        .values(reflection_asked_at=now)
        .execution_options(synchronize_session=False)
    )
    claimed = rowcount(result) == 1
    if claimed:
        delivery.reflection_asked_at = now
    return claimed


async def awaiting_reflection(
    session: AsyncSession, user_id: int, now: datetime
) -> LessonDelivery | None:
    """The delivery whose reflection question is waiting for this client's answer, if any."""
    return await session.scalar(
        select(LessonDelivery)
        .where(
            LessonDelivery.user_id == user_id,
            LessonDelivery.reflection_answered_at.is_(None),
            LessonDelivery.reflection_asked_at > now - REFLECTION_WINDOW,
        )
        .order_by(LessonDelivery.reflection_asked_at.desc())
        .limit(1)
    )


async def reflection_already_saved(session: AsyncSession, user_id: int, message_id: int) -> bool:
    """Whether this Telegram message was already stored as a reflection (a redelivery)."""
    found = await session.scalar(
        select(LessonDelivery.id).where(
            and_(
                LessonDelivery.user_id == user_id,
                LessonDelivery.reflection_message_id == message_id,
            )
        )
    )
    return found is not None


def save_reflection(delivery: LessonDelivery, text: str, message_id: int, now: datetime) -> None:
    delivery.reflection_text = text
    delivery.reflection_answered_at = now
    delivery.reflection_message_id = message_id
    delivery.reflection_asked_at = None


def skip_reflection(delivery: LessonDelivery) -> bool:
    """Stop waiting for an answer; False when nothing was waiting (a repeated press)."""
    waiting = delivery.reflection_asked_at is not None
    delivery.reflection_asked_at = None
    return waiting


async def record_quiz_answer(
    session: AsyncSession,
    delivery: LessonDelivery,
    *,
    question: int,
    answer: int,
    correct: bool,
    now: datetime,
) -> bool:
    """Store the client's answer; False when this question was answered before (the
    first answer counts, so a double tap or a later change of mind stores nothing)."""
    existing = await session.scalar(
        select(LessonQuizAnswer.id).where(
            LessonQuizAnswer.delivery_id == delivery.id, LessonQuizAnswer.question == question
        )
    )
    if existing is not None:
        return False
    row = LessonQuizAnswer(
        delivery_id=delivery.id, question=question, answer=answer, correct=correct, answered_at=now
    )
    try:
        async with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return False
    return True


async def answered_questions(session: AsyncSession, delivery_id: int) -> set[int]:
    rows = await session.scalars(
        select(LessonQuizAnswer.question).where(LessonQuizAnswer.delivery_id == delivery_id)
    )
    return set(rows)


async def next_after_reflection(
    session: AsyncSession,
    t: Translator,
    *,
    chat_id: int,
    delivery: LessonDelivery,
    lesson: Lesson,
    library: ContentLibrary,
    now: datetime,
) -> OutgoingMessage:
    """The first unanswered quiz question, else the program's next question for this
    lesson (asked now: its row is written), else the closing message."""
    answered = await answered_questions(session, delivery.id)
    for index in range(len(lesson.meta.quiz)):
        if index not in answered:
            return messages.quiz_question(
                t, chat_id=chat_id, delivery_id=delivery.id, lesson=lesson, index=index
            )
    questions = program_questions(library, delivery, t.locale)
    if questions:
        asked = await ask_next_program_question(session, delivery, len(questions), now)
        if asked is not None:
            return messages.program_question(
                t,
                chat_id=chat_id,
                delivery_id=delivery.id,
                index=asked,
                total=len(questions),
                question=questions[asked],
            )
    return messages.lesson_finished(t, chat_id=chat_id, lesson=lesson)


def program_questions(library: ContentLibrary, delivery: LessonDelivery, locale: str) -> list[str]:
    """The questions the delivery's program asks after this lesson, in ``locale`` (English
    when a translation is missing); none for a lesson sent on its own."""
    program = library.program(delivery.program_id) if delivery.program_id else None
    if program is None:
        return []
    for step in program.lessons:
        if step.lesson == delivery.lesson_id:
            return [question.get(locale) or question["en"] for question in step.questions]
    return []


async def ask_next_program_question(
    session: AsyncSession, delivery: LessonDelivery, count: int, now: datetime
) -> int | None:
    """The first of ``count`` questions neither answered nor skipped, marked as asked now;
    None when every one is done. Safe to repeat: asking again only renews the wait."""
    rows = {
        row.question: row
        for row in await session.scalars(
            select(ProgramAnswer).where(ProgramAnswer.delivery_id == delivery.id)
        )
    }
    for index in range(count):
        row = rows.get(index)
        if row is None:
            asked = ProgramAnswer(delivery_id=delivery.id, question=index, asked_at=now)
            try:
                async with session.begin_nested():
                    session.add(asked)
            except IntegrityError:  # asked concurrently by another instance: fine
                pass
            return index
        if row.answered_at is None and row.skipped_at is None:
            row.asked_at = now
            return index
    return None


async def awaiting_program_answer(
    session: AsyncSession, user_id: int, now: datetime
) -> ProgramAnswer | None:
    """The program question waiting for this client's typed answer, if any."""
    return await session.scalar(
        select(ProgramAnswer)
        .join(LessonDelivery, LessonDelivery.id == ProgramAnswer.delivery_id)
        .where(
            LessonDelivery.user_id == user_id,
            ProgramAnswer.answered_at.is_(None),
            ProgramAnswer.skipped_at.is_(None),
            ProgramAnswer.asked_at > now - QUESTION_WINDOW,
        )
        .order_by(ProgramAnswer.asked_at.desc(), ProgramAnswer.id.desc())
        .limit(1)
    )


async def program_answer_already_saved(
    session: AsyncSession, user_id: int, message_id: int
) -> bool:
    """Whether this Telegram message was already stored as a program answer (a redelivery)."""
    found = await session.scalar(
        select(ProgramAnswer.id)
        .join(LessonDelivery, LessonDelivery.id == ProgramAnswer.delivery_id)
        .where(LessonDelivery.user_id == user_id, ProgramAnswer.message_id == message_id)
    )
    return found is not None


def save_program_answer(row: ProgramAnswer, text: str, message_id: int, now: datetime) -> None:
    row.answer_text = text
    row.answered_at = now
    row.message_id = message_id


async def skip_program_question(
    session: AsyncSession, delivery: LessonDelivery, question: int, now: datetime
) -> bool:
    """Stop waiting for this question's answer; False when it was not waiting (a repeated
    press, or already answered)."""
    row = await session.scalar(
        select(ProgramAnswer).where(
            ProgramAnswer.delivery_id == delivery.id,
            ProgramAnswer.question == question,
            ProgramAnswer.answered_at.is_(None),
            ProgramAnswer.skipped_at.is_(None),
        )
    )
    if row is None:
        return False
    row.skipped_at = now
    return True


async def delivered_lessons(
    session: AsyncSession, library: ContentLibrary, locale: str, user_id: int
) -> list[LessonListItem]:
    """The client's lessons, newest first (bounded: a keyboard holds at most 100 buttons)."""
    rows = await session.scalars(
        select(LessonDelivery)
        .where(LessonDelivery.user_id == user_id)
        .order_by(LessonDelivery.delivered_at.desc(), LessonDelivery.id.desc())
        .limit(LEARN_LIST_LIMIT)
    )
    items = []
    for delivery in rows:
        lesson = library.lesson(delivery.lesson_id, locale)
        if lesson is None:  # removed from the content since: nothing to show
            continue
        items.append(
            LessonListItem(delivery.id, lesson.meta.title, delivery.finished_at is not None)
        )
    return items


@dataclass(frozen=True)
class QuizResult:
    question: int
    answer: int
    correct: bool


@dataclass(frozen=True)
class LessonProgress:
    """One delivered lesson as a practitioner's view shows it (plain data)."""

    delivery_id: int
    lesson_id: str
    title: str
    program_id: str | None
    delivered_at: datetime
    opened_at: datetime | None
    finished_at: datetime | None
    reflection: str | None  # the client's own words: show escaped, record the read
    reflection_answered_at: datetime | None
    quiz: tuple[QuizResult, ...]
    answers: tuple[ProgramAnswerView, ...] = ()  # the program's questions the client answered
    # The look-back question a week later: None when not asked; "right", "wrong",
    # "done" (a question without answers), "skipped" or "waiting".
    review: str | None = None


@dataclass(frozen=True)
class ProgramAnswerView:
    question: str
    text: str  # the client's own words: show escaped
    answered_at: datetime


async def client_progress(
    session: AsyncSession, library: ContentLibrary, locale: str, user_id: int
) -> list[LessonProgress]:
    """Every lesson delivered to the client, oldest first, with what they did with it.

    For the practitioner's view (issue 3 decides who may call it, and records the read).
    Four queries, whatever the number of lessons.
    """
    deliveries = (
        await session.scalars(
            select(LessonDelivery)
            .where(LessonDelivery.user_id == user_id)
            .order_by(LessonDelivery.delivered_at, LessonDelivery.id)
        )
    ).all()
    answers: dict[int, list[QuizResult]] = {d.id: [] for d in deliveries}
    if deliveries:
        rows = await session.scalars(
            select(LessonQuizAnswer)
            .where(LessonQuizAnswer.delivery_id.in_(answers))
            .order_by(LessonQuizAnswer.question)
        )
        for row in rows:
            answers[row.delivery_id].append(QuizResult(row.question, row.answer, row.correct))
    typed: dict[int, list[ProgramAnswer]] = {d.id: [] for d in deliveries}
    if deliveries:
        program_rows = await session.scalars(
            select(ProgramAnswer)
            .where(ProgramAnswer.delivery_id.in_(typed), ProgramAnswer.answered_at.is_not(None))
            .order_by(ProgramAnswer.question)
        )
        for program_row in program_rows:
            typed[program_row.delivery_id].append(program_row)
    looked_back: dict[int, str] = {}
    if deliveries:
        for review in await session.scalars(
            select(LessonReview).where(LessonReview.delivery_id.in_(typed))
        ):
            looked_back[review.delivery_id] = _review_state(review)
    result = []
    for delivery in deliveries:
        lesson = library.lesson(delivery.lesson_id, locale)
        result.append(
            LessonProgress(
                delivery_id=delivery.id,
                lesson_id=delivery.lesson_id,
                title=lesson.meta.title if lesson else delivery.lesson_id,
                program_id=delivery.program_id,
                delivered_at=delivery.delivered_at,
                opened_at=delivery.opened_at,
                finished_at=delivery.finished_at,
                reflection=delivery.reflection_text,
                reflection_answered_at=delivery.reflection_answered_at,
                quiz=tuple(answers[delivery.id]),
                answers=_answer_views(library, delivery, locale, typed[delivery.id]),
                review=looked_back.get(delivery.id),
            )
        )
    return result


def _review_state(review: LessonReview) -> str:
    if review.skipped_at is not None:
        return "skipped"
    if review.answered_at is None:
        return "waiting"
    if review.correct is None:
        return "done"
    return "right" if review.correct else "wrong"


def _answer_views(
    library: ContentLibrary, delivery: LessonDelivery, locale: str, rows: list[ProgramAnswer]
) -> tuple[ProgramAnswerView, ...]:
    questions = program_questions(library, delivery, locale)
    return tuple(
        ProgramAnswerView(
            # A question removed from the program since: its answer is still shown.
            questions[row.question] if row.question < len(questions) else "…",
            row.answer_text or "",
            row.answered_at,  # type: ignore[arg-type]  # filtered on answered_at
        )
        for row in rows
    )
