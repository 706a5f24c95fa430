"""What the practitioner adds while reviewing: GAS levels attained, team notes, and where
the alert sweeps have read up to.

A team note is free text about a client written by a practitioner: health data,
encrypted at rest, shown to the client's care team (client view, digest), never in
the client's own conversation. The client's /mydata archive does include it (the
right of access covers what is written about them).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, UTCDateTime, utcnow
from bot.db.encrypted import EncryptedText

# Who wrote a row is not what it is about: erasing that person keeps the row, unsigned.
AUTHOR = {"on_erase": "anonymize"}


class GasScore(Base):
    """The Goal Attainment Scaling level (−2 … +2) a practitioner judged a goal to be at.

    Rows are history: the newest row of a goal is its current level.
    """

    __tablename__ = "goal_gas_scores"
    __table_args__ = (Index("ix_goal_gas_scores_goal_id_rated_at", "goal_id", "rated_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("goals.id", ondelete="CASCADE"))
    level: Mapped[int] = mapped_column(SmallInteger())
    rated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), info=AUTHOR
    )
    rated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class TeamNote(Base):
    """A note about a client, shared with the client's care team."""

    __tablename__ = "team_notes"
    __table_args__ = (Index("ix_team_notes_client_id_created_at", "client_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), info=AUTHOR
    )
    text: Mapped[str] = mapped_column(EncryptedText())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def __repr__(self) -> str:  # ids only: reprs end up in logs
        return f"TeamNote(id={self.id!r}, client_id={self.client_id!r})"


class Watermark(Base):
    """How far a sweep has read (e.g. the alert sweep's last rating time)."""

    __tablename__ = "review_watermarks"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[datetime] = mapped_column(UTCDateTime())
