"""Measure results for the digest, the client view and the exports, in bulk.

For each client and measure: the first completed total (the baseline), the latest one
up to the end of the week, how many there were, the latest band, and the answers to
the items the measure file declares as alerts (e.g. PHQ-9 item 9) in the latest
administration. Two queries over the ``clients`` subquery, whatever the caseload; the
judgement (reliable change, cut-off crossings) is :mod:`bot.domain.measure_outcome`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import AdministrationStatus, MeasureAdministration, MeasureAnswer
from bot.domain import measure_outcome
from bot.domain.measure_outcome import MeasureOutcome
from bot.domain.review import Week
from bot.measures.model import Measure


@dataclass
class MeasureSeries:
    measure_id: str
    totals: list[float] = field(default_factory=list)
    latest_id: int = 0
    latest_at: datetime | None = None
    latest_band: int | None = None
    # The latest administration's answers to the measure's alert items: item id → value.
    alert_answers: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class MeasureReview:
    """One measure of one client, as every front door shows it."""

    outcome: MeasureOutcome
    latest_at: datetime | None
    latest_band: int | None
    item_alerts: tuple[tuple[int, int], ...]  # (item number, answer) in the latest one


def _until(week: Week) -> datetime:
    # The end of the week's last local day, at the latest (a day's slack for time zones).
    return datetime.combine(week.end + timedelta(days=2), time(), tzinfo=UTC)


async def measure_series(
    session: AsyncSession, clients: Any, week: Week, measures_by_id: Mapping[str, Measure]
) -> dict[int, list[MeasureSeries]]:
    """Client id → one series per measure with a scored total (known measures only)."""
    until = _until(week)
    rows = await session.execute(
        select(
            MeasureAdministration.id,
            MeasureAdministration.user_id,
            MeasureAdministration.measure_id,
            MeasureAdministration.score_total,
            MeasureAdministration.completed_at,
            MeasureAdministration.band,
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
            MeasureAdministration.id,
        )
    )
    series: dict[tuple[int, str], MeasureSeries] = {}
    for admin_id, user_id, measure_id, total, completed_at, band in rows:
        if total is None or measure_id not in measures_by_id:
            continue
        entry = series.setdefault((user_id, measure_id), MeasureSeries(measure_id))
        entry.totals.append(float(total))
        entry.latest_id, entry.latest_at, entry.latest_band = admin_id, completed_at, band
    alert_items = {rule.item for m in measures_by_id.values() for rule in m.alerts}
    if series and alert_items:
        latest = {entry.latest_id: entry for entry in series.values()}
        answers = await session.execute(
            select(MeasureAnswer.administration_id, MeasureAnswer.item_id, MeasureAnswer.value)
            .join(
                MeasureAdministration,
                MeasureAdministration.id == MeasureAnswer.administration_id,
            )
            .where(
                MeasureAdministration.user_id.in_(clients),
                MeasureAdministration.status == AdministrationStatus.COMPLETED,
                MeasureAdministration.completed_at < until,
                MeasureAnswer.item_id.in_(sorted(alert_items)),
                MeasureAnswer.value.is_not(None),
            )
        )
        for admin_id, item_id, value in answers:
            answered = latest.get(admin_id)
            if answered is not None and value is not None:
                answered.alert_answers[item_id] = value
    found: dict[int, list[MeasureSeries]] = {}
    for (user_id, _measure_id), entry in series.items():
        found.setdefault(user_id, []).append(entry)
    return found


def review_of(measure: Measure, series: MeasureSeries) -> MeasureReview:
    """The judgement of one series (pure)."""
    outcome = measure_outcome.outcome(
        measure, series.totals[0], series.totals[-1], len(series.totals)
    )
    alerts = tuple(
        (measure.item_number(item_id), value)
        for item_id, value in measure_outcome.item_alerts(measure, series.alert_answers)
    )
    return MeasureReview(outcome, series.latest_at, series.latest_band, alerts)
