"""The access log: one row each time a practitioner reads or changes a client's data.

A row holds ids, an action name and a time, never text: the log itself must not
become a second copy of the health data it protects.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, UTCDateTime, utcnow

ACTION_LENGTH = 32


class AuditEvent(Base):
    """A practitioner (the actor) did ``action`` on a client's data at ``created_at``."""

    __tablename__ = "audit_events"
    __table_args__ = (
        # "Who looked at this client's data, and when": the client's own view and exports.
        Index("ix_audit_events_client_user_id_created_at", "client_user_id", "created_at"),
        # Deleting a practitioner's record finds their rows without a full scan.
        Index("ix_audit_events_actor_user_id", "actor_user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The actor is a practitioner: their rows go with their record.
    actor_user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # A name from bot.audit.AuditAction (checked there, not in the database, so a new
    # feature adds an action without a migration).
    action: Mapped[str] = mapped_column(String(ACTION_LENGTH))
    # When the client erases their data (/delete) the log stays — who looked, and when —
    # with the client's id replaced by an anonymous reference (bot.privacy.erase).
    client_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), info={"on_erase": "anonymize"}
    )
    subject_ref: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def __repr__(self) -> str:  # ids only: reprs end up in logs
        return (
            f"AuditEvent(id={self.id!r}, actor_user_id={self.actor_user_id!r}, "
            f"action={self.action!r}, client_user_id={self.client_user_id!r})"
        )
