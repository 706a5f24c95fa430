"""Goals and strategies: what the client is working toward, and the steps toward it.

Goal text is the client's own words (or their practitioner's): health data,
encrypted at rest. A goal is revised, never overwritten: each change writes the
previous wording to ``goal_revisions`` and bumps ``version``, and ratings keep
pointing at the goal, so a revision never erases earlier ratings.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, TimestampMixin, UTCDateTime, utcnow
from bot.db.encrypted import EncryptedText
from bot.db.models.users import _enum

# Who wrote a row is not what it is about: erasing that person keeps the row, unsigned.
AUTHOR = {"on_erase": "anonymize"}


class GoalStatus(StrEnum):
    DRAFT = "draft"  # the SMART conversation is still going; never rated
    ACTIVE = "active"
    PAUSED = "paused"  # kept, not asked about in check-ins
    ACHIEVED = "achieved"
    DROPPED = "dropped"


class StrategyFrequency(StrEnum):
    DAILY = "daily"
    TIMES_PER_WEEK = "times_per_week"  # ``times_per_week`` times, any days
    WEEKDAYS = "weekdays"  # on the days of the ``weekdays`` bitmask


class Goal(TimestampMixin, Base):
    """One goal of one client, built in the SMART conversation or by the practitioner."""

    __tablename__ = "goals"
    __table_args__ = (Index("ix_goals_user_id_status", "user_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # The practitioner who wrote it; None when the client did.
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), info=AUTHOR
    )
    status: Mapped[GoalStatus] = mapped_column(
        _enum(GoalStatus, "goal_status"), default=GoalStatus.DRAFT, server_default="draft"
    )
    # The intake life area it came from ("sleep", "worry" …), if any.
    area: Mapped[str | None] = mapped_column(String(32))
    # Specific: what, concretely.
    title: Mapped[str | None] = mapped_column(EncryptedText())
    # Measurable: what 0 and 10 mean for this client.
    anchor_low: Mapped[str | None] = mapped_column(EncryptedText())
    anchor_high: Mapped[str | None] = mapped_column(EncryptedText())
    # Achievable: the client's confidence, 0–10.
    confidence: Mapped[int | None] = mapped_column(SmallInteger())
    # Relevant: why it matters.
    why: Mapped[str | None] = mapped_column(EncryptedText())
    # Time-bound: the local date by which.
    target_date: Mapped[date | None] = mapped_column(Date())
    # Which question of the SMART conversation is open (a DRAFT's step lives here).
    draft_step: Mapped[str | None] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # When it left ACTIVE/PAUSED for ACHIEVED or DROPPED.
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When it stopped being a draft: goals are numbered in this order, so a draft begun
    # early and finished late takes the next number instead of shifting the others.
    listed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:  # ids only: reprs end up in logs
        return f"Goal(id={self.id!r}, user_id={self.user_id!r}, status={self.status!r})"


class GoalRevision(Base):
    """The wording of a goal before one change: its history, newest version last."""

    __tablename__ = "goal_revisions"
    __table_args__ = (UniqueConstraint("goal_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("goals.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)  # the version this snapshot was
    changed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), info=AUTHOR
    )
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # JSON of the SMART fields as they were (title, anchors, confidence, why, target_date,
    # status): health data, encrypted like the columns it copies.
    snapshot: Mapped[str] = mapped_column(EncryptedText())


class GasLevel(Base):
    """A practitioner's description of one Goal Attainment Scaling level (−2 … +2)."""

    __tablename__ = "goal_gas_levels"
    __table_args__ = (UniqueConstraint("goal_id", "level"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("goals.id", ondelete="CASCADE"))
    level: Mapped[int] = mapped_column(SmallInteger())
    description: Mapped[str] = mapped_column(EncryptedText())


class Strategy(TimestampMixin, Base):
    """A step toward a goal, assigned by the practitioner, asked about in check-ins."""

    __tablename__ = "strategies"
    __table_args__ = (Index("ix_strategies_goal_id", "goal_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("goals.id", ondelete="CASCADE"))
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), info=AUTHOR
    )
    title: Mapped[str] = mapped_column(EncryptedText())
    frequency: Mapped[StrategyFrequency] = mapped_column(
        _enum(StrategyFrequency, "strategy_frequency")
    )
    times_per_week: Mapped[int | None] = mapped_column(SmallInteger())
    # Monday = bit 0 … Sunday = bit 6 (as schedules.weekdays).
    weekdays: Mapped[int | None] = mapped_column(SmallInteger())
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")

    def __repr__(self) -> str:
        return f"Strategy(id={self.id!r}, goal_id={self.goal_id!r})"
