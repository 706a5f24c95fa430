"""The guided SMART conversation over a DRAFT goal: which question is open, what an
answer does, and when the draft becomes a goal.

The open question lives in ``Goal.draft_step`` (so a restart resumes it), as
``<step>`` or ``<step>:<message id>``: the id of the last message taken as an
answer, so a message Telegram delivers again is recognised and not stored twice
(message ids only grow within a chat). Steps, in order:

    what  -> low -> high -> conf -> (below 7: offer -> small -> conf) -> why -> when

``offer`` waits for "make it smaller" or "keep it"; ``small`` for the smaller
wording. The use cases take a session and never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.base import utcnow
from bot.db.models import Goal, GoalStatus
from bot.domain import smart
from bot.goals.drafts import start_draft

# A draft nobody touched for this long stops taking free text (the client moved on;
# /goals starts again). A restart is minutes, so it still resumes.
DRAFT_IDLE = timedelta(hours=24)


class Step(StrEnum):
    WHAT = "what"
    LOW = "low"
    HIGH = "high"
    CONFIDENCE = "conf"
    OFFER = "offer"  # low confidence: smaller step, or keep it?
    SMALLER = "small"
    WHY = "why"
    WHEN = "when"


# Steps answered by typing (CONFIDENCE and OFFER are buttons; OFFER also takes text).
TEXT_STEPS = frozenset(
    {Step.WHAT, Step.LOW, Step.HIGH, Step.OFFER, Step.SMALLER, Step.WHY, Step.WHEN}
)
SKIPPABLE = frozenset({Step.LOW, Step.HIGH, Step.WHY})


def read_step(goal: Goal) -> tuple[Step | None, int]:
    """The open step of a draft and the id of the last message it took (0 when none)."""
    if goal.status != GoalStatus.DRAFT or not goal.draft_step:
        return None, 0
    name, _, message_id = goal.draft_step.partition(":")
    try:
        return Step(name), int(message_id or 0)
    except ValueError:
        return None, 0


def set_step(goal: Goal, step: Step | None, message_id: int = 0) -> None:
    if step is None:
        goal.draft_step = None
        return
    _current, last = read_step(goal)
    message_id = max(message_id, last)
    goal.draft_step = f"{step.value}:{message_id}" if message_id else step.value


async def count_active(session: AsyncSession, user_id: int) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(Goal)
        .where(Goal.user_id == user_id, Goal.status == GoalStatus.ACTIVE)
    )
    return count or 0


async def open_draft(session: AsyncSession, user_id: int) -> Goal | None:
    return await session.scalar(
        select(Goal).where(Goal.user_id == user_id, Goal.status == GoalStatus.DRAFT).limit(1)
    )


async def draft_for(session: AsyncSession, goal_id: int, user_id: int) -> Goal | None:
    """The sender's own draft named by a button, or None (someone else's, or finished)."""
    goal = await session.get(Goal, goal_id)
    if goal is None or goal.user_id != user_id or goal.status != GoalStatus.DRAFT:
        return None
    return goal


async def begin(session: AsyncSession, user_id: int, area: str | None) -> Goal:
    """A fresh draft at the first question (an unfinished one is started over)."""
    goal = await start_draft(session, user_id, area=area)
    goal.title = goal.anchor_low = goal.anchor_high = goal.why = None
    goal.confidence = None
    goal.target_date = None
    await session.flush()
    return goal


class Outcome(StrEnum):
    """What the conversation says after an answer."""

    ASK = "ask"  # ask the (new) open step
    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"
    EMPTY = "empty"
    DATE_UNREADABLE = "date_unreadable"
    DATE_PAST = "date_past"
    DATE_TOO_FAR = "date_too_far"
    SMALLER_OFFERED = "smaller_offered"
    DONE = "done"  # the goal is ACTIVE
    DONE_PAUSED = "done_paused"  # finished, but the active limit was reached: kept paused


@dataclass(frozen=True)
class Answer:
    outcome: Outcome
    step: Step | None  # the open step after the answer


async def take_text(
    session: AsyncSession,
    goal: Goal,
    text: str,
    *,
    message_id: int,
    locale: str,
    today: date,
    max_active: int,
) -> Answer:
    """A typed answer to the open step: store it and move on, or say what to fix."""
    step, _last = read_step(goal)
    assert step in TEXT_STEPS
    text = text.strip()
    if step == Step.WHEN:
        deadline = smart.parse_deadline(text, locale, today)
        if deadline.problem is not None:
            set_step(goal, step, message_id)
            problem = {
                smart.DeadlineProblem.UNREADABLE: Outcome.DATE_UNREADABLE,
                smart.DeadlineProblem.PAST: Outcome.DATE_PAST,
                smart.DeadlineProblem.TOO_FAR: Outcome.DATE_TOO_FAR,
            }[deadline.problem]
            return Answer(problem, step)
        goal.target_date = deadline.day
        return await _finish(session, goal, max_active)
    text_problem = smart.check_text(text)
    if (
        step not in (Step.WHAT, Step.SMALLER, Step.OFFER)
        and text_problem == smart.TextProblem.TOO_SHORT
    ):
        text_problem = None  # "nothing" is a fine answer to what 0 looks like
    if text_problem is not None:
        set_step(goal, step, message_id)
        return Answer(Outcome(text_problem.value), step)
    if step == Step.WHAT:
        goal.title = text
        following = Step.LOW
    elif step in (Step.SMALLER, Step.OFFER):
        goal.title = text
        goal.confidence = None
        following = Step.CONFIDENCE
    elif step == Step.LOW:
        goal.anchor_low = text
        following = Step.HIGH
    elif step == Step.HIGH:
        goal.anchor_high = text
        following = Step.CONFIDENCE
    else:  # WHY
        goal.why = text
        following = Step.WHEN
    set_step(goal, following, message_id)
    return Answer(Outcome.ASK, following)


def take_confidence(goal: Goal, confidence: int) -> Answer:
    goal.confidence = confidence
    if smart.suggests_smaller_step(confidence):
        set_step(goal, Step.OFFER)
        return Answer(Outcome.SMALLER_OFFERED, Step.OFFER)
    set_step(goal, Step.WHY)
    return Answer(Outcome.ASK, Step.WHY)


def keep_or_smaller(goal: Goal, *, smaller: bool) -> Answer:
    following = Step.SMALLER if smaller else Step.WHY
    set_step(goal, following)
    return Answer(Outcome.ASK, following)


_SKIPS_TO = {Step.LOW: Step.HIGH, Step.HIGH: Step.CONFIDENCE, Step.WHY: Step.WHEN}


def skip(goal: Goal) -> Answer:
    """Skip an optional question (the 0/10 pictures, why it matters)."""
    step, _last = read_step(goal)
    following = _SKIPS_TO.get(step) if step is not None else None
    if following is None:  # nothing skippable is open: the caller refuses such a tap
        return Answer(Outcome.ASK, step)
    set_step(goal, following)
    return Answer(Outcome.ASK, following)


async def cancel(session: AsyncSession, goal: Goal) -> None:
    """The client stops building this goal: the draft goes (it was never rated)."""
    await session.delete(goal)
    await session.flush()


async def _finish(session: AsyncSession, goal: Goal, max_active: int) -> Answer:
    full = await count_active(session, goal.user_id) >= max_active
    goal.status = GoalStatus.PAUSED if full else GoalStatus.ACTIVE
    goal.draft_step = None
    goal.listed_at = utcnow()
    await session.flush()
    return Answer(Outcome.DONE_PAUSED if full else Outcome.DONE, None)


def is_idle(goal: Goal, now: datetime) -> bool:
    return goal.updated_at is not None and goal.updated_at < now - DRAFT_IDLE
