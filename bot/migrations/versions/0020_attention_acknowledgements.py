"""attention_acknowledgements: who took a client's not-on-track light in hand, and when

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.db.base import UTCDateTime

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "attention_acknowledgements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("colour", sa.String(length=8), nullable=False),
        sa.Column("acknowledged_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["acknowledged_by_id"],
            ["users.id"],
            name=op.f("fk_attention_acknowledgements_acknowledged_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["users.id"],
            name=op.f("fk_attention_acknowledgements_client_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attention_acknowledgements")),
    )
    op.create_index(
        "ix_attention_acknowledgements_client_id",
        "attention_acknowledgements",
        ["client_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        "ix_attention_acknowledgements_client_id", table_name="attention_acknowledgements"
    )
    op.drop_table("attention_acknowledgements")
