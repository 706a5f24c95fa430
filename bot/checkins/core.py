"""Opening a check-in, its questions one at a time, and recording answers idempotently.

A check-in is one row per client and local date. Its questions are, in order: each
active goal (0–10), each strategy due that day (done / not today), an optional note.
The open question is ``Checkin.step`` ("goal:<id>", "strategy:<id>", "note", "done"),
so a restart or a second instance resumes it. Every answer is an upsert: the same
answer again (a double tap, a redelivered update) changes nothing; a different answer
inside the window replaces the value and, for ratings, writes a ``RatingChange``.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Insert, Update, bindparam, exists, func, inspect, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from bot.db.base import table_of
from bot.db.dialect_insert import insert_for
from bot.db.models import (
    Checkin,
    CheckinSource,
    CheckinStatus,
    Goal,
    GoalRating,
    GoalStatus,
    OutboxMessage,
    OutboxStatus,
    RatingChange,
    Schedule,
    Strategy,
    StrategyAnswer,
)
from bot.domain.checkins import LOW_RATING, strategy_due, two_low_in_a_row, week_start

NOTE = "note"
DONE = "done"
LOW_RATING_LOOKBACK = timedelta(days=7)


def _insert_ignoring(session: AsyncSession, table: Any, *keys: str) -> Insert:
    return insert_for(session, table).on_conflict_do_nothing(index_elements=list(keys))


@dataclass
class Plan:
    """The questions of one client's check-in on one date."""

    goals: dict[int, Goal] = field(default_factory=dict)
    strategies: dict[int, Strategy] = field(default_factory=dict)
    steps: list[str] = field(default_factory=list)

    @property
    def first(self) -> str:
        return self.steps[0] if self.steps else DONE

    def after(self, step: str | None) -> str:
        """The question after ``step`` (a step no longer planned: the note)."""
        if step not in self.steps:
            return NOTE if step not in (NOTE, DONE) else DONE
        index = self.steps.index(step)
        return self.steps[index + 1] if index + 1 < len(self.steps) else DONE

    def before(self, step: str) -> str | None:
        """The question before ``step`` (None: it is the first, or no longer planned)."""
        if step not in self.steps:
            return None
        index = self.steps.index(step)
        return self.steps[index - 1] if index > 0 else None

    def resolve(self, step: str | None) -> str:
        """The step to show: a question no longer planned (a goal paused meanwhile) gives
        way to the note; an empty plan is done."""
        if step is not None and (step in self.steps or step == DONE):
            return step
        return NOTE if self.steps else DONE

    def position(self, step: str) -> tuple[int, int]:
        """1-based number of a goal or strategy question among its kind, and their count."""
        kind = step.split(":", 1)[0]
        same = [s for s in self.steps if s.startswith(f"{kind}:")]
        return (same.index(step) + 1 if step in same else 0), len(same)


async def plan(session: AsyncSession, user_id: int, local_date: date) -> Plan:
    """Active goals (oldest first), then the strategies due on ``local_date``, then the note."""
    # One query for both: each active goal with its active strategies (or none).
    rows = (
        await session.execute(
            select(Goal, Strategy)
            .outerjoin(Strategy, _active_strategy_of_goal())
            .where(Goal.user_id == user_id, Goal.status == GoalStatus.ACTIVE)
            .order_by(Goal.id, Strategy.id)
        )
    ).all()
    return await _plan_of(session, user_id, local_date, [(goal, s) for goal, s in rows])


async def find_with_plan(
    session: AsyncSession, user_id: int, local_date: date
) -> tuple[Checkin | None, Plan]:
    """The check-in of that date, locked (see :func:`find`), and its plan, in one query
    when it exists (a press's path: one round trip fewer). Without a check-in the plan
    is read on its own."""
    rows = (await session.execute(_WITH_PLAN, {"user_id": user_id, "local_date": local_date})).all()
    if not rows:
        return None, await plan(session, user_id, local_date)
    pairs = [(goal, strategy) for _checkin, goal, strategy in rows if goal is not None]
    return rows[0][0], await _plan_of(session, user_id, local_date, pairs)


def _active_strategy_of_goal() -> Any:
    return (Strategy.goal_id == Goal.id) & Strategy.active.is_(True)


# Built once (every press runs it): building the statement cost more CPU than running it.
_WITH_PLAN = (
    select(Checkin, Goal, Strategy)
    .outerjoin(Goal, (Goal.user_id == Checkin.user_id) & (Goal.status == GoalStatus.ACTIVE))
    .outerjoin(Strategy, _active_strategy_of_goal())
    .where(Checkin.user_id == bindparam("user_id"), Checkin.local_date == bindparam("local_date"))
    .order_by(Goal.id, Strategy.id)
    .with_for_update(of=Checkin)
)


async def _plan_of(
    session: AsyncSession,
    user_id: int,
    local_date: date,
    rows: Sequence[tuple[Goal, Strategy | None]],
) -> Plan:
    """The plan from each active goal with its active strategies (or None)."""
    done_this_week: dict[int, int] = {}
    if _counts_weekly(rows):
        done_rows = await session.execute(
            select(StrategyAnswer.strategy_id, func.count())
            .join(Checkin, Checkin.id == StrategyAnswer.checkin_id)
            .where(
                Checkin.user_id == user_id,
                Checkin.local_date >= week_start(local_date),
                Checkin.local_date < local_date,
                StrategyAnswer.done.is_(True),
            )
            .group_by(StrategyAnswer.strategy_id)
        )
        done_this_week = {strategy_id: count for strategy_id, count in done_rows.all()}
    return _build_plan(local_date, rows, done_this_week)


def _counts_weekly(rows: Sequence[tuple[Goal, Strategy | None]]) -> bool:
    """Whether a plan needs the times-per-week counts (some strategy has that frequency)."""
    return any(s is not None and s.frequency == "times_per_week" for _goal, s in rows)


def _build_plan(
    local_date: date,
    rows: Sequence[tuple[Goal, Strategy | None]],
    done_this_week: dict[int, int],
) -> Plan:
    """The plan from each active goal with its active strategies (or None), given how many
    times each strategy was done earlier in ``local_date``'s week (strategy id -> count)."""
    goals = list(dict.fromkeys(goal for goal, _strategy in rows))
    result = Plan(goals={goal.id: goal for goal in goals})
    if not goals:
        return result
    strategies = [strategy for _goal, strategy in rows if strategy is not None]
    due = [
        s
        for s in strategies
        if strategy_due(
            s.frequency,
            local_date,
            weekdays=s.weekdays,
            times_per_week=s.times_per_week,
            done_this_week=done_this_week.get(s.id, 0),
        )
    ]
    result.strategies = {s.id: s for s in due}
    result.steps = [f"goal:{g.id}" for g in goals] + [f"strategy:{s.id}" for s in due] + [NOTE]
    return result


#: One client's check-in date: (user id, local date).
Day = tuple[int, date]


async def plans(session: AsyncSession, days: Collection[Day]) -> dict[Day, Plan]:
    """:func:`plan` for many (client, date) pairs at once: one query for the goals and
    their strategies of all those clients, and one more for the times-per-week counts
    only when some of them has such a strategy — never a query per client."""
    if not days:
        return {}
    user_ids = {user_id for user_id, _day in days}
    rows = (
        await session.execute(
            select(Goal, Strategy)
            .outerjoin(Strategy, _active_strategy_of_goal())
            .where(Goal.user_id.in_(user_ids), Goal.status == GoalStatus.ACTIVE)
            .order_by(Goal.id, Strategy.id)
        )
    ).all()
    by_user: dict[int, list[tuple[Goal, Strategy | None]]] = {}
    for goal, strategy in rows:
        by_user.setdefault(goal.user_id, []).append((goal, strategy))
    counted = {(user_id, day) for user_id, day in days if _counts_weekly(by_user.get(user_id, []))}
    done: dict[Day, dict[int, int]] = {}
    if counted:
        # Done answers per client, date and strategy over the weeks in question; each
        # pair then sums those of its own week before its date.
        done_rows = await session.execute(
            select(Checkin.user_id, Checkin.local_date, StrategyAnswer.strategy_id, func.count())
            .join(Checkin, Checkin.id == StrategyAnswer.checkin_id)
            .where(
                Checkin.user_id.in_({user_id for user_id, _day in counted}),
                Checkin.local_date >= min(week_start(day) for _user, day in counted),
                Checkin.local_date < max(day for _user, day in counted),
                StrategyAnswer.done.is_(True),
            )
            .group_by(Checkin.user_id, Checkin.local_date, StrategyAnswer.strategy_id)
        )
        answered: dict[int, list[tuple[date, int, int]]] = {}
        for user_id, answered_on, strategy_id, count in done_rows.all():
            answered.setdefault(user_id, []).append((answered_on, strategy_id, count))
        for user_id, day in counted:
            week = done.setdefault((user_id, day), {})
            for answered_on, strategy_id, count in answered.get(user_id, []):
                if week_start(day) <= answered_on < day:
                    week[strategy_id] = week.get(strategy_id, 0) + count
    return {
        (user_id, day): _build_plan(day, by_user.get(user_id, []), done.get((user_id, day), {}))
        for user_id, day in days
    }


async def open_steps(session: AsyncSession, days: Collection[Day]) -> dict[Day, str | None]:
    """The open step of each of these (client, date) check-ins that exists (one query;
    a pair without a check-in is left out)."""
    if not days:
        return {}
    rows = await session.execute(
        select(Checkin.user_id, Checkin.local_date, Checkin.step).where(
            Checkin.user_id.in_({user_id for user_id, _day in days}),
            Checkin.local_date.in_({day for _user, day in days}),
        )
    )
    wanted = set(days)
    return {(user_id, day): step for user_id, day, step in rows.all() if (user_id, day) in wanted}


async def find(
    session: AsyncSession, user_id: int, local_date: date, *, lock: bool = False
) -> Checkin | None:
    """The check-in of that date. ``lock``: FOR UPDATE, for a transaction that moves it
    on. Two presses of one check-in at once (a double tap, its two updates handled by
    two instances, or by one instance concurrently) then take turns, and the second sees
    what the first wrote: the same step is not answered, nor the check-in finished,
    twice. (SQLite has one writer and ignores the clause.)"""
    query = select(Checkin).where(Checkin.user_id == user_id, Checkin.local_date == local_date)
    return await session.scalar(query.with_for_update() if lock else query)


async def open_checkin(
    session: AsyncSession,
    *,
    user_id: int,
    local_date: date,
    source: CheckinSource,
    now: datetime,
    window: timedelta,
    first_step: str,
) -> tuple[Checkin, bool]:
    """The check-in of that date, opened now unless it exists; returns (row, opened now).

    INSERT … ON CONFLICT DO NOTHING: two instances (or a press racing the sent hook)
    open it once. Does not commit.
    """
    opened = await open_checkin_id(
        session,
        user_id=user_id,
        local_date=local_date,
        source=source,
        now=now,
        window=window,
        first_step=first_step,
    )
    checkin = await find(session, user_id, local_date, lock=True)
    assert checkin is not None
    return checkin, opened is not None


async def open_checkin_id(
    session: AsyncSession,
    *,
    user_id: int,
    local_date: date,
    source: CheckinSource,
    now: datetime,
    window: timedelta,
    first_step: str,
) -> int | None:
    """:func:`open_checkin` without reading the row back (one statement): the new
    check-in's id, or None when it existed already. Does not commit."""
    inserted = await session.execute(
        _insert_ignoring(session, Checkin.__table__, "user_id", "local_date")
        .values(
            user_id=user_id,
            local_date=local_date,
            source=source,
            status=CheckinStatus.OPEN,
            opened_at=now,
            closes_at=now + window,
            step=first_step,
            created_at=now,
            updated_at=now,
        )
        .returning(Checkin.__table__.c.id)
    )
    return inserted.scalar()


@dataclass(frozen=True)
class Opening:
    """A check-in to open (see :func:`open_checkins`)."""

    user_id: int
    local_date: date
    first_step: str
    now: datetime


#: Rows per INSERT in :func:`open_checkins` (well within both databases' bound parameters).
OPEN_CHUNK = 500


async def open_checkins(
    session: AsyncSession, openings: Sequence[Opening], *, source: CheckinSource, window: timedelta
) -> list[int]:
    """:func:`open_checkin_id` for many check-ins in one statement (per ``OPEN_CHUNK``):
    the ids of those opened now (one that existed, or a second of the same client and
    date, is left as it is). Does not commit."""
    unique: dict[Day, Opening] = {}
    for opening in openings:
        unique.setdefault((opening.user_id, opening.local_date), opening)
    rows = list(unique.values())
    opened: list[int] = []
    for start in range(0, len(rows), OPEN_CHUNK):
        chunk = rows[start : start + OPEN_CHUNK]
        inserted = await session.execute(
            _insert_ignoring(session, Checkin.__table__, "user_id", "local_date")
            .values(
                [
                    {
                        "user_id": o.user_id,
                        "local_date": o.local_date,
                        "source": source,
                        "status": CheckinStatus.OPEN,
                        "opened_at": o.now,
                        "closes_at": o.now + window,
                        "step": o.first_step,
                        "created_at": o.now,
                        "updated_at": o.now,
                    }
                    for o in chunk
                ]
            )
            .returning(Checkin.__table__.c.id)
        )
        opened += list(inserted.scalars())
    return opened


async def was_prompted(session: AsyncSession, user_id: int, local_date: date) -> bool:
    """Whether a scheduled check-in for that date was sent (checks a pressed button)."""
    found = await session.scalar(
        select(OutboxMessage.id)
        .where(
            OutboxMessage.user_id == user_id,
            OutboxMessage.kind == "checkin_reminder",
            OutboxMessage.key.like(f"checkin_reminder:{user_id}:%:{local_date.isoformat()}"),
            OutboxMessage.status.in_([OutboxStatus.SENT, OutboxStatus.SENDING]),
        )
        .limit(1)
    )
    return found is not None


async def skip_scheduled_prompt(
    session: AsyncSession, user_id: int, local_date: date, *, now: datetime
) -> list[int]:
    """After an early check-in: the scheduled prompt for that date is not sent.

    The check-in schedule treats the date as served (``last_slot_date``; the caller
    then calls ``reschedule_user``), and a prompt already queued for it is expired.
    Returns the ids of the schedules changed.
    """
    schedules = list(
        await session.scalars(
            select(Schedule).where(Schedule.user_id == user_id, Schedule.kind == "checkin_reminder")
        )
    )
    for schedule in schedules:
        if schedule.last_slot_date is None or schedule.last_slot_date < local_date:
            schedule.last_slot_date = local_date
    await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.user_id == user_id,
            OutboxMessage.kind == "checkin_reminder",
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.key.like(f"checkin_reminder:{user_id}:%:{local_date.isoformat()}"),
        )
        .values(status=OutboxStatus.EXPIRED, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return [schedule.id for schedule in schedules]


@dataclass(frozen=True)
class Recorded:
    """What an answer did: ``new``, ``changed`` or ``same`` (nothing written)."""

    outcome: str
    first_answer: bool = False  # this answer made the day count (status ANSWERED)
    low_twice: bool = False  # two very low ratings of this goal in a row
    # Written with the answer itself (PostgreSQL): the check-in's progress, and whether a
    # nudge was queued for it (see ``save_progress``). None: not written yet.
    nudged: bool | None = None


async def _first_answer(checkin: Checkin, now: datetime) -> bool:
    if checkin.status is CheckinStatus.OPEN:
        checkin.status = CheckinStatus.ANSWERED
        checkin.answered_at = now
        return True
    return False


@cache
def _rating_insert(dialect: str) -> Insert:
    """The rating's INSERT, ignoring a second one of the same goal in the same check-in;
    built once per database (every rating runs it)."""
    return insert_for(dialect, GoalRating.__table__).on_conflict_do_nothing(
        index_elements=["checkin_id", "goal_id"]
    )


async def rate_goal(
    session: AsyncSession,
    checkin: Checkin,
    goal: Goal,
    value: int,
    *,
    now: datetime,
    next_step: str | None = None,
) -> Recorded:
    """Record (or change) the 0–10 rating of ``goal`` in ``checkin``. Does not commit.

    ``next_step``: the question to open if this one was the open question. On
    PostgreSQL a new rating and the check-in's progress (answered, the next step) are
    then written in one statement, and the result says so (``nudged`` is set); else the
    caller writes the progress with ``save_progress``."""
    if not 0 <= value <= 10:
        raise ValueError("a rating is 0..10")
    rating = {
        "checkin_id": checkin.id,
        "goal_id": goal.id,
        "user_id": checkin.user_id,
        "local_date": checkin.local_date,
        "goal_version": goal.version,
        "value": value,
        "answered_at": now,
    }
    progress = _progress_of_new_answer(checkin, next_step, now)
    dialect = session.get_bind().dialect.name
    if progress and dialect == "postgresql":
        first = checkin.status is CheckinStatus.OPEN  # before the write changes it
        written = await session.execute(
            _rating_with_progress(tuple(progress)),
            {
                **{f"rating_{name}": given for name, given in rating.items()},
                "checkin_id": checkin.id,
                "new_updated_at": now,
                **{f"new_{key}": changed for key, changed in progress.items()},
            },
        )
        row = written.first()
        if row is not None:  # new: the rating and the check-in's progress are written
            for key, written_value in (*progress.items(), ("updated_at", now)):
                set_committed_value(checkin, key, written_value)
            set_committed_value(checkin, "nudged_at", row.nudged_at)
            recorded = await _low_twice(session, checkin, goal, value, Recorded("new", first))
            return replace(recorded, nudged=row.nudged_at is not None)
        outcome = await _rated_before(session, checkin, goal, value, now)
    else:
        inserted = await session.execute(_rating_insert(dialect), rating)
        # The row count, not RETURNING: on SQLite a result to fetch is one more hop to
        # aiosqlite's thread.
        if inserted.rowcount == 1:  # type: ignore[attr-defined]
            outcome = "new"
        else:
            outcome = await _rated_before(session, checkin, goal, value, now)
    if outcome == "same":
        return Recorded("same")
    first = await _first_answer(checkin, now)
    return await _low_twice(session, checkin, goal, value, Recorded(outcome, first))


def _progress_of_new_answer(
    checkin: Checkin, next_step: str | None, now: datetime
) -> dict[str, Any]:
    """What a new answer changes on its check-in (``save_progress``'s columns)."""
    progress: dict[str, Any] = {}
    if checkin.status is CheckinStatus.OPEN:
        progress.update(status=CheckinStatus.ANSWERED, answered_at=now)
    if next_step is not None:
        progress["step"] = next_step
    return progress


@cache
def _rating_with_progress(keys: tuple[str, ...]) -> Update:
    """PostgreSQL: the rating's INSERT (ignoring one already there) and, only if it
    inserted, the check-in's UPDATE of the columns ``keys``, in one statement (one round
    trip fewer per answered press); returns the check-in's ``nudged_at`` when both
    were written, no row when the rating was there already."""
    ratings = table_of(GoalRating)
    rated = (
        insert_for("postgresql", ratings)
        .values({name: bindparam(f"rating_{name}") for name in _RATING_FIELDS})
        .on_conflict_do_nothing(index_elements=["checkin_id", "goal_id"])
        .returning(ratings.c.id)
        .cte("rated")
    )
    table = table_of(Checkin)
    return (
        update(table)
        .where(table.c.id == bindparam("checkin_id"), exists(select(rated.c.id)))
        .values({key: bindparam(f"new_{key}") for key in (*keys, "updated_at")})
        .returning(table.c.nudged_at)
    )


_RATING_FIELDS = (
    "checkin_id",
    "goal_id",
    "user_id",
    "local_date",
    "goal_version",
    "value",
    "answered_at",
)


async def _rated_before(
    session: AsyncSession, checkin: Checkin, goal: Goal, value: int, now: datetime
) -> str:
    """The goal was rated in this check-in already: ``same``, or the rating changed
    (the change recorded)."""
    rating = await session.scalar(
        select(GoalRating).where(GoalRating.checkin_id == checkin.id, GoalRating.goal_id == goal.id)
    )
    assert rating is not None
    if rating.value == value:
        return "same"
    session.add(
        RatingChange(
            rating_id=rating.id, previous_value=rating.value, new_value=value, changed_at=now
        )
    )
    rating.value = value
    rating.goal_version = goal.version
    rating.answered_at = now
    return "changed"


async def _low_twice(
    session: AsyncSession, checkin: Checkin, goal: Goal, value: int, recorded: Recorded
) -> Recorded:
    """``recorded``, saying whether this and the goal's previous rating are both very low."""
    if value > LOW_RATING:  # not low: no need to look at the one before
        return recorded
    previous = await session.scalar(
        select(GoalRating.value)
        .where(
            GoalRating.goal_id == goal.id,
            GoalRating.user_id == checkin.user_id,
            GoalRating.local_date < checkin.local_date,
            # "In a row": the goal's previous rating, if it is at most a week old.
            GoalRating.local_date >= checkin.local_date - LOW_RATING_LOOKBACK,
        )
        .order_by(GoalRating.local_date.desc())
        .limit(1)
    )
    return replace(recorded, low_twice=two_low_in_a_row(previous, value))


async def answer_strategy(
    session: AsyncSession, checkin: Checkin, strategy_id: int, done: bool, *, now: datetime
) -> Recorded:
    """Record (or change) whether a strategy was done that day. Does not commit."""
    inserted = await session.execute(
        _insert_ignoring(session, StrategyAnswer.__table__, "checkin_id", "strategy_id")
        .values(checkin_id=checkin.id, strategy_id=strategy_id, done=done, answered_at=now)
        .returning(StrategyAnswer.__table__.c.id)
    )
    if inserted.first() is not None:
        return Recorded("new")
    answer = await session.scalar(
        select(StrategyAnswer).where(
            StrategyAnswer.checkin_id == checkin.id, StrategyAnswer.strategy_id == strategy_id
        )
    )
    assert answer is not None
    if answer.done == done:
        return Recorded("same")
    answer.done = done
    answer.answered_at = now
    return Recorded("changed")


async def answer_of(session: AsyncSession, checkin: Checkin, step: str) -> int | bool | None:
    """What was answered to ``step`` in ``checkin``: a rating, done or not, or None."""
    kind, _sep, ident = step.partition(":")
    if not ident.isdigit():
        return None
    if kind == "goal":
        return await session.scalar(
            select(GoalRating.value).where(
                GoalRating.checkin_id == checkin.id, GoalRating.goal_id == int(ident)
            )
        )
    if kind == "strategy":
        return await session.scalar(
            select(StrategyAnswer.done).where(
                StrategyAnswer.checkin_id == checkin.id, StrategyAnswer.strategy_id == int(ident)
            )
        )
    return None


#: What an answer changes on its check-in (``save_progress`` writes these, if changed).
_PROGRESS = ("status", "answered_at", "step")


async def save_progress(session: AsyncSession, checkin: Checkin, *, now: datetime) -> bool:
    """Write what an answer changed on ``checkin`` (status, answer time, open step) in one
    UPDATE, and say whether a nudge was queued for it.

    ``nudged_at`` is read back by the write itself, after any concurrent sweep that
    queued a nudge has committed (PostgreSQL re-reads a row it waited for; SQLite holds
    the write lock), so the nudge is withdrawn only when there is one, yet never
    missed. Only changed columns are written: a stale copy (a double tap racing the
    first) never writes an older status back. Does not commit.
    """
    state = inspect(checkin)
    changes = {
        key: getattr(checkin, key) for key in _PROGRESS if state.attrs[key].history.has_changes()
    }
    values = {f"new_{key}": value for key, value in changes.items()}
    with session.no_autoflush:  # else the session would write the same changes first
        nudged_at = await session.scalar(
            _progress_update(tuple(changes)),
            {"checkin_id": checkin.id, "new_updated_at": now, **values},
        )
    # Written: the session must not write them again when it flushes.
    for key, value in (*changes.items(), ("updated_at", now), ("nudged_at", nudged_at)):
        set_committed_value(checkin, key, value)
    return nudged_at is not None


@cache
def _progress_update(keys: tuple[str, ...]) -> Update:
    """``save_progress``'s UPDATE of the columns ``keys`` (a few combinations, each built
    once: every answer runs one)."""
    table = table_of(Checkin)
    return (
        update(table)
        .where(table.c.id == bindparam("checkin_id"))
        .values({key: bindparam(f"new_{key}") for key in (*keys, "updated_at")})
        .returning(table.c.nudged_at)
    )


async def withdraw_nudge(session: AsyncSession, checkin_id: int, *, now: datetime) -> None:
    """Answered or skipped: a nudge still queued for this check-in is not sent."""
    await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.key == f"checkin_nudge:{checkin_id}",
            OutboxMessage.status == OutboxStatus.PENDING,
        )
        .values(status=OutboxStatus.EXPIRED, updated_at=now)
        .execution_options(synchronize_session=False)
    )


async def user_goal(session: AsyncSession, user_id: int, goal_id: int) -> Goal | None:
    """One of this client's goals that can be rated (not a draft), else None."""
    return await session.scalar(
        select(Goal).where(
            Goal.id == goal_id, Goal.user_id == user_id, Goal.status != GoalStatus.DRAFT
        )
    )


async def user_strategy(session: AsyncSession, user_id: int, strategy_id: int) -> Strategy | None:
    return await session.scalar(
        select(Strategy)
        .join(Goal, Goal.id == Strategy.goal_id)
        .where(Strategy.id == strategy_id, Goal.user_id == user_id)
    )


@dataclass(frozen=True)
class Summary:
    ratings: list[tuple[Goal, int]]
    strategies: list[tuple[Strategy, bool]]
    has_note: bool


async def summary(session: AsyncSession, checkin: Checkin) -> Summary:
    """What was answered in a check-in (for "you already checked in today")."""
    ratings = (
        await session.execute(
            select(Goal, GoalRating.value)
            .join(GoalRating, GoalRating.goal_id == Goal.id)
            .where(GoalRating.checkin_id == checkin.id)
            .order_by(Goal.id)
        )
    ).all()
    strategies = (
        await session.execute(
            select(Strategy, StrategyAnswer.done)
            .join(StrategyAnswer, StrategyAnswer.strategy_id == Strategy.id)
            .where(StrategyAnswer.checkin_id == checkin.id)
            .order_by(Strategy.id)
        )
    ).all()
    return Summary(
        ratings=[(goal, value) for goal, value in ratings],
        strategies=[(strategy, done) for strategy, done in strategies],
        has_note=checkin.note is not None,
    )


async def awaiting_note(session: AsyncSession, user_id: int, now: datetime) -> Checkin | None:
    """The client's check-in whose open question is the note, while its window is open;
    locked, as :func:`find` with ``lock`` (a copy of the note handled at the same time
    waits, then finds the question answered)."""
    return await session.scalar(
        select(Checkin)
        .where(
            Checkin.user_id == user_id,
            Checkin.step == NOTE,
            Checkin.status.in_([CheckinStatus.OPEN, CheckinStatus.ANSWERED]),
            Checkin.closes_at > now,
        )
        .order_by(Checkin.local_date.desc())
        .limit(1)
        .with_for_update()
    )


async def note_already_saved(session: AsyncSession, user_id: int, message_id: int) -> bool:
    found = await session.scalar(
        select(Checkin.id).where(Checkin.user_id == user_id, Checkin.note_message_id == message_id)
    )
    return found is not None
