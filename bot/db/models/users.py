"""People the bot knows, and their preferences.

Only what the bot needs is stored, and only after consent (see DESIGN.md,
"Privacy"): a user row holds ids and preferences, never names or messages.
Times of day are local to the user's ``timezone``; instants are UTC.
"""

from __future__ import annotations

from datetime import datetime, time
from enum import StrEnum

from sqlalchemy import BigInteger, Enum, String, Time
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, TimestampMixin, UTCDateTime


def _enum(cls: type[StrEnum], name: str) -> Enum:
    """A portable enum column: VARCHAR plus a named CHECK constraint on every backend."""
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=20,
        values_callable=lambda members: [member.value for member in members],
    )


class Role(StrEnum):
    CLIENT = "client"
    PRACTITIONER = "practitioner"


class UserStatus(StrEnum):
    ONBOARDING = "onboarding"  # a client who has not finished onboarding
    ACTIVE = "active"
    STOPPED = "stopped"  # the client ended the companion (/stop); data kept until /delete
    UNREACHABLE = "unreachable"  # Telegram said 403: blocked or deactivated


class User(TimestampMixin, Base):
    """Someone the bot knows: a client who consented, or a practitioner."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    role: Mapped[Role] = mapped_column(_enum(Role, "role"))
    status: Mapped[UserStatus] = mapped_column(
        _enum(UserStatus, "user_status"), default=UserStatus.ACTIVE, server_default="active"
    )
    # None until the user chooses: Telegram's language_code is used meanwhile.
    locale: Mapped[str | None] = mapped_column(String(16))
    # IANA name; None until the user chooses, then DEFAULT_TIMEZONE is used.
    timezone: Mapped[str | None] = mapped_column(String(64))
    # Preferred local time for the daily check-in; None until chosen.
    checkin_time: Mapped[time | None] = mapped_column(Time())
    # Local quiet hours: nothing scheduled is sent from start to end (may wrap midnight).
    quiet_start: Mapped[time | None] = mapped_column(Time())
    quiet_end: Mapped[time | None] = mapped_column(Time())
    # A holiday (/pause): no prompts until this instant, and streaks are frozen.
    paused_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When the client ended the companion (/stop); RETENTION_DAYS counts from here.
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:  # ids only: reprs end up in logs
        return f"User(id={self.id!r}, role={self.role!r})"
