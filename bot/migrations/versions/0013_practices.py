"""practices: practitioners belong to one; team invites; expired invites purged by date

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db.base

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEFAULT_PRACTICE = "Default"


def upgrade() -> None:
    op.create_table(
        "practices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_practices")),
        sa.UniqueConstraint("name", name=op.f("uq_practices_name")),
    )
    # One practice for everyone already here: a single-practice install changes nothing.
    op.execute(f"INSERT INTO practices (name) VALUES ('{DEFAULT_PRACTICE}')")

    with op.batch_alter_table("practitioners", schema=None) as batch_op:
        batch_op.add_column(sa.Column("practice_id", sa.Integer(), nullable=True))
    op.execute("UPDATE practitioners SET practice_id = (SELECT MIN(id) FROM practices)")
    with op.batch_alter_table("practitioners", schema=None) as batch_op:
        batch_op.alter_column("practice_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_index("ix_practitioners_practice_id", ["practice_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_practitioners_practice_id_practices"),
            "practices",
            ["practice_id"],
            ["id"],
        )

    with op.batch_alter_table("invites", schema=None) as batch_op:
        batch_op.add_column(sa.Column("practice_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("client_id", sa.Integer(), nullable=True))
        batch_op.create_index("ix_invites_expires_at", ["expires_at"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_invites_practice_id_practices"), "practices", ["practice_id"], ["id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_invites_client_id_users"), "users", ["client_id"], ["id"]
        )
        # A third kind of invite: a practitioner asked onto one client's team.
        batch_op.drop_constraint(op.f("ck_invites_invite_kind"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_invites_invite_kind"), "kind IN ('practitioner', 'client', 'team')"
        )


def downgrade() -> None:
    op.execute("DELETE FROM invites WHERE kind = 'team'")
    with op.batch_alter_table("invites", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_invites_invite_kind"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_invites_invite_kind"), "kind IN ('practitioner', 'client')"
        )
        batch_op.drop_constraint(batch_op.f("fk_invites_client_id_users"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_invites_practice_id_practices"), type_="foreignkey")
        batch_op.drop_index("ix_invites_expires_at")
        batch_op.drop_column("client_id")
        batch_op.drop_column("practice_id")

    with op.batch_alter_table("practitioners", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_practitioners_practice_id_practices"), type_="foreignkey"
        )
        batch_op.drop_index("ix_practitioners_practice_id")
        batch_op.drop_column("practice_id")

    op.drop_table("practices")
