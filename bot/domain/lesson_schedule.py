"""When the next lesson of a program is due, in the client's local dates.

The date's rules, chosen to be forgiving:

* the first lesson is due on the start date;
* each next lesson is due ``spacing_days`` after the previous one was actually
  delivered, so a late delivery pushes the rest back instead of bunching them;
* a date inside a pause moves to the first day after it, so a client back from
  a holiday gets one lesson, not a backlog;
* one lesson at a time: the next undelivered one.

And the time of day (:func:`lesson_moment`): never with the check-in, which a client
answers in a minute and would lose under a lesson's pages; the check-in comes first
and the lesson at least :data:`AFTER_CHECKIN` later, outside quiet hours.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.domain.schedule import after_quiet_hours, first_moment_from, resolve_local

#: The least time between the day's check-in and a lesson sent the same day.
AFTER_CHECKIN = timedelta(minutes=30)


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


def lesson_moment(
    now: datetime,
    checkin_at: time | None,
    zone: ZoneInfo,
    quiet: tuple[time | None, time | None],
    *,
    gap: timedelta = AFTER_CHECKIN,
) -> datetime:
    """When a lesson due today is sent (UTC): ``gap`` after today's check-in, or now if
    that has passed; never in quiet hours, and never within ``gap`` of any check-in
    (one pushed to the next morning by quiet hours included): then ``gap`` after it.
    Without a check-in time: now (past quiet hours).

    Check-in moments are worked out as the schedule does (a time in quiet hours waits
    for their end, a time in a DST gap moves past it), on every day: a weekday without
    a check-in only makes the lesson wait a little.
    """
    if checkin_at is None:
        return first_moment_from(now, None, zone, quiet)
    day, at = after_quiet_hours(now.astimezone(zone).date(), checkin_at, *quiet)
    moment = first_moment_from(max(now, resolve_local(day, at, zone) + gap), None, zone, quiet)
    for _ in range(3):  # quiet hours can push it onto the next check-in: step past that too
        clash = next(
            (c for c in _checkins_around(moment, checkin_at, zone, quiet) if abs(moment - c) < gap),
            None,
        )
        if clash is None:
            break
        moment = first_moment_from(clash + gap, None, zone, quiet)
    return moment


def _checkins_around(
    moment: datetime, at: time, zone: ZoneInfo, quiet: tuple[time | None, time | None]
) -> list[datetime]:
    """The check-in moments of the local days before, of and after ``moment``."""
    day = moment.astimezone(zone).date()
    moments = []
    for offset in (-1, 0, 1):
        send_day, send_at = after_quiet_hours(day + timedelta(days=offset), at, *quiet)
        moments.append(resolve_local(send_day, send_at, zone))
    return moments
