"""The shape of a measure file, validated by pydantic.

A measure is data a practitioner can read: its items in every shipped language,
the answer options with their values, which items are reverse-scored, how a
score is made (sum or mean, subscales, how many items may be missing), the
severity bands, and — only where the instrument publishes them — reliability
and norms, which the digest uses for reliable change (Jacobson–Truax).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from bot.settings import SUPPORTED_LOCALES

Identifier = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")]


class Localized(BaseModel):
    """A text in every shipped language (en, de, es)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    en: Annotated[str, Field(min_length=1, max_length=300)]
    de: Annotated[str, Field(min_length=1, max_length=300)]
    es: Annotated[str, Field(min_length=1, max_length=300)]

    def get(self, locale: str) -> str:
        return getattr(self, locale if locale in SUPPORTED_LOCALES else "en")


class Option(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    value: int
    label: Localized | None = None  # None: the button shows the number itself
    # The item this option stands for, e.g. the life areas of the intake's "what would
    # you like to work on" (the goal conversation starts from that item's area).
    item: Identifier | None = None

    def text(self, locale: str) -> str:
        return self.label.get(locale) if self.label else str(self.value)


class ItemKind(StrEnum):
    SCALE = "scale"  # one option from the item's option set; scored
    CHOICE = "choice"  # several options may be picked; never scored (e.g. "what to work on")


class Item(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Identifier
    text: Localized  # the question as the client reads it
    # A short name for reports (/intake: "Sleep: 6"); None: the text itself.
    label: Localized | None = None
    kind: ItemKind = ItemKind.SCALE
    options: Identifier  # the name of an option set in the measure
    reverse: bool = False
    subscales: tuple[Identifier, ...] = ()
    # False: asked and stored, never counted (e.g. the PHQ-9's closing "how difficult").
    scored: bool = True


class Method(StrEnum):
    SUM = "sum"
    MEAN = "mean"


class Band(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    min: float
    max: float
    label: Localized
    # Shown in the digest as needing attention (e.g. the most severe band).
    attention: bool = False


class Subscale(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Identifier
    title: Localized
    method: Method = Method.SUM
    max_missing: Annotated[int, Field(ge=0)] = 0


class Norms(BaseModel):
    """Published reference values of the total score, for reliable change."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    mean: float
    sd: Annotated[float, Field(gt=0)]
    source: Annotated[str, Field(min_length=1)]


class Threshold(BaseModel):
    """A published constant of an instrument, with where it comes from."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    value: float
    source: Annotated[str, Field(min_length=1)]


class Scoring(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    method: Method = Method.SUM
    # More missing items than this and no score is given (a partial score would mislead).
    max_missing: Annotated[int, Field(ge=0)] = 0
    higher_is_better: bool = True
    bands: tuple[Band, ...] = ()
    subscales: tuple[Subscale, ...] = ()
    show_to_client: bool = False
    reliability: Annotated[float | None, Field(gt=0, lt=1)] = None
    norms: Norms | None = None
    # A published reliable-change threshold in points of the total: a change of at
    # least this much is reliable (used instead of reliability and norms when given).
    reliable_change: Threshold | None = None
    # The clinical cut-off: a total at or above it (at or below it when higher is
    # better) is in the clinical range.
    cutoff: Threshold | None = None
    # Multiply the total by this for the scale practitioners read (WHO-5: 4, 0-100 %).
    percent_factor: Annotated[float | None, Field(gt=0)] = None


class AlertRule(BaseModel):
    """An item answer that alerts the lead practitioner at once and shows the client the
    crisis resources (e.g. the PHQ-9's item 9 answered 1 or more)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    item: Identifier
    at_least: int
    severity: Literal["high", "medium"] = "high"
    source: Annotated[str, Field(min_length=1)]


class Measure(BaseModel):
    """One questionnaire. See the README, "Measures", for how to write one."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]{0,31}$")]
    version: Annotated[int, Field(ge=1)] = 1
    title: Localized
    intro: Localized
    # How long a delivered measure may be answered, across days, before it expires.
    window_hours: Annotated[int, Field(ge=1, le=24 * 14)] = 48
    option_sets: dict[Identifier, tuple[Option, ...]]
    items: Annotated[tuple[Item, ...], Field(min_length=1)]
    scoring: Scoring | None = None
    # A short name for practitioners' lines and the reasons (e.g. "PHQ-9"); the title else.
    short_name: Annotated[str | None, Field(min_length=1, max_length=16)] = None
    alerts: tuple[AlertRule, ...] = ()
    # The LOINC code of the total score (FHIR Observation), only where one is certain.
    loinc_total: Annotated[str | None, Field(pattern=r"^[0-9]{1,7}-[0-9]$")] = None
    # Where the wording comes from and its terms of use (kept with the file, for readers).
    copyright: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        problems: list[str] = []
        ids = [item.id for item in self.items]
        if len(ids) != len(set(ids)):
            problems.append("item ids must be unique")
        for name, options in self.option_sets.items():
            values = [option.value for option in options]
            if len(options) < 2 or len(values) != len(set(values)):
                problems.append(f"option set {name!r} needs two or more distinct values")
            if len(options) > 11:
                problems.append(f"option set {name!r} has more than 11 options (one keyboard)")
        for item in self.items:
            if item.options not in self.option_sets:
                problems.append(f"item {item.id!r} names an unknown option set {item.options!r}")
            for option in self.option_sets.get(item.options, ()):
                if option.item is not None and option.item not in ids:
                    problems.append(
                        f"item {item.id!r}: option {option.value} names an unknown item "
                        f"{option.item!r}"
                    )
            if item.kind is ItemKind.CHOICE and (item.reverse or item.subscales):
                problems.append(f"choice item {item.id!r} cannot be reversed or in a subscale")
        for rule in self.alerts:
            alerted = next((i for i in self.items if i.id == rule.item), None)
            if alerted is None or alerted.kind is not ItemKind.SCALE:
                problems.append(f"alert names an unknown or choice item {rule.item!r}")
            elif rule.at_least not in self.option_values(alerted):
                problems.append(f"alert on {rule.item!r}: {rule.at_least} is not an answer")
        if self.scoring is not None:
            problems.extend(self._scoring_problems(self.scoring))
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def _scoring_problems(self, scoring: Scoring) -> list[str]:
        problems = []
        scored = self.scored_items
        if not scored:
            problems.append("scoring is given but no item is a scale item")
        if scoring.max_missing >= max(len(scored), 1):
            problems.append("max_missing must be smaller than the number of scored items")
        subscale_ids = {subscale.id for subscale in scoring.subscales}
        for item in scored:
            for name in item.subscales:
                if name not in subscale_ids:
                    problems.append(f"item {item.id!r} names an unknown subscale {name!r}")
        for subscale in scoring.subscales:
            if not self.items_of(subscale.id):
                problems.append(f"subscale {subscale.id!r} has no items")
        for lower, upper in zip(scoring.bands, scoring.bands[1:], strict=False):
            if lower.max >= upper.min:
                problems.append("bands must be in ascending order and must not overlap")
        for band in scoring.bands:
            if band.min > band.max:
                problems.append(f"band {band.label.en!r} has min above max")
        if (scoring.norms is None) != (scoring.reliability is None):
            problems.append("reliable change needs both reliability and norms (or neither)")
        return problems

    @property
    def scored_items(self) -> tuple[Item, ...]:
        return tuple(item for item in self.items if item.kind is ItemKind.SCALE and item.scored)

    def items_of(self, subscale: str) -> tuple[Item, ...]:
        return tuple(item for item in self.scored_items if subscale in item.subscales)

    def name(self, locale: str) -> str:
        """What practitioners' lines call it: the short name, else the title."""
        return self.short_name or self.title.get(locale)

    def item_number(self, item_id: str) -> int:
        """The 1-based number of an item, as printed on the questionnaire."""
        return next(n for n, item in enumerate(self.items, 1) if item.id == item_id)

    def option_values(self, item: Item) -> tuple[int, ...]:
        return tuple(option.value for option in self.option_sets[item.options])
