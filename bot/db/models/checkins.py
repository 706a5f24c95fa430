"""Check-ins: one per client and local date, the ratings and strategy answers in it,
every change of an answer, and the client's streak.

A check-in row exists only for a day the client was asked (a scheduled prompt
was sent, or they used /checkin): days without a row are invisible to streaks,
which is how paused days neither break nor count.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
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


class CheckinStatus(StrEnum):
    OPEN = "open"  # asked, window open, not (fully) answered
    ANSWERED = "answered"  # at least one rating given: the day counts
    MISSED = "missed"  # the window closed with nothing answered
    SKIPPED = "skipped"  # the client chose "skip today": no blame, but no streak day


class CheckinSource(StrEnum):
    SCHEDULED = "scheduled"
    EARLY = "early"  # /checkin before the scheduled time


class Checkin(TimestampMixin, Base):
    """The check-in of one client on one local date (at most one: /checkin once a day)."""

    __tablename__ = "checkins"
    __table_args__ = (
        UniqueConstraint("user_id", "local_date"),
        # The sweeps: windows to close, nudges to send.
        Index("ix_checkins_status_closes_at", "status", "closes_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    local_date: Mapped[date] = mapped_column(Date())
    source: Mapped[CheckinSource] = mapped_column(_enum(CheckinSource, "checkin_source"))
    status: Mapped[CheckinStatus] = mapped_column(
        _enum(CheckinStatus, "checkin_status"), default=CheckinStatus.OPEN, server_default="open"
    )
    # The response window.
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime())
    nudged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The open question of this check-in ("goal:<id>", "strategy:<id>", "note", "done").
    step: Mapped[str | None] = mapped_column(String(32))
    # Optional free text: health data, encrypted at rest.
    note: Mapped[str | None] = mapped_column(EncryptedText())
    # The Telegram message that carried the note: a redelivered or edited update is recognised.
    note_message_id: Mapped[int | None] = mapped_column(BigInteger())

    def __repr__(self) -> str:
        return f"Checkin(id={self.id!r}, user_id={self.user_id!r}, status={self.status!r})"


class GoalRating(Base):
    """A 0–10 self-rating of one goal in one check-in: the current answer."""

    __tablename__ = "goal_ratings"
    __table_args__ = (
        UniqueConstraint("checkin_id", "goal_id"),
        Index("ix_goal_ratings_goal_id_local_date", "goal_id", "local_date"),
        Index("ix_goal_ratings_user_id_local_date", "user_id", "local_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    checkin_id: Mapped[int] = mapped_column(ForeignKey("checkins.id", ondelete="CASCADE"))
    goal_id: Mapped[int] = mapped_column(ForeignKey("goals.id", ondelete="CASCADE"))
    # Denormalised from the check-in: the digest reads ratings per client and week.
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    local_date: Mapped[date] = mapped_column(Date())
    # The goal's version when rated, so history reads against the wording of the day.
    goal_version: Mapped[int] = mapped_column(Integer)
    value: Mapped[int] = mapped_column(SmallInteger())
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class RatingChange(Base):
    """An answer changed inside the window: the value it replaced, and when."""

    __tablename__ = "goal_rating_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    rating_id: Mapped[int] = mapped_column(
        ForeignKey("goal_ratings.id", ondelete="CASCADE"), index=True
    )
    previous_value: Mapped[int] = mapped_column(SmallInteger())
    new_value: Mapped[int] = mapped_column(SmallInteger())
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class StrategyAnswer(Base):
    """Whether a strategy was done on a check-in's date (the current answer)."""

    __tablename__ = "strategy_answers"
    __table_args__ = (UniqueConstraint("checkin_id", "strategy_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    checkin_id: Mapped[int] = mapped_column(ForeignKey("checkins.id", ondelete="CASCADE"))
    strategy_id: Mapped[int] = mapped_column(
        ForeignKey("strategies.id", ondelete="CASCADE"), index=True
    )
    done: Mapped[bool] = mapped_column(Boolean)
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class StreakState(Base):
    """A client's streak as of ``through_date``, kept so nothing re-reads all history.

    Recomputed from check-ins with ``bot.domain.streaks`` whenever a day resolves;
    ``best`` is the personal best, ``milestone`` the last one celebrated.
    """

    __tablename__ = "streaks"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    current: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    best: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    milestone: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    through_date: Mapped[date | None] = mapped_column(Date())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
