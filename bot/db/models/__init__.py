"""The tables, one module per area. Importing this package registers them all on the metadata."""

from bot.db.models.delivery import OutboxMessage, OutboxStatus, Schedule, UserEvent
from bot.db.models.users import Role, User, UserStatus

__all__ = [
    "OutboxMessage",
    "OutboxStatus",
    "Role",
    "Schedule",
    "User",
    "UserEvent",
    "UserStatus",
]
