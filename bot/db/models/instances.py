"""The bot's running instances on one database, each seen every few seconds.

Several instances on one PostgreSQL database share Telegram's send limit: each counts
the instances seen lately and sends at its share (``bot/delivery/shared_rate.py``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, UTCDateTime


class InstanceHeartbeat(Base):
    __tablename__ = "instance_heartbeats"

    instance: Mapped[str] = mapped_column(String(100), primary_key=True)  # host:pid:random
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # How many instances it counted when it last took its share: a joiner waits until
    # every other instance has counted it too.
    instances: Mapped[int] = mapped_column(Integer, default=1)

    def __repr__(self) -> str:
        return f"InstanceHeartbeat(instance={self.instance!r})"
