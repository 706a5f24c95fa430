"""Safety flags: a crisis-language match, recorded for the practitioner's digest.

A flag holds which rule matched, how severe, in which language's lexicon, and
where the text came from (a message id), so that a redelivered update never
records the same flag twice. The words of a crisis-language message are kept too,
encrypted at rest: the lead's alert does not carry them, but offers "Show message",
which sends them on request to someone the access policy lets read the client's
words, and writes the access log (``bot/safety/reveal.py``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, UTCDateTime, utcnow
from bot.db.encrypted import EncryptedText
from bot.domain.crisis import Severity


class SafetyFlag(Base):
    """One crisis-language match from a known user (strangers get the reply, not a row)."""

    __tablename__ = "safety_flags"
    __table_args__ = (
        UniqueConstraint("user_id", "source"),
        Index("ix_safety_flags_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    severity: Mapped[Severity] = mapped_column(
        Enum(
            Severity,
            name="safety_severity",
            native_enum=False,
            create_constraint=True,
            length=16,
            values_callable=lambda members: [member.value for member in members],
        )
    )
    rule_id: Mapped[str] = mapped_column(String(64))
    locale: Mapped[str] = mapped_column(String(16))  # the lexicon that matched
    # Where the text was typed, e.g. "message:<chat_id>:<message_id>": never the text itself.
    source: Mapped[str] = mapped_column(String(64))
    # A practitioner saw it and took it in hand (the web view's "Acknowledge"): who, when.
    # Erasing that practitioner keeps the flag and forgets who it was.
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    acknowledged_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), info={"on_erase": "anonymize"}
    )
    # The flagged words (crisis language only; distress flags keep none): health data,
    # encrypted at rest; in /mydata, erased by /delete with the flag.
    text: Mapped[str | None] = mapped_column(EncryptedText())

    def __repr__(self) -> str:  # ids only: reprs end up in logs
        return f"SafetyFlag(id={self.id!r}, user_id={self.user_id!r}, rule_id={self.rule_id!r})"
