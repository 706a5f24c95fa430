"""The engine and the session factory; the session's lifetime belongs to the caller."""

from __future__ import annotations

from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from bot.db.sqlite_driver import one_hop_dbapi


def create_engine(database_url: str, **options: Any) -> AsyncEngine:
    """An engine tuned for the backend: WAL and a busy timeout on SQLite."""
    if database_url.startswith("sqlite"):
        # No rollback when a connection goes back to the pool: closing a connection
        # already ends its transaction, and with aiosqlite each rollback is one more
        # hop to the connection's thread (a tenth of what a one-query update costs).
        options.setdefault("pool_reset_on_return", None)
        if make_url(database_url).get_driver_name() == "aiosqlite":
            # One hand-off to aiosqlite's thread per statement instead of three or four.
            options.setdefault("module", one_hop_dbapi())
        engine = create_async_engine(database_url, connect_args={"timeout": 30}, **options)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    # A ping before each use of a pooled connection: one round trip more per update, but
    # after a database restart no update fails on a connection the server dropped (the
    # bench measured the difference: README "Benchmarks"). Recycled hourly for servers
    # and proxies that close idle connections.
    options.setdefault("pool_recycle", 3600)
    return create_async_engine(database_url, pool_pre_ping=True, **options)


_READERS: WeakKeyDictionary[AsyncEngine, AsyncEngine] = WeakKeyDictionary()


def reader(engine: AsyncEngine) -> AsyncEngine:
    """``engine`` for single reads outside any transaction (looking up who sent an update).

    On PostgreSQL in autocommit: no BEGIN and no ROLLBACK, two round trips fewer for a
    one-query read. On SQLite the engine itself (a read there opens no transaction, and
    switching the isolation level would cost two hops to aiosqlite's thread)."""
    if engine.dialect.name == "sqlite":
        return engine
    found = _READERS.get(engine)
    if found is None:
        found = _READERS[engine] = engine.execution_options(isolation_level="AUTOCOMMIT")
    return found


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers work while one writer writes; the busy timeout makes a
    # second writer wait instead of failing with "database is locked".
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # expire_on_commit=False: async code cannot lazy-load expired attributes.
    return async_sessionmaker(engine, expire_on_commit=False)
