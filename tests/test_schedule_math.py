"""Schedule maths in real time zones: DST gaps and folds, odd offsets, quiet hours, travel."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.schedule import (
    EVERY_DAY,
    in_quiet_hours,
    next_slot,
    resolve_local,
    wall_time_exists,
    weekday_mask,
)

NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")
KATHMANDU = ZoneInfo("Asia/Kathmandu")
ZONES = [NEW_YORK, BERLIN, LORD_HOWE, KATHMANDU]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def local(instant: datetime, zone: ZoneInfo) -> datetime:
    return instant.astimezone(zone).replace(tzinfo=None)


@pytest.mark.parametrize(
    ("zone", "day", "at", "expected_local", "expected_utc"),
    [
        # Spring forward: the missing wall time is sent at the first valid minute after it.
        (NEW_YORK, date(2026, 3, 8), time(2, 30), datetime(2026, 3, 8, 3, 0), utc(2026, 3, 8, 7)),
        (BERLIN, date(2026, 3, 29), time(2, 15), datetime(2026, 3, 29, 3, 0), utc(2026, 3, 29, 1)),
        # Lord Howe moves by half an hour: 02:00-02:29 do not exist.
        (
            LORD_HOWE,
            date(2026, 10, 4),
            time(2, 10),
            datetime(2026, 10, 4, 2, 30),
            utc(2026, 10, 3, 15, 30),
        ),
        # Kathmandu's move from +05:30 to +05:45 in 1986 skipped 00:00-00:14.
        (
            KATHMANDU,
            date(1986, 1, 1),
            time(0, 5),
            datetime(1986, 1, 1, 0, 15),
            utc(1985, 12, 31, 18, 30),
        ),
    ],
)
def test_a_time_in_a_dst_gap_is_sent_at_the_first_valid_minute_after(
    zone, day, at, expected_local, expected_utc
):
    assert not wall_time_exists(datetime.combine(day, at), zone)
    instant = resolve_local(day, at, zone)
    assert instant == expected_utc
    assert local(instant, zone) == expected_local


@pytest.mark.parametrize(
    ("zone", "day", "at", "expected_utc"),
    [
        # Fall back: 01:30 happens twice; the first one (still daylight time) is used.
        (NEW_YORK, date(2026, 11, 1), time(1, 30), utc(2026, 11, 1, 5, 30)),
        (BERLIN, date(2026, 10, 25), time(2, 30), utc(2026, 10, 25, 0, 30)),
        # Lord Howe: 01:30-01:59 happen twice (+11 then +10:30).
        (LORD_HOWE, date(2026, 4, 5), time(1, 45), utc(2026, 4, 4, 14, 45)),
    ],
)
def test_a_time_in_a_fold_is_sent_once_at_its_first_occurrence(zone, day, at, expected_utc):
    assert resolve_local(day, at, zone) == expected_utc
    # Walking slot to slot across the fold gives that day exactly once.
    start = datetime.combine(day - timedelta(days=2), time(12), tzinfo=zone)
    dates = [slot.local_date for slot in walk(start, at, zone, days=5)]
    assert dates.count(day) == 1
    assert dates == sorted(set(dates))


def test_kathmandu_quarter_hour_offset():
    assert resolve_local(date(2026, 6, 1), time(9, 0), KATHMANDU) == utc(2026, 6, 1, 3, 15)


def walk(start: datetime, at: time, zone: ZoneInfo, *, days: int, weekdays: int = EVERY_DAY):
    slots, after, last_date = [], start, None
    end = start + timedelta(days=days)
    while True:
        slot = next_slot(after=after, at=at, weekdays=weekdays, zone=zone, after_date=last_date)
        if slot is None or slot.due_at > end:
            return slots
        slots.append(slot)
        after, last_date = slot.due_at, slot.local_date


def test_only_chosen_weekdays():
    mondays_and_thursdays = weekday_mask([0, 3])
    slots = walk(utc(2026, 6, 1), time(9), BERLIN, days=14, weekdays=mondays_and_thursdays)
    assert [slot.local_date.weekday() for slot in slots] == [0, 3, 0, 3]
    assert next_slot(after=utc(2026, 6, 1), at=time(9), weekdays=0, zone=BERLIN) is None


@pytest.mark.parametrize(
    ("at", "start", "end", "quiet"),
    [
        (time(23, 0), time(22, 0), time(7, 0), True),
        (time(6, 59), time(22, 0), time(7, 0), True),
        (time(7, 0), time(22, 0), time(7, 0), False),
        (time(12, 0), time(22, 0), time(7, 0), False),
        (time(13, 0), time(12, 0), time(14, 0), True),
        (time(14, 0), time(12, 0), time(14, 0), False),
        (time(13, 0), None, None, False),
        (time(13, 0), time(9, 0), time(9, 0), False),
    ],
)
def test_quiet_hours_may_wrap_midnight(at, start, end, quiet):
    assert in_quiet_hours(at, start, end) is quiet


def test_a_slot_in_quiet_hours_waits_until_they_end_and_keeps_its_date():
    # 23:30 with quiet hours 22:00-07:00: sent at 07:00 the next morning, counted for its own day.
    slot = next_slot(
        after=utc(2026, 6, 1, 12),
        at=time(23, 30),
        weekdays=EVERY_DAY,
        zone=BERLIN,
        quiet_start=time(22),
        quiet_end=time(7),
    )
    assert slot is not None
    assert slot.local_date == date(2026, 6, 1)
    assert local(slot.due_at, BERLIN) == datetime(2026, 6, 2, 7, 0)


def test_travelling_east_then_west_never_repeats_a_local_date():
    # 09:00 in Berlin on 1 June is served; the client flies to New York the same day.
    berlin = next_slot(after=utc(2026, 6, 1, 5), at=time(9), weekdays=EVERY_DAY, zone=BERLIN)
    assert berlin is not None and berlin.local_date == date(2026, 6, 1)
    # At 10:00 Berlin time it is 04:00 in New York: 09:00 there is still ahead on 1 June,
    # but 1 June was served, so the next slot is 2 June.
    in_new_york = next_slot(
        after=utc(2026, 6, 1, 8),
        at=time(9),
        weekdays=EVERY_DAY,
        zone=NEW_YORK,
        after_date=berlin.local_date,
    )
    assert in_new_york is not None
    assert in_new_york.local_date == date(2026, 6, 2)
    assert local(in_new_york.due_at, NEW_YORK) == datetime(2026, 6, 2, 9, 0)


def test_after_must_be_aware():
    with pytest.raises(ValueError):
        next_slot(after=datetime(2026, 1, 1), at=time(9), weekdays=EVERY_DAY, zone=BERLIN)


zones = st.sampled_from(ZONES)
instants = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2032, 12, 31), timezones=st.just(UTC)
)
times = st.builds(time, st.integers(0, 23), st.integers(0, 59))
masks = st.integers(1, EVERY_DAY)


@settings(max_examples=300, deadline=None)
@given(zone=zones, after=instants, at=times, weekdays=masks)
def test_next_slot_is_the_wall_time_or_the_first_minute_after_a_gap(zone, after, at, weekdays):
    slot = next_slot(after=after, at=at, weekdays=weekdays, zone=zone)
    assert slot is not None
    assert slot.due_at > after
    assert weekdays & (1 << slot.local_date.weekday())
    wall = local(slot.due_at, zone)
    assert wall.date() == slot.local_date
    wanted = datetime.combine(slot.local_date, at)
    if wall_time_exists(wanted, zone):
        assert wall == wanted
    else:  # every minute from the wanted time up to the one used is missing
        assert wall > wanted
        minute = wanted
        while minute < wall:
            assert not wall_time_exists(minute, zone)
            minute += timedelta(minutes=1)
    # No earlier chosen day qualifies: each one's time was not after `after`.
    day = local(after, zone).date() - timedelta(days=1)
    while day < slot.local_date:
        if weekdays & (1 << day.weekday()):
            assert resolve_local(day, at, zone) <= after
        day += timedelta(days=1)


@settings(max_examples=150, deadline=None)
@given(zone=zones, start=instants, at=times)
def test_walking_a_daily_schedule_serves_every_local_date_exactly_once(zone, start, at):
    slots = walk(start, at, zone, days=40)
    dates = [slot.local_date for slot in slots]
    assert dates == sorted(set(dates))
    assert all(b - a == timedelta(days=1) for a, b in itertools.pairwise(dates))
    instants_ = [slot.due_at for slot in slots]
    assert instants_ == sorted(set(instants_))
