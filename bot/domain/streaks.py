"""Forgiving streaks: consecutive scheduled check-in days with an answer.

Rules (DESIGN.md, "Educating and empowering"):
- only days with a scheduled check-in count; other days are invisible;
- paused days (a holiday) neither break nor count;
- a missed scheduled day is forgiven as a *grace day* if no other grace day was
  used in the 7 days before it (``grace_days`` per 7, a setting), so one bad day
  does not wipe out weeks;
- today, while still unanswered, never breaks anything;
- the personal best is kept, and milestones are celebrated once each time the
  current streak reaches them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

MILESTONES: tuple[int, ...] = (3, 7, 14, 30, 60, 100, 180, 365)
GRACE_WINDOW = timedelta(days=7)


class Day(StrEnum):
    ANSWERED = "answered"
    MISSED = "missed"
    PAUSED = "paused"
    NOT_SCHEDULED = "not_scheduled"
    PENDING = "pending"  # today, scheduled, not answered yet


@dataclass(frozen=True)
class Streak:
    current: int
    best: int
    graced: tuple[date, ...]  # missed days forgiven, most recent last
    broken_on: date | None  # the last day that ended a streak, for a kind "welcome back"


def streak(days: Sequence[tuple[date, Day]], *, grace_days: int = 1) -> Streak:
    """Walk the days in order and return the streak at the end of them."""
    current = best = 0
    graced: list[date] = []
    broken_on: date | None = None
    for day, status in sorted(days):
        if status is Day.ANSWERED:
            current += 1
            best = max(best, current)
        elif status is Day.MISSED:
            recent = [g for g in graced if day - g < GRACE_WINDOW]
            if current > 0 and len(recent) < grace_days:
                graced.append(day)
            else:
                if current > 0:
                    broken_on = day
                current = 0
        # PAUSED, NOT_SCHEDULED and PENDING leave the streak as it is.
    return Streak(current=current, best=best, graced=tuple(graced), broken_on=broken_on)


def milestone_reached(before: int, after: int) -> int | None:
    """The milestone crossed when the streak went from ``before`` to ``after``, if any."""
    crossed = [m for m in MILESTONES if before < m <= after]
    return crossed[-1] if crossed else None


def local_dates(instants: Iterable[datetime], timezone: str) -> list[date]:
    """The distinct local calendar dates of aware instants, in order.

    A 23- or 25-hour day at a DST change is still one date, so answers are
    counted per local date, never per 24 hours.
    """
    zone = ZoneInfo(timezone)
    return sorted({instant.astimezone(zone).date() for instant in instants})
