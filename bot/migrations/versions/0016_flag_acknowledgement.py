"""safety_flags.acknowledged_at / acknowledged_by_id: who took a flag in hand, and when

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db.base

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("safety_flags") as batch_op:
        batch_op.add_column(
            sa.Column("acknowledged_at", bot.db.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("acknowledged_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_safety_flags_acknowledged_by_id_users"),
            "users",
            ["acknowledged_by_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("safety_flags") as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_safety_flags_acknowledged_by_id_users"), type_="foreignkey"
        )
        batch_op.drop_column("acknowledged_by_id")
        batch_op.drop_column("acknowledged_at")
