"""goals.listed_at: goals are numbered in the order they stopped being drafts

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db.base

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("goals", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("listed_at", bot.db.base.UTCDateTime(timezone=True), nullable=True)
        )
    # Goals listed before this column existed keep their numbers: creation order.
    op.execute("UPDATE goals SET listed_at = created_at WHERE status <> 'draft'")


def downgrade() -> None:
    with op.batch_alter_table("goals", schema=None) as batch_op:
        batch_op.drop_column("listed_at")
