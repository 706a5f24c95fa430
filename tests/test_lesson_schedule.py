"""When the next lesson of a program is due (pure date logic)."""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain.lesson_schedule import Pause, is_due, next_due_date, planned_dates

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
