"""safety_flags.severity may be 'distress': distress below crisis language, kept for review

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NAME = "safety_severity"  # the CHECK constraint: ck_safety_flags_safety_severity


def _severity(*values: str) -> sa.Enum:
    return sa.Enum(*values, name=_NAME, native_enum=False, create_constraint=True, length=16)


def _change(old: tuple[str, ...], new: tuple[str, ...]) -> None:
    if op.get_bind().dialect.name == "sqlite":
        # SQLite cannot alter a CHECK constraint: the table is rebuilt with the new one.
        with op.batch_alter_table("safety_flags", recreate="always") as batch_op:
            batch_op.alter_column(
                "severity", existing_type=_severity(*old), type_=_severity(*new), nullable=False
            )
        return
    op.drop_constraint(op.f(f"ck_safety_flags_{_NAME}"), "safety_flags", type_="check")
    allowed = ", ".join(f"'{value}'" for value in new)
    op.create_check_constraint(
        op.f(f"ck_safety_flags_{_NAME}"), "safety_flags", f"severity IN ({allowed})"
    )


def upgrade() -> None:
    _change(("high", "medium"), ("high", "medium", "distress"))


def downgrade() -> None:
    # Distress rows have no place in the older schema: they are removed, crisis flags stay.
    op.execute("DELETE FROM safety_flags WHERE severity = 'distress'")
    _change(("high", "medium", "distress"), ("high", "medium"))
