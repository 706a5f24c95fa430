"""PHQ-9, GAD-7 and WHO-5 as shipped: wording in every language, scoring, severity
bands, clinical cut-offs, reliable change and item alerts, against hand-worked values."""

from __future__ import annotations

import functools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain import measure_outcome
from bot.domain.scoring import band_for, score
from bot.domain.traffic_light import (
    Colour,
    Crossing,
    ItemAlert,
    MeasureCrossed,
    MeasureDirection,
    MeasureItem,
    MeasureResult,
    MeasureWorse,
    client_light,
)
from bot.measures.catalog import load_measures
from bot.settings import PROJECT_ROOT, SUPPORTED_LOCALES


@functools.cache
def _shipped():
    return load_measures(PROJECT_ROOT / "content" / "measures")


@pytest.fixture(scope="module")
def measures():
    return _shipped()


def _all(value: int, measure) -> dict[str, int]:
    return {item.id: value for item in measure.scored_items}


def test_the_published_wording_and_options(measures):
    phq9, gad7, who5 = measures["phq9"], measures["gad7"], measures["who5"]
    assert [i.id for i in phq9.scored_items] == [f"q{n}" for n in range(1, 10)]
    assert len(gad7.scored_items) == 7 and len(who5.scored_items) == 5
    assert phq9.items[8].text.en == (
        "Thoughts that you would be better off dead or of hurting yourself in some way"
    )
    assert (
        phq9.items[8].text.de
        == "Gedanken, dass Sie lieber tot wären oder sich Leid zufügen möchten"
    )
    assert phq9.items[8].text.es == (
        "Pensamientos de que estaría mejor muerto(a) o de lastimarse de alguna manera"
    )
    labels = [o.label.get("de") for o in phq9.option_sets["frequency"]]
    assert labels == [
        "Überhaupt nicht",
        "An einzelnen Tagen",
        "An mehr als der Hälfte der Tage",
        "Beinahe jeden Tag",
    ]
    assert [o.value for o in who5.option_sets["time"]] == [5, 4, 3, 2, 1, 0]
    for measure in (phq9, gad7, who5):
        for locale in SUPPORTED_LOCALES:
            assert measure.intro.get(locale) and measure.title.get(locale)
        assert measure.scoring.cutoff.source and measure.scoring.reliable_change.source
    # The closing "how difficult" question is asked, never scored.
    assert phq9.items[-1].id == "difficulty" and phq9.items[-1] not in phq9.scored_items


@pytest.mark.parametrize(
    ("measure_id", "answer", "total", "band"),
    [
        ("phq9", 0, 0, "Minimal"),
        ("phq9", 1, 9, "Mild"),
        ("phq9", 2, 18, "Moderately severe"),
        ("phq9", 3, 27, "Severe"),
        ("gad7", 1, 7, "Mild"),
        ("gad7", 2, 14, "Moderate"),
        ("gad7", 3, 21, "Severe"),
        ("who5", 2, 10, "Low wellbeing (50 % or less)"),
        ("who5", 1, 5, "Very low wellbeing (28 % or less)"),
        ("who5", 5, 25, "Wellbeing not reduced"),
    ],
)
def test_totals_and_severity_bands(measures, measure_id, answer, total, band):
    measure = measures[measure_id]
    result = score(measure, _all(answer, measure))
    assert result.total.value == total
    assert result.band.label.en == band


def test_band_edges_follow_kroenke_and_spitzer(measures):
    phq9, gad7 = measures["phq9"].scoring.bands, measures["gad7"].scoring.bands
    assert [band_for(phq9, v).label.en for v in (4, 5, 9, 10, 14, 15, 19, 20)] == [
        "Minimal",
        "Mild",
        "Mild",
        "Moderate",
        "Moderate",
        "Moderately severe",
        "Moderately severe",
        "Severe",
    ]
    assert [band_for(gad7, v).label.en for v in (4, 5, 10, 15)] == [
        "Minimal",
        "Mild",
        "Moderate",
        "Severe",
    ]


def test_one_missing_phq9_item_is_prorated_two_are_not(measures):
    phq9 = measures["phq9"]
    answers = _all(2, phq9)
    del answers["q3"]
    assert score(phq9, answers).total.value == 18  # mean 2 × 9 items
    del answers["q4"]
    assert score(phq9, answers).total.value is None
    # The difficulty item never counts: answered or not, the total is the same.
    assert score(phq9, {**_all(1, phq9), "difficulty": 3}).total.value == 9


def test_clinical_cutoffs(measures):
    phq9, gad7, who5 = measures["phq9"], measures["gad7"], measures["who5"]
    assert measure_outcome.in_clinical_range(phq9, 9) is False
    assert measure_outcome.in_clinical_range(phq9, 10) is True
    assert measure_outcome.in_clinical_range(gad7, 10) is True
    assert measure_outcome.in_clinical_range(gad7, 9.5) is False
    # WHO-5: higher is better; raw ≤ 12 (≤ 50 %) is the clinical side.
    assert measure_outcome.in_clinical_range(who5, 12) is True
    assert measure_outcome.in_clinical_range(who5, 13) is False
    assert measure_outcome.in_clinical_range(measures["intake"], 3) is None


@pytest.mark.parametrize(
    ("measure_id", "first", "latest", "direction", "crossing"),
    [
        # PHQ-9: reliable at 6 points (McMillan et al. 2010); lower is better.
        ("phq9", 16, 10, MeasureDirection.IMPROVED, None),
        ("phq9", 16, 11, MeasureDirection.NO_RELIABLE_CHANGE, None),
        ("phq9", 12, 6, MeasureDirection.IMPROVED, Crossing.OUT_OF_CLINICAL),
        ("phq9", 5, 11, MeasureDirection.DETERIORATED, Crossing.INTO_CLINICAL),
        ("phq9", 8, 12, MeasureDirection.NO_RELIABLE_CHANGE, Crossing.INTO_CLINICAL),
        # GAD-7: reliable at 4 points.
        ("gad7", 12, 8, MeasureDirection.IMPROVED, Crossing.OUT_OF_CLINICAL),
        ("gad7", 12, 9, MeasureDirection.NO_RELIABLE_CHANGE, Crossing.OUT_OF_CLINICAL),
        # WHO-5: 10 points on 0–100 = 2.5 raw; higher is better.
        ("who5", 10, 13, MeasureDirection.IMPROVED, Crossing.OUT_OF_CLINICAL),
        ("who5", 15, 13, MeasureDirection.NO_RELIABLE_CHANGE, None),
        ("who5", 15, 12, MeasureDirection.DETERIORATED, Crossing.INTO_CLINICAL),
    ],
)
def test_reliable_change_and_crossings(measures, measure_id, first, latest, direction, crossing):
    result = measure_outcome.outcome(measures[measure_id], first, latest, 2)
    assert result.direction is direction
    assert result.crossing is crossing


def test_one_answer_is_a_baseline_not_a_change(measures):
    result = measure_outcome.outcome(measures["phq9"], 14, 14, 1)
    assert result.direction is None and result.crossing is None
    assert result.clinical_latest is True and result.cutoff == 10


def test_phq9_item_9_alerts_from_several_days(measures):
    phq9 = measures["phq9"]
    assert measure_outcome.item_alerts(phq9, {"q9": 0}) == []
    assert measure_outcome.item_alerts(phq9, {"q9": 1}) == [("q9", 1)]
    assert measure_outcome.item_alerts(phq9, {"q9": 3, "q1": 3}) == [("q9", 3)]
    assert measure_outcome.item_alerts(measures["gad7"], _all(3, measures["gad7"])) == []


def test_the_traffic_light_reads_measures():
    alert = MeasureResult(
        "phq9", 12, 14, MeasureDirection.NO_RELIABLE_CHANGE, False, (ItemAlert(9, 1),)
    )
    light = client_light([], measures=[alert])
    assert light.colour is Colour.RED and light.reasons[0] == MeasureItem("phq9", 9, 1)
    worse = MeasureResult(
        "phq9", 13, 5, MeasureDirection.DETERIORATED, False, (), Crossing.INTO_CLINICAL, 10
    )
    light = client_light([], measures=[worse])
    assert light.colour is Colour.RED
    assert light.reasons[:2] == (
        MeasureWorse("phq9", 5, 13),
        MeasureCrossed("phq9", 10, 5, 13, True),
    )
    crossed = MeasureResult(
        "gad7", 11, 8, MeasureDirection.NO_RELIABLE_CHANGE, False, (), Crossing.INTO_CLINICAL, 10
    )
    assert client_light([], measures=[crossed]).colour is Colour.YELLOW
    better = MeasureResult(
        "gad7", 8, 12, MeasureDirection.IMPROVED, True, (), Crossing.OUT_OF_CLINICAL, 10
    )
    light = client_light([], measures=[better])
    assert light.colour is Colour.GREEN
    assert MeasureCrossed("gad7", 10, 12, 8, False) in light.reasons


@settings(max_examples=200, deadline=None)
@given(
    measure_id=st.sampled_from(["phq9", "gad7", "who5"]),
    first=st.integers(0, 27),
    latest=st.integers(0, 27),
)
def test_reliable_change_is_the_published_threshold_in_either_direction(measure_id, first, latest):
    measure = _shipped()[measure_id]
    top = 25 if measure_id == "who5" else 21 if measure_id == "gad7" else 27
    first, latest = min(first, top), min(latest, top)
    result = measure_outcome.outcome(measure, first, latest, 2)
    threshold = measure.scoring.reliable_change.value
    reliable = abs(latest - first) >= threshold
    assert (result.direction is not MeasureDirection.NO_RELIABLE_CHANGE) == reliable
    if reliable:
        better = (latest > first) == measure.scoring.higher_is_better
        assert result.direction is (
            MeasureDirection.IMPROVED if better else MeasureDirection.DETERIORATED
        )
    # a crossing needs the two totals on either side of the cut-off, never the same side
    sides = (
        measure_outcome.in_clinical_range(measure, first),
        measure_outcome.in_clinical_range(measure, latest),
    )
    assert (result.crossing is not None) == (sides[0] != sides[1])


def test_the_reasons_name_a_crossing_in_words():
    from bot.i18n import Catalogs
    from bot.review import reasons

    catalogs = Catalogs.load(PROJECT_ROOT / "locales", SUPPORTED_LOCALES, "en")
    into = MeasureCrossed("phq9", 10, 8, 12, True)
    out = MeasureCrossed("phq9", 10, 12, 8, False)
    names = {"phq9": "PHQ-9"}
    en, de = catalogs.translator("en"), catalogs.translator("de")
    assert reasons.reason_text(en, into, names) == (
        "PHQ-9 8 → 12, into the clinical range (cut-off 10)"
    )
    assert reasons.reason_text(en, out, names) == (
        "PHQ-9 12 → 8, out of the clinical range (cut-off 10)"
    )
    assert reasons.reason_text(de, into, names) == (
        "PHQ-9 8 → 12, in den klinischen Bereich (Cut-off 10)"
    )
    assert reasons.reason_text(en, MeasureItem("phq9", 9, 2), names) == ("PHQ-9 item 9 answered 2")
