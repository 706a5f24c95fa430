"""Reading a practitioner's /goal, /gas and /strategy arguments (pure parsing)."""

from __future__ import annotations

import pytest

from bot.domain.goal_commands import (
    Change,
    Create,
    Frequency,
    FrequencyKind,
    Gas,
    Problem,
    StrategyArgs,
    StrategyChange,
    Verb,
    alias_splits,
    parse_frequency,
    parse_gas,
    parse_goal,
    parse_level,
    parse_strategy,
)

MON, TUE, WED, THU, FRI, SAT, SUN = (1 << day for day in range(7))


def test_alias_splits_try_the_longest_name_first_and_at_most_four_words():
    words = ["Anna", "M.", "from", "Linz", "walk", "daily"]
    assert [alias for alias, _rest in alias_splits(words)] == [
        "Anna M. from Linz",
        "Anna M. from",
        "Anna M.",
        "Anna",
    ]
    assert list(alias_splits(["Anna"])) == [("Anna", [])]
    assert list(alias_splits([])) == []
    assert dict(alias_splits(["Anna", "M.", "2", "+1", "x"]))["Anna M."] == ["2", "+1", "x"]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Walk 20 minutes after lunch", Create("Walk 20 minutes after lunch")),
        ("edit 2 Walk 15 minutes", Change(Verb.EDIT, 2, "Walk 15 minutes")),
        ("EDIT #2 Walk", Change(Verb.EDIT, 2, "Walk")),
        ("ändern 1 Spazieren", Change(Verb.EDIT, 1, "Spazieren")),
        ("pause 3", Change(Verb.PAUSE, 3)),
        ("pausar 3", Change(Verb.PAUSE, 3)),
        ("resume 1", Change(Verb.RESUME, 1)),
        ("achieve 1", Change(Verb.ACHIEVE, 1)),
        ("erreicht 1", Change(Verb.ACHIEVE, 1)),
        ("drop 2", Change(Verb.DROP, 2)),
        ("abandonar 2", Change(Verb.DROP, 2)),
        # a goal that starts with a verb but no number is a new goal's text
        ("edit my CV every Sunday", Create("edit my CV every Sunday")),
        ("", Problem.NO_TEXT),
        ("pause", Problem.NO_NUMBER),
        ("pause two", Problem.NO_NUMBER),
        ("drop 0", Problem.NO_NUMBER),
        ("edit 2", Problem.NO_TEXT),
        ("x" * 301, Problem.TOO_LONG),
    ],
)
def test_parse_goal(typed: str, expected):
    assert parse_goal(typed.split()) == expected


@pytest.mark.parametrize(
    ("typed", "level"),
    [("-2", -2), ("−2", -2), ("–1", -1), ("0", 0), ("+1", 1), ("1", 1), ("+2", 2), ("2", 2)],
)
def test_gas_levels(typed: str, level: int):
    assert parse_level(typed) == level


@pytest.mark.parametrize("typed", ["3", "-3", "+", "one", "1.5", "", "--1"])
def test_not_gas_levels(typed: str):
    assert parse_level(typed) is None


def test_parse_gas():
    assert parse_gas(["2", "+1", "Walks", "four", "days", "a", "week"]) == Gas(
        2, 1, "Walks four days a week"
    )
    assert parse_gas(["1", "-2", "Stays", "in", "bed"]) == Gas(1, -2, "Stays in bed")
    assert parse_gas([]) == Problem.NO_NUMBER
    assert parse_gas(["two", "+1", "x"]) == Problem.NO_NUMBER
    assert parse_gas(["2", "+3", "Too", "good"]) == Problem.BAD_LEVEL
    assert parse_gas(["2"]) == Problem.BAD_LEVEL
    assert parse_gas(["2", "+1"]) == Problem.NO_TEXT


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("daily", Frequency(FrequencyKind.DAILY)),
        ("Täglich", Frequency(FrequencyKind.DAILY)),
        ("diario", Frequency(FrequencyKind.DAILY)),
        ("7/week", Frequency(FrequencyKind.DAILY)),
        ("3/week", Frequency(FrequencyKind.TIMES_PER_WEEK, times_per_week=3)),
        ("3x", Frequency(FrequencyKind.TIMES_PER_WEEK, times_per_week=3)),
        ("2/Woche", Frequency(FrequencyKind.TIMES_PER_WEEK, times_per_week=2)),
        ("4/semana", Frequency(FrequencyKind.TIMES_PER_WEEK, times_per_week=4)),
        ("1x/week", Frequency(FrequencyKind.TIMES_PER_WEEK, times_per_week=1)),
        ("mon,wed,fri", Frequency(FrequencyKind.WEEKDAYS, weekdays=MON | WED | FRI)),
        ("Mo,Mi,Fr", Frequency(FrequencyKind.WEEKDAYS, weekdays=MON | WED | FRI)),
        ("do,so", Frequency(FrequencyKind.WEEKDAYS, weekdays=THU | SUN)),  # German
        ("lun,mié,vie", Frequency(FrequencyKind.WEEKDAYS, weekdays=MON | WED | FRI)),
        ("jue,dom", Frequency(FrequencyKind.WEEKDAYS, weekdays=THU | SUN)),  # Spanish
        ("tue", Frequency(FrequencyKind.WEEKDAYS, weekdays=TUE)),
        ("mon-fri", Frequency(FrequencyKind.WEEKDAYS, weekdays=MON | TUE | WED | THU | FRI)),
        ("fri-mon", Frequency(FrequencyKind.WEEKDAYS, weekdays=FRI | SAT | SUN | MON)),
        ("mon-sun", Frequency(FrequencyKind.DAILY)),
    ],
)
def test_frequencies(typed: str, expected: Frequency):
    assert parse_frequency(typed) == expected


@pytest.mark.parametrize(
    "typed", ["", "3", "0/week", "8/week", "often", "mon,often", "mon-xyz", "mon,,fri", "lunes!"]
)
def test_not_frequencies(typed: str):
    assert parse_frequency(typed) is None


def test_weekdays_in_order():
    assert parse_frequency("fri,mon").days == (0, 4)


def test_parse_strategy():
    assert parse_strategy(["2", "mon,wed,fri", "A", "walk", "after", "lunch"]) == StrategyArgs(
        2, Frequency(FrequencyKind.WEEKDAYS, weekdays=MON | WED | FRI), "A walk after lunch"
    )
    assert parse_strategy(["1", "3/week", "Stretch"]) == StrategyArgs(
        1, Frequency(FrequencyKind.TIMES_PER_WEEK, times_per_week=3), "Stretch"
    )
    assert parse_strategy(["x", "daily", "Stretch"]) == Problem.NO_NUMBER
    assert parse_strategy(["1", "sometimes", "Stretch"]) == Problem.BAD_FREQUENCY
    assert parse_strategy(["1", "daily"]) == Problem.NO_TEXT


def test_parse_strategy_change():
    daily = Frequency(FrequencyKind.DAILY)
    assert parse_strategy(["2", "edit", "1", "daily", "A", "walk"]) == StrategyChange(
        Verb.EDIT, 2, 1, daily, "A walk"
    )
    assert parse_strategy(["2", "Ändern", "#1", "A", "walk"]) == StrategyChange(
        Verb.EDIT, 2, 1, None, "A walk"
    )
    assert parse_strategy(["2", "cambiar", "3", "lun-vie"]) == StrategyChange(
        Verb.EDIT, 2, 3, Frequency(FrequencyKind.WEEKDAYS, weekdays=MON | TUE | WED | THU | FRI)
    )
    for stop in ("stop", "drop", "beenden", "terminar", "STREICHEN"):
        assert parse_strategy(["2", stop, "1"]) == StrategyChange(Verb.DROP, 2, 1)
    assert parse_strategy(["2", "stop"]) == Problem.NO_NUMBER
    assert parse_strategy(["2", "edit", "one", "daily"]) == Problem.NO_NUMBER
    assert parse_strategy(["2", "edit", "1"]) == Problem.NO_TEXT
    assert parse_strategy(["2", "edit", "1", "x" * 301]) == Problem.TOO_LONG
    assert parse_strategy(["2", "pause", "1"]) == Problem.BAD_FREQUENCY  # goals pause, not steps


def test_a_superscript_digit_is_not_a_goal_number():
    # "²".isdigit() is True and int("²") raises: read as no number, never a crash.
    assert parse_goal(["pause", "²"]) == Problem.NO_NUMBER
    assert parse_strategy(["²", "daily", "Walk"]) == Problem.NO_NUMBER
    assert parse_strategy(["1", "stop", "²"]) == Problem.NO_NUMBER
