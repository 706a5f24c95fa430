"""user preferences

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db.base

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "status",
                sa.Enum(
                    "onboarding",
                    "active",
                    "stopped",
                    "unreachable",
                    name="user_status",
                    native_enum=False,
                    create_constraint=True,
                    length=20,
                ),
                server_default="active",
                nullable=False,
            )
        )
        batch_op.add_column(sa.Column("checkin_time", sa.Time(), nullable=True))
        batch_op.add_column(sa.Column("quiet_start", sa.Time(), nullable=True))
        batch_op.add_column(sa.Column("quiet_end", sa.Time(), nullable=True))
        batch_op.add_column(
            sa.Column("paused_until", bot.db.base.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("paused_until")
        batch_op.drop_column("quiet_end")
        batch_op.drop_column("quiet_start")
        batch_op.drop_column("checkin_time")
        # SQLite's batch mode copies reflected CHECK constraints: drop it with its column.
        batch_op.drop_constraint(op.f("ck_users_user_status"), type_="check")
        batch_op.drop_column("status")
