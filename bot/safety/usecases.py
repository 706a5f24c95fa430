"""A practitioner's safety-flag use cases: which flags are still open, and taking one in
hand (acknowledging it: who and when are kept).

Plain values in, plain data or a :class:`~bot.access.result.Result` out; the caller
asked the access policy and owns the transaction. Distress rows (kept for review, no
alert) are not "open": only crisis-language flags wait for someone to take them in hand.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.access.result import Result
from bot.audit import AuditAction
from bot.db.models import SafetyFlag
from bot.domain.crisis import Severity
from bot.i18n import Translator

logger = logging.getLogger(__name__)

_OPEN = (SafetyFlag.acknowledged_at.is_(None), SafetyFlag.severity != Severity.DISTRESS)


async def open_counts(session: AsyncSession, client_ids: list[int]) -> dict[int, int]:
    """Client id → crisis flags nobody has acknowledged yet (one query)."""
    if not client_ids:
        return {}
    rows = await session.execute(
        select(SafetyFlag.user_id, func.count())
        .where(SafetyFlag.user_id.in_(client_ids), *_OPEN)
        .group_by(SafetyFlag.user_id)
    )
    return {user_id: count for user_id, count in rows.all()}


async def flags_to_review(
    session: AsyncSession, client_id: int, *, limit: int = 20
) -> list[SafetyFlag]:
    """The client's open flags, then the latest acknowledged ones, newest first."""
    rows = await session.scalars(
        select(SafetyFlag)
        .where(SafetyFlag.user_id == client_id, SafetyFlag.severity != Severity.DISTRESS)
        .order_by(SafetyFlag.acknowledged_at.is_not(None), SafetyFlag.created_at.desc())
        .limit(limit)
    )
    return list(rows)


async def acknowledge(
    session: AsyncSession,
    t: Translator,
    *,
    by_id: int,
    client_id: int,
    flag_id: int,
    now: datetime,
) -> Result:
    """Take an open flag of this client in hand; an unknown or already acknowledged flag
    changes nothing (a double tap, or a colleague was quicker)."""
    done = await session.scalar(
        update(SafetyFlag)
        .where(SafetyFlag.id == flag_id, SafetyFlag.user_id == client_id, *_OPEN)
        .values(acknowledged_at=now, acknowledged_by_id=by_id)
        .returning(SafetyFlag.id)
    )
    if done is None:
        return Result().say(t._("That safety flag was already acknowledged. Nothing changed."))
    logger.info("event=flag.acknowledged flag_id=%s client_id=%s by=%s", flag_id, client_id, by_id)
    return Result().audited(AuditAction.FLAG_ACK).say(t._("The safety flag is acknowledged."))
