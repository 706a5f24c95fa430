"""Pure tests: dates as a practitioner reads them (bot/dates.py) and engagement counted in
the review window (bot/domain/engagement.py, bot/domain/windows.review_week)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.dates import Clock
from bot.domain.engagement import LessonEvents, StrategyPlan, lessons, strategies
from bot.domain.review import Week
from bot.domain.windows import review_week

MOMENT = datetime(2026, 12, 10, 18, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("locale", "moment", "day"),
    [
        ("en", "10 Dec 2026, 19:00", "10 Dec 2026"),
        ("de", "10. Dez. 2026, 19:00", "10. Dez. 2026"),
        ("es", "10 dic 2026, 19:00", "10 dic 2026"),
    ],
)
def test_dates_are_unambiguous_in_every_language(locale: str, moment: str, day: str):
    clock = Clock(locale, ZoneInfo("Europe/Berlin"))
    assert clock.moment(MOMENT) == moment
    assert clock.day(date(2026, 12, 10)) == day
    assert clock.day(datetime(2026, 12, 10, 23, 30, tzinfo=UTC)) == clock.day(date(2026, 12, 11))


def test_an_unknown_zone_shows_utc_and_says_so():
    assert Clock("en").moment(MOMENT) == "10 Dec 2026, 18:00 UTC"
    assert Clock.of("de", None).moment(MOMENT) == "10. Dez. 2026, 18:00 UTC"
    assert Clock.of("es", "Not/AZone").zone is None
    assert Clock.of("en", "America/Mexico_City").moment(MOMENT) == "10 Dec 2026, 12:00"
    assert Clock("en").moment(MOMENT.replace(tzinfo=None)).endswith("18:00 UTC")  # stored UTC


def test_the_review_window_is_the_seven_days_before_today():
    week = review_week(date(2026, 12, 7))
    assert (week.start, week.end) == (date(2026, 11, 30), date(2026, 12, 6))
    assert Clock("en").span(week.start, week.end) == "30 Nov 2026 – 6 Dec 2026"


WEEK = Week(date(2026, 11, 30), date(2026, 12, 6))  # Monday to Sunday


def test_lessons_count_those_delivered_in_the_window():
    events = [
        LessonEvents(date(2026, 11, 29), date(2026, 11, 30), date(2026, 11, 30)),  # before
        LessonEvents(date(2026, 12, 1), date(2026, 12, 1), date(2026, 12, 2)),
        LessonEvents(date(2026, 12, 3), date(2026, 12, 4), None),
        LessonEvents(date(2026, 12, 5), date(2026, 12, 7), date(2026, 12, 7)),  # opened later
        LessonEvents(date(2026, 12, 6), None, None),
    ]
    counted = lessons(events, WEEK)
    assert (counted.delivered, counted.opened, counted.finished) == (4, 2, 1)


def _days(*numbers: int) -> list[date]:
    return [WEEK.start + timedelta(days=n) for n in numbers]


def test_a_daily_strategy_is_due_on_every_day_the_client_was_asked():
    plan = StrategyPlan(1, "daily", since=date(2026, 11, 1), asked_now=True)
    answers = {(1, day): n % 2 == 0 for n, day in enumerate(_days(0, 1, 2))}
    counted = strategies([plan], _days(0, 1, 2, 3, 4), answers, WEEK)  # 3, 4 missed
    assert (counted.done, counted.due) == (2, 5)


def test_a_strategy_added_mid_week_or_no_longer_asked_is_due_only_when_answered():
    new = StrategyPlan(1, "daily", since=WEEK.start + timedelta(days=3), asked_now=True)
    stopped = StrategyPlan(2, "daily", since=date(2026, 11, 1), asked_now=False)
    answers = {(2, WEEK.start): True}
    counted = strategies([new, stopped], _days(0, 1, 2, 3, 4), answers, WEEK)
    assert (counted.done, counted.due) == (1, 1 + 2)


def test_weekday_and_times_a_week_strategies():
    mondays = StrategyPlan(1, "weekdays", since=date(2026, 11, 1), asked_now=True, weekdays=0b1)
    twice = StrategyPlan(
        2, "times_per_week", since=date(2026, 11, 1), asked_now=True, times_per_week=2
    )
    answers = {(2, WEEK.start): True, (2, WEEK.start + timedelta(days=1)): True}
    counted = strategies([mondays, twice], _days(0, 1, 2, 3), answers, WEEK)
    # Monday once; "twice a week" answered Monday and Tuesday, then done for the week
    assert (counted.done, counted.due) == (2, 1 + 2)


def test_days_outside_the_window_count_nothing():
    plan = StrategyPlan(1, "daily", since=date(2026, 11, 1), asked_now=True)
    outside = [WEEK.start - timedelta(days=1), WEEK.end + timedelta(days=1)]
    assert strategies([plan], outside, {}, WEEK).due == 0
