"""program_enrollments.program_ids, hold_noticed_at, extra_on (several programs in one
lesson stream; unopened lessons wait; one extra lesson a day) and lesson_reviews (the
spaced-review question a week after a lesson, and its answer)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.db.base import UTCDateTime

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("program_enrollments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("program_ids", sa.String(length=400), nullable=True))
        batch_op.add_column(sa.Column("hold_noticed_at", UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("extra_on", sa.Date(), nullable=True))
    op.create_table(
        "lesson_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=False),
        sa.Column("asked_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("answer", sa.Integer(), nullable=True),
        sa.Column("correct", sa.Boolean(), nullable=True),
        sa.Column("answered_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("skipped_at", UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["lesson_deliveries.id"],
            name=op.f("fk_lesson_reviews_delivery_id_lesson_deliveries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lesson_reviews")),
        sa.UniqueConstraint("delivery_id", name=op.f("uq_lesson_reviews_delivery_id")),
    )


def downgrade() -> None:
    op.drop_table("lesson_reviews")
    with op.batch_alter_table("program_enrollments", schema=None) as batch_op:
        batch_op.drop_column("extra_on")
        batch_op.drop_column("hold_noticed_at")
        batch_op.drop_column("program_ids")
