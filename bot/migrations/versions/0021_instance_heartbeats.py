"""instance_heartbeats: the running instances on one database (they share the send limit)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.db.base import UTCDateTime

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "instance_heartbeats",
        sa.Column("instance", sa.String(length=100), nullable=False),
        sa.Column("seen_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("instances", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("instance", name=op.f("pk_instance_heartbeats")),
    )


def downgrade() -> None:
    op.drop_table("instance_heartbeats")
