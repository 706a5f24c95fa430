"""Recording a safety flag: idempotent, because Telegram redelivers updates.

Plain use case: takes a session and plain values, never commits (the caller does).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.dialect_insert import insert_for
from bot.db.models import SafetyFlag
from bot.domain.crisis import CrisisCheck, Severity


async def record_flag(
    session: AsyncSession,
    *,
    user_id: int,
    check: CrisisCheck,
    source: str,
    now: datetime,
    text: str | None = None,
) -> int | None:
    """Store the flag once per (user, source): the new flag's id, or None if already there.

    Crisis language (high, medium) and distress (severity ``distress``, for review only)
    are both recorded; only the caller decides whether an alert follows. A distress row
    whose message is edited into crisis language is raised to it and its id returned.
    ``text`` (the words) is kept for crisis language only, encrypted: the alert offers it
    on request; a distress flag keeps no words.
    """
    words = text if check.matched else None
    rule_id = check.rule_id if check.matched else check.distress_rule_id
    if not (check.matched or check.distress) or check.severity is None or rule_id is None:
        raise ValueError("only a matched check is recorded")
    values = {
        "user_id": user_id,
        "created_at": now,
        "severity": check.severity,
        "rule_id": rule_id,
        "locale": check.locale or "",
        "source": source,
        "text": words,
    }
    statement = (
        insert_for(session, SafetyFlag)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["user_id", "source"])
        .returning(SafetyFlag.id)
    )
    flag_id = await session.scalar(statement)
    if flag_id is None and check.matched:
        # The same message, recorded as distress and then edited into crisis language:
        # the row is raised to crisis (and returned, so the caller alerts), never left low.
        flag_id = await session.scalar(
            update(SafetyFlag)
            .where(
                SafetyFlag.user_id == user_id,
                SafetyFlag.source == source,
                SafetyFlag.severity == Severity.DISTRESS,
            )
            .values(
                severity=check.severity,
                rule_id=rule_id,
                locale=check.locale or "",
                created_at=now,
                text=words,
            )
            .returning(SafetyFlag.id)
        )
    return flag_id


async def flags_of(session: AsyncSession, user_id: int) -> list[SafetyFlag]:
    """A user's flags, oldest first (for the digest and for /mydata)."""
    rows = await session.scalars(
        select(SafetyFlag).where(SafetyFlag.user_id == user_id).order_by(SafetyFlag.id)
    )
    return list(rows)


async def record_item_flag(
    session: AsyncSession,
    *,
    user_id: int,
    source: str,
    rule_id: str,
    severity: Severity,
    locale: str,
    now: datetime,
) -> int | None:
    """Store a flag raised by a questionnaire answer (an item the measure file declares as
    an alert), once per (user, source): the new flag's id, or None if already there."""
    statement = (
        insert_for(session, SafetyFlag)
        .values(
            user_id=user_id,
            created_at=now,
            severity=severity,
            rule_id=rule_id,
            locale=locale,
            source=source,
        )
        .on_conflict_do_nothing(index_elements=["user_id", "source"])
        .returning(SafetyFlag.id)
    )
    return await session.scalar(statement)
