"""The crisis check measured on the labelled sentences in ``tests/data/crisis/``.

Shared by ``tests/test_crisis_lexicon.py`` (which asserts the bounds) and
``bench/crisis.py`` (which prints the table on its own). Recall: flagged share
of the sentences labelled flag. False alarms: flagged share of those labelled
no-flag.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from bot.domain.crisis import CrisisMatcher
from bot.safety.content import load_matcher
from bot.settings import PROJECT_ROOT, SUPPORTED_LOCALES

DATA_DIR = PROJECT_ROOT / "tests" / "data" / "crisis"
CATEGORIES = ("explicit", "indirect", "negation", "figurative", "everyday")
Category = Literal["explicit", "indirect", "negation", "figurative", "everyday"]


class Sentence(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    text: str = Field(min_length=1)
    category: Category
    flag: bool


class LabelledSet(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    locale: str
    sentences: list[Sentence] = Field(min_length=1)


def load_set(locale: str, *, holdout: bool = False) -> LabelledSet:
    path = DATA_DIR / (f"holdout_{locale}.yaml" if holdout else f"{locale}.yaml")
    labelled = LabelledSet.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    assert labelled.locale == locale, f"{path} says locale {labelled.locale}"
    return labelled


@dataclass
class Tally:
    """Counts for one group of sentences."""

    should_flag: int = 0
    flagged_correctly: int = 0
    should_not: int = 0
    false_alarms: int = 0
    misses: list[str] = field(default_factory=list)
    alarms: list[str] = field(default_factory=list)

    def add(self, sentence: Sentence, flagged: bool) -> None:
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


@dataclass
class Evaluation:
    """Per language: the whole set and each category."""

    name: str
    overall: dict[str, Tally]
    by_category: dict[tuple[str, str], Tally]

    def table(self) -> str:
        lines = [
            f"crisis check on the {self.name} set",
            f"{'lang':<5}{'category':<12}{'n':>4}{'recall':>16}{'false alarms':>18}",
        ]
        for locale, overall in self.overall.items():
            for category in CATEGORIES:
                tally = self.by_category.get((locale, category))
                if tally:
                    lines.append(_row(locale, category, tally))
            lines.append(_row(locale, "ALL", overall))
        for locale, overall in self.overall.items():
            lines.extend(f"  missed ({locale}): {text}" for text in overall.misses)
            lines.extend(f"  false alarm ({locale}): {text}" for text in overall.alarms)
        return "\n".join(lines)


def evaluate(
    name: str,
    *,
    holdout: bool = False,
    locales: Iterable[str] = SUPPORTED_LOCALES,
    matcher: CrisisMatcher | None = None,
) -> Evaluation:
    matcher = matcher or load_matcher(SUPPORTED_LOCALES)
    overall: dict[str, Tally] = {}
    by_category: dict[tuple[str, str], Tally] = {}
    for locale in locales:
        overall[locale] = Tally()
        for sentence in load_set(locale, holdout=holdout).sentences:
            flagged = matcher.check(sentence.text, locale).matched
            overall[locale].add(sentence, flagged)
            by_category.setdefault((locale, sentence.category), Tally()).add(sentence, flagged)
    return Evaluation(name, overall, by_category)


def _row(locale: str, category: str, tally: Tally) -> str:
    def share(part: int, whole: int) -> str:
        return f"{part}/{whole} = {part / whole:6.1%}" if whole else "–"

    return (
        f"{locale:<5}{category:<12}{tally.should_flag + tally.should_not:>4}"
        f"{share(tally.flagged_correctly, tally.should_flag):>16}"
        f"{share(tally.false_alarms, tally.should_not):>18}"
    )


def report() -> str:
    return "\n\n".join((evaluate("labelled").table(), evaluate("held-out", holdout=True).table()))
