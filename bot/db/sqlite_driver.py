"""SQLite through aiosqlite with one hand-off to its thread per statement.

aiosqlite runs each call on a connection's own thread; every call is a hand-off there
and a wake-up of the event loop when it is done. SQLAlchemy's adapter makes four per
statement that returns rows (open a cursor, execute, fetch, close the cursor) and
three for one that does not. On the path of an answered press (the sender's lookup,
the check-in with its plan, the rating, the check-in's next step, the commit) that was
17 hand-offs, and the profile of ``python -m bench.checkins`` put the loop's share of
the press's CPU at about a third. Here a statement opens, executes, fetches and closes
its cursor in one function on that thread: one hand-off per statement.

The cursor keeps SQLAlchemy's interface (``description``, ``rowcount``, ``lastrowid``
and the fetch methods over the rows read); the connection, its transactions and
server-side cursors are SQLAlchemy's own. Built on SQLAlchemy 2.1's asyncio adapter
(``sqlalchemy.connectors.asyncio``), hence the pin in pyproject.toml.

Writers also queue in the event loop (:class:`WriteGate`), not in SQLite. SQLite lets
one connection write at a time; another that tries waits in its busy handler, which
sleeps and retries (1, 2, 5, 10 … ms) on the connection's thread. With 16 updates at
once, presses waited there for a lock freed long before, and the bot process sat idle
for a tenth of ``bench.checkins`` (busy 86–95 %, and 61 % with 32 at once). The gate
is taken before a connection's first write and given back when its transaction ends,
so the next writer starts as soon as the lock is free. Reads never wait for it (WAL).
SQLite still decides: the gate only changes where an in-process writer waits, another
process (``python -m bot status``) still meets the busy handler, and a writer that
waited longer than the busy timeout gets SQLite's own "database is locked".
"""

from __future__ import annotations

import asyncio
import collections
import re
import sqlite3
from typing import Any, NamedTuple
from weakref import WeakKeyDictionary

import aiosqlite
from sqlalchemy.connectors.asyncio import AsyncIODBAPIConnection
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_

#: Statements that take SQLite's write lock (a CTE may lead into one).
_WRITES = re.compile(
    r"\s*(?:INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER"
    r"|WITH\b.*\b(?:INSERT|UPDATE|DELETE|REPLACE)\b)",
    re.IGNORECASE | re.DOTALL,
)


def writes(operation: str) -> bool:
    """Whether ``operation`` takes the database's write lock."""
    return _WRITES.match(operation) is not None


class WriteGate:
    """One in-process writer at a time per database, waiting in the event loop.

    A lock per event loop (an engine's connections live in one loop; tests start many).
    Waiting longer than ``timeout`` (the busy timeout) raises what SQLite would."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._locks: WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            WeakKeyDictionary()
        )

    async def acquire(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        lock = self._locks.get(loop)
        if lock is None:
            lock = self._locks[loop] = asyncio.Lock()
        try:
            await asyncio.wait_for(lock.acquire(), self.timeout)
        except TimeoutError:
            raise sqlite3.OperationalError("database is locked") from None
        return lock


class _Done(NamedTuple):
    """What one statement left behind, read on aiosqlite's thread."""

    description: Any
    rowcount: int
    lastrowid: int | None
    rows: list[Any]
    in_transaction: bool


def _run(connection: aiosqlite.Connection, operation: str, parameters: Any, many: bool) -> _Done:
    """Runs on the connection's thread: the whole statement, cursor opened and closed."""
    cursor = connection._conn.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        rows = cursor.fetchall() if cursor.description else []
        return _Done(
            cursor.description,
            cursor.rowcount,
            cursor.lastrowid,
            rows,
            connection._conn.in_transaction,
        )
    finally:
        cursor.close()


def _in_transaction(connection: aiosqlite.Connection) -> bool:
    return connection._conn.in_transaction


class OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    """A cursor whose statements each take one hand-off to aiosqlite's thread."""

    __slots__ = ("_done",)
    _awaitable_cursor_close = False  # there is no aiosqlite cursor to close

    def __init__(self, adapt_connection: Any) -> None:  # no cursor opened here
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._done = _Done(None, -1, None, [], False)

    @property
    def description(self) -> Any:
        return self._done.description

    @property
    def rowcount(self) -> int:
        return self._done.rowcount

    @property
    def lastrowid(self) -> int | None:  # type: ignore[override]
        return self._done.lastrowid

    @property
    def arraysize(self) -> int:
        return 1  # the DB-API's default; fetchmany() without a size reads one row

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        pass  # the rows are all read already

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        self._statement(operation, parameters, many=False)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> Any:
        self._statement(operation, seq_of_parameters, many=True)

    def _statement(self, operation: Any, parameters: Any, *, many: bool) -> None:
        try:
            self._done = await_(self._run_async(operation, parameters, many))
        except Exception as error:
            self._adapt_connection._handle_exception(error)
        self._rows = collections.deque(self._done.rows)

    async def _run_async(self, operation: Any, parameters: Any, many: bool) -> _Done:
        adapted = self._adapt_connection
        assert isinstance(adapted, _OneHopConnection)
        connection = self._connection
        if adapted.held_gate is None and writes(operation):
            adapted.held_gate = await adapted.dbapi.write_gate.acquire()
        async with adapted._execute_mutex:
            try:
                done: _Done = await connection._execute(
                    _run, connection, operation, parameters, many
                )
            except Exception:
                # A failed statement may leave its transaction open (and the lock held).
                if adapted.held_gate is not None and not await connection._execute(
                    _in_transaction, connection
                ):
                    adapted.release_gate()
                raise
        if not done.in_transaction:  # autocommitted (DDL, or a write outside BEGIN)
            adapted.release_gate()
        return done

    def close(self) -> None:
        self._rows.clear()

    def setinputsizes(self, *inputsizes: Any) -> None:
        pass  # sqlite3 ignores them too

    def nextset(self) -> None:
        pass  # SQLite returns one result set per statement


class _OneHopConnection(AsyncAdapt_aiosqlite_connection):
    """A connection that holds its database's :class:`WriteGate` while it writes."""

    __slots__ = ("held_gate",)
    _cursor_cls = OneHopCursor
    dbapi: OneHopDBAPI

    def __init__(self, dbapi: OneHopDBAPI, connection: AsyncIODBAPIConnection) -> None:
        super().__init__(dbapi, connection)
        self.held_gate: asyncio.Lock | None = None

    def release_gate(self) -> None:
        gate, self.held_gate = self.held_gate, None
        if gate is not None:
            gate.release()

    # The transaction ends (or the connection goes): the next writer may start.
    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self.release_gate()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self.release_gate()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.release_gate()

    def _terminate_force_close(self) -> None:
        try:
            super()._terminate_force_close()
        finally:
            self.release_gate()


class OneHopDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """aiosqlite as SQLAlchemy's dialect sees it, with :class:`OneHopCursor` and one
    :class:`WriteGate` for the engine's database."""

    def __init__(self, aiosqlite: Any, sqlite: Any, *, busy_timeout: float) -> None:
        super().__init__(aiosqlite, sqlite)
        self.write_gate = WriteGate(busy_timeout)

    def connect(self, *arg: Any, **kw: Any) -> _OneHopConnection:
        adapted = super().connect(*arg, **kw)
        return _OneHopConnection(self, adapted._connection)


def one_hop_dbapi(busy_timeout: float) -> OneHopDBAPI:
    """The ``module=`` for ``create_async_engine`` of a ``sqlite+aiosqlite`` URL (one
    per engine: its write gate is its database's)."""
    return OneHopDBAPI(aiosqlite, sqlite3, busy_timeout=busy_timeout)
