"""The traffic light's reasons in words (bot/review/reasons.py), in en, de and es."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.domain import gas
from bot.domain.traffic_light import (
    Colour,
    GasLow,
    GoalDown,
    GoalInput,
    GoalSmallChange,
    GoalStuck,
    GoalUp,
    MeasureBetter,
    MeasureItem,
    MeasureWorse,
    MissedInARow,
    NoRecentRatings,
    NotEnoughData,
    StepDown,
    TooEarly,
    caseload,
    client_light,
)
from bot.domain.trends import BaselineKind, goal_trend
from bot.i18n import Catalogs
from bot.review.reasons import (
    MARKS,
    caseload_line,
    gas_text,
    reason_text,
    reasons_line,
    step_down_text,
)
from bot.settings import PROJECT_ROOT, SUPPORTED_LOCALES

CATALOGS = Catalogs.load(PROJECT_ROOT / "locales", SUPPORTED_LOCALES, "en")
EN, DE, ES = (CATALOGS.translator(code) for code in ("en", "de", "es"))


def test_the_issue_s_example_line():
    line = reasons_line(
        EN,
        [
            MissedInARow(2),
            GoalDown(1, "Sleep", -2.14, BaselineKind.FIRST_WEEK, reliable=False),
            MeasureItem("PHQ-9", 9, 2),
        ],
    )
    assert line == (
        "2 check-ins missed in a row · goal 1 “Sleep” down 2.1 vs first week · "
        "PHQ-9 item 9 answered 2"
    )


def test_the_same_line_in_german_and_spanish():
    reasons = [MissedInARow(1), GoalDown(1, "Schlaf", -2.14, BaselineKind.FIRST_WEEK, True)]
    assert reasons_line(DE, reasons) == (
        "1 Check-in in Folge verpasst · Ziel 1 „Schlaf“ 2,1 niedriger gegenüber der ersten "
        "Woche, eine reliable Veränderung"
    )
    assert reasons_line(ES, reasons) == (
        "1 check-in perdido seguido · objetivo 1 «Schlaf» baja 2,1 frente a la primera "
        "semana, un cambio fiable"
    )


def test_a_first_week_decline_reads_against_the_first_days():
    ratings = [(date(2026, 12, 1) + timedelta(days=i), v) for i, v in enumerate([6, 5, 5, 4])]
    trend = goal_trend(ratings, date(2026, 12, 4))
    light = client_light([GoalInput(1, "Sleep", trend)])
    assert light.colour is Colour.GREY
    assert reasons_line(EN, light.reasons) == (
        "too early to judge (week 1) · goal 1 “Sleep” down 1.0 vs first days"
    )
    assert "nothing earlier" not in reasons_line(EN, light.reasons)


@pytest.mark.parametrize(
    ("reason", "english"),
    [
        (
            GoalUp(2, "Walk", 3.0, BaselineKind.INTAKE, True),
            "goal 2 “Walk” up 3.0 vs intake, a reliable change",
        ),
        (
            GoalStuck(1, "Sleep", 5, -0.3),
            "goal 1 “Sleep”: no reliable change by week 5, trend -0.3 a week",
        ),
        (
            GoalSmallChange(1, "Sleep", 0.2, 1.0, BaselineKind.FIRST_WEEK),
            "goal 1 “Sleep”: little change (+0.2) vs first week",
        ),
        (MeasureWorse("PHQ-9", 8, 14), "PHQ-9 worse: 8 → 14"),
        (MeasureBetter("GAD-7", 12, 4.5), "GAD-7 better: 12 → 4.5"),
        (GasLow(36.8, 2), "GAS T-score 36.8 across 2 goals"),
        (NotEnoughData(0), "no ratings yet"),
        (NotEnoughData(1), "only 1 rating so far"),
        (TooEarly(2), "too early to judge (week 2)"),
        (NoRecentRatings(11), "no ratings for 11 days"),
        (
            gas.GasReview(3, "Run", 0, date(2026, 11, 1), 4.0, 6.5, 2.5),
            "goal 3 “Run”: ratings +2.5 since its GAS level was set, worth reviewing the level",
        ),
    ],
)
def test_each_reason_in_english(reason, english):
    assert reason_text(EN, reason) == english
    for t in (DE, ES):  # translated, not the English text
        assert reason_text(t, reason) != english


def test_user_text_is_escaped_and_long_titles_are_cut():
    text = reason_text(EN, GoalDown(1, "<b>me & you</b>" * 5, -1, BaselineKind.FIRST_WEEK, False))
    assert "<b>" not in text and "&lt;b&gt;me &amp; you" in text
    assert "…" in text
    assert reason_text(EN, GoalUp(4, "", 1, BaselineKind.FIRST_WEEK, False)).startswith("goal 4 up")


def test_caseload_line_in_every_language():
    lights = [client_light([], missed_in_a_row=3)] * 2 + [client_light([])] * 4
    counts = caseload(lights)
    assert caseload_line(EN, counts) == "0 red · 2 yellow · 0 green · 4 not enough data"
    assert caseload_line(DE, counts) == "0 rot · 2 gelb · 0 grün · 4 zu wenig Daten"
    assert caseload_line(ES, counts) == (
        "0 en rojo · 2 en amarillo · 0 en verde · 4 sin datos suficientes"
    )
    assert set(MARKS) == set(Colour)


def test_gas_shown_only_with_two_goals_or_labelled_and_stepping_down():
    assert gas_text(EN, gas.summary([])) is None
    assert gas_text(EN, gas.summary([1])) == "GAS T-score: 60 (from 1 goal only)"
    # 50 + 10 * 2 / sqrt(0.7 * 2 + 0.3 * 4) = 62.40
    assert gas_text(EN, gas.summary([1, 1])) == "GAS T-score: 62.4"
    assert gas_text(DE, gas.summary([1, 1])).endswith("62,4")
    assert step_down_text(EN, StepDown(55.5, ("PHQ-9", "GAD-7"))) == (
        "consider stepping down: GAS T-score 55.5, PHQ-9 and GAD-7 past the clinical cut-off"
    )
    assert "PHQ-9 y GAD-7" in step_down_text(ES, StepDown(55.5, ("PHQ-9", "GAD-7")))


def test_a_limited_line_says_how_many_more():
    reasons = [MissedInARow(3), TooEarly(2), NotEnoughData(0), TooEarly(1)]
    assert reasons_line(EN, reasons, limit=2) == (
        "3 check-ins missed in a row · too early to judge (week 2) · +2 more"
    )
    assert reasons_line(DE, reasons, limit=3).endswith("· +1 weiterer")
    assert reasons_line(EN, reasons[:2], limit=2) == reasons_line(EN, reasons[:2])
