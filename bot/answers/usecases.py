"""Taking a typed answer to the open question exactly as its button would be taken.

Plain values in (the client's id, the Telegram message id, the text, ``now``), a
:class:`Taken` out that says what happened; the flow renders it. The answer goes
through the same use case the button calls (``bot.checkins.answers.answer``,
``bot.measures.administrations.answer``), so what is stored, and how a second press
behaves, is the same. A message is taken once: its id is written to
``typed_answers`` in the same transaction, so the same update delivered again is
recognised instead of answering the question that came after. The crisis check is
the caller's, and comes first. Never commits; no ``telegram`` import.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from bot.answers.open_question import (
    CONFIRM,
    CheckinQuestion,
    MeasureQuestion,
    OpenQuestion,
    find_open_question,
)
from bot.checkins import answers as checkin_answers
from bot.db.dialect_insert import insert_for
from bot.db.models import ConversationStep, TypedAnswer
from bot.domain.typed_answers import normalize, parse_number, parse_yes_no
from bot.measures import administrations
from bot.measures.callbacks import Action, MeasureCallback
from bot.measures.model import Item, ItemKind, Measure
from bot.settings import SUPPORTED_LOCALES

# How long a typed message's id is kept: a redelivered update comes within minutes.
KEEP_TYPED = timedelta(days=1)


class Kind(StrEnum):
    NONE = "none"  # no question with buttons is open: the text is something else
    AGAIN = "again"  # this message was taken already (delivered twice): do nothing
    UNFIT = "unfit"  # a question is open and the text is no answer to it
    CHECKIN = "checkin"  # taken by the check-in: ``checkin``
    MEASURE = "measure"  # taken by the questionnaire: ``measure``
    CONFIRMED = "confirmed"  # the /delete or /stop question answered: ``yes``


@dataclass(frozen=True)
class Taken:
    kind: Kind
    question: OpenQuestion | None = None
    checkin: checkin_answers.Outcome | None = None
    measure: administrations.Answered | None = None
    yes: bool = False


async def ask_confirmation(session: AsyncSession, user_id: int, what: str) -> None:
    """/delete or /stop asked its yes/no question (``what``: DELETE or STOP in
    ``bot.answers.open_question``): remember it, so a typed "yes" or "no" answers it.

    Onboarding's open question is kept (it resumes after a restart); the buttons
    still work then. Does not commit."""
    row = await session.get(ConversationStep, user_id)
    if row is None:
        session.add(ConversationStep(user_id=user_id, flow=CONFIRM, step=what))
    elif row.flow != "onboarding":
        row.flow, row.step = CONFIRM, what


async def close_confirmation(session: AsyncSession, user_id: int) -> None:
    """The yes/no question was answered (button or typed): nothing waits any more."""
    await session.execute(
        delete(ConversationStep)
        .where(
            ConversationStep.user_id == user_id,
            ConversationStep.flow == CONFIRM,
        )
        .execution_options(synchronize_session=False)
    )


async def take_typed(
    session: AsyncSession,
    *,
    user_id: int,
    message_id: int,
    text: str,
    now: datetime,
    rules: checkin_answers.Rules,
    measures: Mapping[str, Measure],
) -> Taken:
    """``text`` typed by ``user_id``: the answer to their open question, if it fits."""
    question = await find_open_question(session, user_id, now)
    if question is None:
        return Taken(Kind.NONE)
    if isinstance(question, CheckinQuestion):
        press = _checkin_press(question, text)
        if press is None:
            return Taken(Kind.UNFIT, question)
        if not await _first_time(session, user_id, message_id, question.key, now):
            return Taken(Kind.AGAIN, question)
        outcome = await checkin_answers.answer(
            session, user_id=user_id, press=press, now=now, rules=rules
        )
        return Taken(Kind.CHECKIN, question, checkin=outcome)
    if isinstance(question, MeasureQuestion):
        measure = measures.get(question.measure_id)
        value = measure_value(measure, question.item_index, text) if measure else None
        if value is None:
            return Taken(Kind.UNFIT, question)
        if not await _first_time(session, user_id, message_id, question.key, now):
            return Taken(Kind.AGAIN, question)
        tap = MeasureCallback(question.administration_id, question.item_index, Action.ANSWER, value)
        answered = await administrations.answer(
            session, dict(measures), tap, user_id=user_id, now=now
        )
        return Taken(Kind.MEASURE, question, measure=answered)
    yes = parse_yes_no(text)
    if yes is None:
        return Taken(Kind.UNFIT, question)
    if not await _first_time(session, user_id, message_id, question.key, now):
        return Taken(Kind.AGAIN, question)
    await close_confirmation(session, user_id)
    return Taken(Kind.CONFIRMED, question, yes=yes)


def _checkin_press(question: CheckinQuestion, text: str) -> checkin_answers.Press | None:
    if question.kind == "goal":
        value = parse_number(text, highest=10)
        if value is None:
            return None
        return checkin_answers.Press(question.day, checkin_answers.Op.RATE, question.ident, value)
    done = parse_yes_no(text, done_words=True)
    if done is None:
        return None
    return checkin_answers.Press(
        question.day, checkin_answers.Op.STRATEGY, question.ident, int(done)
    )


def measure_value(measure: Measure, index: int, text: str) -> int | None:
    """The option of a scale item the text names: its label (in any language), or the
    number a button shows where the buttons are numbers. A choice item takes buttons."""
    if index >= len(measure.items):
        return None
    item: Item = measure.items[index]
    if item.kind is ItemKind.CHOICE:
        return None
    options = measure.option_sets[item.options]
    said = normalize(text)
    for option in options:
        label = option.label
        if label is not None and said in {normalize(label.get(lang)) for lang in SUPPORTED_LOCALES}:
            return option.value
    if any(option.label is not None for option in options):
        return None
    values = {option.value for option in options}
    number = parse_number(text, highest=max(values))
    return number if number in values else None


async def _first_time(
    session: AsyncSession, user_id: int, message_id: int, key: str, now: datetime
) -> bool:
    """Write down that this message was taken; False if it was already (redelivered)."""
    await session.execute(
        delete(TypedAnswer)
        .where(TypedAnswer.user_id == user_id, TypedAnswer.answered_at < now - KEEP_TYPED)
        .execution_options(synchronize_session=False)
    )
    inserted = await session.execute(
        insert_for(session, TypedAnswer.__table__)
        .values(user_id=user_id, message_id=message_id, question=key, answered_at=now)
        .on_conflict_do_nothing(index_elements=["user_id", "message_id"])
        .returning(TypedAnswer.__table__.c.message_id)
    )
    return inserted.first() is not None


__all__ = ["Kind", "Taken", "ask_confirmation", "close_confirmation", "take_typed"]
