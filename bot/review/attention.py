"""Acknowledging a not-on-track light: "I have seen this client's red (or yellow) light
and I am on it", with who and when, for the care team to see.

An acknowledgement holds for ``HOLDS_FOR`` (one review week) and for the light it was
given to: if the light turns more urgent, or the week passes with the light still on,
the client asks for attention again. A use case: plain values in, no ``telegram``.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.access.result import Result
from bot.audit import AuditAction
from bot.db.models import AttentionAcknowledgement, Practitioner
from bot.domain.traffic_light import COLOUR_ORDER, Colour
from bot.i18n import Translator

logger = logging.getLogger(__name__)

HOLDS_FOR = timedelta(days=7)
NEEDS_ATTENTION = (Colour.RED, Colour.YELLOW)


@dataclass(frozen=True)
class Acknowledged:
    colour: Colour
    at: datetime
    by: str  # the practitioner's name; "" once they erased their data


def covers(acknowledged: Acknowledged | None, colour: Colour, now: datetime) -> bool:
    """Whether an acknowledgement still answers a light of ``colour`` at ``now``."""
    return (
        acknowledged is not None
        and now - acknowledged.at < HOLDS_FOR
        and COLOUR_ORDER.index(colour) >= COLOUR_ORDER.index(acknowledged.colour)
    )


async def latest(
    session: AsyncSession, client_ids: Collection[int], *, now: datetime
) -> dict[int, Acknowledged]:
    """Each client's newest acknowledgement of the last week (one query for them all)."""
    if not client_ids:
        return {}
    rows = await session.execute(
        select(
            AttentionAcknowledgement.client_id,
            AttentionAcknowledgement.colour,
            AttentionAcknowledgement.acknowledged_at,
            Practitioner.display_name,
        )
        .outerjoin(
            Practitioner, Practitioner.user_id == AttentionAcknowledgement.acknowledged_by_id
        )
        .where(
            AttentionAcknowledgement.client_id.in_(client_ids),
            AttentionAcknowledgement.acknowledged_at > now - HOLDS_FOR,
        )
        .order_by(AttentionAcknowledgement.acknowledged_at)
    )
    return {
        client_id: Acknowledged(Colour(colour), at, name or "")
        for client_id, colour, at, name in rows
    }


async def acknowledge(
    session: AsyncSession,
    t: Translator,
    *,
    by_id: int,
    client_id: int,
    colour: Colour,
    now: datetime,
) -> Result:
    """Record that ``by_id`` took this client's light (as it is now) in hand; a light
    that asks for nothing, or one already acknowledged, changes nothing."""
    if colour not in NEEDS_ATTENTION:
        return Result().say(t._("This client's light does not ask for attention now."))
    earlier = (await latest(session, [client_id], now=now)).get(client_id)
    if covers(earlier, colour, now):
        return Result().say(t._("This was already acknowledged. Nothing changed."))
    session.add(
        AttentionAcknowledgement(
            client_id=client_id, colour=colour.value, acknowledged_at=now, acknowledged_by_id=by_id
        )
    )
    await session.flush()
    logger.info("event=attention.acknowledged client_id=%s by=%s", client_id, by_id)
    return Result().audited(AuditAction.ATTENTION_ACK).say(t._("The light is acknowledged."))
