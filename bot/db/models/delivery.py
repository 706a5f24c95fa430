"""Scheduling and delivery: what is due when (schedules), what is to be sent (outbox),
and what happened that a practitioner must learn about (events).

Times of day are local to the user's zone; instants are UTC. ``schedules.next_due_at``
is precomputed in Python, so the tick finds due work with one indexed range query.
"""

from __future__ import annotations

from datetime import date, datetime, time
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Time,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, TimestampMixin, UTCDateTime, utcnow


class OutboxStatus(StrEnum):
    PENDING = "pending"  # waiting for its time (available_at), or for a retry
    SENDING = "sending"  # claimed by an instance until claimed_until (its lease)
    SENT = "sent"  # Telegram accepted it; telegram_message_id is set
    FAILED = "failed"  # given up: last_error says why
    EXPIRED = "expired"  # its window passed before it could be sent; never sent late


class Schedule(TimestampMixin, Base):
    """A recurring prompt for one user: which kind, which weekdays, which local time."""

    __tablename__ = "schedules"
    __table_args__ = (Index("ix_schedules_user_id_kind", "user_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    # Bitmask, Monday = bit 0 … Sunday = bit 6.
    weekdays: Mapped[int] = mapped_column(Integer, default=0b1111111, server_default="127")
    # None: the user's own checkin_time.
    local_time: Mapped[time | None] = mapped_column(Time())
    # The next instant this schedule fires, and the local date that slot belongs to.
    # NULL: nothing planned (stopped, unreachable, or no time chosen yet).
    next_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    next_slot_date: Mapped[date | None] = mapped_column(Date())
    # The last local date served: a slot never fires twice for one date, even after travel.
    last_slot_date: Mapped[date | None] = mapped_column(Date())

    def __repr__(self) -> str:
        return f"Schedule(id={self.id!r}, user_id={self.user_id!r}, kind={self.kind!r})"


class OutboxMessage(TimestampMixin, Base):
    """One message to send, once. ``key`` makes every enqueue idempotent."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_status_available_at", "status", "available_at"),
        Index("ix_outbox_user_id_status", "user_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    chat_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(200), unique=True)
    # What the renderer of this kind needs; never message text (rendered at send time).
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[OutboxStatus] = mapped_column(
        Enum(
            OutboxStatus,
            name="outbox_status",
            native_enum=False,
            create_constraint=True,
            length=20,
            values_callable=lambda members: [member.value for member in members],
        ),
        default=OutboxStatus.PENDING,
        server_default="pending",
    )
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Not sent after this instant: marked expired instead (no flood of stale prompts).
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # When it may be claimed next: due_at at first, later after a retry's back-off.
    available_at: Mapped[datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(String(200))
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The lease: a crashed instance's claims return to the pool after claimed_until.
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return f"OutboxMessage(id={self.id!r}, kind={self.kind!r}, status={self.status!r})"


class UserEvent(Base):
    """Something about a user that their practitioner must be told (e.g. unreachable).

    A durable record; telling the practitioner is the alerts feature's job.
    """

    __tablename__ = "user_events"
    __table_args__ = (Index("ix_user_events_user_id_kind", "user_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Ids and reasons only, never message text.
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Set by whoever told the practitioner.
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
