"""A practitioner saw a client's "needs attention" (or "watch") light and took it in hand.

Not-on-track signals work when someone acts on them; the acknowledgement says who saw
it and when, so a care team does not call the same client twice and nobody wonders
whether anyone looked. It holds for the review week it was given in and for the colour
it was given to: a light that turns worse, or a new week, asks again.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, UTCDateTime


class AttentionAcknowledgement(Base):
    __tablename__ = "attention_acknowledgements"
    __table_args__ = (Index("ix_attention_acknowledgements_client_id", "client_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    colour: Mapped[str] = mapped_column(String(8))  # the light acknowledged: red or yellow
    acknowledged_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Erasing that practitioner keeps the acknowledgement and forgets who it was.
    acknowledged_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), info={"on_erase": "anonymize"}
    )

    def __repr__(self) -> str:  # ids only: reprs end up in logs
        return f"AttentionAcknowledgement(id={self.id!r}, client_id={self.client_id!r})"
