"""practitioners.default_measures and default_measure_cadence: the questionnaires new
clients get when they finish setting up

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("practitioners", schema=None) as batch_op:
        batch_op.add_column(sa.Column("default_measures", sa.JSON(), nullable=True))
        batch_op.add_column(
            sa.Column("default_measure_cadence", sa.String(length=16), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("practitioners", schema=None) as batch_op:
        batch_op.drop_column("default_measure_cadence")
        batch_op.drop_column("default_measures")
