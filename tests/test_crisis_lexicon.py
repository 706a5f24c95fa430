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
from tests.crisis_labelled import CATEGORIES, evaluate, load_set

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
