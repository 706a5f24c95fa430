"""When the next lesson of a program is due, and at what time (pure logic)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.lesson_schedule import (
    AFTER_CHECKIN,
    Pause,
    is_due,
    lesson_moment,
    next_due_date,
    planned_dates,
)
from bot.domain.schedule import EVERY_DAY, in_quiet_hours, next_slot

START = date(2026, 3, 2)


def test_the_first_lesson_is_due_on_the_start_date():
    assert next_due_date(start=START, spacing_days=2, last_delivered_on=None) == START
    assert not is_due(date(2026, 3, 1), start=START, spacing_days=2, last_delivered_on=None)
    assert is_due(START, start=START, spacing_days=2, last_delivered_on=None)


def test_each_next_lesson_comes_spacing_days_after_the_last_delivery():
    assert next_due_date(start=START, spacing_days=2, last_delivered_on=START) == date(2026, 3, 4)
    assert not is_due(date(2026, 3, 3), start=START, spacing_days=2, last_delivered_on=START)
    assert is_due(date(2026, 3, 4), start=START, spacing_days=2, last_delivered_on=START)


def test_a_late_delivery_pushes_the_rest_back_instead_of_bunching_them():
    late = date(2026, 3, 9)
    assert next_due_date(start=START, spacing_days=2, last_delivered_on=late) == date(2026, 3, 11)


def test_a_missed_day_is_still_due_later():
    assert is_due(date(2026, 3, 20), start=START, spacing_days=2, last_delivered_on=START)


def test_a_lesson_due_in_a_pause_moves_to_the_day_after():
    holiday = Pause(date(2026, 3, 3), date(2026, 3, 10))
    due = next_due_date(start=START, spacing_days=2, last_delivered_on=START, pauses=[holiday])
    assert due == date(2026, 3, 11)
    assert not is_due(
        date(2026, 3, 8), start=START, spacing_days=2, last_delivered_on=START, pauses=[holiday]
    )


def test_chained_pauses_are_all_skipped():
    pauses = [Pause(date(2026, 3, 4), date(2026, 3, 5)), Pause(date(2026, 3, 6), date(2026, 3, 7))]
    assert next_due_date(
        start=START, spacing_days=2, last_delivered_on=START, pauses=pauses
    ) == date(2026, 3, 8)


def test_lessons_delivered_before_the_start_do_not_make_the_first_one_early():
    before = date(2026, 2, 1)
    assert next_due_date(start=START, spacing_days=2, last_delivered_on=before) == START


def test_the_plan_for_a_whole_program():
    assert planned_dates(
        start=START,
        spacing_days=3,
        lesson_count=3,
        pauses=[Pause(date(2026, 3, 5), date(2026, 3, 5))],
    ) == [START, date(2026, 3, 6), date(2026, 3, 9)]


def test_bad_values_are_refused():
    with pytest.raises(ValueError):
        next_due_date(start=START, spacing_days=0, last_delivered_on=None)
    with pytest.raises(ValueError):
        Pause(date(2026, 3, 5), date(2026, 3, 4))


# --- the time of day: never with the check-in


BERLIN = ZoneInfo("Europe/Berlin")
NO_QUIET: tuple[time | None, time | None] = (None, None)


def _at(day: date, hour: int, minute: int = 0, zone: ZoneInfo = BERLIN) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=zone).astimezone(UTC)


def _local(moment: datetime, zone: ZoneInfo = BERLIN) -> tuple[date, time]:
    local = moment.astimezone(zone)
    return local.date(), local.time().replace(second=0, microsecond=0)


def test_a_lesson_comes_half_an_hour_after_the_check_in():
    assert _local(lesson_moment(_at(START, 12), time(20), BERLIN, NO_QUIET)) == (
        START,
        time(20, 30),
    )
    # Planned while the check-in is being answered: still half an hour after it.
    assert _local(lesson_moment(_at(START, 20, 10), time(20), BERLIN, NO_QUIET)) == (
        START,
        time(20, 30),
    )
    # Later in the evening: now.
    assert lesson_moment(_at(START, 21), time(20), BERLIN, NO_QUIET) == _at(START, 21)
    # No check-in time: now.
    assert lesson_moment(_at(START, 9), None, BERLIN, NO_QUIET) == _at(START, 9)


def test_quiet_hours_that_hold_back_the_check_in_hold_back_the_lesson_further():
    quiet = (time(22), time(8))
    # Check-in at 07:00 waits for 08:00; the lesson does not come in the same minute.
    assert _local(lesson_moment(_at(START, 6), time(7), BERLIN, quiet)) == (START, time(8, 30))
    # Check-in at 21:45; 22:15 would be in quiet hours: the next morning at 08:00.
    assert _local(lesson_moment(_at(START, 12), time(21, 45), BERLIN, quiet)) == (
        date(2026, 3, 3),
        time(8),
    )


def test_a_lesson_is_never_within_half_an_hour_of_the_check_in_the_engine_sends():
    """Against the engine's own schedule maths, over a day of planning times, check-in
    times, quiet hours and a DST change."""
    new_york = ZoneInfo("America/New_York")
    spring = date(2026, 3, 8)  # 02:00 → 03:00 in New York
    quiets = [NO_QUIET, (time(22), time(7)), (time(0), time(6)), (time(13), time(14))]
    for zone, day in ((BERLIN, START), (new_york, spring)):
        for checkin_hour, checkin_minute in ((1, 45), (6, 50), (13, 0), (20, 0), (23, 50)):
            checkin = time(checkin_hour, checkin_minute)
            for quiet in quiets:
                slot = next_slot(
                    after=_at(day, 0, 0, zone) - timedelta(minutes=1),
                    at=checkin,
                    weekdays=EVERY_DAY,
                    zone=zone,
                    after_date=day - timedelta(days=1),
                    quiet_start=quiet[0],
                    quiet_end=quiet[1],
                )
                assert slot is not None and slot.local_date == day
                following = next_slot(
                    after=slot.due_at,
                    at=checkin,
                    weekdays=EVERY_DAY,
                    zone=zone,
                    after_date=day,
                    quiet_start=quiet[0],
                    quiet_end=quiet[1],
                )
                assert following is not None
                for planning_hour in range(24):
                    for planning_minute in (5, 35):
                        now = _at(day, planning_hour, planning_minute, zone)
                        lesson = lesson_moment(now, checkin, zone, quiet)
                        case = (zone, checkin, quiet, planning_hour, planning_minute)
                        assert lesson >= now, case
                        assert lesson >= slot.due_at + AFTER_CHECKIN, case
                        # Nor onto the next day's check-in (quiet hours may push it there).
                        assert abs(lesson - following.due_at) >= AFTER_CHECKIN, case
                        assert not in_quiet_hours(lesson.astimezone(zone).time(), *quiet), case
