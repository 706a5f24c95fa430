"""The crisis check measured on labelled sentences (en, de, es), with the figures printed.

``pytest -s`` or ``pytest -rP`` shows the tables; ``python bench/crisis.py``
prints them on their own. The lexicons were tuned on ``tests/data/crisis/<locale>.yaml``;
``holdout_<locale>.yaml`` is only measured: its first batch was written before any
lexicon existed, its second after the last round of tuning (docs/safety.md has the
figures and what they mean).
"""

from __future__ import annotations

import pytest

from bot.settings import SUPPORTED_LOCALES
from tests.crisis_labelled import CATEGORIES, SIGNS, evaluate, load_held_out, load_set

MIN_SENTENCES = 60


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_each_labelled_set_is_large_enough_and_covers_every_category(locale: str):
    sentences = load_set(locale).sentences
    assert len(sentences) >= MIN_SENTENCES
    assert {s.category for s in sentences} == set(CATEGORIES)
    assert any(s.flag for s in sentences if s.category == "negation"), "risky negations too"
    texts = [s.text for s in sentences]
    held_out = {s.text for s in load_set(locale, holdout=True).sentences}
    assert len(set(texts)) == len(texts), "a sentence appears twice"
    assert not held_out & set(texts), "the held-out set must not overlap the tuning set"


def test_labelled_set_every_explicit_statement_is_flagged():
    evaluation = evaluate("labelled")
    print("\n" + evaluation.table())
    for locale in SUPPORTED_LOCALES:
        explicit = evaluation.by_category[(locale, "explicit")]
        assert explicit.recall == 1.0, f"{locale} missed explicit: {explicit.misses}"
        overall = evaluation.overall[locale]
        assert overall.recall is not None and overall.recall >= 0.95, overall.misses
        assert overall.false_alarm_rate is not None and overall.false_alarm_rate <= 0.15, (
            overall.alarms
        )


def test_held_out_set_is_measured_and_does_not_get_worse():
    evaluation = evaluate("held-out", holdout=True)
    print("\n" + evaluation.table())
    for locale in SUPPORTED_LOCALES:
        # Never tuned to, so not 100 %: these bounds are the figures measured when the
        # held-out set was last written (explicit 73-82 %, all 83-92 %, no false alarm),
        # rounded down. They catch a lexicon change that makes things worse.
        explicit = evaluation.by_category[(locale, "explicit")]
        assert explicit.recall is not None and explicit.recall >= 0.7, explicit.misses
        overall = evaluation.overall[locale]
        assert overall.recall is not None and overall.recall >= 0.8, overall.misses
        assert overall.false_alarm_rate is not None and overall.false_alarm_rate <= 0.1, (
            overall.alarms
        )


# Issue 16: the held-out set written before the lexicons were extended for the indirect
# warning signs and the distress tier (tests/data/crisis_heldout). Never tuned on: these
# targets hold on it, and a later lexicon change that breaks one fails here.
@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_issue_16_held_out_set_meets_the_targets(locale: str):
    evaluation = evaluate("held-out (issue 16)", locales=[locale])
    print("\n" + evaluation.table())
    tally = evaluation.by_category
    explicit = tally[(locale, "explicit")]
    assert explicit.should_flag >= 10 and explicit.recall == 1.0, explicit.misses
    indirect = tally[(locale, "indirect")]
    assert indirect.should_flag >= 24 and indirect.recall is not None
    assert indirect.recall >= 0.9, indirect.misses
    figurative = tally[(locale, "figurative")]
    assert figurative.should_not >= 8
    assert figurative.false_alarms * 8 <= figurative.should_not, figurative.alarms
    neutral = tally[(locale, "everyday")]
    assert neutral.should_not >= 8
    assert neutral.false_alarms == 0 and neutral.distress == 0, neutral.alarms
    distress = tally[(locale, "distress")]
    assert distress.false_alarms == 0, f"distress read as crisis language: {distress.alarms}"


@pytest.mark.parametrize("batch", [1, 2, 3])
@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_issue_16_held_out_set_covers_every_warning_sign_and_stays_apart(locale: str, batch: int):
    # Batches 2 and 3 (3 written blind) are measured and reported (bench.crisis,
    # docs/safety.md), never asserted: asserting targets on them would invite tuning
    # the lexicons to them.
    held_out = load_held_out(locale, batch).sentences
    signs = {s.sign for s in held_out if s.category == "indirect"}
    assert signs == set(SIGNS)
    assert {s.category for s in held_out} == {
        "explicit",
        "indirect",
        "figurative",
        "everyday",
        "distress",
    }
    tuning = {s.text for s in load_set(locale).sentences}
    assert not tuning & {s.text for s in held_out}, "the held-out set must not overlap"


def test_labelled_set_distress_gets_the_distress_tier_and_never_the_crisis_reply():
    evaluation = evaluate("labelled")
    for locale in SUPPORTED_LOCALES:
        distress = evaluation.by_category[(locale, "distress")]
        assert distress.false_alarms == 0, distress.alarms
        assert distress.distress == distress.counted, distress.distress_misses
        everyday = evaluation.by_category[(locale, "everyday")]
        assert everyday.distress <= 1
