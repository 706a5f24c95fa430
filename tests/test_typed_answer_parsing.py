"""Reading typed answers (bot/domain/typed_answers.py): numbers as digits, words in
en/de/es, "n/10" and "n of 10"; yes and no in each language; anything else is None."""

from __future__ import annotations

import pytest

from bot.domain.typed_answers import (
    DONE_WORDS,
    NO_WORDS,
    NUMBER_WORDS,
    YES_WORDS,
    normalize,
    parse_number,
    parse_yes_no,
)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("7", 7),
        (" 7 ", 7),
        ("7.", 7),
        ("7!", 7),
        ("0", 0),
        ("10", 10),
        ("07", 7),
        ("seven", 7),
        ("Seven", 7),
        ("sieben", 7),
        ("siete", 7),
        ("fünf", 5),
        ("FÜNF", 5),
        ("diez", 10),
        ("null", 0),
        ("cero", 0),
        ("6/10", 6),
        ("6 / 10", 6),
        ("7 of 10", 7),
        ("7 out of 10", 7),
        ("7 von 10", 7),
        ("7 de 10", 7),
        ("sieben von zehn", 7),
        ("siete de diez", 7),
        ("7 🙂", 7),
        ("¡siete!", 7),
    ],
)
def test_a_number_from_zero_to_ten_is_read(text: str, value: int):
    assert parse_number(text, highest=10) == value


@pytest.mark.parametrize(
    "text",
    [
        "",
        "11",
        "-1",
        "7.5",
        "3/5",  # another scale: not guessed
        "7 of 5",
        "7 hours of sleep",
        "about seven",
        "I'd say 7",
        "seventy",
        "yes",
        "١",  # a digit of another script: not one of the buttons
        "7777",
    ],
)
def test_anything_else_is_not_a_number(text: str):
    assert parse_number(text, highest=10) is None


def test_the_top_of_the_scale_is_the_items_own():
    assert parse_number("4", highest=4) == 4
    assert parse_number("5", highest=4) is None
    assert parse_number("3/4", highest=4) == 3
    assert parse_number("3/10", highest=4) is None


@pytest.mark.parametrize(
    "text",
    ["yes", "Yes!", "yeah", "ok", "ja", "Ja.", "jawohl", "sí", "si", "Sí, por favor", "claro"],
)
def test_yes_in_each_language(text: str):
    assert parse_yes_no(text) is True


@pytest.mark.parametrize("text", ["no", "No.", "nope", "nein", "nö", "nee", "no gracias", "hoy no"])
def test_no_in_each_language(text: str):
    assert parse_yes_no(text) is False


@pytest.mark.parametrize(
    "text", ["", "y", "n", "maybe", "yes and no", "I don't know", "7", "ja, aber", "delete"]
)
def test_anything_else_is_neither(text: str):
    assert parse_yes_no(text) is None


def test_done_words_count_as_yes_only_where_asked():
    for words in DONE_WORDS.values():
        for word in words:
            assert parse_yes_no(word, done_words=True) is True
            assert parse_yes_no(word) is None


def test_the_tables_are_consistent():
    """Every language has its words; no word is yes in one language and no in another,
    and number words never clash with yes/no words."""
    assert set(NUMBER_WORDS) == set(YES_WORDS) == set(NO_WORDS) == set(DONE_WORDS)
    for words in NUMBER_WORDS.values():
        assert sorted(words.values())[0] == 0 and max(words.values()) == 10
        assert all(normalize(word) == word for word in words)
    yes = {normalize(w) for ws in YES_WORDS.values() for w in ws}
    no = {normalize(w) for ws in NO_WORDS.values() for w in ws}
    numbers = {w for ws in NUMBER_WORDS.values() for w in ws}
    assert not yes & no and not (yes | no) & numbers
    for words in NUMBER_WORDS.values():  # one word, one number, across languages
        for word, value in words.items():
            assert all(other.get(word, value) == value for other in NUMBER_WORDS.values())


def test_a_questionnaire_item_takes_its_number_or_its_label_in_any_language():
    from pathlib import Path

    from bot.answers.usecases import measure_value
    from bot.measures.catalog import check_measures

    measures, problems = check_measures(Path("content/measures"))
    assert not problems
    intake, wellbeing = measures["intake"], measures["wellbeing"]
    assert measure_value(intake, 0, "5") == 5
    assert measure_value(intake, 0, "fünf") == 5
    assert measure_value(intake, 0, "11") is None
    assert measure_value(intake, 8, "1") is None  # "what to work on": several picks, buttons
    assert measure_value(wellbeing, 0, "A little") == 1
    assert measure_value(wellbeing, 0, "ein wenig") == 1
    assert measure_value(wellbeing, 0, "Bastante") == 3
    assert measure_value(wellbeing, 0, "3") is None  # labelled buttons: a number is ambiguous
    assert measure_value(wellbeing, 99, "A little") is None
