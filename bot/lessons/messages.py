"""What the client sees of a lesson: pages, the reflection question, the quiz, /learn.

Plain data (text in Telegram HTML plus button rows), no Telegram types, so the
delivery engine can queue a lesson message as JSON and the flow can send or
edit it. Lesson text comes from ``content/``; every other word from the catalogs.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.callbacks import LessonMore, More, ReviewAnswer, ReviewSkip
from bot.content.lessons import Lesson, ReviewQuestion
from bot.content.library import ContentLibrary
from bot.delivery.renderers import Button
from bot.i18n import Translator
from bot.lessons import callbacks


@dataclass(frozen=True)
class OutgoingMessage:
    """A message to send (or to edit into): Telegram HTML and inline button rows."""

    chat_id: int
    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()

    def reply_markup(self) -> dict[str, Any] | None:
        """The Bot API's ``reply_markup`` JSON (for an outbox row), None without buttons."""
        if not self.buttons:
            return None
        return {
            "inline_keyboard": [
                [{"text": b.text, "callback_data": b.callback_data} for b in row]
                for row in self.buttons
            ]
        }


@dataclass(frozen=True)
class LessonListItem:
    delivery_id: int
    title: str
    finished: bool


def try_this_heading(t: Translator) -> str:
    return t._("Try this")


def page_count(library: ContentLibrary, t: Translator, lesson: Lesson) -> int:
    return len(library.pages(lesson, try_this_heading(t)))


def lesson_page(
    library: ContentLibrary,
    t: Translator,
    *,
    chat_id: int,
    delivery_id: int,
    lesson: Lesson,
    page: int,
) -> OutgoingMessage:
    """Page ``page`` (from 0, clamped) with Back / Next, or Done on the last page."""
    _ = t._
    pages = library.pages(lesson, try_this_heading(t))
    page = min(max(page, 0), len(pages) - 1)
    where = _(
        "{minutes} min · page {page} of {pages}",
        minutes=lesson.meta.minutes,
        page=page + 1,
        pages=len(pages),
    )
    text = f"<b>{html.escape(lesson.meta.title)}</b>\n<i>{where}</i>\n\n{pages[page]}"
    row = []
    if page > 0:
        row.append(Button(_("« Back"), callbacks.page(delivery_id, page - 1)))
    if page < len(pages) - 1:
        row.append(Button(_("Next »"), callbacks.page(delivery_id, page + 1)))
    else:
        row.append(Button(_("Done ✓"), callbacks.done(delivery_id)))
    return OutgoingMessage(chat_id, text, (tuple(row),))


def reflection_prompt(
    t: Translator, *, chat_id: int, delivery_id: int, lesson: Lesson
) -> OutgoingMessage:
    _ = t._
    text = "\n\n".join(
        (
            _("<b>Something to think about</b>"),
            html.escape(lesson.meta.reflection),
            _(
                "If you like, write your answer in a message. Your practitioner, and anyone "
                "you agreed to add to your care team, can read it; nobody reads it in real "
                "time. Or skip it: that is fine too."
            ),
        )
    )
    return OutgoingMessage(
        chat_id, text, ((Button(_("Skip"), callbacks.skip_reflection(delivery_id)),),)
    )


def reflection_saved(t: Translator, *, chat_id: int) -> OutgoingMessage:
    return OutgoingMessage(chat_id, t._("Thank you. I've saved your answer."))


def quiz_question(
    t: Translator, *, chat_id: int, delivery_id: int, lesson: Lesson, index: int
) -> OutgoingMessage:
    _ = t._
    question = lesson.meta.quiz[index]
    heading = _(
        "<b>A quick question</b> ({number} of {total})",
        number=index + 1,
        total=len(lesson.meta.quiz),
    )
    rows = tuple(
        (Button(answer.text, callbacks.quiz_answer(delivery_id, index, number)),)
        for number, answer in enumerate(question.answers)
    )
    return OutgoingMessage(chat_id, f"{heading}\n\n{html.escape(question.question)}", rows)


def program_question(
    t: Translator, *, chat_id: int, delivery_id: int, index: int, total: int, question: str
) -> OutgoingMessage:
    """One of the program's questions after a lesson: answer in a message, or skip."""
    _ = t._
    heading = _(
        "<b>A question from your program</b> ({number} of {total})",
        number=index + 1,
        total=total,
    )
    hint = _(
        "Write your answer in a message if you like; your practitioner, and anyone you "
        "agreed to add to your care team, can read it. Or skip it: that is fine too."
    )
    text = f"{heading}\n\n{html.escape(question)}\n\n{hint}"
    return OutgoingMessage(
        chat_id, text, ((Button(_("Skip"), callbacks.skip_question(delivery_id, index)),),)
    )


def quiz_feedback(t: Translator, *, lesson: Lesson, index: int, chosen: int) -> str:
    """The question again, with the chosen answer and its explanation (edited in place)."""
    _ = t._
    question = lesson.meta.quiz[index]
    answer = question.answers[chosen]
    verdict = _("That's right.") if answer.correct else _("Not quite.")
    return "\n\n".join(
        (
            html.escape(question.question),
            _("Your answer: {answer}", answer=f"<b>{html.escape(answer.text)}</b>"),
            f"{verdict} {html.escape(answer.explanation)}",
        )
    )


def lesson_finished(t: Translator, *, chat_id: int, lesson: Lesson) -> OutgoingMessage:
    return OutgoingMessage(
        chat_id,
        t._(
            "Well done: you finished “{title}”. /learn shows all your lessons, "
            "whenever you want to read one again.",
            title=html.escape(lesson.meta.title),
        ),
    )


def lesson_list(
    t: Translator, *, chat_id: int, items: Sequence[LessonListItem], more_for: int | None = None
) -> OutgoingMessage:
    """/learn (and a client's /lessons): every lesson so far; with ``more_for`` (the
    client's user id), a button for the next one now."""
    _ = t._
    extra: tuple[tuple[Button, ...], ...] = ()
    if more_for is not None:
        extra = ((Button(_("Another lesson now"), LessonMore(More.EXTRA, more_for).pack()),),)
    if not items:
        return OutgoingMessage(
            chat_id,
            _(
                "You have no lessons yet. They arrive here on the schedule you agreed "
                "with your practitioner."
            ),
            extra,
        )
    rows = tuple(
        (
            Button(
                ("✓ " if item.finished else "") + item.title, callbacks.open_again(item.delivery_id)
            ),
        )
        for item in items
    )
    return OutgoingMessage(
        chat_id, _("<b>Your lessons</b>\nTap one to read it again."), rows + extra
    )


def held_notice(t: Translator, user_id: int) -> tuple[str, tuple[tuple[Button, ...], ...]]:
    """The one line sent when two lessons wait unopened: the next waits for the client."""
    text = t._(
        "Your last two lessons are still waiting for you, so I'll hold the next one. "
        "No rush: whenever you like, tap below and it comes."
    )
    return text, ((Button(t._("Send the next lesson"), LessonMore(More.RESUME, user_id).pack()),),)


def extra_used_up(t: Translator, *, chat_id: int) -> OutgoingMessage:
    return OutgoingMessage(
        chat_id,
        t._(
            "You've had your extra lesson today, and that's great. "
            "You can ask for another one tomorrow, and the next one comes on its own."
        ),
    )


def no_more_lessons(t: Translator, *, chat_id: int) -> OutgoingMessage:
    return OutgoingMessage(
        chat_id,
        t._(
            "There is no next lesson for you right now. /learn has the ones you've had, "
            "to read again."
        ),
    )


def review_question(
    t: Translator, *, review_id: int, lesson: Lesson, review: ReviewQuestion
) -> tuple[str, tuple[tuple[Button, ...], ...]]:
    """A week after a lesson: its main idea as one short question (answers, or Skip)."""
    text = t._(
        "A quick look back at <b>{lesson}</b>:\n{question}",
        lesson=html.escape(lesson.meta.title),
        question=html.escape(review.question),
    )
    rows = tuple(
        (Button(answer.text, ReviewAnswer(review_id, index).pack()),)
        for index, answer in enumerate(review.answers)
    )
    closing = t._("Skip") if review.answers else t._("I thought about it")
    return text, (*rows, (Button(closing, ReviewSkip(review_id).pack()),))


def review_feedback(t: Translator, *, review: ReviewQuestion, chosen: int) -> str:
    """The question again, with the chosen answer and its explanation (edited in place)."""
    _ = t._
    answer = review.answers[chosen]
    verdict = _("That's right.") if answer.correct else _("Not quite.")
    return "\n\n".join(
        (
            html.escape(review.question),
            _("Your answer: {answer}", answer=f"<b>{html.escape(answer.text)}</b>"),
            f"{verdict} {html.escape(answer.explanation)}",
        )
    )
