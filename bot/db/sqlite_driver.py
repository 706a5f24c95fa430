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
"""

from __future__ import annotations

import collections
import sqlite3
from typing import Any, NamedTuple

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_


class _Done(NamedTuple):
    """What one statement left behind, read on aiosqlite's thread."""

    description: Any
    rowcount: int
    lastrowid: int | None
    rows: list[Any]


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
        return _Done(cursor.description, cursor.rowcount, cursor.lastrowid, rows)
    finally:
        cursor.close()


class OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    """A cursor whose statements each take one hand-off to aiosqlite's thread."""

    __slots__ = ("_done",)
    _awaitable_cursor_close = False  # there is no aiosqlite cursor to close

    def __init__(self, adapt_connection: Any) -> None:  # no cursor opened here
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._done = _Done(None, -1, None, [])

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
        connection = self._connection
        async with self._adapt_connection._execute_mutex:
            done: _Done = await connection._execute(_run, connection, operation, parameters, many)
            return done

    def close(self) -> None:
        self._rows.clear()

    def setinputsizes(self, *inputsizes: Any) -> None:
        pass  # sqlite3 ignores them too

    def nextset(self) -> None:
        pass  # SQLite returns one result set per statement


class _OneHopConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()
    _cursor_cls = OneHopCursor


class OneHopDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """aiosqlite as SQLAlchemy's dialect sees it, with :class:`OneHopCursor`."""

    def connect(self, *arg: Any, **kw: Any) -> _OneHopConnection:
        adapted = super().connect(*arg, **kw)
        return _OneHopConnection(self, adapted._connection)


def one_hop_dbapi() -> OneHopDBAPI:
    """The ``module=`` for ``create_async_engine`` of a ``sqlite+aiosqlite`` URL."""
    return OneHopDBAPI(aiosqlite, sqlite3)
