"""Which lesson of a program is due on which local date.

Dates here are the client's local calendar dates; the time of day (preferred
time, quiet hours) is the delivery engine's business.

The rules, chosen to be forgiving:

* the first lesson is due on the start date;
* each next lesson is due ``spacing_days`` after the previous one was actually
  delivered (a late delivery pushes the rest back instead of bunching lessons);
* a lesson whose date falls inside a pause moves to the first day after it,
  so a client coming back from a holiday gets one lesson, not a backlog;
* at most one lesson is due at a time: the next undelivered one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class Pause:
    """Local dates on which nothing is delivered, first and last day included."""

    first_day: date
    last_day: date

    def __post_init__(self) -> None:
        if self.last_day < self.first_day:
            raise ValueError("a pause cannot end before it starts")

    def covers(self, day: date) -> bool:
        return self.first_day <= day <= self.last_day


@dataclass(frozen=True)
class DueLesson:
    step: int  # index into the program's lessons, from 0
    due_on: date


def outside_pauses(day: date, pauses: Sequence[Pause]) -> date:
    """``day``, or the first day after the pauses that cover it (pauses may chain)."""
    moved = True
    while moved:
        moved = False
        for pause in pauses:
            if pause.covers(day):
                day = pause.last_day + timedelta(days=1)
                moved = True
    return day


def next_lesson(
    *,
    start: date,
    spacing_days: int,
    lesson_count: int,
    delivered_on: Sequence[date],
    pauses: Sequence[Pause] = (),
) -> DueLesson | None:
    """The next lesson to deliver and the date it is due; None when the program is done.

    ``delivered_on`` are the local dates on which this program's lessons were
    delivered so far, in step order.
    """
    if spacing_days < 1:
        raise ValueError("spacing_days must be at least 1")
    step = len(delivered_on)
    if step >= lesson_count:
        return None
    earliest = start if step == 0 else max(delivered_on[-1] + timedelta(days=spacing_days), start)
    return DueLesson(step=step, due_on=outside_pauses(earliest, pauses))


def due_today(
    today: date,
    *,
    start: date,
    spacing_days: int,
    lesson_count: int,
    delivered_on: Sequence[date],
    pauses: Sequence[Pause] = (),
) -> DueLesson | None:
    """The lesson to deliver today, if one is due (on or before today, and today not paused)."""
    if any(pause.covers(today) for pause in pauses):
        return None
    upcoming = next_lesson(
        start=start,
        spacing_days=spacing_days,
        lesson_count=lesson_count,
        delivered_on=delivered_on,
        pauses=pauses,
    )
    if upcoming is None or upcoming.due_on > today:
        return None
    return upcoming


def planned_dates(
    *, start: date, spacing_days: int, lesson_count: int, pauses: Sequence[Pause] = ()
) -> list[date]:
    """The whole plan if every lesson is delivered on its day (for a practitioner's preview)."""
    dates: list[date] = []
    for _ in range(lesson_count):
        upcoming = next_lesson(
            start=start,
            spacing_days=spacing_days,
            lesson_count=lesson_count,
            delivered_on=dates,
            pauses=pauses,
        )
        assert upcoming is not None  # fewer than lesson_count delivered
        dates.append(upcoming.due_on)
    return dates
