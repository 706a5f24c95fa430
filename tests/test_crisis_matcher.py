"""The crisis matcher on its own: spelling tricks, negation, figurative uses, content files."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from bot.domain.crisis import CrisisMatcher, Lexicon, Severity
from bot.domain.crisis_resources import CrisisResources
from bot.safety.content import (
    SAFETY_DIR,
    SafetyContentError,
    load_lexicon,
    load_matcher,
    load_resources,
)
from bot.settings import SUPPORTED_LOCALES
from tests.crisis_labelled import load_set


@pytest.fixture(scope="module")
def matcher() -> CrisisMatcher:
    return load_matcher(SUPPORTED_LOCALES)


@pytest.mark.parametrize(
    ("locale", "text"),
    [
        ("en", "I WANT TO KILL MYSELF"),
        ("en", "i want to kiiiiill myselfffff"),
        ("en", "i want to k.i.l.l myself"),
        ("en", "i want to k-i-l-l m-y-s-e-l-f"),
        ("en", "thinking about s u i c i d e"),
        ("en", "i want to k1ll mys3lf"),
        ("en", "im feeling suicdal"),
        ("en", "thinking about sucide"),
        ("en", "I don’t want to live anymore"),
        ("en", "I don´t want to live anymore"),
        ("en", "Ｉ want to die"),
        ("de", "Ich möchte sterben"),
        ("de", "ich mochte sterben"),
        ("de", "ich moechte sterben"),
        ("de", "Ich denke an Selbst mord"),
        ("de", "ich denke an selbstmort"),
        ("de", "Ich bringe mich heute Abend um"),
        ("de", "ich bin LEBENSMÜDE"),
        ("es", "quiero suicidarme"),
        ("es", "quiero suisidarme"),
        ("es", "Quiero quitarme la vida"),
        ("es", "me kiero matar"),
        ("es", "No quiero seguir viviendo."),
    ],
)
def test_spelling_tricks_do_not_hide_a_crisis(matcher: CrisisMatcher, locale: str, text: str):
    assert matcher.check(text, locale).matched


@pytest.mark.parametrize(
    ("locale", "text"),
    [
        ("en", "This homework is killing me"),
        ("en", "I'm dying to see that film"),
        ("en", "I'd never kill myself"),
        ("en", "These new skills are great"),
        ("de", "Ich sterbe vor Langeweile"),
        ("de", "Die Arbeit bringt mich noch um"),
        ("de", "Ich würde mich nie umbringen"),
        ("es", "Me muero de risa"),
        ("es", "Te voy a matarte a cosquillas"),
        ("es", "Nunca me quitaría la vida"),
    ],
)
def test_figurative_and_negated_uses_are_not_flagged(
    matcher: CrisisMatcher, locale: str, text: str
):
    check = matcher.check(text, locale)
    assert not check.matched


@pytest.mark.parametrize(
    ("locale", "text"),
    [
        # a negation in a message that also hedges is not believed
        ("en", "I would never kill myself, but sometimes I think about it"),
        ("en", "I'm not sure I won't hurt myself"),
        ("de", "Ich bringe mich nicht um, aber ich denke oft daran"),
        ("es", "No me voy a matar, pero lo pienso"),
        # a negation in another sentence, or before a new subject, does not count
        ("en", "No. I want to die."),
        ("de", "Nein. Ich will sterben."),
        ("en", "not today i want to die"),
        ("en", "no i want to kill myself"),
        ("de", "ich will nicht mehr ich will sterben"),
        ("es", "no se yo quiero morir"),
        # negated wishes to live are the crisis, not its denial
        ("en", "I don't want to live"),
        ("de", "Ich will nicht mehr leben"),
        ("es", "No quiero vivir"),
        # a figurative use next to a real one: the real one counts
        ("en", "This homework is killing me and I want to kill myself"),
        # an exception for a figure of speech is narrower than the risk next to it
        ("en", "I want to die from the pain"),
        ("en", "I don't want to live in this world"),
        ("es", "No quiero vivir en este mundo"),
        ("de", "Ich würde mich am liebsten umbringen"),
    ],
)
def test_negation_and_figures_of_speech_never_hide_real_risk(
    matcher: CrisisMatcher, locale: str, text: str
):
    assert matcher.check(text, locale).matched


def test_a_negation_in_another_language_still_counts(matcher: CrisisMatcher):
    # "suizidal" is read by the German lexicon; the English "not" still negates it
    assert not matcher.check("I'm not suizidal", "en").matched


def test_a_correction_never_hides_the_word_as_written(matcher: CrisisMatcher):
    # "despedido" is one letter from the keyword "despedida": it must still be read as written
    assert matcher.check("Ya me he despedido de todo el mundo", "es").matched


def test_every_language_is_tried_the_users_first(matcher: CrisisMatcher):
    check = matcher.check("I want to kill myself", "de")
    assert check.matched and check.locale == "en"
    both = matcher.check("I want to die. Ich will sterben.", "de")
    assert both.locale == "de"


def test_the_result_names_the_rule_and_never_holds_the_text(matcher: CrisisMatcher):
    text = "I have been saving up my pills"
    check = matcher.check(text, "en")
    assert check.matched
    assert check.severity is Severity.HIGH
    assert check.rule_id == "plan"
    assert check.locale == "en"
    assert "pills" not in repr(check)


def test_the_highest_severity_wins(matcher: CrisisMatcher):
    check = matcher.check("I'm a burden to everyone and I want to kill myself", "en")
    assert (check.severity, check.rule_id) == (Severity.HIGH, "suicide")
    assert matcher.check("I'm a burden to everyone", "en").severity is Severity.MEDIUM


@pytest.mark.parametrize("text", ["", "   ", "👍🙂", "....", "12345"])
def test_empty_or_wordless_text_is_no_match(matcher: CrisisMatcher, text: str):
    assert not matcher.check(text, "en").matched


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=300), locale=st.sampled_from([*SUPPORTED_LOCALES, None, "fr"]))
def test_any_text_gets_an_answer(matcher: CrisisMatcher, text: str, locale: str | None):
    check = matcher.check(text, locale)
    assert check.matched == (check.rule_id is not None)


def _lexicon(**changes: object) -> dict:
    data: dict = {
        "locale": "en",
        "negations": ["not"],
        "rules": [{"id": "r", "severity": "high", "patterns": ["want to die"]}],
    }
    data.update(changes)
    return data


@pytest.mark.parametrize(
    "changes",
    [
        {"rules": [{"id": "r", "severity": "high", "patterns": ["want to <die>"]}]},
        {"rules": [{"id": "r", "severity": "high", "patterns": ["want ~to die"]}]},
        {"rules": [{"id": "r", "severity": "high", "patterns": ["want to (die"]}]},
        {"rules": [{"id": "r", "severity": "urgent", "patterns": ["die"]}]},
        {"rules": [{"id": "r", "severity": "high", "patterns": []}]},
        {
            "rules": [
                {"id": "r", "severity": "high", "patterns": ["a"]},
                {"id": "r", "severity": "high", "patterns": ["b"]},
            ]
        },
        {"rules": [{"id": "r", "severity": "high", "patterns": ["die"], "typo": True}]},
        {"negations": []},
        {"rules": [{"id": "r", "severity": "high", "patterns": ["want to die (now)?"]}]},
        {"rules": [{"id": "r", "severity": "high", "patterns": ["want to die!(now)"]}]},
        {"rules": [{"id": "r", "severity": "high", "patterns": ["want to die !now"]}]},
        {"rules": [{"id": "r", "severity": "high", "patterns": ["want to die !(now"]}]},
    ],
    ids=[
        "bad-char",
        "gap-without-space",
        "unbalanced",
        "severity",
        "no-patterns",
        "dup-id",
        "unknown-field",
        "no-negations",
        "optional-last-word",
        "not-followed-without-space",
        "not-followed-without-parenthesis",
        "not-followed-unclosed",
    ],
)
def test_an_invalid_lexicon_is_refused(changes: dict):
    with pytest.raises(ValidationError):
        Lexicon.model_validate(_lexicon(**changes))


@pytest.mark.parametrize(
    ("text", "matched"),
    [
        ("I want to disappear", True),
        ("I want to disappear forever", True),
        ("I want to disappear for a bit", False),
        ("I want to disappear under my duvet", False),
        ("I want to just disappear into the sofa", False),
        ("I want to disappear. For a week I slept", False),  # the next words, whatever the clause
        ("I hope I never wake up", True),
        ("I hope I never wake up early again", False),
        ("I hope I never wake", True),
    ],
)
def test_not_followed_by_excludes_the_words_after_a_match(text: str, matched: bool):
    lexicon = Lexicon.model_validate(
        _lexicon(
            rules=[
                {
                    "id": "wish",
                    "severity": "medium",
                    "patterns": [
                        "want to ~ disappear !(for a|under (a|my)|into)",
                        "hope ~ never wake( up)? !(up|early)",
                    ],
                }
            ]
        )
    )
    assert CrisisMatcher([lexicon]).check(text, "en").matched is matched


def test_a_lexicon_file_must_match_its_name(tmp_path: Path):
    path = tmp_path / "de.yaml"
    path.write_text(yaml.safe_dump(_lexicon()), encoding="utf-8")
    with pytest.raises(SafetyContentError, match=r"de\.yaml"):
        load_lexicon(path)


def test_the_shipped_content_validates():
    for locale in SUPPORTED_LOCALES:
        assert load_lexicon(SAFETY_DIR / f"{locale}.yaml").locale == locale
    load_resources(SUPPORTED_LOCALES)


def test_resources_missing_a_language_are_refused(tmp_path: Path):
    data = yaml.safe_load((SAFETY_DIR / "resources.yaml").read_text(encoding="utf-8"))
    del data["lines"][0]["text"]["es"]
    (tmp_path / "resources.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(SafetyContentError, match="local_emergency"):
        load_resources(SUPPORTED_LOCALES, tmp_path)


def test_resources_need_a_line_that_applies_anywhere():
    data = yaml.safe_load((SAFETY_DIR / "resources.yaml").read_text(encoding="utf-8"))
    data["lines"] = [line for line in data["lines"] if line["countries"] != ["*"]]
    data["defaults"] = {"en": ["us_988"]}
    with pytest.raises(ValidationError, match="anywhere"):
        CrisisResources.model_validate(data)


@pytest.fixture(scope="module")
def resources() -> CrisisResources:
    return load_resources(SUPPORTED_LOCALES)


def test_without_a_country_each_language_shows_its_defaults(resources: CrisisResources):
    assert resources.lines_for("en")[0].startswith("If you are in danger right now")
    assert any("988" in line for line in resources.lines_for("en"))
    assert any("0800 111 0 111" in line for line in resources.lines_for("de"))
    assert any("024" in line for line in resources.lines_for("es"))
    assert all("0800" not in line for line in resources.lines_for("es"))


def test_with_a_country_its_own_lines_follow_the_emergency_line(resources: CrisisResources):
    german_in_english = resources.lines_for("en", "DE")
    assert german_in_english[0].startswith("If you are in danger right now")
    assert any(line.endswith(": 112") for line in german_in_english)
    assert any("TelefonSeelsorge" in line for line in german_in_english)
    assert all("988" not in line for line in german_in_english)
    spain = resources.lines_for("de", "ES")
    assert any("Spanien" in line and "024" in line for line in spain)
    assert any("911" in line for line in resources.lines_for("es", "US"))


def test_a_country_without_lines_of_its_own_gets_the_language_defaults(
    resources: CrisisResources,
):
    assert resources.lines_for("es", "JP") == resources.lines_for("es")


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _stretch_vowels(text: str) -> str:
    """Every vowel of every whole word typed three times ("diiieee")."""

    def stretch(word: re.Match[str]) -> str:
        return re.sub(r"([aeiouäöüáéíóú])", r"\1\1\1", word.group(0), flags=re.IGNORECASE)

    return re.sub(r"\b[^\W\d_]{3,}\b", stretch, text)


TRICKS = {
    "upper case": str.upper,
    "lower case": str.lower,
    "no accents": _strip_accents,
    "stretched vowels": _stretch_vowels,
    "no apostrophes": lambda text: text.replace("'", ""),
    "curly apostrophes": lambda text: text.replace("'", "’"),
    "shouted": lambda text: text + "!!! 😭😭",
    "trailing off": lambda text: text + "...",
}
EXPLICIT = [
    (locale, sentence.text)
    for locale in SUPPORTED_LOCALES
    for holdout in (False, True)
    for sentence in load_set(locale, holdout=holdout).sentences
    if sentence.category == "explicit"
]


@pytest.mark.parametrize("trick", TRICKS)
def test_every_explicit_statement_survives_every_spelling_trick(matcher: CrisisMatcher, trick: str):
    """A trick never loses a match (held-out statements the check misses as written aside)."""
    change = TRICKS[trick]
    caught = [(locale, text) for locale, text in EXPLICIT if matcher.check(text, locale).matched]
    assert len(caught) >= 0.9 * len(EXPLICIT)
    missed = [text for locale, text in caught if not matcher.check(change(text), locale).matched]
    assert not missed


@pytest.mark.parametrize(
    ("pattern", "words"),
    [
        ("want to die", {"want"}),
        ("(wish|hope i) ~ wake", {"wish", "hope"}),
        ("((a|b) c|d) e", {"a", "b", "d"}),
        ("kms", {"kms"}),
        ("kil* me", None),
        ("(x )?die", None),
        ("~ die", None),
        ("self ?(harm|injury)", None),
        ("goodbyes? forever", None),
        ("(a|) b", None),
        ("(ge)?ritz*", None),
        ("wake( up)? !(early)", None),
        ("hope !(so) i die", {"hope"}),
    ],
)
def test_first_words_of_a_pattern(pattern: str, words: set[str] | None):
    from bot.domain.crisis import first_words

    assert first_words(pattern) == (None if words is None else frozenset(words))


def test_the_first_word_filter_never_hides_a_match():
    # Soundness on every shipped pattern: wherever a pattern matches a labelled sentence,
    # the word its match starts with is one of the words the filter lets through.
    from bot.domain.crisis import compile_pattern, first_words
    from bot.domain.crisis_text import collapse_repeats, fold_pattern, split_words

    texts = [s.text for locale in SUPPORTED_LOCALES for s in load_set(locale).sentences]
    texts += [
        s.text for locale in SUPPORTED_LOCALES for s in load_set(locale, holdout=True).sentences
    ]
    checked = 0
    for locale in SUPPORTED_LOCALES:
        lexicon = load_lexicon(SAFETY_DIR / f"{locale}.yaml")
        replacements = dict(lexicon.replacements)
        folded_texts = []
        for text in texts:
            words = []
            for word in split_words(text).words:
                word = collapse_repeats(word)
                for old, new in replacements.items():
                    word = word.replace(old, new)
                words.append(collapse_repeats(word))
            folded_texts.append(" ".join(words))
        for rule in lexicon.rules:
            for pattern in rule.patterns:
                firsts = first_words(" ".join(fold_pattern(pattern, replacements).split()))
                if firsts is None:
                    continue
                regex = compile_pattern(pattern, replacements)
                for text in folded_texts:
                    for match in regex.finditer(text):
                        checked += 1
                        assert match.group(0).split(" ")[0] in firsts, (pattern, text)
    assert checked > 100
