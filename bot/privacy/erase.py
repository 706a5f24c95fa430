"""``/delete``: erase every row about a client, children first, then the user."""

from __future__ import annotations

import secrets

from sqlalchemy import Delete, Update, delete, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.base import Base, table_of
from bot.db.models import User
from bot.db.rows import rowcount
from bot.privacy.graph import links


async def erase_user(session: AsyncSession, user_id: int) -> int:
    """Delete everything about ``user_id``; returns how many rows went (0: nobody was
    there — a second tap that lost the race). Never commits.

    Rows marked ``on_erase: anonymize`` (the audit log) stay, with the id removed.
    """
    anonymous_ref = secrets.token_hex(16)
    order = {table: index for index, table in enumerate(Base.metadata.sorted_tables)}
    erased = 0
    # Children before parents: deepest links first, then tables in reverse dependency order.
    for link in sorted(
        links(Base.metadata, table_of(User)),
        key=lambda link: (-link.depth, -order[link.table]),
    ):
        if link.anonymize:
            # Kept without the id; entries about one erased person still group together.
            values: dict[str, object] = {link.column.name: None}
            if "subject_ref" in link.table.c:
                values["subject_ref"] = anonymous_ref
            statement: Update | Delete = (
                update(link.table).where(link.condition(user_id)).values(values)
            )
        else:
            statement = delete(link.table).where(link.condition(user_id))
        erased += rowcount(await session.execute(statement))
    # The user's row goes last and decides: concurrent erasures serialise on it.
    if not rowcount(await session.execute(delete(User).where(User.id == user_id))):
        return 0
    return erased + 1
