"""Measures as data: the shipped files, scoring against hand-worked values, broken files."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.domain.scoring import Change, reliable_change, score
from bot.measures.catalog import check_measures, load_measures
from bot.settings import PROJECT_ROOT

FIXTURES = Path(__file__).parent / "fixtures" / "measures"


@pytest.fixture(scope="module")
def sample():
    return load_measures(FIXTURES / "good")["sample"]


@pytest.fixture(scope="module")
def shipped():
    return load_measures(PROJECT_ROOT / "content" / "measures")


def test_complete_answers_with_reverse_items(sample):
    # i2 = 2 and i5 = 5 are reversed on 1..5: 6 - 2 = 4, 6 - 5 = 1.
    # values 4, 4, 5, 1, 1, 3 → total 18; a = 4 + 4 + 5 = 13; b = (1 + 1 + 3) / 3.
    result = score(sample, {"i1": 4, "i2": 2, "i3": 5, "i4": 1, "i5": 5, "i6": 3})
    assert result.total.value == 18
    assert result.subscales["a"].value == 13
    assert result.subscales["b"].value == pytest.approx(5 / 3, abs=1e-4)
    assert result.band.label.en == "mid"


def test_one_missing_item_is_prorated(sample):
    # i3 skipped: mean of 4, 4, 1, 1, 3 = 2.6, × 6 items = 15.6; a: (4 + 4) / 2 × 3 = 12.
    result = score(sample, {"i1": 4, "i2": 2, "i4": 1, "i5": 5, "i6": 3})
    assert result.total.value == pytest.approx(15.6)
    assert result.total.missing == 1
    assert result.subscales["a"].value == pytest.approx(12.0)
    assert result.band.label.en == "mid"


def test_too_many_missing_items_give_no_score(sample):
    result = score(sample, {"i1": 4, "i2": 2, "i4": 1, "i5": 5, "i6": None})
    assert result.total.value is None
    assert result.band is None
    assert result.subscales["a"].value == pytest.approx(12.0)  # a misses one: allowed
    assert result.subscales["b"].value is None  # b allows none missing


def test_bands_cover_the_gap_up_to_the_next_band(sample):
    # All 2s with i2 = 4 and i5 = 4 (reversed to 2): total 12 → low; prorating can land on 14.4.
    result = score(sample, {"i1": 2, "i2": 4, "i3": 2, "i4": 2, "i5": 4, "i6": 2})
    assert result.total.value == 12
    assert result.band.label.en == "low"
    assert result.band.attention


def test_an_answer_outside_the_options_is_refused(sample):
    with pytest.raises(ValueError, match="not an answer"):
        score(sample, {"i1": 9})


@pytest.mark.parametrize(
    ("before", "after", "higher_is_better", "index", "change"),
    [
        # SE = 5·√0.2 = 2.2361, S_diff = √2·SE = 3.1623
        (12, 20, True, 2.5298, Change.IMPROVED),
        (20, 12, True, -2.5298, Change.DETERIORATED),
        (20, 17, True, -0.9487, Change.NO_RELIABLE_CHANGE),
        (12, 20, False, 2.5298, Change.DETERIORATED),
    ],
)
def test_jacobson_truax_reliable_change(before, after, higher_is_better, index, change):
    result = reliable_change(
        before, after, sd=5, reliability=0.8, higher_is_better=higher_is_better
    )
    assert result.index == pytest.approx(index, abs=1e-4)
    assert result.change is change


def test_shipped_measures_pass_the_check(shipped):
    assert set(shipped) == {"intake", "wellbeing", "phq9", "gad7", "who5"}
    _, problems = check_measures(PROJECT_ROOT / "content" / "measures")
    assert problems == []


@pytest.mark.parametrize("locale", ["en", "de", "es"])
def test_shipped_measures_have_every_text_in_every_language(shipped, locale):
    for measure in shipped.values():
        assert measure.title.get(locale)
        for item in measure.items:
            assert item.text.get(locale)
            for option in measure.option_sets[item.options]:
                assert option.text(locale)


def test_weekly_wellbeing_scoring(shipped):
    wellbeing = shipped["wellbeing"]
    # calm 3, energy 2, connected 4, coping 3, worry 1 (reversed on 0..4 → 3): 15 → "A good week"
    result = score(wellbeing, {"calm": 3, "energy": 2, "connected": 4, "coping": 3, "worry": 1})
    assert result.total.value == 15
    assert result.band.label.de == "Eine gute Woche"
    hard = score(wellbeing, {"calm": 0, "energy": 1, "connected": 1, "coping": 1, "worry": 3})
    assert hard.total.value == 4  # 0 + 1 + 1 + 1 + (4 - 3)
    assert hard.band.attention and hard.band.label.es == "Una semana difícil"


def test_intake_mean_of_life_areas_and_the_focus_choice_is_not_scored(shipped):
    intake = shipped["intake"]
    answers = {"mood": 4, "worry": 2, "sleep": 6, "energy": 5, "relationships": 8}
    answers |= {"work_study": 7, "routine": 3, "health": 5}
    # (4 + 2 + 6 + 5 + 8 + 7 + 3 + 5) / 8 = 40 / 8 = 5
    assert score(intake, answers).total.value == 5
    assert [item.id for item in intake.items if item.kind == "choice"] == ["focus"]


@pytest.mark.parametrize(
    ("file", "expected"),
    [
        ("unknown_options", "unknown option set 'likert'"),
        ("missing_german", "title.de: Field required"),
        ("overlapping_bands", "must not overlap"),
        ("reliability_without_norms", "needs both reliability and norms"),
        ("not_yaml", "not valid YAML"),
        ("wrong_name", "differs from the file name"),
        ("too_many_missing", "item ids must be unique"),
        ("unknown_option_item", "item 'focus': option 2 names an unknown item 'sleep'"),
    ],
)
def test_broken_measure_files_are_reported(file, expected):
    _, problems = check_measures(FIXTURES / "broken")
    messages = [str(problem) for problem in problems if problem.path.stem == file]
    assert any(expected in message for message in messages), messages


def test_loading_refuses_broken_files():
    with pytest.raises(ValueError, match="broken measure files"):
        load_measures(FIXTURES / "broken")


def test_every_intake_item_has_a_short_name_for_reports_in_every_language(shipped):
    """/intake lists answers under these names; the question itself reads badly there."""
    for item in shipped["intake"].items:
        assert item.label is not None, item.id
        for locale in ("en", "de", "es"):
            name = item.label.get(locale)
            assert name != item.text.get(locale) or len(name) <= 25, (item.id, locale)
            assert "?" not in name and "(" not in name, (item.id, locale)
