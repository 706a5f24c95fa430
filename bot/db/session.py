"""The engine and the session factory; the session's lifetime belongs to the caller."""

from __future__ import annotations

import time
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from bot.db.sqlite_driver import one_hop_dbapi

#: How long a writer waits for SQLite's write lock before "database is locked".
SQLITE_BUSY_TIMEOUT_SECONDS = 30


def create_engine(database_url: str, **options: Any) -> AsyncEngine:
    """An engine tuned for the backend: WAL and a busy timeout on SQLite."""
    if database_url.startswith("sqlite"):
        if make_url(database_url).database in (None, "", ":memory:"):
            options.pop("pool_size", None)  # one shared connection (StaticPool): no size
        # No rollback when a connection goes back to the pool: closing a connection
        # already ends its transaction, and with aiosqlite each rollback is one more
        # hop to the connection's thread (a tenth of what a one-query update costs).
        options.setdefault("pool_reset_on_return", None)
        if make_url(database_url).get_driver_name() == "aiosqlite":
            # One hand-off to aiosqlite's thread per statement instead of three or four.
            options.setdefault("module", one_hop_dbapi(SQLITE_BUSY_TIMEOUT_SECONDS))
        engine = create_async_engine(
            database_url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS}, **options
        )
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    # Recycled hourly for servers and proxies that close idle connections.
    options.setdefault("pool_recycle", 3600)
    engine = create_async_engine(database_url, **options)
    ping_when_idle(engine)
    return engine


#: A pooled connection unused this long is pinged before it is handed out.
IDLE_BEFORE_PING_SECONDS = 2.0


def ping_when_idle(engine: AsyncEngine) -> None:
    """Ping a pooled connection before use only if it sat unused for
    ``IDLE_BEFORE_PING_SECONDS``.

    After a database restart no update should fail on a connection the server dropped;
    SQLAlchemy's ``pool_pre_ping`` ensures it with one round trip more on every checkout
    (two per answered press: the sender's lookup and the transaction). A restart takes
    the server away for longer than a busy connection sits in the pool, so pinging only
    the ones that sat idle keeps the guarantee where it matters (the restart during a
    quiet hour: every connection is pinged, a dead one replaced) and costs nothing
    under load. A connection that dies between two uses inside the window fails that
    one statement, and SQLAlchemy then drops every connection older than it.
    """
    pool_events = engine.sync_engine.pool
    dialect = engine.sync_engine.dialect

    @event.listens_for(pool_events, "checkin")
    def _returned(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info["returned_at"] = time.monotonic()

    @event.listens_for(pool_events, "checkout")
    def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        returned_at = record.info.get("returned_at")
        idle = time.monotonic() - returned_at if returned_at is not None else 0.0
        if idle < IDLE_BEFORE_PING_SECONDS:
            return  # new (it just connected) or in use a moment ago
        try:
            dialect.do_ping(dbapi_connection)
        except Exception as error:
            # The pool discards it and hands out another (SQLAlchemy's documented way).
            raise DisconnectionError(f"stale pooled connection: {error}") from error


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
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_SECONDS * 1000}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # expire_on_commit=False: async code cannot lazy-load expired attributes.
    return async_sessionmaker(engine, expire_on_commit=False)
