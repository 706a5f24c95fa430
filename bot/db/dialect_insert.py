"""INSERT with ON CONFLICT, which both databases have but SQLAlchemy spells per dialect."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def insert_for(
    session_or_dialect: AsyncSession | str, table: Any
) -> postgresql.Insert | sqlite.Insert:
    """An INSERT into ``table`` (a Table or a mapped class) that offers
    ``on_conflict_do_nothing`` / ``on_conflict_do_update`` on the session's database
    (or on the dialect named)."""
    dialect = (
        session_or_dialect
        if isinstance(session_or_dialect, str)
        else session_or_dialect.get_bind().dialect.name
    )
    if dialect == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)
