"""SEAM — measure totals for the digest's reliable change (Jacobson–Truax).

The measures feature (questionnaires, their answers and totals) is built on another
branch. Once it is merged, :func:`measure_totals` reads, in ONE query over the
``clients`` subquery, each client's first total (baseline) and latest total of every
measure, with the measure's published reliability and SD from ``content/measures``
(``Scoring.reliability``, ``Scoring.norms.sd``). The digest, the client view and the
export already show whatever this returns; the arithmetic is
:func:`bot.domain.review.reliable_change`, tested against hand-computed values.
Until then it returns nothing, and nothing about measures is shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.review import Week


@dataclass(frozen=True)
class MeasureTotal:
    measure_id: str
    baseline: float
    current: float
    reliability: float | None
    sd: float | None


async def measure_totals(
    session: AsyncSession, clients: Any, week: Week
) -> dict[int, list[MeasureTotal]]:
    """Client id → totals. SEAM: empty until the measures tables exist on this branch."""
    del session, clients, week
    return {}
