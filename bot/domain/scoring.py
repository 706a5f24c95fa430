"""Scoring a measure from its item answers, and reliable change between two scores.

Conventions, stated once:
- A reverse-scored item counts ``lowest + highest - answer`` of its option set.
- With missing items (no more than ``max_missing``), a **sum** is prorated — the
  mean of the answered items times the number of items — so that a skipped item
  does not look like the lowest answer; a **mean** is the mean of the answered.
  With more missing items there is no score at all.
- A band covers from its ``min`` up to the next band's ``min``.
- Reliable change follows Jacobson & Truax (1991): SE = SD·√(1 − r),
  S_diff = √2·SE, RCI = (after − before) / S_diff; |RCI| > 1.96 is reliable.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from bot.measures.model import Band, Item, Measure, Method

RELIABLE_Z = 1.96


@dataclass(frozen=True)
class ScaleScore:
    value: float | None  # None: too many items missing to give a score
    answered: int
    missing: int


@dataclass(frozen=True)
class MeasureScore:
    total: ScaleScore | None  # None when the measure is not scored (e.g. a checklist)
    subscales: dict[str, ScaleScore]
    band: Band | None


def score(measure: Measure, answers: Mapping[str, int | None]) -> MeasureScore:
    """Score answers (item id → chosen value, or None / absent when skipped)."""
    scoring = measure.scoring
    if scoring is None:
        return MeasureScore(total=None, subscales={}, band=None)
    values = {
        item.id: _item_value(measure, item, answers.get(item.id)) for item in measure.scored_items
    }
    total = _scale(
        [values[item.id] for item in measure.scored_items], scoring.method, scoring.max_missing
    )
    subscales = {
        subscale.id: _scale(
            [values[item.id] for item in measure.items_of(subscale.id)],
            subscale.method,
            subscale.max_missing,
        )
        for subscale in scoring.subscales
    }
    return MeasureScore(total=total, subscales=subscales, band=band_for(scoring.bands, total.value))


def _item_value(measure: Measure, item: Item, answer: int | None) -> int | None:
    if answer is None:
        return None
    allowed = measure.option_values(item)
    if answer not in allowed:
        raise ValueError(f"{answer!r} is not an answer of item {item.id!r}")
    return min(allowed) + max(allowed) - answer if item.reverse else answer


def _scale(values: Sequence[int | None], method: Method, max_missing: int) -> ScaleScore:
    answered = [value for value in values if value is not None]
    missing = len(values) - len(answered)
    if not answered or missing > max_missing:
        return ScaleScore(value=None, answered=len(answered), missing=missing)
    mean = sum(answered) / len(answered)
    value = mean if method is Method.MEAN else mean * len(values)
    return ScaleScore(value=round(value, 4), answered=len(answered), missing=missing)


def band_for(bands: Sequence[Band], value: float | None) -> Band | None:
    if value is None:
        return None
    found = None
    for band in bands:
        if value >= band.min:
            found = band
    return found


class Change(StrEnum):
    IMPROVED = "improved"
    DETERIORATED = "deteriorated"
    NO_RELIABLE_CHANGE = "no_reliable_change"


@dataclass(frozen=True)
class ReliableChange:
    index: float
    change: Change


def reliable_change(
    before: float, after: float, *, sd: float, reliability: float, higher_is_better: bool
) -> ReliableChange:
    """The Jacobson–Truax reliable change index between two totals."""
    if sd <= 0 or not 0 < reliability < 1:
        raise ValueError("reliable change needs sd > 0 and 0 < reliability < 1")
    standard_error = sd * math.sqrt(1 - reliability)
    index = (after - before) / (math.sqrt(2) * standard_error)
    if abs(index) <= RELIABLE_Z:
        change = Change.NO_RELIABLE_CHANGE
    elif (index > 0) == higher_is_better:
        change = Change.IMPROVED
    else:
        change = Change.DETERIORATED
    return ReliableChange(index=round(index, 4), change=change)
