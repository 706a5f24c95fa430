"""Schedules: planning each one's next slot, and the tick that turns due slots into outbox rows.

The tick reads due schedules with one indexed range query (``next_due_at <= now``)
in batches, writes one outbox row per slot (idempotent keys), and advances every
schedule of the batch in one executemany. Nothing here grows with the number of
clients: memory is bounded by the batch size.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.base import table_of
from bot.db.models import Schedule, User, UserStatus
from bot.delivery.outbox import OutboxItem, enqueue_many
from bot.domain.schedule import EVERY_DAY, Slot, next_slot, zone_or_default


@dataclass(frozen=True)
class Planning:
    """What the tick needs from the settings."""

    default_timezone: str
    window: timedelta
    batch_size: int = 500


def slot_key(kind: str, user_id: int, schedule_id: int, local_date: date) -> str:
    """The idempotency key of a scheduled slot: one message per schedule and local date."""
    return f"{kind}:{user_id}:{schedule_id}:{local_date.isoformat()}"


def _plan(
    *,
    after: datetime,
    weekdays: int,
    local_time: time | None,
    checkin_time: time | None,
    timezone: str | None,
    quiet_start: time | None,
    quiet_end: time | None,
    after_date: date | None,
    default_timezone: str,
) -> Slot | None:
    at = local_time or checkin_time
    if at is None:
        return None
    return next_slot(
        after=after,
        at=at,
        weekdays=weekdays,
        zone=zone_or_default(timezone, default_timezone),
        after_date=after_date,
        quiet_start=quiet_start,
        quiet_end=quiet_end,
    )


async def add_schedule(
    session: AsyncSession,
    user: User,
    *,
    kind: str,
    now: datetime,
    default_timezone: str,
    local_time: time | None = None,
    weekdays: int = EVERY_DAY,
) -> Schedule:
    """A new schedule for ``user``; ``local_time=None`` follows the user's checkin_time.

    Does not commit.
    """
    slot = _plan(
        after=now,
        weekdays=weekdays,
        local_time=local_time,
        checkin_time=user.checkin_time,
        timezone=user.timezone,
        quiet_start=user.quiet_start,
        quiet_end=user.quiet_end,
        after_date=None,
        default_timezone=default_timezone,
    )
    schedule = Schedule(
        user_id=user.id,
        kind=kind,
        weekdays=weekdays,
        local_time=local_time,
        next_due_at=slot.due_at if slot else None,
        next_slot_date=slot.local_date if slot else None,
    )
    session.add(schedule)
    await session.flush()
    return schedule


async def reschedule_user(
    session: AsyncSession, user_id: int, *, now: datetime, default_timezone: str
) -> None:
    """Recompute a user's schedules after a change of time zone, times or quiet hours.

    Call it (in the same transaction) whenever one of those changes, or when a stopped
    or unreachable user is active again. The change applies from the next slot, and a
    local date already served is never served again. Does not commit.
    """
    user = await session.get(User, user_id)
    if user is None:
        return
    schedules = (await session.scalars(select(Schedule).where(Schedule.user_id == user_id))).all()
    for schedule in schedules:
        slot = None
        if user.status is UserStatus.ACTIVE:
            slot = _plan(
                after=now,
                weekdays=schedule.weekdays,
                local_time=schedule.local_time,
                checkin_time=user.checkin_time,
                timezone=user.timezone,
                quiet_start=user.quiet_start,
                quiet_end=user.quiet_end,
                after_date=schedule.last_slot_date,
                default_timezone=default_timezone,
            )
        schedule.next_due_at = slot.due_at if slot else None
        schedule.next_slot_date = slot.local_date if slot else None


async def stop_schedules(session: AsyncSession, user_id: int) -> None:
    """Nothing more is planned for this user (until :func:`reschedule_user`). No commit."""
    await session.execute(
        update(Schedule)
        .where(Schedule.user_id == user_id)
        .values(next_due_at=None, next_slot_date=None)
        .execution_options(synchronize_session=False)
    )


#: Builds the payload of a scheduled kind's message from the slot (ids and dates only).
PayloadBuilder = Callable[[int, date], dict[str, Any]]


def _default_payload(schedule_id: int, local_date: date) -> dict[str, Any]:
    return {"schedule_id": schedule_id, "local_date": local_date.isoformat()}


# One executemany over the Core table (the ORM's bulk update does per-row bookkeeping).
_SCHEDULES = table_of(Schedule)
_ADVANCE = (
    update(_SCHEDULES)
    .where(_SCHEDULES.c.id == bindparam("schedule_id"))
    .values(
        next_due_at=bindparam("next_due_at"),
        next_slot_date=bindparam("next_slot_date"),
        last_slot_date=bindparam("last_slot_date"),
        updated_at=bindparam("updated_at"),
    )
)


async def enqueue_due_batch(session: AsyncSession, *, now: datetime, planning: Planning) -> int:
    """One batch of the tick: due schedules → outbox rows, schedules advanced.

    Returns how many schedules were handled (a full batch means: call again).
    On PostgreSQL, FOR UPDATE SKIP LOCKED lets instances tick at the same time
    without waiting on each other; the unique outbox key makes a slot enqueued twice
    (by a retried transaction, say) harmless anyway. Does not commit.
    """
    due = (
        await session.execute(
            select(
                Schedule.id,
                Schedule.user_id,
                Schedule.kind,
                Schedule.weekdays,
                Schedule.local_time,
                Schedule.next_due_at,
                Schedule.next_slot_date,
                User.telegram_id,
                User.status,
                User.timezone,
                User.checkin_time,
                User.quiet_start,
                User.quiet_end,
                User.paused_until,
            )
            .join(User, User.id == Schedule.user_id)
            .where(Schedule.next_due_at <= now)
            .order_by(Schedule.next_due_at)
            .limit(planning.batch_size)
            .with_for_update(of=Schedule, skip_locked=True)
        )
    ).all()
    items: list[OutboxItem] = []
    advances: list[dict[str, Any]] = []
    for row in due:
        slot_date: date = row.next_slot_date or row.next_due_at.date()
        paused = row.paused_until is not None and row.paused_until > row.next_due_at
        if row.status is UserStatus.ACTIVE and not paused:
            items.append(
                OutboxItem(
                    user_id=row.user_id,
                    chat_id=row.telegram_id,
                    kind=row.kind,
                    key=slot_key(row.kind, row.user_id, row.id, slot_date),
                    payload=_default_payload(row.id, slot_date),
                    due_at=row.next_due_at,
                    # After downtime a slot is still written, and expires at once if its
                    # window has passed: a record of what was missed, never a late prompt.
                    expires_at=row.next_due_at + planning.window,
                )
            )
        # The next slot comes after now (no catching up after downtime) and after a pause.
        after = max(now, row.next_due_at, row.paused_until or now)
        slot = None
        if row.status is UserStatus.ACTIVE:
            slot = _plan(
                after=after,
                weekdays=row.weekdays,
                local_time=row.local_time,
                checkin_time=row.checkin_time,
                timezone=row.timezone,
                quiet_start=row.quiet_start,
                quiet_end=row.quiet_end,
                after_date=slot_date,
                default_timezone=planning.default_timezone,
            )
        advances.append(
            {
                "schedule_id": row.id,
                "next_due_at": slot.due_at if slot else None,
                "next_slot_date": slot.local_date if slot else None,
                "last_slot_date": slot_date,
                "updated_at": now,
            }
        )
    await enqueue_many(session, items)
    if advances:
        await session.execute(_ADVANCE, advances)
    return len(due)
