"""Compact callback data for lesson buttons (Telegram allows 1–64 bytes).

Every kind starts with "l" and carries the delivery id, which the handler checks
against the sender before reading or writing anything:

    lp:<delivery>:<page>             show a page (Next, Back)
    lo:<delivery>                    open again from /learn (a new message)
    ld:<delivery>                    done reading
    ls:<delivery>                    skip the reflection
    lq:<delivery>:<question>:<answer> answer a quiz question
    lk:<delivery>:<question>          skip a program's question asked after the lesson
"""

from __future__ import annotations

from dataclasses import astuple, dataclass
from enum import StrEnum

from bot.callbacks import (
    LessonDone,
    LessonOpen,
    LessonPage,
    LessonQuiz,
    LessonSkipQuestion,
    LessonSkipReflection,
)

PATTERN = r"^l[podsqk]:"  # what the flow's CallbackQueryHandler claims


class Action(StrEnum):
    PAGE = LessonPage.PREFIX
    OPEN = LessonOpen.PREFIX
    DONE = LessonDone.PREFIX
    SKIP_REFLECTION = LessonSkipReflection.PREFIX
    QUIZ = LessonQuiz.PREFIX
    SKIP_QUESTION = LessonSkipQuestion.PREFIX


_CODECS = (LessonPage, LessonOpen, LessonDone, LessonSkipReflection, LessonQuiz, LessonSkipQuestion)


@dataclass(frozen=True)
class LessonCallback:
    """Any lesson button, as the flow reads it: which action, on which delivery."""

    action: Action
    delivery_id: int
    args: tuple[int, ...] = ()

    def encode(self) -> str:
        codec = next(codec for codec in _CODECS if self.action.value == codec.PREFIX)
        return codec(self.delivery_id, *self.args).pack()


def page(delivery_id: int, number: int) -> str:
    return LessonPage(delivery_id, number).pack()


def open_again(delivery_id: int) -> str:
    return LessonOpen(delivery_id).pack()


def done(delivery_id: int) -> str:
    return LessonDone(delivery_id).pack()


def skip_reflection(delivery_id: int) -> str:
    return LessonSkipReflection(delivery_id).pack()


def quiz_answer(delivery_id: int, question: int, answer: int) -> str:
    return LessonQuiz(delivery_id, question, answer).pack()


def skip_question(delivery_id: int, question: int) -> str:
    return LessonSkipQuestion(delivery_id, question).pack()


def decode(data: str | None) -> LessonCallback | None:
    """The callback, or None for anything malformed (forged or from an older version)."""
    for codec in _CODECS:
        parsed = codec.parse(data)
        if parsed is not None:
            delivery_id, *args = astuple(parsed)
            return LessonCallback(Action(codec.PREFIX), delivery_id, tuple(args))
    return None
