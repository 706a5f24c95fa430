"""Looking up who sent an update. Plain data access: no Telegram types."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import bindparam, inspect, select
from sqlalchemy.engine import Dialect
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
    if connection.dialect.driver == "asyncpg" and not connection.in_transaction():
        row = await _fetch_with_asyncpg(connection, telegram_id)
    else:
        row = await _fetch(connection, telegram_id)
    if row is None:
        return None
    user = User(**{key: value for (key, _column), value in zip(_FIELDS, row, strict=True)})
    make_transient_to_detached(user)
    return user


async def _fetch(connection: AsyncConnection, telegram_id: int) -> Sequence[Any] | None:
    return (await connection.execute(_ROW_BY_TELEGRAM_ID, {"telegram_id": telegram_id})).first()


async def _fetch_with_asyncpg(
    connection: AsyncConnection, telegram_id: int
) -> Sequence[Any] | None:
    """The same row, asked of asyncpg itself and converted by the columns' own types.

    SQLAlchemy's execution (its statement cache, the adapted cursor, the result) was
    most of the 0.32 ms of CPU that every update spent here on PostgreSQL (the lookup
    with taking and giving back the connection, 3,000 in a row); asyncpg's
    ``fetchrow`` of the compiled statement takes 0.06 ms. On an error the connection is
    invalidated, as SQLAlchemy does (the pool drops it), and the row asked again
    through SQLAlchemy on a new connection: a server restarted meanwhile costs no
    update, and any other error is raised as SQLAlchemy raises it."""
    sql, converters = _compiled_for(connection.dialect)
    driver = (await connection.get_raw_connection()).driver_connection
    assert driver is not None
    try:
        record = await driver.fetchrow(sql, telegram_id)
    except Exception as error:
        await connection.invalidate(error)
        return await _fetch(connection, telegram_id)
    if record is None:
        return None
    return [
        convert(value) if convert else value
        for convert, value in zip(converters, record, strict=True)
    ]


_COMPILED: WeakKeyDictionary[Dialect, tuple[str, list[Any]]] = WeakKeyDictionary()


def _compiled_for(dialect: Dialect) -> tuple[str, list[Any]]:
    """``_ROW_BY_TELEGRAM_ID`` as the driver's SQL, and each column's result conversion
    (enums, UTC datetimes) as SQLAlchemy's types define it for this dialect; once per
    engine."""
    found = _COMPILED.get(dialect)
    if found is None:
        converters = [
            column.type.dialect_impl(dialect).result_processor(dialect, None)
            for _key, column in _FIELDS
        ]
        found = _COMPILED[dialect] = (str(_ROW_BY_TELEGRAM_ID.compile(dialect=dialect)), converters)
    return found
