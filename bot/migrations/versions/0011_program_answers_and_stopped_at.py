"""program answers and stopped_at

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db.base
import bot.db.encrypted

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "program_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=False),
        sa.Column("question", sa.Integer(), nullable=False),
        sa.Column("asked_at", bot.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("answer_text", bot.db.encrypted.EncryptedText(), nullable=True),
        sa.Column("answered_at", bot.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("skipped_at", bot.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "created_at",
            bot.db.base.UTCDateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            bot.db.base.UTCDateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["lesson_deliveries.id"],
            name=op.f("fk_program_answers_delivery_id_lesson_deliveries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_program_answers")),
        sa.UniqueConstraint(
            "delivery_id", "question", name=op.f("uq_program_answers_delivery_id_question")
        ),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("stopped_at", bot.db.base.UTCDateTime(timezone=True), nullable=True)
        )
    # Clients who stopped before this column existed: their last change is the best guess.
    op.execute("UPDATE users SET stopped_at = updated_at WHERE status = 'stopped'")


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("stopped_at")

    op.drop_table("program_answers")
