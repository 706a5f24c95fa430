"""One line per measure for the digest, the client view and the PDF report, in the
practitioner's language: the first and latest total with the band, the reliable change
and its threshold, a clinical cut-off crossing, and alert items of the latest answers.

    PHQ-9: 16 → 8 (Mild), a reliable improvement (6 points or more), out of the
        clinical range (cut-off 10)
    WHO-5: 11 (44 %), Low wellbeing, first answer
"""

from __future__ import annotations

import html
from collections.abc import Mapping

from babel.numbers import format_decimal

from bot.domain.traffic_light import Crossing, MeasureDirection
from bot.i18n import Translator
from bot.measures.model import Measure
from bot.review.measures import MeasureReview


def _score(t: Translator, value: float) -> str:
    return format_decimal(value, "0.#", locale=t.locale)


def _total(t: Translator, measure: Measure | None, value: float) -> str:
    """A total, with its percentage where the instrument has one (WHO-5: × 4)."""
    shown = _score(t, value)
    factor = measure.scoring.percent_factor if measure and measure.scoring else None
    if factor:
        shown += f" ({_score(t, value * factor)} %)"
    return shown


def measure_line(t: Translator, review: MeasureReview, measure: Measure | None) -> str:
    _ = t._
    outcome = review.outcome
    name = html.escape(measure.name(t.locale) if measure else outcome.measure_id)
    bands = measure.scoring.bands if measure and measure.scoring else ()
    band = review.latest_band
    label = bands[band].label.get(t.locale) if band is not None and 0 <= band < len(bands) else None
    parts: list[str] = []
    if outcome.count < 2:
        parts.append(
            _("{measure}: {total}", measure=name, total=_total(t, measure, outcome.latest))
        )
    else:
        parts.append(
            _(
                "{measure}: {first} → {latest}",
                measure=name,
                first=_total(t, measure, outcome.first),
                latest=_total(t, measure, outcome.latest),
            )
        )
    if label:
        parts.append(html.escape(label))
    if outcome.count < 2:
        parts.append(_("first answer"))
    if outcome.count >= 2 and outcome.threshold is not None:
        threshold = _score(t, outcome.threshold)
        parts.append(
            {
                MeasureDirection.IMPROVED: _(
                    "a reliable improvement ({threshold} points or more)", threshold=threshold
                ),
                MeasureDirection.DETERIORATED: _(
                    "a reliable deterioration ({threshold} points or more)", threshold=threshold
                ),
            }.get(
                outcome.direction or MeasureDirection.NO_RELIABLE_CHANGE,
                _("no reliable change (under {threshold} points)", threshold=threshold),
            )
        )
    elif outcome.count >= 2 and outcome.rci is not None:
        rci = format_decimal(outcome.rci, "0.00", locale=t.locale)
        parts.append(
            _("reliable change (RCI {rci})", rci=rci)
            if outcome.direction in (MeasureDirection.IMPROVED, MeasureDirection.DETERIORATED)
            else _("within measurement error (RCI {rci})", rci=rci)
        )
    if outcome.cutoff is not None:
        cutoff = _score(t, outcome.cutoff)
        if outcome.crossing is Crossing.INTO_CLINICAL:
            parts.append(_("into the clinical range (cut-off {cutoff})", cutoff=cutoff))
        elif outcome.crossing is Crossing.OUT_OF_CLINICAL:
            parts.append(_("out of the clinical range (cut-off {cutoff})", cutoff=cutoff))
    for item, answer in review.item_alerts:
        parts.append(_("⚠️ item {item} answered {answer}", item=item, answer=answer))
    return ", ".join(parts)


def measure_lines(
    t: Translator, reviews: list[MeasureReview], measures_by_id: Mapping[str, Measure] | None
) -> list[str]:
    known = measures_by_id or {}
    return [measure_line(t, review, known.get(review.outcome.measure_id)) for review in reviews]
