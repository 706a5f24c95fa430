"""typed_answers: a message typed as the answer to a question with buttons, once

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db.base

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "typed_answers",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("question", sa.String(length=48), nullable=False),
        sa.Column("answered_at", bot.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_typed_answers_user_id_users")
        ),
        sa.PrimaryKeyConstraint("user_id", "message_id", name=op.f("pk_typed_answers")),
    )


def downgrade() -> None:
    op.drop_table("typed_answers")
