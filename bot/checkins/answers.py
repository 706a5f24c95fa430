"""The check-in's use cases: start it (/checkin), answer a button, add the note.

This is the check-in's state machine. Plain values in (the client's user id, the date
and answer a button carries, the note's text, ``now``, the rules); an :class:`Outcome`
out that says what to show next (the flow renders it in the client's language). No
Telegram here: the chat flow and any other front door call the same functions.

Each takes the session and never commits: the caller owns the transaction, and sends
nothing before it is committed. What is guaranteed, whoever calls:

- a check-in is found by *this* user's id and the date, and a goal or strategy must be
  theirs, so a forged or another client's button changes nothing (``refused``);
- the same answer again (a double tap, a redelivered update) writes nothing and says
  "already noted"; a different answer inside the window replaces the value and, for a
  rating, is recorded as a change (``RatingChange``). This holds when both copies are
  handled at once, by two instances: a press locks its check-in's row (``core.find``),
  so the second waits and reads what the first wrote, and a check-in is finished (the
  thank-you, the streak, a milestone celebrated) once;
- after the window (or once the sweep marked it missed) an answer says "expired";
- the first answer withdraws the queued nudge and makes the day count for the streak.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from bot.checkins import core, streaks
from bot.checkins.core import Plan, Summary
from bot.checkins.streaks import Celebration
from bot.db.models import Checkin, CheckinSource, CheckinStatus
from bot.delivery.scheduling import reschedule_user
from bot.domain.schedule import local_date

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Rules:
    """The installation's check-in settings the use cases need."""

    window: timedelta  # how long a check-in stays open
    grace_days: int  # missed days a streak forgives
    default_timezone: str  # for clients without a time zone


def today_for(now: datetime, zone: str | None, rules: Rules) -> date:
    """The client's local date at ``now``."""
    return local_date(now, zone, rules.default_timezone)


class Op(StrEnum):
    """What a check-in button does (the ``<op>`` of its callback data)."""

    RATE = "g"  # a goal's 0–10: ident = goal id, value = rating
    STRATEGY = "s"  # a strategy done (1) or not today (0): ident = strategy id
    NO_NOTE = "n"  # no note today
    SKIP = "x"  # skip today
    SHOW = "q"  # show the open question (the nudge's "Check in now")


@dataclass(frozen=True)
class Press:
    """A check-in button as parsed by a front door: the check-in's date and the answer."""

    day: date
    op: str
    ident: int | None = None
    value: int | None = None


class Show(StrEnum):
    """What the check-in's message becomes (or what is replied)."""

    QUESTION = "question"  # ``step`` of ``plan``
    THANKS = "thanks"  # the check-in is done: ``celebration``
    SKIPPED = "skipped"  # skipped just now (or already)
    EXPIRED = "expired"  # the window closed
    ALREADY_DONE = "already_done"  # /checkin again: ``summary`` of what was said
    SKIPPED_TODAY = "skipped_today"  # /checkin on a day skipped
    MISSED_TODAY = "missed_today"  # /checkin on a day whose check-in closed
    NOTHING_TO_RATE = "nothing_to_rate"  # /checkin without an active goal


class Toast(StrEnum):
    """A short confirmation of a press that leaves the message as it is."""

    ALREADY_NOTED = "already_noted"  # the same answer again: nothing changed
    NOTED = "noted"  # a question other than the open one answered, recorded
    CHANGED = "changed"  # an earlier question answered differently


@dataclass(frozen=True)
class Outcome:
    """What to show next. Neither ``show`` nor ``toast``: the press is refused (stale,
    forged or another client's) and nothing changed."""

    show: Show | None = None
    toast: Toast | None = None
    user_id: int = 0
    local_date: date | None = None
    plan: Plan | None = None
    step: str | None = None
    back: bool = False  # the question offers "Back" (there is one before it)
    answered: int | bool | None = None  # gone Back: what the question was answered with
    summary: Summary | None = None
    celebration: Celebration | None = None
    low_twice: bool = False  # two very low ratings of a goal in a row: point gently to help

    @property
    def refused(self) -> bool:
        return self.show is None and self.toast is None


REFUSED = Outcome()


def _question(user_id: int, day: date, plan: Plan, step: str) -> Outcome:
    """Show ``step``: every question offers "Skip today", all but the first "Back"."""
    return Outcome(
        Show.QUESTION,
        user_id=user_id,
        local_date=day,
        plan=plan,
        step=step,
        back=plan.before(step) is not None,
    )


# --- /checkin


async def start(
    session: AsyncSession, *, user_id: int, now: datetime, zone: str | None, rules: Rules
) -> Outcome:
    """/checkin: open today's check-in early (once per local day), or say where it stands."""
    today = today_for(now, zone, rules)
    existing = await core.find(session, user_id, today)
    plan = await core.plan(session, user_id, today)
    if existing is None:
        if not plan.goals:
            return Outcome(Show.NOTHING_TO_RATE, user_id=user_id, local_date=today)
        checkin, _opened = await core.open_checkin(
            session,
            user_id=user_id,
            local_date=today,
            source=CheckinSource.EARLY,
            now=now,
            window=rules.window,
            first_step=plan.first,
        )
        await core.skip_scheduled_prompt(session, user_id, today, now=now)
        await reschedule_user(session, user_id, now=now, default_timezone=rules.default_timezone)
        logger.info("event=checkin.opened checkin_id=%s source=early", checkin.id)
        return _question(user_id, today, plan, plan.first)
    if existing.status is CheckinStatus.SKIPPED:
        return Outcome(Show.SKIPPED_TODAY, user_id=user_id, local_date=today)
    if existing.status is CheckinStatus.MISSED or existing.closes_at <= now:
        return Outcome(Show.MISSED_TODAY, user_id=user_id, local_date=today)
    if existing.step in (None, core.DONE):
        summary = await core.summary(session, existing)
        return Outcome(Show.ALREADY_DONE, user_id=user_id, local_date=today, summary=summary)
    # Started and not finished: the open question again.
    return _question(user_id, today, plan, plan.resolve(existing.step))


# --- a button


async def answer(
    session: AsyncSession, *, user_id: int, press: Press, now: datetime, rules: Rules
) -> Outcome:
    """A check-in button pressed by ``user_id``: record the answer, say what comes next."""
    day = press.day
    checkin, plan = await core.find_with_plan(session, user_id, day)
    if checkin is None and plan.goals and await core.was_prompted(session, user_id, day):
        # The press beat the sent hook: open it now (the hook will find it open).
        checkin, _opened = await core.open_checkin(
            session,
            user_id=user_id,
            local_date=day,
            source=CheckinSource.SCHEDULED,
            now=now,
            window=rules.window,
            first_step=plan.first,
        )
    if checkin is None:
        return REFUSED
    if checkin.status is CheckinStatus.MISSED or checkin.closes_at <= now:
        logger.info("event=checkin.expired_press checkin_id=%s", checkin.id)
        return Outcome(Show.EXPIRED, user_id=user_id, local_date=day)
    if checkin.status is CheckinStatus.SKIPPED:
        return Outcome(Show.SKIPPED, user_id=user_id, local_date=day)
    ident, value = press.ident, press.value
    if press.op == Op.SKIP:
        return await _skip(session, checkin, now, rules)
    if press.op == Op.SHOW:
        step = plan.resolve(checkin.step or plan.first)
        if step == core.DONE:
            summary = await core.summary(session, checkin)
            return Outcome(Show.ALREADY_DONE, user_id=user_id, local_date=day, summary=summary)
        return _question(user_id, day, plan, step)
    if press.op == Op.RATE and ident is not None and value is not None and 0 <= value <= 10:
        # A goal of today's plan is theirs already; another (paused since) is looked up.
        goal = plan.goals.get(ident) or await core.user_goal(session, user_id, ident)
        if goal is None:
            return REFUSED
        step = f"goal:{goal.id}"
        open_question = checkin.step == step
        recorded = await core.rate_goal(
            session,
            checkin,
            goal,
            value,
            now=now,
            next_step=plan.after(step) if open_question else None,
        )
        logger.info(
            "event=checkin.rated checkin_id=%s goal_id=%s outcome=%s",
            checkin.id,
            goal.id,
            recorded.outcome,
        )
        after = await _after_answer(
            session, checkin, plan, step, open_question, recorded, now, rules
        )
        low = recorded.low_twice and recorded.outcome != "same"
        return replace(after, low_twice=True) if low else after
    if press.op == Op.STRATEGY and ident is not None and value in (0, 1):
        strategy = await core.user_strategy(session, user_id, ident)
        if strategy is None:
            return REFUSED
        step = f"strategy:{strategy.id}"
        open_question = checkin.step == step
        recorded = await core.answer_strategy(session, checkin, strategy.id, bool(value), now=now)
        return await _after_answer(
            session, checkin, plan, step, open_question, recorded, now, rules
        )
    if press.op == Op.NO_NOTE:
        if checkin.step == core.NOTE:
            checkin.step = core.DONE
            return await _thanks(session, checkin, now, rules)
        return Outcome(toast=Toast.ALREADY_NOTED, user_id=user_id, local_date=day)
    return REFUSED


async def _after_answer(
    session: AsyncSession,
    checkin: Checkin,
    plan: Plan,
    step: str,
    answered_open_question: bool,
    recorded: core.Recorded,
    now: datetime,
    rules: Rules,
) -> Outcome:
    """After an answer to ``step`` (the open question, or an earlier one changed): the
    next question (the same answer again: only a toast)."""
    user_id, day = checkin.user_id, checkin.local_date
    if recorded.outcome == "same" and not answered_open_question:
        # A double tap or a redelivered press. (The same answer to the open question is
        # someone who went Back and kept their answer: it moves on, writing nothing.)
        return Outcome(toast=Toast.ALREADY_NOTED, user_id=user_id, local_date=day)
    nudged = recorded.nudged  # the progress written with the answer (PostgreSQL)
    if nudged is None:
        if answered_open_question:
            checkin.step = plan.after(step)
        if recorded.first_answer or answered_open_question:
            # The check-in written once (before the thanks reads the streak's days).
            nudged = await core.save_progress(session, checkin, now=now)
    if recorded.first_answer and nudged:
        await core.withdraw_nudge(session, checkin.id, now=now)
    # The day now counts for the streak: recomputed by the thanks below at the end of
    # the check-in, or, if the client stops before it, by the next sweep
    # (``delivery.refresh_streaks``); /progress recomputes a streak the sweep has not yet.
    if not answered_open_question:
        # An earlier question answered again (a changed answer): keep the open one.
        toast = Toast.CHANGED if recorded.outcome == "changed" else Toast.NOTED
        return Outcome(toast=toast, user_id=user_id, local_date=day)
    if checkin.step == core.DONE:
        return await _thanks(session, checkin, now, rules)
    return _question(user_id, day, plan, plan.resolve(checkin.step))


async def _thanks(session: AsyncSession, checkin: Checkin, now: datetime, rules: Rules) -> Outcome:
    celebration = await streaks.celebrate(
        session, checkin.user_id, now=now, grace_days=rules.grace_days
    )
    logger.info(
        "event=checkin.done checkin_id=%s streak=%s milestone=%s",
        checkin.id,
        celebration.current,
        celebration.milestone,
    )
    return Outcome(
        Show.THANKS,
        user_id=checkin.user_id,
        local_date=checkin.local_date,
        celebration=celebration,
    )


async def _skip(session: AsyncSession, checkin: Checkin, now: datetime, rules: Rules) -> Outcome:
    """Skip today: nothing answered yet → SKIPPED (no blame, no count); else finish here."""
    if checkin.status is CheckinStatus.OPEN:
        checkin.status = CheckinStatus.SKIPPED
        checkin.step = core.DONE
        await core.withdraw_nudge(session, checkin.id, now=now)
        await streaks.recompute(session, [checkin.user_id], now=now, grace_days=rules.grace_days)
        logger.info("event=checkin.skipped checkin_id=%s", checkin.id)
        return Outcome(Show.SKIPPED, user_id=checkin.user_id, local_date=checkin.local_date)
    checkin.step = core.DONE
    return await _thanks(session, checkin, now, rules)


# --- Back


async def back(
    session: AsyncSession,
    *,
    user_id: int,
    day: date,
    from_step: str,
    now: datetime,
) -> Outcome:
    """The "Back" button on the question ``from_step``: the one before it is open again.

    Inside the window only. Its answer is kept until the client answers again; a new
    answer replaces it (a rating's change is recorded), the same answer moves on. Only
    the open question goes back, so a double tap or a redelivered press goes back once.
    """
    checkin = await core.find(session, user_id, day, lock=True)
    if checkin is None:
        return REFUSED
    if checkin.status is CheckinStatus.MISSED or checkin.closes_at <= now:
        return Outcome(Show.EXPIRED, user_id=user_id, local_date=day)
    if checkin.status is CheckinStatus.SKIPPED:
        return Outcome(Show.SKIPPED, user_id=user_id, local_date=day)
    plan = await core.plan(session, user_id, day)
    open_step = plan.resolve(checkin.step)
    if open_step == core.DONE:
        return Outcome(toast=Toast.ALREADY_NOTED, user_id=user_id, local_date=day)
    previous = plan.before(open_step)
    show = open_step  # gone back already (a double tap): the same question, unchanged
    if from_step == open_step and previous is not None:
        checkin.step = show = previous
        logger.info("event=checkin.back checkin_id=%s", checkin.id)
    answered = await core.answer_of(session, checkin, show)
    return replace(_question(user_id, day, plan, show), answered=answered)


# --- the note


class NoteTaken(StrEnum):
    NOT_ASKED = "not_asked"  # no check-in waits for a note: the text is something else
    AGAIN = "again"  # the same message delivered again: stored already, say nothing
    SAVED = "saved"  # stored (encrypted at rest); the check-in is done


@dataclass(frozen=True)
class Note:
    taken: NoteTaken
    outcome: Outcome = REFUSED  # with SAVED: the thank-you


async def take_note(
    session: AsyncSession,
    *,
    user_id: int,
    message_id: int,
    text: str,
    now: datetime,
    rules: Rules,
) -> Note:
    """Free text from ``user_id``: the note of their check-in, if its note question is open.

    ``message_id`` identifies the message, so a redelivered update stores nothing twice.
    The crisis check of the text is the caller's (it answers in the chat).
    """
    if await core.note_already_saved(session, user_id, message_id):
        return Note(NoteTaken.AGAIN)
    checkin = await core.awaiting_note(session, user_id, now)
    if checkin is None:
        # A copy of this message handled at the same time (on another instance) may have
        # just saved it: the lock waited for it, and the question is answered.
        if await core.note_already_saved(session, user_id, message_id):
            return Note(NoteTaken.AGAIN)
        return Note(NoteTaken.NOT_ASKED)
    checkin.note = text
    checkin.note_message_id = message_id
    checkin.step = core.DONE
    thanks = await _thanks(session, checkin, now, rules)
    logger.info("event=checkin.note_saved checkin_id=%s", checkin.id)
    return Note(NoteTaken.SAVED, thanks)
