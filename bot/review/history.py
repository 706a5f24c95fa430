"""The traffic light week by week, for the export: the light each of the last weeks
ended with, computed exactly as the digest of that week computed it
(:func:`bot.review.data.load_review` for one client and that week).

For one client only, on request (``/export``): a fixed number of queries per week
shown, never per client of a caseload.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.decision import DEFAULT_RULES, DecisionRules
from bot.domain.review import Week
from bot.domain.traffic_light import Light
from bot.measures.model import Measure
from bot.review.data import load_review

WEEKS = 12


@dataclass(frozen=True)
class WeekLight:
    week: Week
    light: Light


async def light_history(
    session: AsyncSession,
    practitioner_id: int,
    client_id: int,
    *,
    today: date,
    zone: ZoneInfo,
    measures_by_id: Mapping[str, Measure] | None = None,
    rules: DecisionRules = DEFAULT_RULES,
    weeks: int = WEEKS,
) -> list[WeekLight]:
    """The light at the end of each of the last ``weeks`` digest weeks, newest first."""
    found = []
    for back in range(weeks):
        week = Week.before(today - timedelta(days=7 * back))
        reviews = await load_review(
            session,
            practitioner_id,
            week=week,
            zone=zone,
            client_id=client_id,
            measures_by_id=measures_by_id,
            rules=rules,
        )
        if reviews and reviews[0].assessment is not None:
            found.append(WeekLight(week, reviews[0].assessment.light))
    return found
