"""The tables, one module per area. Importing this package registers them all on the metadata."""

from bot.db.models.audit import AuditEvent
from bot.db.models.delivery import OutboxMessage, OutboxStatus, Schedule, UserEvent
from bot.db.models.enrollment import (
    CareTeamMember,
    ConversationStep,
    Invite,
    InviteAttempt,
    InviteKind,
    MembershipState,
    Practitioner,
    TeamRole,
)
from bot.db.models.lessons import LessonDelivery, LessonQuizAnswer, ProgramEnrollment
from bot.db.models.safety import SafetyFlag
from bot.db.models.users import Role, User, UserStatus

__all__ = [
    "AuditEvent",
    "CareTeamMember",
    "ConversationStep",
    "Invite",
    "InviteAttempt",
    "InviteKind",
    "LessonDelivery",
    "LessonQuizAnswer",
    "MembershipState",
    "OutboxMessage",
    "OutboxStatus",
    "Practitioner",
    "ProgramEnrollment",
    "Role",
    "SafetyFlag",
    "Schedule",
    "TeamRole",
    "User",
    "UserEvent",
    "UserStatus",
]
