"""Streaks: examples worked by hand, and properties across pauses, grace days and DST."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.streaks import MILESTONES, Day, local_dates, milestone_reached, streak

A, M, P, N, T = Day.ANSWERED, Day.MISSED, Day.PAUSED, Day.NOT_SCHEDULED, Day.PENDING
START = date(2026, 3, 1)


def days(*statuses: Day, start: date = START) -> list[tuple[date, Day]]:
    return [(start + timedelta(days=i), status) for i, status in enumerate(statuses)]


def test_consecutive_answers_make_a_streak():
    result = streak(days(A, A, A))
    assert (result.current, result.best) == (3, 3)


def test_a_pause_neither_breaks_nor_counts():
    assert streak(days(A, A, P, P, P, A)).current == 3


def test_unscheduled_days_are_invisible():
    assert streak(days(A, N, A, N, N, A)).current == 3


def test_one_missed_day_is_forgiven_as_a_grace_day():
    result = streak(days(A, A, M, A))
    assert result.current == 3
    assert result.graced == (START + timedelta(days=2),)


def test_a_second_miss_within_seven_days_breaks_the_streak_but_keeps_the_best():
    result = streak(days(A, A, M, A, A, M, A))
    assert result.current == 1
    assert result.best == 4
    assert result.broken_on == START + timedelta(days=5)


def test_grace_returns_after_seven_days():
    result = streak(days(A, M, A, A, A, A, A, A, M, A))
    assert result.current == 8
    assert len(result.graced) == 2


def test_without_grace_days_a_miss_resets():
    assert streak(days(A, A, M, A), grace_days=0).current == 1


def test_today_unanswered_breaks_nothing():
    assert streak(days(A, A, T)).current == 2


def test_a_miss_before_any_answer_is_not_a_break():
    result = streak(days(M, A))
    assert result.current == 1 and result.broken_on is None


@pytest.mark.parametrize("milestone", MILESTONES)
def test_each_milestone_is_reached_once(milestone: int):
    assert milestone_reached(milestone - 1, milestone) == milestone
    assert milestone_reached(milestone, milestone) is None  # reaching it again: no repeat


def test_no_milestone_between_milestones():
    assert milestone_reached(3, 4) is None
    assert milestone_reached(0, 2) is None


statuses = st.sampled_from([A, A, A, M, P, N, T])
histories = st.lists(statuses, max_size=60)


@given(histories, st.integers(0, 59), st.lists(st.sampled_from([P, N]), min_size=1, max_size=10))
def test_inserting_paused_or_unscheduled_days_changes_nothing_without_misses(history, at, inserted):
    # Pauses are invisible as long as they don't move a miss in or out of a grace window.
    if M in history:
        history = [s for s in history if s is not M]
    at = min(at, len(history))
    assert (
        streak(days(*history)).current
        == streak(days(*history[:at], *inserted, *history[at:])).current
    )


@given(histories)
def test_current_never_exceeds_best(history):
    result = streak(days(*history))
    assert 0 <= result.current <= result.best


@given(histories)
def test_one_more_answer_adds_exactly_one(history):
    before = streak(days(*history))
    after = streak(days(*history, A))
    assert after.current == before.current + 1


@given(histories)
def test_without_grace_the_streak_is_the_answers_since_the_last_miss(history):
    last_miss = max((i for i, s in enumerate(history) if s is M), default=-1)
    expected = sum(1 for s in history[last_miss + 1 :] if s is A)
    assert streak(days(*history), grace_days=0).current == expected


@given(histories)
def test_grace_never_lowers_a_streak(history):
    assert (
        streak(days(*history), grace_days=1).current >= streak(days(*history), grace_days=0).current
    )


ZONES = ["America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "Asia/Kathmandu"]
# Dates around each zone's DST changes in 2026 (Kathmandu has none: a control).
DST_STARTS = [date(2026, 3, 1), date(2026, 3, 22), date(2026, 10, 1), date(2026, 10, 25)]


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from(ZONES),
    st.sampled_from(DST_STARTS),
    st.lists(statuses, min_size=1, max_size=30),
    st.times(),
)
def test_answers_counted_per_local_date_across_dst(zone, start, history, at):
    """Answers given at any local time, turned into instants and back, keep their days."""
    tz = ZoneInfo(zone)
    answered_days = [start + timedelta(days=i) for i, s in enumerate(history) if s is A]
    instants = [datetime.combine(day, at, tzinfo=tz).astimezone(UTC) for day in answered_days]
    # A wall time in a spring-forward gap becomes a real instant on the same local date.
    recovered = local_dates(instants, zone)
    assert recovered == answered_days  # one date per answer: none lost, none doubled
    rebuilt = [(day, A if day in recovered else s) for day, s in days(*history, start=start)]
    assert streak(rebuilt) == streak(days(*history, start=start))


def test_two_answers_on_one_long_fall_back_day_count_once():
    tz = ZoneInfo("Europe/Berlin")
    fall_back = date(2026, 10, 25)
    first = datetime.combine(fall_back, time(2, 30), tzinfo=tz).replace(fold=0)
    second = datetime.combine(fall_back, time(2, 30), tzinfo=tz).replace(fold=1)
    assert first.astimezone(UTC) != second.astimezone(UTC)
    assert local_dates([first, second], "Europe/Berlin") == [fall_back]


# --- check-ins (bot/checkins): a single miss between answers, pauses, and DST together


@given(st.lists(st.sampled_from([A, P, N]), min_size=1, max_size=40), st.integers(0, 40))
def test_one_miss_in_an_otherwise_answered_history_is_always_forgiven(history, at):
    at = min(at, len(history))
    if A not in history[:at]:
        return  # a miss before the first answer breaks nothing anyway
    with_miss = [*history[:at], M, *history[at:]]
    result = streak(days(*with_miss), grace_days=1)
    assert result.current == history.count(A)
    assert result.broken_on is None and len(result.graced) == 1


@settings(max_examples=100, deadline=None)
@given(
    st.sampled_from(ZONES),
    st.sampled_from(DST_STARTS),
    st.lists(st.sampled_from([A, A, A, M]), min_size=1, max_size=20),
    st.integers(1, 14),
    st.times(),
)
def test_a_pause_across_a_dst_change_neither_breaks_nor_counts(zone, start, before, pause, at):
    """Days before a pause, a pause of ``pause`` days (no check-in rows: invisible) that
    may span a DST change, then one answer: the streak goes on as if no time had passed,
    as long as the pause moves no miss out of a grace window."""
    tz = ZoneInfo(zone)
    asked = days(*before, start=start)
    resumed = start + timedelta(days=len(before) + pause)
    instant = datetime.combine(resumed, at, tzinfo=tz).astimezone(UTC)
    (answered_on,) = local_dates([instant], zone)
    assert answered_on == resumed  # the answer belongs to the local date it was given on
    after_pause = streak([*asked, (answered_on, A)])
    no_pause = streak(days(*before, A, start=start))
    if M not in before:
        assert after_pause.current == no_pause.current == before.count(A) + 1
    assert after_pause.current >= no_pause.current  # a pause can only spread misses apart
