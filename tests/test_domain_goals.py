"""GAS T-score, SMART checks and response windows, against values worked by hand."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.domain.gas import t_score
from bot.domain.smart import (
    DeadlineProblem,
    TextProblem,
    check_text,
    parse_deadline,
    suggests_smaller_step,
)
from bot.domain.windows import PromptState, ResponseWindow


def test_all_goals_at_expected_level_is_fifty():
    assert t_score([0, 0, 0]) == 50


def test_three_goals_kiresuk_sherman():
    # levels 1, 1, 2: Σx = 4; spread = 0.7·3 + 0.3·9 = 4.8; T = 50 + 40/√4.8
    assert t_score([1, 1, 2]) == pytest.approx(50 + 40 / math.sqrt(4.8))
    assert t_score([1, 1, 2]) == pytest.approx(68.2574, abs=1e-4)


def test_one_goal_at_minus_two():
    # spread = 0.7 + 0.3 = 1 → T = 50 − 20
    assert t_score([-2]) == pytest.approx(30)


def test_weighted_goals():
    # w = 2, 1; x = 1, −1: Σwx = 1; spread = 0.7·5 + 0.3·9 = 6.2
    assert t_score([1, -1], [2, 1]) == pytest.approx(50 + 10 / math.sqrt(6.2))


@pytest.mark.parametrize("levels", [[], [3], [0, -3]])
def test_invalid_levels_are_refused(levels):
    with pytest.raises(ValueError):
        t_score(levels)


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        ("", TextProblem.EMPTY),
        ("   ", TextProblem.EMPTY),
        ("walk", TextProblem.TOO_SHORT),
        ("walk for ten minutes after lunch", None),
        ("x " * 200, TextProblem.TOO_LONG),
    ],
)
def test_goal_text_checks(answer, problem):
    assert check_text(answer) == problem


def test_confidence_below_seven_suggests_a_smaller_step():
    assert suggests_smaller_step(6)
    assert not suggests_smaller_step(7)
    with pytest.raises(ValueError):
        suggests_smaller_step(11)


TODAY = date(2026, 11, 29)


@pytest.mark.parametrize(
    ("locale", "answer", "expected"),
    [
        ("en", "in 3 weeks", date(2026, 12, 20)),
        ("en", "31 December", date(2026, 12, 31)),
        ("en", "12/24", date(2026, 12, 24)),
        ("de", "in 3 Wochen", date(2026, 12, 20)),
        ("de", "24.12.", date(2026, 12, 24)),
        ("de", "31. Dezember", date(2026, 12, 31)),
        ("es", "en 3 semanas", date(2026, 12, 20)),
        ("es", "31 de diciembre", date(2026, 12, 31)),
        ("es", "24/12", date(2026, 12, 24)),
        # As people say it, with the words before the date.
        ("en", "by January 31", date(2027, 1, 31)),
        ("en", "on 31 January", date(2027, 1, 31)),
        ("de", "am 31. Januar", date(2027, 1, 31)),
        ("de", "bis zum 31.1.", date(2027, 1, 31)),
        ("es", "el 31 de enero", date(2027, 1, 31)),
        ("es", "para el 15 de febrero", date(2027, 2, 15)),
    ],
)
def test_deadlines_in_each_language(locale, answer, expected):
    assert parse_deadline(answer, locale, TODAY).day == expected
    assert parse_deadline(answer, locale, TODAY).problem is None


@pytest.mark.parametrize(
    ("locale", "answer", "problem"),
    [
        ("en", "whenever", DeadlineProblem.UNREADABLE),
        ("de", "irgendwann", DeadlineProblem.UNREADABLE),
        ("es", "algún día", DeadlineProblem.UNREADABLE),
        ("en", "yesterday", DeadlineProblem.PAST),
        ("de", "gestern", DeadlineProblem.PAST),
        ("es", "ayer", DeadlineProblem.PAST),
        ("en", "2029-01-01", DeadlineProblem.TOO_FAR),
    ],
)
def test_unreadable_past_and_far_deadlines(locale, answer, problem):
    assert parse_deadline(answer, locale, TODAY).problem is problem


SENT = datetime(2026, 3, 8, 14, 0, tzinfo=UTC)
WINDOW = ResponseWindow(SENT, length=timedelta(hours=12), nudge_after=timedelta(hours=4))


def test_window_open_then_expired():
    assert WINDOW.state(SENT + timedelta(hours=11, minutes=59)) is PromptState.OPEN
    assert WINDOW.state(SENT + timedelta(hours=12)) is PromptState.EXPIRED


def test_one_nudge_only_while_unanswered_and_open():
    at = SENT + timedelta(hours=5)
    assert WINDOW.nudge_due(at, answered=False, nudged=False)
    assert not WINDOW.nudge_due(at, answered=True, nudged=False)
    assert not WINDOW.nudge_due(at, answered=False, nudged=True)
    assert not WINDOW.nudge_due(SENT + timedelta(hours=3), answered=False, nudged=False)
    assert not WINDOW.nudge_due(SENT + timedelta(hours=13), answered=False, nudged=False)


def test_window_needs_aware_times_and_a_nudge_inside():
    with pytest.raises(ValueError):
        ResponseWindow(datetime(2026, 1, 1), timedelta(hours=1), timedelta(minutes=5))
    with pytest.raises(ValueError):
        ResponseWindow(SENT, timedelta(hours=1), timedelta(hours=2))
