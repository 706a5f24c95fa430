"""The client's side of the lesson stream: /lessons (their lessons, and "Another lesson
now", one extra a day), the button of the one line sent when unopened lessons hold the
stream ("Send the next lesson"), and the spaced-review question's buttons.

Every button carries no id of someone else: ``lm:`` acts on the sender's own stream,
and a review's id is checked against the sender before anything is read or written.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy import or_, update
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update

from bot.callbacks import LessonMore, More, ReviewAnswer, ReviewSkip
from bot.context import BotContext
from bot.db.models import ProgramEnrollment, Role, User, UserStatus
from bot.db.rows import rowcount
from bot.domain.schedule import local_date
from bot.errors import answer_press, harmless_ignored
from bot.flows import fallback
from bot.flows.lessons import send
from bot.flows.practitioner_commands import not_for_you
from bot.lessons import messages, progress, reviews, schedule
from bot.lessons.messages import OutgoingMessage

logger = logging.getLogger(__name__)

MORE_PATTERN = r"^lm:"
REVIEW_PATTERN = r"^r[vk]:"


def _active_client(user: User | None) -> bool:
    return user is not None and user.role is Role.CLIENT and user.status is UserStatus.ACTIVE


async def client_lessons(update: Update, context: BotContext) -> None:
    """/lessons for a client: their lessons (as /learn) and "Another lesson now"."""
    user = context.user_record
    if not _active_client(user):
        await not_for_you(update, context)
        return
    assert user is not None
    content = context.services.content
    async with context.services.sessions() as session:
        items = await progress.delivered_lessons(session, content, context.t.locale, user.id)
        more = await schedule.next_for(session, content, user.id) is not None
    listing = messages.lesson_list(
        context.t,
        chat_id=update.effective_chat.id,
        items=items,
        more_for=user.id if more else None,
    )
    await send(context, listing)


async def more_button(update: Update, context: BotContext) -> None:
    """ "Another lesson now" (one a day) or "Send the next lesson" (after a hold)."""
    query = update.callback_query
    parsed = LessonMore.parse(query.data)
    user = context.user_record
    if parsed is None or user is None or parsed.user_id != user.id or not _active_client(user):
        await fallback.stale_button(update, context)
        return
    assert user is not None
    now = datetime.now(UTC)
    async with context.services.sessions() as session, session.begin():
        reply = await _next_now(context, session, user, parsed.why, now)
    if reply is None:  # a second press of "Send the next lesson": it came already
        await fallback.stale_button(update, context)
        return
    await answer_press(query)
    if parsed.why is More.RESUME:
        with harmless_ignored():
            await query.edit_message_reply_markup(reply_markup=None)
    await send(context, reply)


async def _next_now(
    context: BotContext, session: AsyncSession, user: User, why: More, now: datetime
) -> OutgoingMessage | None:
    services = context.services
    chat_id = user.telegram_id
    today = local_date(now, user.timezone, services.settings.default_timezone)
    if why is More.RESUME:
        claimed = await session.execute(
            update(ProgramEnrollment)
            .where(
                ProgramEnrollment.user_id == user.id,
                ProgramEnrollment.hold_noticed_at.is_not(None),
            )
            .values(hold_noticed_at=None)
            .execution_options(synchronize_session=False)
        )
        if rowcount(claimed) != 1:
            return None
    upcoming = await schedule.next_for(session, services.content, user.id)
    if upcoming is None:
        return messages.no_more_lessons(context.t, chat_id=chat_id)
    if why is More.EXTRA:
        claimed = await session.execute(
            update(ProgramEnrollment)
            .where(
                ProgramEnrollment.user_id == user.id,
                or_(ProgramEnrollment.extra_on.is_(None), ProgramEnrollment.extra_on != today),
            )
            .values(extra_on=today)
            .execution_options(synchronize_session=False)
        )
        if rowcount(claimed) != 1:
            logger.info("event=lesson.extra_used_up user_id=%s", user.id)
            return messages.extra_used_up(context.t, chat_id=chat_id)
    program_id, lesson_id = upcoming
    delivered = await progress.deliver_lesson(
        session,
        services.content,
        services.catalogs,
        user_id=user.id,
        lesson_id=lesson_id,
        now=now,
        program_id=program_id,
    )
    if delivered is None:
        return None
    logger.info("event=lesson.sent_on_request user_id=%s why=%s", user.id, why.value)
    return delivered.message


async def review_button(update: Update, context: BotContext) -> None:
    """A spaced-review answer (kept and explained in place), or Skip."""
    query = update.callback_query
    answered = ReviewAnswer.parse(query.data)
    skipped = ReviewSkip.parse(query.data)
    review_id = answered.review_id if answered else skipped.review_id if skipped else None
    user = context.user_record
    if review_id is None or user is None:
        await fallback.stale_button(update, context)
        return
    now = datetime.now(UTC)
    feedback = None
    async with context.services.sessions() as session, session.begin():
        found = await reviews.review_for(session, review_id, user.id)
        lesson = None
        if found is not None:
            lesson = context.services.content.lesson(found[1], context.t.locale)
        if found is None or lesson is None or lesson.meta.review is None:
            refused = True
        else:
            refused = False
            review, question = found[0], lesson.meta.review
            if answered is not None:
                if answered.answer < len(question.answers):
                    chosen = question.answers[answered.answer]
                    if reviews.record_answer(
                        review, answer=answered.answer, correct=chosen.correct, now=now
                    ):
                        feedback = messages.review_feedback(
                            context.t, review=question, chosen=answered.answer
                        )
            else:
                reviews.record_skip(review, thought_over=not question.answers, now=now)
    if refused:
        await fallback.stale_button(update, context)
        return
    await answer_press(query)
    logger.info("event=lesson.review_answered review_id=%s", review_id)
    with harmless_ignored():
        if feedback is not None:
            await query.edit_message_text(feedback)
        else:
            await query.edit_message_reply_markup(reply_markup=None)
