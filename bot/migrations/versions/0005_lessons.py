"""lessons: deliveries, quiz answers, program enrollments

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 19:48:01.102639
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db.base
import bot.db.encrypted

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "lesson_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("lesson_id", sa.String(length=40), nullable=False),
        sa.Column("program_id", sa.String(length=40), nullable=True),
        sa.Column("delivered_at", bot.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("opened_at", bot.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", bot.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reflection_asked_at", bot.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reflection_text", bot.db.encrypted.EncryptedText(), nullable=True),
        sa.Column("reflection_answered_at", bot.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reflection_message_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "created_at",
            bot.db.base.UTCDateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            bot.db.base.UTCDateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_lesson_deliveries_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lesson_deliveries")),
        sa.UniqueConstraint(
            "user_id", "lesson_id", name=op.f("uq_lesson_deliveries_user_id_lesson_id")
        ),
    )
    op.create_table(
        "program_enrollments",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.String(length=40), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column(
            "created_at",
            bot.db.base.UTCDateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            bot.db.base.UTCDateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_program_enrollments_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_program_enrollments")),
    )
    op.create_table(
        "lesson_quiz_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=False),
        sa.Column("question", sa.Integer(), nullable=False),
        sa.Column("answer", sa.Integer(), nullable=False),
        sa.Column("correct", sa.Boolean(), nullable=False),
        sa.Column("answered_at", bot.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["lesson_deliveries.id"],
            name=op.f("fk_lesson_quiz_answers_delivery_id_lesson_deliveries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lesson_quiz_answers")),
        sa.UniqueConstraint(
            "delivery_id", "question", name=op.f("uq_lesson_quiz_answers_delivery_id_question")
        ),
    )


def downgrade() -> None:
    op.drop_table("lesson_quiz_answers")
    op.drop_table("program_enrollments")
    op.drop_table("lesson_deliveries")
