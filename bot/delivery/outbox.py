"""The outbox: every message that is not a direct reply is a row here first.

Repositories never commit; the caller owns the transaction. Every write is
idempotent: ``enqueue`` is keyed (INSERT … ON CONFLICT DO NOTHING), claims are
leases, and outcomes only apply to rows still leased by the instance recording them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Insert, and_, bindparam, event, func, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from bot.db.base import table_of
from bot.db.dialect_insert import insert_for
from bot.db.models import OutboxMessage, OutboxStatus
from bot.db.rows import rowcount

logger = logging.getLogger(__name__)

_ERROR_LENGTH = 200

# session.info keys: a row was queued in this transaction; whom to tell once it commits.
_QUEUED = "between.outbox.queued"
_ON_COMMIT = "between.outbox.on_commit"


def wake_on_commit(sessions: async_sessionmaker[AsyncSession], wake: Callable[[], None]) -> None:
    """Call ``wake`` (the sender's) each time a session from ``sessions`` commits a
    transaction that queued a message: a notice or an alert queued by a handler goes out
    at once, not when the idle sender next looks (``DELIVERY_POLL_SECONDS``)."""
    sessions.configure(info={_ON_COMMIT: wake})


def _queued(session: AsyncSession) -> None:
    session.sync_session.info[_QUEUED] = True


@event.listens_for(Session, "after_commit")
def _wake_after_commit(session: Session) -> None:
    if session.info.pop(_QUEUED, False) and (wake := session.info.get(_ON_COMMIT)):
        wake()


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(_QUEUED, None)


@dataclass(frozen=True)
class OutboxItem:
    """One message to enqueue (see :func:`enqueue`)."""

    user_id: int
    chat_id: int
    kind: str
    key: str
    payload: dict[str, Any]
    due_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class Delivery:
    """A claimed outbox row, as the sender sees it."""

    id: int
    user_id: int
    chat_id: int
    kind: str
    payload: dict[str, Any]
    attempts: int  # including this one
    due_at: datetime
    expires_at: datetime
    lease_until: datetime  # after this, another instance may claim it: do not send then


def _insert_ignoring_duplicates(session: AsyncSession) -> Insert:
    # The Core table, not the ORM entity: an executemany of thousands of rows skips
    # the ORM's per-row bookkeeping (a tick's fan-out is several times faster).
    table = OutboxMessage.__table__
    return insert_for(session, table).on_conflict_do_nothing(index_elements=["key"])


def _row(item: OutboxItem) -> dict[str, Any]:
    if item.expires_at <= item.due_at:
        raise ValueError("expires_at must be after due_at")
    return {
        "user_id": item.user_id,
        "chat_id": item.chat_id,
        "kind": item.kind,
        "key": item.key,
        "payload": item.payload,
        "status": OutboxStatus.PENDING,
        "due_at": item.due_at,
        "expires_at": item.expires_at,
        "available_at": item.due_at,
        "attempts": 0,
    }


async def enqueue(
    session: AsyncSession,
    *,
    user_id: int,
    chat_id: int,
    kind: str,
    key: str,
    payload: dict[str, Any],
    due_at: datetime,
    expires_at: datetime,
) -> bool:
    """Queue one message for ``chat_id`` (the user's private chat: their telegram_id).

    ``key`` is the idempotency key, unique across all kinds: build it from what makes
    the message unique, e.g. ``f"lesson:{user_id}:{lesson_id}"``. Enqueueing the same
    key again does nothing, in one instance or several. The message is sent from
    ``due_at`` until ``expires_at``; after that it is marked expired, never sent late.
    A renderer registered for ``kind`` turns ``payload`` (ids, never text) into the
    message at send time, in the user's language then. Returns whether a row was
    added. Does not commit.
    """
    item = OutboxItem(user_id, chat_id, kind, key, payload, due_at, expires_at)
    inserted = await session.execute(
        _insert_ignoring_duplicates(session)
        .values(_row(item))
        .returning(OutboxMessage.__table__.c.id)
    )
    added = inserted.first() is not None
    if added:
        _queued(session)
    return added


async def enqueue_many(session: AsyncSession, items: Sequence[OutboxItem]) -> None:
    """:func:`enqueue` for many rows in one statement (executemany). Does not commit."""
    if items:
        await session.execute(_insert_ignoring_duplicates(session), [_row(i) for i in items])
        _queued(session)


async def claim(
    session: AsyncSession, *, now: datetime, limit: int, instance: str, lease: timedelta
) -> list[Delivery]:
    """Lease up to ``limit`` due rows to ``instance``.

    On PostgreSQL the rows are locked with FOR UPDATE SKIP LOCKED, so concurrent
    instances claim disjoint rows. SQLite has one writer at a time, which gives the
    same guarantee for the single instance SQLite supports.
    """
    due = (
        select(OutboxMessage.id)
        .where(
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.available_at <= now,
            OutboxMessage.expires_at > now,
        )
        .order_by(OutboxMessage.available_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    claimed = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(due.scalar_subquery()))
        .values(
            status=OutboxStatus.SENDING,
            claimed_by=instance,
            claimed_until=now + lease,
            attempts=OutboxMessage.attempts + 1,
            updated_at=now,
        )
        .returning(
            OutboxMessage.id,
            OutboxMessage.user_id,
            OutboxMessage.chat_id,
            OutboxMessage.kind,
            OutboxMessage.payload,
            OutboxMessage.attempts,
            OutboxMessage.due_at,
            OutboxMessage.expires_at,
            OutboxMessage.claimed_until,
        )
        .execution_options(synchronize_session=False)
    )
    deliveries = [Delivery(*row) for row in claimed.all()]
    return sorted(deliveries, key=lambda delivery: delivery.due_at)


def _still_mine(delivery_id: int, instance: str, attempt: int | None) -> Any:
    """The row is still in this claim: this instance's, and (``attempt``) not claimed
    again since, by this same instance after its lease lapsed and a sweep released it."""
    return and_(
        OutboxMessage.id == delivery_id,
        OutboxMessage.status == OutboxStatus.SENDING,
        OutboxMessage.claimed_by == instance,
        true() if attempt is None else OutboxMessage.attempts == attempt,
    )


async def mark_sent(
    session: AsyncSession, delivery_id: int, *, instance: str, message_id: int, now: datetime
) -> None:
    await mark_sent_many(session, [(delivery_id, message_id, now)], instance=instance)


async def mark_sent_many(
    session: AsyncSession, sent: Sequence[tuple[int, int, datetime]], *, instance: str
) -> None:
    """Rows Telegram accepted, in one statement (an executemany of one UPDATE): each
    (outbox id, Telegram's message id, sent at).

    Recorded even if the lease lapsed meanwhile: Telegram did accept it. last_error
    stays: it tells that an earlier attempt failed (and how)."""
    if not sent:
        return
    table = table_of(OutboxMessage)
    await session.execute(
        update(table)
        .where(table.c.id == bindparam("sent_id"))
        .values(
            status=OutboxStatus.SENT,
            telegram_message_id=bindparam("sent_message_id"),
            sent_at=bindparam("sent_at_"),
            claimed_by=instance,  # kept: which instance sent it
            claimed_until=None,
            updated_at=bindparam("sent_at_"),
        ),
        [
            {"sent_id": outbox_id, "sent_message_id": message_id, "sent_at_": at}
            for outbox_id, message_id, at in sent
        ],
    )


async def mark_failed(
    session: AsyncSession,
    delivery_id: int,
    *,
    instance: str,
    error: str,
    now: datetime,
    attempt: int | None = None,
) -> None:
    await session.execute(
        update(OutboxMessage)
        .where(_still_mine(delivery_id, instance, attempt))
        .values(
            status=OutboxStatus.FAILED,
            last_error=error[:_ERROR_LENGTH],
            claimed_by=None,
            claimed_until=None,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )


async def retry_later(
    session: AsyncSession,
    delivery_id: int,
    *,
    instance: str,
    error: str,
    at: datetime,
    now: datetime,
    count_attempt: bool = True,
    attempt: int | None = None,
) -> None:
    """Back to pending, claimable again from ``at``. A 429 does not use up an attempt."""
    values: dict[str, Any] = {
        "status": OutboxStatus.PENDING,
        "available_at": at,
        "last_error": error[:_ERROR_LENGTH],
        "claimed_by": None,
        "claimed_until": None,
        "updated_at": now,
    }
    if not count_attempt:
        values["attempts"] = OutboxMessage.attempts - 1
    await session.execute(
        update(OutboxMessage)
        .where(_still_mine(delivery_id, instance, attempt))
        .values(**values)
        .execution_options(synchronize_session=False)
    )


async def fail_pending_for_user(
    session: AsyncSession, user_id: int, *, error: str, now: datetime
) -> list[tuple[int, str]]:
    """Give up on everything still queued for a user (they blocked the bot)."""
    failed = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.user_id == user_id, OutboxMessage.status == OutboxStatus.PENDING)
        .values(status=OutboxStatus.FAILED, last_error=error[:_ERROR_LENGTH], updated_at=now)
        .returning(OutboxMessage.id, OutboxMessage.kind)
        .execution_options(synchronize_session=False)
    )
    return [(row.id, row.kind) for row in failed]


@dataclass(frozen=True)
class SweepResult:
    expired: list[tuple[int, int, str]]  # (outbox id, user id, kind)
    released: int


async def sweep(session: AsyncSession, *, now: datetime) -> SweepResult:
    """Expire what can no longer be sent in its window; return lapsed leases to the pool.

    A lapsed lease means its instance died (or hung) mid-send: the message may have
    reached Telegram, so sending it again may repeat that one message — the price of
    never losing one.
    """
    expired = await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]),
            OutboxMessage.expires_at <= now,
            # A row being sent right now is left to its sender unless its lease lapsed.
            (OutboxMessage.status == OutboxStatus.PENDING) | (OutboxMessage.claimed_until < now),
        )
        .values(status=OutboxStatus.EXPIRED, claimed_by=None, claimed_until=None, updated_at=now)
        .returning(OutboxMessage.id, OutboxMessage.user_id, OutboxMessage.kind)
        .execution_options(synchronize_session=False)
    )
    expired_rows = [(row.id, row.user_id, row.kind) for row in expired]
    released = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.SENDING, OutboxMessage.claimed_until < now)
        .values(status=OutboxStatus.PENDING, claimed_by=None, claimed_until=None, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return SweepResult(expired=expired_rows, released=rowcount(released))


@dataclass(frozen=True)
class KindStatus:
    kind: str
    counts: dict[OutboxStatus, int]
    oldest_pending_due_at: datetime | None  # of the rows due and not yet sent


async def status_by_kind(session: AsyncSession, *, now: datetime) -> list[KindStatus]:
    """Counts per kind and status, and when the longest-waiting due row was due."""
    counts = await session.execute(
        select(OutboxMessage.kind, OutboxMessage.status, func.count()).group_by(
            OutboxMessage.kind, OutboxMessage.status
        )
    )
    by_kind: dict[str, dict[OutboxStatus, int]] = {}
    for kind, status, count in counts:
        by_kind.setdefault(kind, dict.fromkeys(OutboxStatus, 0))[OutboxStatus(status)] = count
    waiting = await session.execute(
        select(OutboxMessage.kind, func.min(OutboxMessage.due_at))
        .where(
            OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]),
            OutboxMessage.due_at <= now,
        )
        .group_by(OutboxMessage.kind)
    )
    oldest = {kind: _aware(earliest) for kind, earliest in waiting if earliest is not None}
    return [KindStatus(kind, by_kind[kind], oldest.get(kind)) for kind in sorted(by_kind)]


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


@dataclass(frozen=True)
class SentMessage:
    id: int
    user_id: int
    expires_at: datetime


async def find_sent(
    session: AsyncSession, outbox_id: int, *, chat_id: int, kind: str
) -> SentMessage | None:
    """A sent row of ``kind`` in ``chat_id``: checks a pressed button against its sender.

    SENDING counts as sent: the message is in the chat once Telegram accepted it, and the
    sender records that a moment later; a press in between is the client's, not stale."""
    row = (
        await session.execute(
            select(OutboxMessage.id, OutboxMessage.user_id, OutboxMessage.expires_at).where(
                OutboxMessage.id == outbox_id,
                OutboxMessage.chat_id == chat_id,
                OutboxMessage.kind == kind,
                OutboxMessage.status.in_([OutboxStatus.SENT, OutboxStatus.SENDING]),
            )
        )
    ).first()
    return None if row is None else SentMessage(row.id, row.user_id, row.expires_at)
