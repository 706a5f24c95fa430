"""The crisis model beside the lexicon: its weights, its corpus, its place in the check.

The weights in ``content/safety/model/`` must be exactly what the trainer makes of
the corpus in ``content/safety/corpus/`` (nobody edits a weight by hand); the model
only ever adds a medium-severity match where the lexicon found no crisis language.
"""

from __future__ import annotations

import time

import pytest

from bot.domain.crisis import MODEL_RULE_ID, CrisisMatcher, Severity
from bot.domain.crisis_model import CrisisModel, sentences
from bot.domain.crisis_text import split_words
from bot.safety.content import (
    MODEL_DIR,
    SAFETY_DIR,
    SafetyContentError,
    load_lexicon,
    load_model,
)
from bot.safety.train_model import CRISIS_KINDS, load_corpus, trained
from bot.settings import SUPPORTED_LOCALES
from tests.crisis_labelled import (
    DEVELOPMENT_SETS,
    SIGNS,
    combined_matcher,
    lexicon_matcher,
    sentences_of,
)
from tests.test_crisis_flow import MODEL_ONLY

MIN_CORPUS = 500


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_the_committed_weights_are_what_training_the_committed_corpus_gives(locale: str):
    committed = (MODEL_DIR / f"{locale}.json").read_text(encoding="utf-8")
    assert trained(locale).to_json() == committed, (
        f"retrain: python -m bot.safety.train_model {locale}"
    )


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_the_corpus_is_large_covers_every_sign_and_never_copies_a_development_set(
    locale: str,
):
    sentences = load_corpus(locale).sentences
    assert len(sentences) >= MIN_CORPUS
    assert {s.sign for s in sentences if s.kind == "indirect"} == set(SIGNS)
    assert {s.kind for s in sentences} == {
        "explicit",
        "indirect",
        "figurative",
        "neutral",
        "hard",
        "distress",
    }
    crisis = sum(s.kind in CRISIS_KINDS for s in sentences)
    assert 0.25 <= crisis / len(sentences) <= 0.6
    folded = [" ".join(split_words(s.text).words) for s in sentences]
    assert len(set(folded)) == len(folded), "a sentence appears twice"
    development = {
        " ".join(split_words(s.text).words)
        for name in DEVELOPMENT_SETS
        for s in sentences_of(name, locale).sentences
    }
    assert not development & set(folded), "the corpus must not copy a development set"


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_a_sentence_only_the_model_catches_is_crisis_language_of_medium_severity(locale: str):
    text = MODEL_ONLY[locale]
    alone = lexicon_matcher().check(text, locale)
    assert not alone.matched and not alone.set_aside
    check = combined_matcher().check(text, locale)
    assert check.matched and check.severity is Severity.MEDIUM
    assert (check.rule_id, check.locale) == (MODEL_RULE_ID, locale)


def test_the_model_never_changes_what_the_lexicon_found():
    lexicon, combined = lexicon_matcher(), combined_matcher()
    for locale in SUPPORTED_LOCALES:
        for name in DEVELOPMENT_SETS:
            for sentence in sentences_of(name, locale).sentences:
                alone = lexicon.check(sentence.text, locale)
                both = combined.check(sentence.text, locale)
                if alone.matched or alone.set_aside:
                    # Its matches, severities and set-aside readings stand as they are.
                    assert both == alone, sentence.text
                elif both.matched:
                    assert (both.severity, both.rule_id) == (Severity.MEDIUM, MODEL_RULE_ID)
                else:
                    assert both == alone


def test_a_match_the_lexicon_set_aside_is_not_overruled_by_the_model():
    always = CrisisModel(locale="en", bias=10.0, threshold=0.5, weights={})
    matcher = CrisisMatcher([load_lexicon(SAFETY_DIR / "en.yaml")], [always])
    negated = matcher.check("I would never kill myself", "en")
    assert not negated.matched and negated.set_aside
    assert matcher.check("the weather is fine", "en").rule_id == MODEL_RULE_ID
    assert matcher.check("I want to kill myself", "en").severity is Severity.HIGH
    # Another language's model is not asked: the user's own only.
    assert not matcher.check("the weather is fine", "de").matched


def test_the_model_file_must_say_its_own_language(tmp_path):
    moved = tmp_path / "de.json"
    moved.write_text((MODEL_DIR / "en.json").read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(SafetyContentError, match="says locale 'en'"):
        load_model(moved)
    broken = tmp_path / "en.json"
    broken.write_text('{"locale": "en", "bias": 0, "threshold": 1.5, "weights": {}}')
    with pytest.raises(SafetyContentError, match="threshold"):
        load_model(broken)


def test_a_long_message_is_read_by_sentences_and_one_crisis_sentence_still_counts():
    ordinary = "Work was busy today but I managed and went for a walk afterwards. "
    text = ordinary * 40 + MODEL_ONLY["en"] + ". " + ordinary * 20
    assert all(len(sentence) <= 240 for sentence in sentences(text))
    assert MODEL_ONLY["en"] + "." in sentences(text)
    model = load_model(MODEL_DIR / "en.json")
    assert model.flags(MODEL_ONLY["en"]) and model.flags(text)
    assert not model.flags(ordinary * 60)


def test_scoring_is_fast():
    model = load_model(MODEL_DIR / "en.json")
    short = "Work was stressful today, but I went for a run and feel a bit better."
    longest = (short + " ") * (4096 // (len(short) + 1))
    for text, runs, bound in ((short, 200, 0.001), (longest, 5, 0.02)):
        started = time.perf_counter()
        for _ in range(runs):
            model.probability(text)
        # Generous bounds (measured: about 0.1 ms and 6-10 ms on the 2-core machine).
        assert (time.perf_counter() - started) / runs < bound * 3
