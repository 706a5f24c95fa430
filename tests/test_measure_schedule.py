"""When scheduled measures fall: weekly, fortnightly, monthly, at the client's check-in time."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from bot.db.models import Cadence
from bot.measures.scheduling import When, add_month, plan

VIENNA = When("Europe/Vienna", time(8, 0), time(22, 0), time(7, 0))


def test_the_first_slot_is_the_next_check_in_time():
    # 06:30 UTC = 07:30 in Vienna (winter): today at 08:00 local = 07:00 UTC
    slot = plan(
        None, VIENNA, after=datetime(2026, 1, 5, 6, 30, tzinfo=UTC), served=None,
        default_timezone="UTC",
    )  # fmt: skip
    assert slot.local_date == date(2026, 1, 5)
    assert slot.due_at == datetime(2026, 1, 5, 7, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("cadence", "served", "expected"),
    [
        (Cadence.WEEKLY, date(2026, 1, 5), date(2026, 1, 12)),
        (Cadence.FORTNIGHTLY, date(2026, 1, 5), date(2026, 1, 19)),
        (Cadence.MONTHLY, date(2026, 1, 5), date(2026, 2, 5)),
        (Cadence.MONTHLY, date(2026, 1, 31), date(2026, 2, 28)),  # shorter month: its last day
        (Cadence.MONTHLY, date(2026, 12, 15), date(2027, 1, 15)),
    ],
)
def test_the_next_slot_is_one_cadence_later(cadence, served, expected):
    after = datetime.combine(served, time(12, 0), tzinfo=UTC)
    slot = plan(cadence, VIENNA, after=after, served=served, default_timezone="UTC")
    assert slot.local_date == expected
    assert slot.due_at.astimezone(UTC).time() == time(7, 0)  # 08:00 in Vienna, winter


def test_after_a_pause_the_next_slot_comes_after_it():
    # served Monday 5th; paused until the 14th, 08:30 local (past 08:00): next is the 15th
    after = datetime(2026, 1, 14, 7, 30, tzinfo=UTC)
    slot = plan(
        Cadence.WEEKLY, VIENNA, after=after, served=date(2026, 1, 5), default_timezone="UTC"
    )
    assert slot.local_date == date(2026, 1, 15)


def test_without_a_check_in_time_it_is_nine_local_outside_quiet_hours():
    who = When(None, None, None, None)
    slot = plan(
        None, who, after=datetime(2026, 3, 1, 10, 0, tzinfo=UTC), served=None,
        default_timezone="America/New_York",
    )  # fmt: skip
    assert slot.due_at == datetime(2026, 3, 1, 14, 0, tzinfo=UTC)  # 05:00 EST now → 09:00 EST


def test_add_month_keeps_the_day_or_takes_the_last():
    assert add_month(date(2026, 1, 31)) == date(2026, 2, 28)
    assert add_month(date(2028, 1, 31)) == date(2028, 2, 29)
    assert add_month(date(2026, 3, 15)) == date(2026, 4, 15)
