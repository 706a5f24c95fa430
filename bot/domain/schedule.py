"""Schedule maths: when a local time-of-day slot falls, as a UTC instant.

Pure functions over ``zoneinfo``; no database, no Telegram. The rules:

- a wall-clock time that does not exist (spring forward) is sent at the first
  valid minute after it (New York 02:30 on the change day → 03:00);
- a wall-clock time that exists twice (fall back) is sent once, at its first
  occurrence;
- quiet hours (which may wrap midnight) postpone a slot to the minute they end;
- a slot belongs to its local date, and a schedule never fires twice for one
  local date (``after_date``), so travelling across zones cannot repeat a day.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

#: Monday is bit 0 … Sunday is bit 6 (``date.weekday()``).
EVERY_DAY = 0b1111111
_MINUTE = timedelta(minutes=1)
# The longest wall-clock gap in the tz database is a day (Samoa, 2011); look that far.
_MAX_GAP_MINUTES = 24 * 60 + 1


def weekday_mask(days: Iterable[int]) -> int:
    """A bitmask of weekdays (0 = Monday … 6 = Sunday)."""
    mask = 0
    for day in days:
        if not 0 <= day <= 6:
            raise ValueError(f"weekday must be 0..6, got {day}")
        mask |= 1 << day
    return mask


def zone_or_default(name: str | None, default: str) -> ZoneInfo:
    """The user's zone; a missing or unknown name falls back to the default."""
    for candidate in (name, default):
        if candidate:
            try:
                return ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


def local_date(now: datetime, timezone: str | None, default_timezone: str) -> date:
    """The user's calendar date at ``now``, in their zone (or the default)."""
    return now.astimezone(zone_or_default(timezone, default_timezone)).date()


def wall_time_exists(local: datetime, zone: ZoneInfo) -> bool:
    """Whether a naive wall-clock time occurs in ``zone`` (False inside a DST gap)."""
    aware = local.replace(tzinfo=zone)
    return aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == local


def resolve_local(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of wall-clock ``at`` on ``day`` in ``zone``.

    Inside a gap: the first valid minute after it. Inside a fold: the first of
    the two instants (``fold=0``), so the slot happens once.
    """
    local = datetime.combine(day, at.replace(second=0, microsecond=0, tzinfo=None))
    for _ in range(_MAX_GAP_MINUTES):
        if wall_time_exists(local, zone):
            return local.replace(tzinfo=zone, fold=0).astimezone(UTC)
        local += _MINUTE
    raise ValueError(f"no valid wall-clock time after {day} {at} in {zone}")  # pragma: no cover


def in_quiet_hours(at: time, start: time | None, end: time | None) -> bool:
    """Whether ``at`` falls in [start, end); the interval may wrap midnight (22:00–07:00)."""
    if start is None or end is None or start == end:
        return False
    if start < end:
        return start <= at < end
    return at >= start or at < end


def after_quiet_hours(
    day: date, at: time, start: time | None, end: time | None
) -> tuple[date, time]:
    """When a slot at ``day``/``at`` is sent: postponed to the end of quiet hours."""
    if not in_quiet_hours(at, start, end):
        return day, at
    assert start is not None and end is not None
    wraps = start > end
    return (day + timedelta(days=1), end) if wraps and at >= start else (day, end)


@dataclass(frozen=True)
class Slot:
    """One occurrence of a schedule: the local date it belongs to and when it is sent (UTC)."""

    local_date: date
    due_at: datetime


def next_slot(
    *,
    after: datetime,
    at: time,
    weekdays: int,
    zone: ZoneInfo,
    after_date: date | None = None,
    quiet_start: time | None = None,
    quiet_end: time | None = None,
) -> Slot | None:
    """The first slot sent strictly after ``after`` (aware) on a local date later than
    ``after_date`` (the last date already served), or None when no weekday is chosen."""
    if after.tzinfo is None:
        raise ValueError("after must be an aware datetime")
    if not weekdays & EVERY_DAY:
        return None
    # Start a day early: quiet hours may push yesterday's slot past `after`.
    day = after.astimezone(zone).date() - timedelta(days=1)
    if after_date is not None and day <= after_date:
        day = after_date + timedelta(days=1)
    for _ in range(16):
        if weekdays & (1 << day.weekday()):
            send_day, send_at = after_quiet_hours(day, at, quiet_start, quiet_end)
            due_at = resolve_local(send_day, send_at, zone)
            if due_at > after:
                return Slot(local_date=day, due_at=due_at)
        day += timedelta(days=1)
    raise AssertionError("a chosen weekday recurs within a week")  # pragma: no cover


def first_moment_from(
    now: datetime, at: time | None, zone: ZoneInfo, quiet: tuple[time | None, time | None]
) -> datetime:
    """When something due today is sent: at the local time ``at`` if still ahead today,
    else now — postponed past quiet hours (``quiet`` = (start, end), either may be None)."""
    local = now.astimezone(zone)
    day, when = local.date(), local.time().replace(second=0, microsecond=0)
    if at is not None and when < at:
        when = at
    day, when = after_quiet_hours(day, when, *quiet)
    return max(resolve_local(day, when, zone), now)
