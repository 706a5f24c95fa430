"""People the bot knows.

Only what the bot needs is stored, and only after consent (see DESIGN.md,
"Privacy"): a user row holds ids and preferences, never names or messages.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import BigInteger, Enum, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, TimestampMixin


class Role(StrEnum):
    CLIENT = "client"
    PRACTITIONER = "practitioner"


class User(TimestampMixin, Base):
    """Someone the bot knows: a client who consented, or a practitioner."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    role: Mapped[Role] = mapped_column(
        Enum(
            Role,
            name="role",
            native_enum=False,
            create_constraint=True,
            length=20,
            values_callable=lambda roles: [role.value for role in roles],
        )
    )
    # None until the user chooses: Telegram's language_code is used meanwhile.
    locale: Mapped[str | None] = mapped_column(String(16))
    # IANA name; None until the user chooses, then DEFAULT_TIMEZONE is used.
    timezone: Mapped[str | None] = mapped_column(String(64))

    def __repr__(self) -> str:  # ids only: reprs end up in logs
        return f"User(id={self.id!r}, role={self.role!r})"
