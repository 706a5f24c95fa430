"""The practitioner commands' argument grammar (pure: no database, no Telegram)."""

from __future__ import annotations

import pytest

from bot.domain import practitioner_args as g
from bot.domain.goal_commands import Change, Create, FrequencyKind, Gas, Problem, Verb
from bot.domain.practitioner_args import (
    Candidate,
    GasReached,
    MeasureFrequency,
    MeasureOverview,
    MeasureSchedule,
    NoteText,
    OfferPrograms,
    ProgramChoice,
)


def cuts(text: str, grammar: g.Grammar) -> list[Candidate]:
    return g.candidates(text.split(), grammar)


def parsed_for(text: str, grammar: g.Grammar, name: str):
    """What the rest parses to when ``name`` is the client (as the router picks it)."""
    return {cut.name: cut.args for cut in cuts(text, grammar)}[name]


def test_no_words_have_no_candidates():
    assert g.candidates([], g.GAS) == [] and g.candidates([], g.NAME_ONLY) == []
    assert g.echo_name([]) == ""


def test_a_name_of_several_words_is_tried_longest_first():
    found = cuts("Anna M. Slept well today", g.NOTE)
    assert [cut.name for cut in found] == [
        "Anna M. Slept well today",
        "Anna M. Slept well",
        "Anna M. Slept",
        "Anna M.",
        "Anna",
    ]
    assert found[0].args == Problem.NO_TEXT  # the whole text as a name leaves no note
    assert found[3].args == NoteText("Slept well today")


def test_names_longer_than_six_words_are_not_tried():
    found = cuts("a b c d e f g h", g.NOTE)
    assert found[0].name == "a b c d e f"
    assert len(found) == g.MAX_NAME_WORDS


def test_a_name_only_command_takes_the_whole_text():
    assert cuts("  Anna   extra ", g.NAME_ONLY) == [Candidate("Anna extra", g.NOTHING)]


@pytest.mark.parametrize(
    ("text", "echoed"),
    [
        ("Nobody drop 1", "Nobody"),  # the shortest cut whose rest parses
        ("Anna M. 1 +1", "Anna M."),
        ("Zed", "Zed"),  # nothing parses: the whole text
    ],
)
def test_the_name_echoed_when_nobody_answers(text, echoed):
    grammar = g.GOAL if "drop" in text else g.GAS
    assert g.echo_name(cuts(text, grammar)) == echoed


@pytest.mark.parametrize(
    ("typed", "level"),
    [("+2", 2), ("+1", 1), ("1", 1), ("0", 0), ("-1", -1), ("−1", -1), ("–2", -2), ("-2", -2)],
)
def test_both_forms_of_gas_read_every_level(typed, level):
    assert parsed_for(f"Anna M. 2 {typed}", g.GAS, "Anna M.") == GasReached(2, level)
    described = parsed_for(f"Anna M. 2 {typed} Walks four days", g.GAS, "Anna M.")
    assert described == Gas(2, level, "Walks four days")


@pytest.mark.parametrize(
    ("rest", "problem"),
    [
        ("2 +3", Problem.BAD_LEVEL),
        ("2 +3 Too good", Problem.BAD_LEVEL),
        ("2 -5", Problem.BAD_LEVEL),
        ("two +1", Problem.NO_NUMBER),
        ("0 +1", Problem.NO_NUMBER),
        ("2", Problem.BAD_LEVEL),
        ("", Problem.NO_NUMBER),
        ("2 +1 " + "x" * 301, Problem.TOO_LONG),
    ],
)
def test_gas_problems(rest, problem):
    assert parsed_for(f"Anna {rest}".strip(), g.GAS, "Anna") == problem


def test_goal_numbers():
    assert parsed_for("Anna #3 +1", g.GAS, "Anna") == GasReached(3, 1)
    assert parsed_for("Anna pause 2", g.GOAL, "Anna") == Change(Verb.PAUSE, 2)
    assert parsed_for("Anna edit 2 Walk 15 minutes", g.GOAL, "Anna") == Change(
        Verb.EDIT, 2, "Walk 15 minutes"
    )
    assert parsed_for("Anna Walk after lunch", g.GOAL, "Anna") == Create("Walk after lunch")
    assert parsed_for("Anna drop x", g.GOAL, "Anna") == Problem.NO_NUMBER
    assert parsed_for("Anna x y", g.GOAL, "Anna") == Create("x y")


@pytest.mark.parametrize(
    ("often", "kind", "days"),
    [
        ("daily", FrequencyKind.DAILY, ()),
        ("3/week", FrequencyKind.TIMES_PER_WEEK, ()),
        ("mon,wed,fri", FrequencyKind.WEEKDAYS, (0, 2, 4)),
        ("mo,mi,fr", FrequencyKind.WEEKDAYS, (0, 2, 4)),
        ("lun,mié,vie", FrequencyKind.WEEKDAYS, (0, 2, 4)),
        ("sat-sun", FrequencyKind.WEEKDAYS, (5, 6)),
    ],
)
def test_strategy_schedules(often, kind, days):
    parsed = parsed_for(f"Anna M. 2 {often} A walk after lunch", g.STRATEGY, "Anna M.")
    assert (parsed.number, parsed.frequency.kind, parsed.text) == (2, kind, "A walk after lunch")
    assert parsed.frequency.days == days


def test_strategy_problems():
    assert parsed_for("Anna 2 sometimes Walk", g.STRATEGY, "Anna") == Problem.BAD_FREQUENCY
    assert parsed_for("Anna 2 daily", g.STRATEGY, "Anna") == Problem.NO_TEXT


@pytest.mark.parametrize(
    ("rest", "expected"),
    [
        ("", MeasureOverview.OVERVIEW),
        ("wellbeing weekly", MeasureSchedule("wellbeing", MeasureFrequency.WEEKLY)),
        ("Wellbeing FORTNIGHTLY", MeasureSchedule("wellbeing", MeasureFrequency.FORTNIGHTLY)),
        ("wellbeing monthly", MeasureSchedule("wellbeing", MeasureFrequency.MONTHLY)),
        ("wellbeing stop", MeasureSchedule("wellbeing", MeasureFrequency.STOP)),
        ("wellbeing hourly", Problem.BAD_FREQUENCY),
        ("wellbeing", Problem.BAD_FREQUENCY),
        ("wellbeing weekly now", Problem.BAD_FREQUENCY),
    ],
)
def test_measure_frequencies(rest, expected):
    assert parsed_for(f"Kim Lee {rest}".strip(), g.MEASURE, "Kim Lee") == expected


def test_assign_offers_or_takes_one_program():
    assert parsed_for("Anna M.", g.ASSIGN, "Anna M.") == OfferPrograms.OFFER
    assert parsed_for("Anna M. calm-skills", g.ASSIGN, "Anna M.") == ProgramChoice("calm-skills")
    assert parsed_for("Anna M. calm skills", g.ASSIGN, "Anna M.") == Problem.NO_TEXT


def test_a_note_is_kept_to_its_length():
    parsed = parsed_for("Anna " + "word " * 1000, g.NOTE, "Anna")
    assert isinstance(parsed, NoteText) and len(parsed.text) == g.NOTE_LENGTH
