"""Who came in and how: practitioners, invites, care teams, open questions.

Before a client agrees, nothing about them is stored except on the invite they
opened (the Telegram id that opened it, so the conversation can resume). The
care team is the single source of "who may see whom": the lead practitioner is
a member too, with the role ``lead``.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, TimestampMixin, UTCDateTime, utcnow
from bot.db.models.users import _enum


class InviteKind(StrEnum):
    PRACTITIONER = "practitioner"
    CLIENT = "client"
    TEAM = "team"  # a practitioner (of any practice) is asked onto one client's team


class TeamRole(StrEnum):
    LEAD = "lead"  # everything about the client
    MEMBER = "member"  # digests and notes for that client, after the client agreed


class MembershipState(StrEnum):
    PENDING = "pending"  # the client has not answered yet: the colleague sees nothing
    ACTIVE = "active"
    DECLINED = "declined"
    REMOVED = "removed"


class Practice(TimestampMixin, Base):
    """A practice on this installation: its practitioners see each other's names, no one
    else's. A new install has one (the lowest id is the default); the CLI adds more."""

    __tablename__ = "practices"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)


class Practitioner(TimestampMixin, Base):
    """The professional side of a user with the role ``practitioner``."""

    __tablename__ = "practitioners"
    __table_args__ = (Index("ix_practitioners_practice_id", "practice_id"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    # Shown to clients ("Dr. Weber invited you"); chosen at invite or from Telegram.
    display_name: Mapped[str] = mapped_column(String(64))
    practice_id: Mapped[int] = mapped_column(ForeignKey("practices.id"))
    # The questionnaires every new client of theirs gets when they finish setting up
    # (/measures): measure ids and a cadence (weekly, fortnightly, monthly); None: none.
    default_measures: Mapped[list[str] | None] = mapped_column(JSON)
    default_measure_cadence: Mapped[str | None] = mapped_column(String(16))


class Invite(TimestampMixin, Base):
    """A one-time deep link. Only the SHA-256 of its token is kept."""

    __tablename__ = "invites"
    __table_args__ = (
        Index("ix_invites_opened_by_telegram_id", "opened_by_telegram_id"),
        Index("ix_invites_expires_at", "expires_at"),  # the purge of expired invites
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[InviteKind] = mapped_column(_enum(InviteKind, "invite_kind"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # None for invites made from the command line.
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The practitioner's private name for the client (client invites).
    alias: Mapped[str | None] = mapped_column(String(64))
    # The name a new practitioner will be shown by (practitioner invites).
    display_name: Mapped[str | None] = mapped_column(String(64))
    # The practice a new practitioner joins (practitioner invites; None: the inviter's,
    # or the default practice for invites made from the command line).
    practice_id: Mapped[int | None] = mapped_column(ForeignKey("practices.id"))
    # The client whose team the invited practitioner is asked onto (team invites).
    client_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Who opened it and has not agreed yet: the only pre-consent trace of a client.
    opened_by_telegram_id: Mapped[int | None] = mapped_column(BigInteger)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    used_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class CareTeamMember(TimestampMixin, Base):
    """A practitioner on a client's team. Only ``active`` rows grant access."""

    __tablename__ = "care_team_members"
    __table_args__ = (
        UniqueConstraint("client_id", "practitioner_id"),
        Index("ix_care_team_members_practitioner_id", "practitioner_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    practitioner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    role: Mapped[TeamRole] = mapped_column(_enum(TeamRole, "team_role"))
    state: Mapped[MembershipState] = mapped_column(_enum(MembershipState, "membership_state"))
    # This practitioner's private name for the client.
    alias: Mapped[str | None] = mapped_column(String(64))
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # When the client agreed, declined, or someone removed the member.
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ConversationStep(Base):
    """The open question of a multi-step conversation, so a restart resumes it."""

    __tablename__ = "conversation_steps"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    flow: Mapped[str] = mapped_column(String(16))  # "onboarding", "settings" or "confirm"
    # "language", "timezone", "checkin", "quiet"; of "confirm": "delete"
    step: Mapped[str] = mapped_column(String(16))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class TypedAnswer(Base):
    """A message typed as the answer to a question with buttons (a check-in rating, a
    questionnaire item, a confirmation), so that the same message delivered again is
    not taken as the answer to the question that followed. Ids only, never the text."""

    __tablename__ = "typed_answers"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    message_id: Mapped[int] = mapped_column(BigInteger(), primary_key=True)
    question: Mapped[str] = mapped_column(String(48))  # e.g. "checkin:12:goal:3"
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class InviteAttempt(Base):
    """Recent bad invite tokens per Telegram account, to slow down guessing."""

    __tablename__ = "invite_attempts"

    telegram_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
