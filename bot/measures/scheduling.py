"""Scheduled measures: a practitioner's assignment, and the job that opens the due ones.

An assignment is sent at the client's check-in time (09:00 local when they chose
none), never in their quiet hours: first at the next check-in time after it was
made, then every 7 or 14 days, or on the same day of the next month. The job finds
due assignments with one indexed range query per batch (``next_due_at <= now``),
opens one administration per slot (unique per assignment and local date, so a
repeated run is harmless), queues one outbox row each and advances every
assignment of the batch in one executemany: nothing is queried per client.

A client paused at the slot's time, stopped or unreachable misses that slot (no
catching up). The next slot is planned when a slot fires; a change of the client's
zone or times re-plans it (:func:`reschedule`, called by /settings).
"""

from __future__ import annotations

import calendar
import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.base import table_of
from bot.db.models import (
    Cadence,
    MeasureAdministration,
    MeasureAssignment,
    User,
    UserStatus,
)
from bot.delivery.outbox import OutboxItem, enqueue_many
from bot.domain.schedule import EVERY_DAY, Slot, next_slot, zone_or_default
from bot.measures.administrations import open_administration
from bot.measures.model import Measure

logger = logging.getLogger(__name__)

KIND = "measure"
DEFAULT_TIME = time(9, 0)


def key(administration_id: int) -> str:
    return f"{KIND}:{administration_id}"


def add_month(day: date) -> date:
    """The same day of the next month (the last day when that month is shorter)."""
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def last_date_before_next(cadence: Cadence, served: date) -> date:
    """The next slot falls on the first local date after the returned one."""
    if cadence is Cadence.WEEKLY:
        return served + timedelta(days=6)
    if cadence is Cadence.FORTNIGHTLY:
        return served + timedelta(days=13)
    return add_month(served) - timedelta(days=1)


@dataclass(frozen=True)
class When:
    """What planning needs of the client (their row, or a row of the job's query)."""

    timezone: str | None
    checkin_time: time | None
    quiet_start: time | None
    quiet_end: time | None


def plan(
    cadence: Cadence | None,
    who: When,
    *,
    after: datetime,
    served: date | None,
    default_timezone: str,
) -> Slot:
    """The next slot: after ``after``, and (when a slot was served) one cadence later."""
    slot = next_slot(
        after=after,
        at=who.checkin_time or DEFAULT_TIME,
        weekdays=EVERY_DAY,
        zone=zone_or_default(who.timezone, default_timezone),
        after_date=None
        if served is None or cadence is None
        else last_date_before_next(cadence, served),
        quiet_start=who.quiet_start,
        quiet_end=who.quiet_end,
    )
    assert slot is not None  # every day is allowed
    return slot


async def assign(
    session: AsyncSession,
    client: User,
    *,
    measure_id: str,
    cadence: Cadence,
    by: int,
    now: datetime,
    default_timezone: str,
) -> tuple[MeasureAssignment, bool]:
    """Schedule (or reschedule) ``measure_id`` for the client; returns the assignment and
    whether anything changed (the same cadence again changes nothing). No commit."""
    assignment = await session.scalar(
        select(MeasureAssignment).where(
            MeasureAssignment.user_id == client.id, MeasureAssignment.measure_id == measure_id
        )
    )
    if (
        assignment is not None
        and assignment.stopped_at is None
        and assignment.cadence is cadence
        and assignment.next_due_at is not None
    ):
        return assignment, False
    if assignment is None:
        assignment = MeasureAssignment(user_id=client.id, measure_id=measure_id)
        session.add(assignment)
    slot = plan(None, _when(client), after=now, served=None, default_timezone=default_timezone)
    assignment.cadence = cadence
    assignment.created_by_id = by
    assignment.stopped_at = None
    assignment.next_due_at = slot.due_at
    assignment.next_slot_date = slot.local_date
    await session.flush()
    return assignment, True


async def stop(
    session: AsyncSession, client_id: int, measure_id: str, *, now: datetime
) -> MeasureAssignment | None:
    """Nothing more is sent of this measure; None when it was not scheduled. No commit."""
    assignment = await session.scalar(
        select(MeasureAssignment).where(
            MeasureAssignment.user_id == client_id,
            MeasureAssignment.measure_id == measure_id,
            MeasureAssignment.stopped_at.is_(None),
        )
    )
    if assignment is None:
        return None
    assignment.stopped_at = now
    assignment.next_due_at = None
    assignment.next_slot_date = None
    await session.flush()
    return assignment


async def reschedule(
    session: AsyncSession, user: User, *, now: datetime, default_timezone: str
) -> None:
    """Re-plan the client's pending slots after a change of time zone, check-in time or
    quiet hours (call it where ``bot.delivery.reschedule_user`` is called). No commit."""
    for assignment in await assignments_of(session, user.id):
        served = assignment.last_slot_date
        slot = plan(
            assignment.cadence if served else None,
            _when(user),
            after=now,
            served=served,
            default_timezone=default_timezone,
        )
        assignment.next_due_at = slot.due_at
        assignment.next_slot_date = slot.local_date
    await session.flush()


async def assignments_of(session: AsyncSession, client_id: int) -> list[MeasureAssignment]:
    return list(
        await session.scalars(
            select(MeasureAssignment)
            .where(MeasureAssignment.user_id == client_id, MeasureAssignment.stopped_at.is_(None))
            .order_by(MeasureAssignment.measure_id)
        )
    )


def _when(row: Any) -> When:
    return When(row.timezone, row.checkin_time, row.quiet_start, row.quiet_end)


_ASSIGNMENTS = table_of(MeasureAssignment)
_ADVANCE = (
    update(_ASSIGNMENTS)
    .where(_ASSIGNMENTS.c.id == bindparam("assignment_id"))
    .values(
        next_due_at=bindparam("next_due_at"),
        next_slot_date=bindparam("next_slot_date"),
        last_slot_date=bindparam("last_slot_date"),
        updated_at=bindparam("updated_at"),
    )
)


async def open_due_batch(
    session: AsyncSession,
    measures: dict[str, Measure],
    *,
    now: datetime,
    default_timezone: str,
    batch_size: int = 500,
) -> int:
    """One batch of the job: due assignments → administrations and outbox rows.

    Returns how many assignments were handled (a full batch means: call again).
    Does not commit.
    """
    due = (
        await session.execute(
            select(
                MeasureAssignment.id,
                MeasureAssignment.user_id,
                MeasureAssignment.measure_id,
                MeasureAssignment.cadence,
                MeasureAssignment.next_due_at,
                MeasureAssignment.next_slot_date,
                User.telegram_id,
                User.status,
                User.timezone,
                User.checkin_time,
                User.quiet_start,
                User.quiet_end,
                User.paused_until,
            )
            .join(User, User.id == MeasureAssignment.user_id)
            .where(MeasureAssignment.next_due_at <= now)
            .order_by(MeasureAssignment.next_due_at)
            .limit(batch_size)
            .with_for_update(of=MeasureAssignment, skip_locked=True)
        )
    ).all()
    if not due:
        return 0
    served = {(row.id, row.next_slot_date) for row in due}
    already = {
        (assignment_id, slot_date)
        for assignment_id, slot_date in await session.execute(
            select(MeasureAdministration.assignment_id, MeasureAdministration.slot_date).where(
                MeasureAdministration.assignment_id.in_([row.id for row in due])
            )
        )
        if (assignment_id, slot_date) in served
    }
    opened: list[tuple[Any, MeasureAdministration]] = []
    advances: list[dict[str, Any]] = []
    for row in due:
        slot_date: date = row.next_slot_date or row.next_due_at.date()
        measure = measures.get(row.measure_id)
        paused = row.paused_until is not None and row.paused_until > row.next_due_at
        if (
            measure is not None
            and row.status is UserStatus.ACTIVE
            and not paused
            and (row.id, slot_date) not in already
        ):
            administration = open_administration(
                session,
                measure,
                user_id=row.user_id,
                now=row.next_due_at,
                assignment_id=row.id,
                slot_date=slot_date,
            )
            opened.append((row, administration))
        elif measure is None:
            logger.warning("event=measure.unknown assignment_id=%s", row.id)
        slot = plan(
            row.cadence,
            _when(row),
            after=max(now, row.next_due_at, row.paused_until or now),
            served=slot_date,
            default_timezone=default_timezone,
        )
        advances.append(
            {
                "assignment_id": row.id,
                "next_due_at": slot.due_at,
                "next_slot_date": slot.local_date,
                "last_slot_date": slot_date,
                "updated_at": now,
            }
        )
    await session.flush()  # one multi-row INSERT: the administrations get their ids
    await enqueue_many(
        session,
        [
            OutboxItem(
                user_id=row.user_id,
                chat_id=row.telegram_id,
                kind=KIND,
                key=key(administration.id),
                payload={"administration_id": administration.id},
                due_at=administration.opened_at,
                # Not sent once it can no longer be answered.
                expires_at=administration.closes_at,
            )
            for row, administration in opened
        ],
    )
    await session.execute(_ADVANCE, advances)
    for _row, administration in opened:
        logger.info(
            "event=measure.opened administration_id=%s user_id=%s measure=%s",
            administration.id,
            administration.user_id,
            administration.measure_id,
        )
    return len(due)
