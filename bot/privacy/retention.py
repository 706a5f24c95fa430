"""RETENTION_DAYS: erase the data of clients who ended the companion long enough ago.

A daily job (wired in ``bot/app.py``) calls :func:`erase_expired`. Candidates come
from one query (stopped clients whose ``stopped_at`` is older than the period),
in batches; each is erased exactly as ``/delete`` erases (``erase_user``), in its
own transaction, so one failure does not keep the others.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Role, User, UserStatus
from bot.privacy.erase import erase_user

logger = logging.getLogger(__name__)

BATCH = 200


async def expired_clients(
    session: AsyncSession, *, now: datetime, days: int, limit: int = BATCH
) -> list[int]:
    """Ids of clients who stopped more than ``days`` days before ``now`` (oldest first)."""
    cutoff = now - timedelta(days=days)
    rows = await session.scalars(
        select(User.id)
        .where(
            User.role == Role.CLIENT,
            User.status == UserStatus.STOPPED,
            User.stopped_at.is_not(None),
            User.stopped_at < cutoff,
        )
        .order_by(User.stopped_at, User.id)
        .limit(limit)
    )
    return list(rows)


async def erase_expired(
    sessions: async_sessionmaker[AsyncSession], *, now: datetime, days: int, batch: int = BATCH
) -> int:
    """Erase every client past the retention period; returns how many were erased.
    ``days`` 0 keeps everything (nothing is read)."""
    if days <= 0:
        return 0
    erased = 0
    while True:
        async with sessions() as session:
            candidates = await expired_clients(session, now=now, days=days, limit=batch)
        if not candidates:
            return erased
        for user_id in candidates:
            async with sessions() as session, session.begin():
                # Checked again under the erasure: a client who came back meanwhile stays.
                user = await session.get(User, user_id, with_for_update=True)
                if user is None or user.status is not UserStatus.STOPPED:
                    continue
                if await erase_user(session, user_id):
                    erased += 1
                    logger.info("event=privacy.retention_erased user_id=%s", user_id)
        if len(candidates) < batch:
            return erased
