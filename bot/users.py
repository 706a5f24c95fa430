"""Looking up who sent an update. Plain data access: no Telegram types."""

from __future__ import annotations

from sqlalchemy import bindparam, inspect, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import make_transient_to_detached

from bot.db.models import User

# Built once: building a statement and its cache key costs more CPU than the lookup
# itself (bench/checkins.py). In a session, for a handler that writes to the user.
_BY_TELEGRAM_ID = select(User).where(User.telegram_id == bindparam("telegram_id"))


async def find_by_telegram_id(session: AsyncSession, telegram_id: int) -> User | None:
    return await session.scalar(_BY_TELEGRAM_ID, {"telegram_id": telegram_id})


# The same lookup as plain columns, for ``read_sender``: (attribute, column) per field.
_FIELDS = tuple((prop.key, prop.columns[0]) for prop in inspect(User).column_attrs)
_ROW_BY_TELEGRAM_ID = select(*(column for _key, column in _FIELDS)).where(
    User.__table__.c.telegram_id == bindparam("telegram_id")
)


async def read_sender(connection: AsyncConnection, telegram_id: int) -> User | None:
    """The user with ``telegram_id`` as a detached record, read without a session.

    What a session's lookup leaves once the session is closed (the middleware's record of
    who sent an update), at about half the CPU: every update pays for it, and the ORM's
    session and loading cost more than the query (``tests/test_users.py``). The record
    has its identity and no pending changes, so a handler can still merge or add it to
    its own session and change it there."""
    row = (await connection.execute(_ROW_BY_TELEGRAM_ID, {"telegram_id": telegram_id})).first()
    if row is None:
        return None
    user = User(**{key: value for (key, _column), value in zip(_FIELDS, row, strict=True)})
    make_transient_to_detached(user)
    return user
