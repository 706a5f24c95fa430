"""Reading a lesson: pages, Done, the reflection, the quiz, and /learn to read again.

A delivered lesson arrives as page 1 (sent by the delivery engine with what
``bot.lessons.progress.deliver_lesson`` returns). From there:

    Next / Back   -> the same message is edited to the other page
    Done          -> the reflection question (answer in a message, or Skip)
    answer / Skip -> the quiz, one question at a time, if the lesson has one
    last answer   -> the program's questions for this lesson, if any, one at a time
                     (answer in a message, or Skip)
    last one      -> a short "well done"
    /learn        -> every lesson delivered so far; tapping one sends it again

Every button names a delivery; a delivery that is not the sender's is refused
with the same answer as a stale button, and nothing is read or written.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update

from bot.content.lessons import Lesson
from bot.context import BotContext
from bot.db.models import LessonDelivery
from bot.errors import answer_press, harmless_ignored
from bot.flows import crisis, fallback
from bot.flows.keyboards import markup
from bot.lessons import callbacks, messages, progress
from bot.lessons.callbacks import Action, LessonCallback
from bot.lessons.messages import OutgoingMessage

logger = logging.getLogger(__name__)


async def send(context: BotContext, message: OutgoingMessage) -> None:
    await context.bot.send_message(
        message.chat_id, message.text, reply_markup=markup(message.buttons)
    )


@dataclass
class _Reply:
    """What to do in the chat once the transaction is committed (no network inside it)."""

    edit: OutgoingMessage | None = None  # edit the pressed message into this
    remove_buttons: bool = False
    send: list[OutgoingMessage] = field(default_factory=list)


async def on_button(update: Update, context: BotContext) -> None:
    """Any lesson button: check it belongs to the sender, then do what it says."""
    query = update.callback_query
    parsed = callbacks.decode(query.data)
    user = context.user_record
    reply = None
    if parsed is not None and user is not None:
        now = datetime.now(UTC)
        async with context.services.sessions() as session, session.begin():
            delivery = await progress.delivery_for(session, parsed.delivery_id, user.id)
            lesson = None
            if delivery is not None:
                lesson = context.services.content.lesson(delivery.lesson_id, context.t.locale)
            if delivery is not None and lesson is not None:
                step = _STEPS[parsed.action]
                reply = await step(_Press(context, session, delivery, lesson, parsed, now))
    if reply is None:
        await _refuse(update, context, parsed)
        return
    await answer_press(query)
    if reply.edit is not None:
        await _edit(update, reply.edit)
    elif reply.remove_buttons:
        await _remove_buttons(update)
    for message in reply.send:
        await send(context, message)


async def _refuse(update: Update, context: BotContext, parsed: LessonCallback | None) -> None:
    """Forged, foreign or outdated: the same kind answer as any stale button."""
    logger.info(
        "event=lesson.callback_refused user_id=%s delivery_id=%s",
        update.effective_user.id,
        parsed.delivery_id if parsed else None,
    )
    await fallback.stale_button(update, context)


@dataclass(frozen=True)
class _Press:
    """One pressed lesson button whose delivery belongs to the sender."""

    context: BotContext
    session: AsyncSession
    delivery: LessonDelivery
    lesson: Lesson
    callback: LessonCallback
    now: datetime

    @property
    def chat_id(self) -> int:
        return self.context.user_record.telegram_id

    def page(self, number: int) -> OutgoingMessage:
        return messages.lesson_page(
            self.context.services.content,
            self.context.t,
            chat_id=self.chat_id,
            delivery_id=self.delivery.id,
            lesson=self.lesson,
            page=number,
        )

    async def after_reflection(self) -> OutgoingMessage:
        return await progress.next_after_reflection(
            self.session,
            self.context.t,
            chat_id=self.chat_id,
            delivery=self.delivery,
            lesson=self.lesson,
            library=self.context.services.content,
            now=self.now,
        )


async def _show_page(press: _Press) -> _Reply:
    """Next / Back: the same message, edited to the requested page."""
    progress.mark_opened(press.delivery, press.now)
    return _Reply(edit=press.page(press.callback.args[0]))


async def _open_again(press: _Press) -> _Reply:
    """From /learn: the lesson again from its first page, as a new message."""
    progress.mark_opened(press.delivery, press.now)
    logger.info("event=lesson.reopened delivery_id=%s", press.delivery.id)
    return _Reply(send=[press.page(0)])


async def _done(press: _Press) -> _Reply:
    """Done: mark it finished, then offer the reflection (once, even on a double tap)."""
    delivery = press.delivery
    progress.mark_finished(delivery, press.now)
    logger.info("event=lesson.finished delivery_id=%s", delivery.id)
    if delivery.reflection_answered_at is not None:
        return _Reply(remove_buttons=True, send=[await press.after_reflection()])
    if not await progress.ask_reflection(press.session, delivery, press.now):
        return _Reply(remove_buttons=True)  # asked a moment ago: a double tap
    prompt = messages.reflection_prompt(
        press.context.t, chat_id=press.chat_id, delivery_id=delivery.id, lesson=press.lesson
    )
    return _Reply(remove_buttons=True, send=[prompt])


async def _skip_reflection(press: _Press) -> _Reply:
    """Skip: stop waiting for an answer and go on to the quiz, if any."""
    if not progress.skip_reflection(press.delivery):
        return _Reply(remove_buttons=True)  # already skipped or answered
    return _Reply(remove_buttons=True, send=[await press.after_reflection()])


async def _quiz_answer(press: _Press) -> _Reply:
    """A quiz answer: keep the first one, explain it in place, then the next question."""
    question, chosen = press.callback.args
    quiz = press.lesson.meta.quiz
    if question >= len(quiz) or chosen >= len(quiz[question].answers):
        return _Reply(remove_buttons=True)  # the quiz changed since this button was sent
    recorded = await progress.record_quiz_answer(
        press.session,
        press.delivery,
        question=question,
        answer=chosen,
        correct=quiz[question].answers[chosen].correct,
        now=press.now,
    )
    feedback = messages.quiz_feedback(
        press.context.t, lesson=press.lesson, index=question, chosen=chosen
    )
    reply = _Reply(edit=OutgoingMessage(press.chat_id, feedback))
    if recorded:
        reply.send.append(await press.after_reflection())
    return reply


async def _skip_question(press: _Press) -> _Reply:
    """Skip a program question: go on to the next one, or the closing message."""
    (question,) = press.callback.args
    if not await progress.skip_program_question(press.session, press.delivery, question, press.now):
        return _Reply(remove_buttons=True)  # already skipped or answered
    return _Reply(remove_buttons=True, send=[await press.after_reflection()])


_STEPS: dict[Action, Callable[[_Press], Awaitable[_Reply]]] = {
    Action.PAGE: _show_page,
    Action.OPEN: _open_again,
    Action.DONE: _done,
    Action.SKIP_REFLECTION: _skip_reflection,
    Action.QUIZ: _quiz_answer,
    Action.SKIP_QUESTION: _skip_question,
}


async def take_reflection(update: Update, context: BotContext) -> bool:
    """Free text: the answer to an awaited reflection question, if one is open."""
    user = context.user_record
    if user is None:
        return False
    message = update.effective_message
    now = datetime.now(UTC)
    async with context.services.sessions() as session, session.begin():
        if await progress.reflection_already_saved(session, user.id, message.message_id):
            return True  # Telegram delivered this update again: it is stored already
        delivery = await progress.awaiting_reflection(session, user.id, now)
        if delivery is None:
            return False
        progress.save_reflection(delivery, message.text or "", message.message_id, now)
    logger.info("event=lesson.reflection_saved delivery_id=%s", delivery.id)
    await _then_go_on(update, context, delivery.id, now)
    return True


async def take_program_answer(update: Update, context: BotContext) -> bool:
    """Free text: the answer to a program's question asked after a lesson, if one is open."""
    user = context.user_record
    if user is None:
        return False
    message = update.effective_message
    now = datetime.now(UTC)
    async with context.services.sessions() as session, session.begin():
        if await progress.program_answer_already_saved(session, user.id, message.message_id):
            return True  # Telegram delivered this update again: it is stored already
        waiting = await progress.awaiting_program_answer(session, user.id, now)
        if waiting is None:
            return False
        progress.save_program_answer(waiting, message.text or "", message.message_id, now)
    logger.info(
        "event=lesson.program_answer_saved delivery_id=%s question=%s",
        waiting.delivery_id,
        waiting.question,
    )
    await _then_go_on(update, context, waiting.delivery_id, now)
    return True


async def _then_go_on(update: Update, context: BotContext, delivery_id: int, now: datetime) -> None:
    """After a typed answer is stored (committed): the crisis check; unless it matched,
    thanks and what comes next. The next question is asked (its row written) only when
    it is really sent, so a crisis reply never leaves an unseen question waiting."""
    message = update.effective_message
    if (await crisis.screen(update, context, message.text)).matched:
        return  # stored, and the crisis resources were sent: nothing more is asked now
    async with context.services.sessions() as session, session.begin():
        delivery = await session.get(LessonDelivery, delivery_id)
        if delivery is None:  # erased meanwhile (/delete)
            return
        answered = await _after_answer(context, session, delivery, message.chat_id, now)
    for outgoing in answered:
        await send(context, outgoing)


async def _after_answer(
    context: BotContext,
    session: AsyncSession,
    delivery: LessonDelivery,
    chat_id: int,
    now: datetime,
) -> list[OutgoingMessage]:
    """Thanks for a typed answer, then what comes next (quiz, program question, the end)."""
    thanks = messages.reflection_saved(context.t, chat_id=chat_id)
    lesson = context.services.content.lesson(delivery.lesson_id, context.t.locale)
    if lesson is None:
        return [thanks]
    following = await progress.next_after_reflection(
        session,
        context.t,
        chat_id=chat_id,
        delivery=delivery,
        lesson=lesson,
        library=context.services.content,
        now=now,
    )
    return [thanks, following]


async def learn(update: Update, context: BotContext) -> None:
    """/learn: the lessons delivered so far, each a button that opens it again."""
    user = context.user_record
    items = []
    if user is not None:
        async with context.services.sessions() as session:
            items = await progress.delivered_lessons(
                session, context.services.content, context.t.locale, user.id
            )
    await send(
        context, messages.lesson_list(context.t, chat_id=update.effective_chat.id, items=items)
    )


async def _edit(update: Update, message: OutgoingMessage) -> None:
    """Edit the pressed message; an identical edit (a double tap) is not an error."""
    with harmless_ignored():
        await update.callback_query.edit_message_text(
            message.text, reply_markup=markup(message.buttons)
        )


async def _remove_buttons(update: Update) -> None:
    with harmless_ignored():
        await update.callback_query.edit_message_reply_markup(reply_markup=None)
