"""Measure totals for the digest's reliable change (Jacobson–Truax).

For each client and measure: the first completed total (the baseline) and the latest
one up to the end of the week, with the instrument's published reliability and SD
(``content/measures``: ``scoring.reliability``, ``scoring.norms.sd``). One query over
the ``clients`` subquery, whatever the caseload; the arithmetic is
:func:`bot.domain.review.reliable_change`, tested against hand-computed values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import AdministrationStatus, MeasureAdministration
from bot.domain.review import Week
from bot.measures.model import Measure


@dataclass(frozen=True)
class MeasureTotal:
    measure_id: str
    baseline: float
    current: float
    reliability: float | None
    sd: float | None


async def measure_totals(
    session: AsyncSession,
    clients: Any,
    week: Week,
    measures_by_id: Mapping[str, Measure],
) -> dict[int, list[MeasureTotal]]:
    """Client id → the baseline and latest total of each measure answered twice or more."""
    # The end of the week's last local day, at the latest (a day's slack for time zones).
    until = datetime.combine(week.end + timedelta(days=2), time(), tzinfo=UTC)
    rows = await session.execute(
        select(
            MeasureAdministration.user_id,
            MeasureAdministration.measure_id,
            MeasureAdministration.score_total,
        )
        .where(
            MeasureAdministration.user_id.in_(clients),
            MeasureAdministration.status == AdministrationStatus.COMPLETED,
            MeasureAdministration.score_total.is_not(None),
            MeasureAdministration.completed_at < until,
        )
        .order_by(
            MeasureAdministration.user_id,
            MeasureAdministration.measure_id,
            MeasureAdministration.completed_at,
        )
    )
    series: dict[tuple[int, str], list[float]] = {}
    for user_id, measure_id, total in rows:
        if total is None:  # excluded by the query; the column is nullable
            continue
        series.setdefault((user_id, measure_id), []).append(float(total))
    found: dict[int, list[MeasureTotal]] = {}
    for (user_id, measure_id), totals in series.items():
        if len(totals) < 2:
            continue  # one answer is a baseline, not a change
        measure = measures_by_id.get(measure_id)
        scoring = measure.scoring if measure is not None else None
        found.setdefault(user_id, []).append(
            MeasureTotal(
                measure_id,
                baseline=totals[0],
                current=totals[-1],
                reliability=scoring.reliability if scoring else None,
                sd=scoring.norms.sd if scoring and scoring.norms else None,
            )
        )
    return found
