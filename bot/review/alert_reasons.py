"""The one-line reason an alert carries: the client's traffic light and its reasons, as
the digest and /client show them ("🔴 goal 1 “Sleep” down 2.1 vs first week · …").

Read for one client at send time (an alert is about one client: a fixed number of
queries, never one per client of a caseload), over the same window as the digest and
/client (``bot.domain.windows.review_week``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.base import utcnow
from bot.db.models import User
from bot.domain.decision import DEFAULT_RULES, DecisionRules
from bot.domain.schedule import zone_or_default
from bot.i18n import Translator
from bot.measures.model import Measure
from bot.review import reasons
from bot.review.data import load_client_review


@dataclass(frozen=True)
class AlertContext:
    """What an alert's renderer needs to say why: the practice's rules and measures."""

    default_timezone: str = "UTC"
    measures_by_id: Mapping[str, Measure] = field(default_factory=dict)
    rules: DecisionRules = DEFAULT_RULES


async def reason_line(
    session: AsyncSession,
    t: Translator,
    *,
    practitioner: User,
    client_id: int,
    context: AlertContext,
) -> str | None:
    """The client's colour and reasons in one line; None when the reader is not on the
    client's team (any more)."""
    zone = zone_or_default(practitioner.timezone, context.default_timezone)
    review = await load_client_review(
        session,
        practitioner.id,
        client_id,
        today=utcnow().astimezone(zone).date(),
        zone=zone,
        measures_by_id=context.measures_by_id,
        rules=context.rules,
        words=False,
    )
    if review is None or review.assessment is None:
        return None
    light = review.assessment.light
    names = {key: m.title.get(t.locale) for key, m in context.measures_by_id.items()}
    return f"{reasons.MARKS[light.colour]} {reasons.reasons_line(t, light.reasons, names)}"
