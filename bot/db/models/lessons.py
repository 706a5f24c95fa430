"""Psychoeducation progress: which program a client follows, each lesson delivered, and
what the client did with it (opened, finished, reflection, quiz answers).

Lesson and program ids refer to files in ``content/`` (not to rows): content is
reviewed text shipped with the code, and the ids are stable across languages.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, TimestampMixin, UTCDateTime
from bot.db.encrypted import EncryptedText

CONTENT_ID_LENGTH = 40


class ProgramEnrollment(TimestampMixin, Base):
    """The program a client follows (at most one at a time), from a local start date."""

    __tablename__ = "program_enrollments"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    program_id: Mapped[str] = mapped_column(String(CONTENT_ID_LENGTH))
    # The client's local date on which the first lesson is due.
    started_on: Mapped[date] = mapped_column(Date())
    # Every program the client follows, in the order chosen (comma-separated ids), when
    # more than one: one lesson stream alternates them (bot.domain.lesson_stream). None:
    # just ``program_id`` (which is always the first).
    program_ids: Mapped[str | None] = mapped_column(String(400))
    # When the client was last told that lessons wait until they open one: told once
    # per stall (a later delivery starts a new one).
    hold_noticed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The client's local date of their last "another lesson now": one a day.
    extra_on: Mapped[date | None] = mapped_column(Date())

    @property
    def programs(self) -> tuple[str, ...]:
        """The ids of the programs followed, in the order chosen."""
        if not self.program_ids:
            return (self.program_id,)
        return tuple(self.program_ids.split(","))

    def __repr__(self) -> str:
        return f"ProgramEnrollment(user_id={self.user_id!r}, program_id={self.program_id!r})"


class LessonDelivery(TimestampMixin, Base):
    """One lesson delivered to one client: at most one row per client and lesson, so a
    redelivery (or a practitioner sending it again) reuses the row and its progress."""

    __tablename__ = "lesson_deliveries"
    __table_args__ = (UniqueConstraint("user_id", "lesson_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # No index of its own: the unique (user_id, lesson_id) index serves lookups by user.
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    lesson_id: Mapped[str] = mapped_column(String(CONTENT_ID_LENGTH))
    # The program it was delivered for; None when sent on its own.
    program_id: Mapped[str | None] = mapped_column(String(CONTENT_ID_LENGTH))
    delivered_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # First press of any of its buttons, or first reopening from /learn.
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set when the reflection question was asked and not yet answered or skipped:
    # the step of this little conversation lives here, not in memory.
    reflection_asked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Free text the client typed: health data. Plain for now; the privacy issue
    # encrypts this column at rest (see README, "Privacy").
    # Health data: encrypted at rest (bot.crypto).
    reflection_text: Mapped[str | None] = mapped_column(EncryptedText())
    reflection_answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The Telegram message that carried the answer: a redelivered update is recognised.
    reflection_message_id: Mapped[int | None] = mapped_column(BigInteger())

    def __repr__(self) -> str:  # ids only: reprs end up in logs
        return f"LessonDelivery(id={self.id!r}, user_id={self.user_id!r})"


class LessonQuizAnswer(Base):
    """A client's answer to one quiz question of a delivered lesson (the first one counts)."""

    __tablename__ = "lesson_quiz_answers"
    __table_args__ = (UniqueConstraint("delivery_id", "question"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # No index of its own: the unique (delivery_id, question) index serves it.
    delivery_id: Mapped[int] = mapped_column(ForeignKey("lesson_deliveries.id", ondelete="CASCADE"))
    question: Mapped[int] = mapped_column(Integer())  # index into the lesson's quiz, from 0
    answer: Mapped[int] = mapped_column(Integer())  # index into that question's answers
    correct: Mapped[bool] = mapped_column(Boolean())
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ProgramAnswer(TimestampMixin, Base):
    """A program's question asked after one of its lessons, and the client's typed answer.

    The row is written when the question is asked (the step of the conversation lives
    here): waiting while ``answered_at`` and ``skipped_at`` are both empty.
    """

    __tablename__ = "program_answers"
    __table_args__ = (UniqueConstraint("delivery_id", "question"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # No index of its own: the unique (delivery_id, question) index serves it.
    delivery_id: Mapped[int] = mapped_column(ForeignKey("lesson_deliveries.id", ondelete="CASCADE"))
    question: Mapped[int] = mapped_column(Integer())  # index into the program step's questions
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Health data: encrypted at rest (bot.crypto).
    answer_text: Mapped[str | None] = mapped_column(EncryptedText())
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    skipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The Telegram message that carried the answer: a redelivered update is recognised.
    message_id: Mapped[int | None] = mapped_column(BigInteger())

    def __repr__(self) -> str:  # ids only: reprs end up in logs
        return f"ProgramAnswer(id={self.id!r}, delivery_id={self.delivery_id!r})"


class LessonReview(Base):
    """A spaced-review question about a delivered lesson, asked about a week later, and
    the client's answer (the row is written when it is asked: one per delivery)."""

    __tablename__ = "lesson_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("lesson_deliveries.id", ondelete="CASCADE"), unique=True
    )
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime())
    answer: Mapped[int | None] = mapped_column(Integer())  # index into the review's answers
    correct: Mapped[bool | None] = mapped_column(Boolean())  # None: a free question
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    skipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:  # ids only: reprs end up in logs
        return f"LessonReview(id={self.id!r}, delivery_id={self.delivery_id!r})"
