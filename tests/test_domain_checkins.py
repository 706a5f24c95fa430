"""Which strategies a check-in asks about, two low ratings, and /progress's encouragement."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.domain.checkins import encouragement, strategy_due, two_low_in_a_row, week_start
from bot.domain.schedule import weekday_mask

MONDAY = date(2027, 3, 1)


def test_daily_is_always_due():
    assert all(strategy_due("daily", MONDAY + timedelta(days=d)) for d in range(7))


def test_weekdays_follow_the_bitmask():
    mask = weekday_mask([0, 2, 4])  # Monday, Wednesday, Friday
    due = [strategy_due("weekdays", MONDAY + timedelta(days=d), weekdays=mask) for d in range(7)]
    assert due == [True, False, True, False, True, False, False]


@pytest.mark.parametrize(("done", "expected"), [(0, True), (2, True), (3, False), (5, False)])
def test_times_per_week_is_asked_until_done_often_enough(done: int, expected: bool):
    assert strategy_due("times_per_week", MONDAY, times_per_week=3, done_this_week=done) is expected


def test_week_start_is_monday():
    assert {week_start(MONDAY + timedelta(days=d)) for d in range(7)} == {MONDAY}


def test_two_low_in_a_row():
    assert two_low_in_a_row(2, 1)
    assert not two_low_in_a_row(3, 1)
    assert not two_low_in_a_row(None, 0)
    assert not two_low_in_a_row(0, 3)


TODAY = date(2027, 3, 28)


def test_a_trend_up_comes_first():
    ratings = {
        7: [(TODAY - timedelta(days=d), 3) for d in range(8, 14)]
        + [(TODAY - timedelta(days=d), 6) for d in range(0, 7)]
    }
    assert encouragement(ratings, {1: 5}, today=TODAY).kind == "trend_up"


def test_then_the_strategy_done_most():
    ratings = {7: [(TODAY - timedelta(days=d), 5) for d in range(0, 14)]}
    found = encouragement(ratings, {1: 2, 2: 6, 3: 6}, today=TODAY)
    assert (found.kind, found.strategy_id, found.count) == ("strategy", 2, 6)


def test_then_the_best_day():
    ratings = {7: [(TODAY - timedelta(days=3), 4), (TODAY - timedelta(days=1), 8)]}
    found = encouragement(ratings, {}, today=TODAY)
    assert (found.kind, found.day, found.value) == ("best_day", TODAY - timedelta(days=1), 8)


def test_all_zero_ratings_still_get_a_kind_line_and_nothing_is_first():
    found = encouragement({7: [(TODAY, 0), (TODAY - timedelta(days=1), 0)]}, {}, today=TODAY)
    assert (found.kind, found.count) == ("showing_up", 2)
    assert encouragement({}, {}, today=TODAY).kind == "first"


def test_after_a_crisis_message_nothing_is_celebrated():
    ratings = {1: [(TODAY - timedelta(days=d), 9 - d % 3) for d in range(14)]}
    assert encouragement(ratings, {1: 5}, today=TODAY).kind != "care"
    assert encouragement(ratings, {1: 5}, today=TODAY, after_crisis=True).kind == "care"
