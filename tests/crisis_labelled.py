"""The crisis check measured on the labelled sentences in ``tests/data/crisis/``.

Shared by ``tests/test_crisis_lexicon.py`` (which asserts the bounds) and
``bench/crisis.py`` (which prints the table on its own). Recall: flagged share
of the sentences labelled flag. False alarms: flagged share of those labelled
no-flag. Both tiers: "flagged" is crisis language (high or medium); the
distress column is the share that got the distress tier instead (wanted for
the distress category, noise elsewhere).

Three sets: the labelled set (tuned on), the first held-out set
(``holdout_<locale>.yaml``) and the held-out set written for issue 16
(``tests/data/crisis_heldout/<locale>.yaml``, never tuned on; its own format,
with the kind of each indirect warning sign), with its batches 2 and 3
(``batch<n>_<locale>.yaml``; batch 3 written blind), both measured only, and a
batch 4 when its files are there (written blind to measure the crisis model once,
measured once; its misses were then read for the lexicon round of 2026-12-07, so it
is no longer blind) and a batch 5 (written blind after that round, measured once, then
read for the lexicon and corpus round of 2026-12-07 (round 6): no longer blind either).

Every set can be measured with the lexicons alone or with the crisis model beside
them (:func:`compare`).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from bot.domain.crisis import CrisisMatcher
from bot.safety.content import load_matcher
from bot.settings import PROJECT_ROOT, SUPPORTED_LOCALES

DATA_DIR = PROJECT_ROOT / "tests" / "data" / "crisis"
HELD_OUT_DIR = PROJECT_ROOT / "tests" / "data" / "crisis_heldout"
CATEGORIES = ("explicit", "indirect", "negation", "figurative", "everyday", "distress")
Category = Literal["explicit", "indirect", "negation", "figurative", "everyday", "distress"]
Sign = Literal["passive_death_wish", "burden", "entrapment", "finality", "preparatory", "farewell"]
SIGNS: tuple[Sign, ...] = (
    "passive_death_wish",
    "burden",
    "entrapment",
    "finality",
    "preparatory",
    "farewell",
)


class Sentence(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    text: str = Field(min_length=1)
    category: Category
    flag: bool  # crisis language; a "distress" sentence is flag: false and wants the distress tier
    sign: Sign | None = None


class LabelledSet(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    locale: str
    sentences: list[Sentence] = Field(min_length=1)


def load_set(locale: str, *, holdout: bool = False) -> LabelledSet:
    path = DATA_DIR / (f"holdout_{locale}.yaml" if holdout else f"{locale}.yaml")
    labelled = LabelledSet.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    assert labelled.locale == locale, f"{path} says locale {labelled.locale}"
    return labelled


class HeldOutSentence(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["explicit", "indirect", "figurative", "neutral", "distress"]
    text: str = Field(min_length=1)
    sign: Sign | None = None


class HeldOutSet(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    locale: str
    sentences: list[HeldOutSentence] = Field(min_length=1)


def held_out_path(locale: str, batch: int = 1) -> Path:
    return HELD_OUT_DIR / (f"{locale}.yaml" if batch == 1 else f"batch{batch}_{locale}.yaml")


def load_held_out(locale: str, batch: int = 1) -> LabelledSet:
    """An issue-16 held-out batch, as labelled sentences (neutral reads as everyday).

    Batch 1 (``<locale>.yaml``) was written before the lexicon changes and carries the
    asserted targets; batch 2 (``batch2_<locale>.yaml``) after them, measured only;
    batch 3 (``batch3_<locale>.yaml``) written blind (by someone who never saw the
    lexicons or the other sets), measured only.
    """
    path = held_out_path(locale, batch)
    raw = HeldOutSet.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    assert raw.locale == locale, f"{path} says locale {raw.locale}"
    category: dict[str, Category] = {
        "explicit": "explicit",
        "indirect": "indirect",
        "figurative": "figurative",
        "neutral": "everyday",
        "distress": "distress",
    }
    return LabelledSet(
        locale=locale,
        sentences=[
            Sentence(
                text=s.text,
                category=category[s.kind],
                flag=s.kind in ("explicit", "indirect"),
                sign=s.sign,
            )
            for s in raw.sentences
        ],
    )


SetName = Literal[
    "labelled",
    "held-out",
    "held-out (issue 16)",
    "held-out (issue 16, batch 2, measured only)",
    "held-out (issue 16, batch 3, no longer blind, measured only)",
    "held-out (issue 16, batch 4, no longer blind, measured only)",
    "held-out (issue 16, batch 5, no longer blind, measured only)",
    "held-out (issue 16, batch 6, blind, measured only)",
]
BATCH_4: SetName = "held-out (issue 16, batch 4, no longer blind, measured only)"
BATCH_5: SetName = "held-out (issue 16, batch 5, no longer blind, measured only)"
#: Written blind after round 6 of the lexicons and the model (2026-12-07), measured once.
BATCH_6: SetName = "held-out (issue 16, batch 6, blind, measured only)"
#: The batches measured only where their files exist, by number.
LATER_BATCHES: dict[SetName, int] = {BATCH_4: 4, BATCH_5: 5, BATCH_6: 6}


def sentences_of(name: SetName, locale: str) -> LabelledSet:
    if name == "labelled":
        return load_set(locale)
    if name == "held-out":
        return load_set(locale, holdout=True)
    if name == "held-out (issue 16)":
        return load_held_out(locale)
    if name == "held-out (issue 16, batch 2, measured only)":
        return load_held_out(locale, batch=2)
    if name in LATER_BATCHES:
        return load_held_out(locale, batch=LATER_BATCHES[name])
    return load_held_out(locale, batch=3)


@dataclass
class Tally:
    """Counts for one group of sentences."""

    should_flag: int = 0
    flagged_correctly: int = 0
    should_not: int = 0
    false_alarms: int = 0
    misses: list[str] = field(default_factory=list)
    alarms: list[str] = field(default_factory=list)
    # The distress tier: sentences that got it (instead of the crisis reply), of all counted.
    distress: int = 0
    counted: int = 0
    distress_misses: list[str] = field(default_factory=list)

    def add(self, sentence: Sentence, flagged: bool, distress: bool = False) -> None:
        self.counted += 1
        self.distress += distress
        if sentence.category == "distress" and not distress and not flagged:
            self.distress_misses.append(sentence.text)
        if sentence.flag:
            self.should_flag += 1
            self.flagged_correctly += flagged
            if not flagged:
                self.misses.append(sentence.text)
        else:
            self.should_not += 1
            self.false_alarms += flagged
            if flagged:
                self.alarms.append(sentence.text)

    @property
    def recall(self) -> float | None:
        return self.flagged_correctly / self.should_flag if self.should_flag else None

    @property
    def false_alarm_rate(self) -> float | None:
        return self.false_alarms / self.should_not if self.should_not else None

    @property
    def distress_rate(self) -> float | None:
        return self.distress / self.counted if self.counted else None


@dataclass
class Evaluation:
    """Per language: the whole set and each category."""

    name: str
    overall: dict[str, Tally]
    by_category: dict[tuple[str, str], Tally]

    def table(self) -> str:
        lines = [
            f"crisis check on the {self.name} set",
            "(crisis = crisis language, high or medium; distress = the tier below it)",
            f"{'lang':<5}{'category':<20}{'n':>4}{'crisis recall':>17}"
            f"{'crisis false alarms':>21}{'distress tier':>17}",
        ]
        for locale, overall in self.overall.items():
            for category in CATEGORIES:
                tally = self.by_category.get((locale, category))
                if tally:
                    lines.append(_row(locale, category, tally))
                if category == "indirect":
                    for sign in SIGNS:
                        tally = self.by_category.get((locale, f"indirect/{sign}"))
                        if tally:
                            lines.append(_row(locale, f"  {sign}", tally))
            lines.append(_row(locale, "ALL", overall))
        for locale, overall in self.overall.items():
            lines.extend(f"  missed ({locale}): {text}" for text in overall.misses)
            lines.extend(f"  false alarm ({locale}): {text}" for text in overall.alarms)
            lines.extend(
                f"  distress not answered ({locale}): {text}" for text in overall.distress_misses
            )
        return "\n".join(lines)


def evaluate(
    name: str,
    *,
    holdout: bool = False,
    locales: Iterable[str] = SUPPORTED_LOCALES,
    matcher: CrisisMatcher | None = None,
) -> Evaluation:
    """``name`` is also the set: "labelled", "held-out" (or ``holdout``), "held-out (issue 16)".

    The lexicons alone unless ``matcher`` says otherwise: the bounds the tests assert
    are the lexicons' own (the model beside them is measured by :func:`compare`)."""
    matcher = matcher or lexicon_matcher()
    which: SetName = "held-out" if holdout else name  # type: ignore[assignment]
    if which in LATER_BATCHES:  # measured in the languages it was written in
        batch = LATER_BATCHES[which]
        locales = [locale for locale in locales if held_out_path(locale, batch).exists()]
    overall: dict[str, Tally] = {}
    by_category: dict[tuple[str, str], Tally] = {}
    for locale in locales:
        overall[locale] = Tally()
        for sentence in sentences_of(which, locale).sentences:
            check = matcher.check(sentence.text, locale)
            flagged, distress = check.matched, check.distress
            overall[locale].add(sentence, flagged, distress)
            by_category.setdefault((locale, sentence.category), Tally()).add(
                sentence, flagged, distress
            )
            if sentence.sign:
                by_category.setdefault((locale, f"indirect/{sentence.sign}"), Tally()).add(
                    sentence, flagged, distress
                )
    return Evaluation(name, overall, by_category)


def _row(locale: str, category: str, tally: Tally) -> str:
    def share(part: int, whole: int) -> str:
        return f"{part}/{whole} = {part / whole:6.1%}" if whole else "–"

    return (
        f"{locale:<5}{category:<20}{tally.counted:>4}"
        f"{share(tally.flagged_correctly, tally.should_flag):>17}"
        f"{share(tally.false_alarms, tally.should_not):>21}"
        f"{share(tally.distress, tally.counted):>17}"
    )


def _batch_exists(batch: int) -> bool:
    return any(held_out_path(locale, batch).exists() for locale in SUPPORTED_LOCALES)


#: Later batches that have been read for a round (their misses studied): development sets
#: now, on which the crisis model's thresholds are chosen too. A batch written blind after
#: the last round goes into LATER_BATCHES only: measured, never chosen on.
READ_BATCHES: tuple[SetName, ...] = (BATCH_4, BATCH_5)
DEVELOPMENT_SETS: tuple[SetName, ...] = (
    "labelled",
    "held-out",
    "held-out (issue 16)",
    "held-out (issue 16, batch 2, measured only)",
    "held-out (issue 16, batch 3, no longer blind, measured only)",
    *(name for name in READ_BATCHES if _batch_exists(LATER_BATCHES[name])),
)
SETS: tuple[SetName, ...] = DEVELOPMENT_SETS + tuple(
    name
    for name, batch in LATER_BATCHES.items()
    if name not in DEVELOPMENT_SETS and _batch_exists(batch)
)


@functools.cache
def lexicon_matcher() -> CrisisMatcher:
    return load_matcher(SUPPORTED_LOCALES, models=None)


@functools.cache
def combined_matcher() -> CrisisMatcher:
    """The check as the bot runs it: the lexicons, and each language's model beside them."""
    return load_matcher(SUPPORTED_LOCALES)


# The rows of :func:`compare`: each category, and the indirect sentences by sign.
_COMPARED = (
    "explicit",
    "indirect",
    *(f"indirect/{sign}" for sign in SIGNS),
    "negation",
    "figurative",
    "everyday",
    "distress",
)


def compare(name: SetName, locales: Iterable[str] = SUPPORTED_LOCALES) -> str:
    """One set, the lexicons alone and with the model: sentences flagged as crisis language.

    Explicit and indirect sentences should be flagged; figurative, everyday (neutral)
    and distress ones should not (negation: some should, by their label)."""
    alone = evaluate(name, locales=locales, matcher=lexicon_matcher())
    combined = evaluate(name, locales=locales, matcher=combined_matcher())
    lines = [
        f"crisis language flagged on the {name} set: lexicon alone -> lexicon + model",
        f"{'lang':<5}{'category':<22}{'n':>4}{'lexicon':>10}{'+ model':>10}",
    ]
    for locale in alone.overall:
        for category in _COMPARED:
            before = alone.by_category.get((locale, category))
            after = combined.by_category.get((locale, category))
            if before is None or after is None:
                continue
            label = category.replace("indirect/", "  ")
            lines.append(
                f"{locale:<5}{label:<22}{before.counted:>4}"
                f"{_flagged(before):>10}{_flagged(after):>10}"
            )
    for locale, tally in combined.overall.items():
        lines.extend(f"  still missed ({locale}): {text}" for text in tally.misses)
        lines.extend(
            f"  false alarm ({locale}): {text}"
            for text in tally.alarms
            if text not in alone.overall[locale].alarms
        )
    return "\n".join(lines)


def _flagged(tally: Tally) -> str:
    return f"{tally.flagged_correctly + tally.false_alarms}/{tally.counted}"


def report() -> str:
    return "\n\n".join(evaluate(name).table() for name in SETS)
