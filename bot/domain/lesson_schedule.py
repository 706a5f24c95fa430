"""When the next lesson of a program is due, in the client's local dates.

The time of day (preferred time, quiet hours) is the delivery engine's business;
this module only decides the date. The rules, chosen to be forgiving:

* the first lesson is due on the start date;
* each next lesson is due ``spacing_days`` after the previous one was actually
  delivered, so a late delivery pushes the rest back instead of bunching them;
* a date inside a pause moves to the first day after it, so a client back from
  a holiday gets one lesson, not a backlog;
* one lesson at a time: the next undelivered one.
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


def next_due_date(
    *,
    start: date,
    spacing_days: int,
    last_delivered_on: date | None,
    pauses: Sequence[Pause] = (),
) -> date:
    """The date the next lesson is due, given when the last one was delivered (if ever)."""
    if spacing_days < 1:
        raise ValueError("spacing_days must be at least 1")
    earliest = start
    if last_delivered_on is not None:
        earliest = max(start, last_delivered_on + timedelta(days=spacing_days))
    return outside_pauses(earliest, pauses)


def is_due(
    today: date,
    *,
    start: date,
    spacing_days: int,
    last_delivered_on: date | None,
    pauses: Sequence[Pause] = (),
) -> bool:
    """Whether the next lesson should be delivered today (its date has come, and today is
    not paused). A date that passed while the bot was down is still due: late, not lost."""
    if any(pause.covers(today) for pause in pauses):
        return False
    due = next_due_date(
        start=start, spacing_days=spacing_days, last_delivered_on=last_delivered_on, pauses=pauses
    )
    return due <= today


def planned_dates(
    *, start: date, spacing_days: int, lesson_count: int, pauses: Sequence[Pause] = ()
) -> list[date]:
    """Every lesson's date if each is delivered on its day (a practitioner's preview)."""
    dates: list[date] = []
    last: date | None = None
    for _ in range(lesson_count):
        last = next_due_date(
            start=start, spacing_days=spacing_days, last_delivered_on=last, pauses=pauses
        )
        dates.append(last)
    return dates
