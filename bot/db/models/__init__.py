"""The tables, one module per area. Importing this package registers them all on the metadata."""

from bot.db.models.lessons import LessonDelivery, LessonQuizAnswer, ProgramEnrollment
from bot.db.models.safety import SafetyFlag
from bot.db.models.users import Role, User, UserStatus

__all__ = [
    "LessonDelivery",
    "LessonQuizAnswer",
    "ProgramEnrollment",
    "Role",
    "SafetyFlag",
    "User",
    "UserStatus",
]
