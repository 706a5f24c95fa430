"""Recording what practitioners read or change of a client's data (the access log).

Call :func:`record` inside the same transaction as the read it describes, so that
a read which is shown is always logged, and a log row never describes a read that
was rolled back. Like every use case it never commits.
"""

from __future__ import annotations

import logging
from enum import StrEnum

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.base import utcnow
from bot.db.models import AuditEvent
from bot.db.models.audit import ACTION_LENGTH

logger = logging.getLogger(__name__)


class AuditAction(StrEnum):
    """Every action the log knows. Add new ones here (at most 32 characters, no text)."""

    LESSONS_VIEW = "lessons.view"
    PROGRAM_ASSIGN = "program.assign"
    LESSON_SEND = "lesson.send"
    INTAKE_VIEW = "intake.view"
    MEASURE_VIEW = "measure.view"
    MEASURE_ASSIGN = "measure.assign"
    GOALS_VIEW = "goals.view"
    GOAL_CREATE = "goal.create"
    GOAL_CHANGE = "goal.change"  # new wording, or paused / resumed / achieved / dropped
    GOAL_GAS = "goal.gas"
    STRATEGY_ADD = "strategy.add"
    STRATEGY_CHANGE = "strategy.change"  # new wording or frequency, or stopped
    DIGEST = "digest"  # a weekly digest (or /digest) showed the client
    CLIENT_VIEW = "client.view"
    EXPORT = "client.export"
    NOTE_ADD = "note.add"
    GAS_SCORE = "gas.score"
    AUDIT_VIEW = "audit.view"
    FLAG_ACK = "flag.ack"  # a safety flag taken in hand
    CASELOAD_VIEW = "caseload.view"  # the web view's caseload showed the client
    FLAG_REVEAL = "flag.reveal"  # "Show message" on a safety alert sent the client's words
    WORDS_READ = "words.read"  # the web view showed the client's own words, on request
    ATTENTION_ACK = "attention.ack"  # a not-on-track light taken in hand


async def record(
    session: AsyncSession, actor_id: int, action: AuditAction, client_id: int
) -> AuditEvent:
    """Log that practitioner ``actor_id`` did ``action`` on client ``client_id``'s data."""
    action = AuditAction(action)  # a made-up action name is a bug: fail loudly
    assert len(action.value) <= ACTION_LENGTH
    event = AuditEvent(
        actor_user_id=actor_id, action=action.value, client_user_id=client_id, created_at=utcnow()
    )
    session.add(event)
    await session.flush()
    logger.info(
        "event=audit.recorded action=%s actor_id=%s client_id=%s", action.value, actor_id, client_id
    )
    return event


async def record_many(
    session: AsyncSession, actor_id: int, action: AuditAction, client_ids: list[int]
) -> None:
    """One row per client for one action (a digest reads many clients): one insert."""
    action = AuditAction(action)
    if not client_ids:
        return
    now = utcnow()
    # One executemany (a Core insert): ORM objects would be inserted one row at a time
    # on SQLite, and nothing here needs them back.
    await session.execute(
        insert(AuditEvent),
        [
            {
                "actor_user_id": actor_id,
                "action": action.value,
                "client_user_id": cid,
                "created_at": now,
            }
            for cid in client_ids
        ],
    )
    logger.info(
        "event=audit.recorded action=%s actor_id=%s clients=%s",
        action.value,
        actor_id,
        len(client_ids),
    )
