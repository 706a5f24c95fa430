"""The tables, one module per area. Importing this package registers them all on the metadata."""

from bot.db.models.attention import AttentionAcknowledgement
from bot.db.models.audit import AuditEvent
from bot.db.models.checkins import (
    Checkin,
    CheckinSource,
    CheckinStatus,
    GoalRating,
    RatingChange,
    StrategyAnswer,
    StreakState,
)
from bot.db.models.delivery import OutboxMessage, OutboxStatus, Schedule, UserEvent
from bot.db.models.enrollment import (
    CareTeamMember,
    ConversationStep,
    Invite,
    InviteAttempt,
    InviteKind,
    MembershipState,
    Practice,
    Practitioner,
    TeamRole,
    TypedAnswer,
)
from bot.db.models.goals import (
    GasLevel,
    Goal,
    GoalRevision,
    GoalStatus,
    Strategy,
    StrategyFrequency,
)
from bot.db.models.instances import InstanceHeartbeat
from bot.db.models.lessons import (
    LessonDelivery,
    LessonQuizAnswer,
    LessonReview,
    ProgramAnswer,
    ProgramEnrollment,
)
from bot.db.models.measures import (
    AdministrationStatus,
    Cadence,
    MeasureAdministration,
    MeasureAnswer,
    MeasureAssignment,
)
from bot.db.models.review import GasScore, TeamNote, Watermark
from bot.db.models.safety import SafetyFlag
from bot.db.models.users import Role, User, UserStatus

__all__ = [
    "AdministrationStatus",
    "AttentionAcknowledgement",
    "AuditEvent",
    "Cadence",
    "CareTeamMember",
    "Checkin",
    "CheckinSource",
    "CheckinStatus",
    "ConversationStep",
    "GasLevel",
    "GasScore",
    "Goal",
    "GoalRating",
    "GoalRevision",
    "GoalStatus",
    "InstanceHeartbeat",
    "Invite",
    "InviteAttempt",
    "InviteKind",
    "LessonDelivery",
    "LessonQuizAnswer",
    "LessonReview",
    "MeasureAdministration",
    "MeasureAnswer",
    "MeasureAssignment",
    "MembershipState",
    "OutboxMessage",
    "OutboxStatus",
    "Practice",
    "Practitioner",
    "ProgramAnswer",
    "ProgramEnrollment",
    "RatingChange",
    "Role",
    "SafetyFlag",
    "Schedule",
    "Strategy",
    "StrategyAnswer",
    "StrategyFrequency",
    "StreakState",
    "TeamNote",
    "TeamRole",
    "TypedAnswer",
    "User",
    "UserEvent",
    "UserStatus",
    "Watermark",
]
