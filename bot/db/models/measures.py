"""Questionnaires given to clients: who gets which measure how often (assignments), each
sending of one (administrations, with their score once completed), and every item answer.

Measure and item ids refer to files in ``content/measures/`` (not to rows). The step
of an open administration (``current_item``) lives here, so a restart, or a client
coming back a day later, continues at the same item.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, TimestampMixin, UTCDateTime
from bot.db.models.users import _enum

MEASURE_ID_LENGTH = 32


class Cadence(StrEnum):
    WEEKLY = "weekly"
    FORTNIGHTLY = "fortnightly"
    MONTHLY = "monthly"


class AdministrationStatus(StrEnum):
    OPEN = "open"  # being answered, until closes_at
    COMPLETED = "completed"  # every item answered or skipped; scored
    EXPIRED = "expired"  # its window passed first; its answers are kept, never scored


class MeasureAssignment(TimestampMixin, Base):
    """A practitioner asked for ``measure_id`` to be sent to a client at a cadence, at the
    client's check-in time. One row per client and measure: stopping keeps it."""

    __tablename__ = "measure_assignments"
    __table_args__ = (UniqueConstraint("user_id", "measure_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # The practitioner who scheduled it; erasing them keeps the row, unsigned.
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), info={"on_erase": "anonymize"}
    )
    measure_id: Mapped[str] = mapped_column(String(MEASURE_ID_LENGTH))
    cadence: Mapped[Cadence] = mapped_column(_enum(Cadence, "measure_cadence"))
    # The next sending (UTC) and the client's local date it belongs to; NULL: stopped.
    next_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    next_slot_date: Mapped[date | None] = mapped_column(Date())
    last_slot_date: Mapped[date | None] = mapped_column(Date())
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:  # ids only: reprs end up in logs
        return f"MeasureAssignment(id={self.id!r}, user_id={self.user_id!r})"


class MeasureAdministration(TimestampMixin, Base):
    """One sending of a measure to one client (the intake, or a scheduled one)."""

    __tablename__ = "measure_administrations"
    __table_args__ = (
        # One sending per assignment and local date: the job may run twice.
        UniqueConstraint("assignment_id", "slot_date"),
        Index("ix_measure_administrations_status_closes_at", "status", "closes_at"),
        Index("ix_measure_administrations_user_id_measure_id", "user_id", "measure_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # None for the intake (not scheduled).
    assignment_id: Mapped[int | None] = mapped_column(
        ForeignKey("measure_assignments.id", ondelete="SET NULL")
    )
    measure_id: Mapped[str] = mapped_column(String(MEASURE_ID_LENGTH))
    measure_version: Mapped[int] = mapped_column(Integer)
    slot_date: Mapped[date | None] = mapped_column(Date())
    status: Mapped[AdministrationStatus] = mapped_column(
        _enum(AdministrationStatus, "measure_administration_status"),
        default=AdministrationStatus.OPEN,
        server_default="open",
    )
    # Index of the item being asked (== number of items when completed).
    current_item: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The score once completed (None: not scored, or too many items missing).
    score_total: Mapped[float | None] = mapped_column(Float())
    score_subscales: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Index into the measure's bands (of ``measure_version``).
    band: Mapped[int | None] = mapped_column(SmallInteger)
    # The message that carries its buttons (set when sent through the outbox).
    message_id: Mapped[int | None] = mapped_column(BigInteger())

    def __repr__(self) -> str:
        return f"MeasureAdministration(id={self.id!r}, user_id={self.user_id!r})"


class MeasureAnswer(Base):
    """The answer to one item of one administration; a changed answer replaces it."""

    __tablename__ = "measure_answers"
    __table_args__ = (UniqueConstraint("administration_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    administration_id: Mapped[int] = mapped_column(
        ForeignKey("measure_administrations.id", ondelete="CASCADE")
    )
    item_id: Mapped[str] = mapped_column(String(MEASURE_ID_LENGTH))
    # A scale item's chosen value; None when skipped or a choice item.
    value: Mapped[int | None] = mapped_column(Integer)
    # A choice item's picked option values (in the order of the options).
    choices: Mapped[list[int] | None] = mapped_column(JSON)
    skipped: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return f"MeasureAnswer(id={self.id!r}, administration_id={self.administration_id!r})"
