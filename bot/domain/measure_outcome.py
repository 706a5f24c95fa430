"""What a measure's totals say over time: reliable change and clinical cut-off crossings.

For one client and one measure, from the first total (the baseline) to the latest:

- **reliable change**: with a published threshold in points (``scoring.reliable_change``,
  e.g. 6 for the PHQ-9), a difference of at least that much is reliable; otherwise, with
  published reliability and norms, Jacobson–Truax (|RCI| > 1.96,
  :func:`bot.domain.review.reliable_change`); with neither, no judgement;
- **clinical range**: a total at or above the cut-off (at or below it when higher is
  better, as for the WHO-5) is in the clinical range; a crossing is the first total on
  one side and the latest on the other.

Pure: plain numbers and the measure's published constants in, a value out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.domain.review import reliable_change
from bot.domain.traffic_light import Crossing, MeasureDirection
from bot.measures.model import Measure

# A difference this close to the threshold still counts (totals are floats: prorated).
EPSILON = 1e-9


@dataclass(frozen=True)
class MeasureOutcome:
    measure_id: str
    first: float
    latest: float
    count: int  # totals answered (1: a baseline only)
    direction: MeasureDirection | None  # None: answered once, or no threshold published
    threshold: float | None  # the reliable-change threshold in points (None: JT or none)
    rci: float | None  # the Jacobson–Truax index, when that is how it was judged
    clinical_first: bool | None  # None: the measure has no cut-off
    clinical_latest: bool | None
    cutoff: float | None

    @property
    def crossing(self) -> Crossing | None:
        if self.count < 2 or self.clinical_first is None or self.clinical_latest is None:
            return None
        if self.clinical_latest and not self.clinical_first:
            return Crossing.INTO_CLINICAL
        if self.clinical_first and not self.clinical_latest:
            return Crossing.OUT_OF_CLINICAL
        return None


def in_clinical_range(measure: Measure, total: float) -> bool | None:
    """Whether a total is in the clinical range (None: the measure has no cut-off)."""
    scoring = measure.scoring
    if scoring is None or scoring.cutoff is None:
        return None
    if scoring.higher_is_better:
        return total <= scoring.cutoff.value + EPSILON
    return total >= scoring.cutoff.value - EPSILON


def outcome(measure: Measure, first: float, latest: float, count: int) -> MeasureOutcome:
    """The change from the first to the latest total, and where each is against the cut-off."""
    scoring = measure.scoring
    direction: MeasureDirection | None = None
    threshold: float | None = None
    rci: float | None = None
    difference = latest - first
    if scoring is not None and count >= 2:
        reliable: bool | None = None
        if scoring.reliable_change is not None:
            threshold = scoring.reliable_change.value
            reliable = abs(difference) >= threshold - EPSILON
        elif scoring.reliability is not None and scoring.norms is not None:
            change = reliable_change(
                first, latest, reliability=scoring.reliability, sd=scoring.norms.sd
            )
            rci = change.rci
            reliable = change.reliable
        if reliable is not None:
            if not reliable:
                direction = MeasureDirection.NO_RELIABLE_CHANGE
            elif (difference > 0) == scoring.higher_is_better:
                direction = MeasureDirection.IMPROVED
            else:
                direction = MeasureDirection.DETERIORATED
    return MeasureOutcome(
        measure.id,
        first,
        latest,
        count,
        direction,
        threshold,
        rci,
        in_clinical_range(measure, first),
        in_clinical_range(measure, latest),
        scoring.cutoff.value if scoring is not None and scoring.cutoff is not None else None,
    )


def item_alerts(measure: Measure, answers: Mapping[str, int | None]) -> list[tuple[str, int]]:
    """The (item id, answer) pairs the measure declares as alerts (e.g. PHQ-9 item 9 ≥ 1)."""
    found = []
    for rule in measure.alerts:
        value = answers.get(rule.item)
        if value is not None and value >= rule.at_least:
            found.append((rule.item, value))
    return found
