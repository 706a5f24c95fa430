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

import re
from dataclasses import dataclass
from enum import StrEnum

PATTERN = r"^l[podsqk]:"  # what the flow's CallbackQueryHandler claims


class Action(StrEnum):
    PAGE = "lp"
    OPEN = "lo"
    DONE = "ld"
    SKIP_REFLECTION = "ls"
    QUIZ = "lq"
    SKIP_QUESTION = "lk"


_ARITY = {
    Action.PAGE: 1,
    Action.OPEN: 0,
    Action.DONE: 0,
    Action.SKIP_REFLECTION: 0,
    Action.QUIZ: 2,
    Action.SKIP_QUESTION: 1,
}
_NUMBER = re.compile(r"^[0-9]{1,12}$")


@dataclass(frozen=True)
class LessonCallback:
    action: Action
    delivery_id: int
    args: tuple[int, ...] = ()

    def encode(self) -> str:
        return ":".join([self.action.value, str(self.delivery_id), *map(str, self.args)])


def page(delivery_id: int, number: int) -> str:
    return LessonCallback(Action.PAGE, delivery_id, (number,)).encode()


def open_again(delivery_id: int) -> str:
    return LessonCallback(Action.OPEN, delivery_id).encode()


def done(delivery_id: int) -> str:
    return LessonCallback(Action.DONE, delivery_id).encode()


def skip_reflection(delivery_id: int) -> str:
    return LessonCallback(Action.SKIP_REFLECTION, delivery_id).encode()


def quiz_answer(delivery_id: int, question: int, answer: int) -> str:
    return LessonCallback(Action.QUIZ, delivery_id, (question, answer)).encode()


def skip_question(delivery_id: int, question: int) -> str:
    return LessonCallback(Action.SKIP_QUESTION, delivery_id, (question,)).encode()


def decode(data: str | None) -> LessonCallback | None:
    """The callback, or None for anything malformed (forged or from an older version)."""
    parts = (data or "").split(":")
    try:
        action = Action(parts[0])
    except ValueError:
        return None
    numbers = parts[1:]
    if len(numbers) != 1 + _ARITY[action] or not all(_NUMBER.match(n) for n in numbers):
        return None
    delivery_id, *args = (int(n) for n in numbers)
    return LessonCallback(action, delivery_id, tuple(args))
