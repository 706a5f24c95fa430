"""Migrated databases without migrating per test.

Running every Alembic migration for each test that asks for ``migrated`` cost about
0.4 s on SQLite and 1.2 s on PostgreSQL (create, migrate; the drop another 0.1 to
1.5 s) on this 2-core machine. Instead each test process migrates once per backend
and hands out databases in exactly the state a fresh migration leaves:

- SQLite: one template file, migrated once, copied to the test's own ``tmp_path``.
- PostgreSQL: one migrated database per test process, created from a migrated
  template (``CREATE DATABASE ... TEMPLATE``) and reset before every test that gets
  it: other sessions on it are ended, every table is emptied and what the migrations
  left in it (rows, sequence positions) is put back. Resetting measured 10 to 30 ms,
  a copy of the template 0.3 to 0.7 s plus its drop. If a reset fails (a test changed
  the schema, say), the database is dropped and copied from the template again.

Tests of the migrations themselves keep using ``database_url``, an empty database.
Names carry the run id and the process id, so xdist workers never share one, and
no connection to the template is kept open (``TEMPLATE`` refuses a template in use).
"""

from __future__ import annotations

import asyncio
import io
import itertools
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg

from bot.db import migrate
from bot.db.session import create_engine
from tests.postgres import PostgresServer, run_id


async def migrate_url(database_url: str) -> None:
    """All migrations, on the bot's own engine, as the ``migrated`` fixture always did."""
    engine = create_engine(database_url)
    try:
        await migrate.upgrade(engine)
    finally:
        await engine.dispose()


class SchemaChanged(Exception):
    """A test left the working database with other tables than the migrations made."""


@dataclass
class SqliteTemplate:
    """A SQLite file migrated once; each test gets a copy."""

    directory: Path
    _template: Path | None = None

    def copy_to(self, target: Path) -> str:
        if self._template is None:
            template = self.directory / "migrated-template.db"
            asyncio.run(migrate_url(f"sqlite+aiosqlite:///{template}"))
            leftovers = [path for path in self.directory.iterdir() if path.name != template.name]
            assert not leftovers, f"the template left files beside it: {leftovers}"
            self._template = template
        shutil.copyfile(self._template, target)
        return f"sqlite+aiosqlite:///{target}"


@dataclass
class _Snapshot:
    """What a fresh migration leaves in the database: rows per table, sequence positions."""

    tables: list[str]
    rows: dict[str, bytes]
    sequences: list[tuple[str, int, bool]]


_templates = itertools.count()


@dataclass
class PostgresTemplate:
    """One migrated template and one working copy per test process, reset per test."""

    server: PostgresServer
    _template: str | None = None
    _working: str | None = None
    _snapshot: _Snapshot | None = None
    _created: list[str] = field(default_factory=list)

    _serial: int = field(default_factory=lambda: next(_templates))

    @property
    def _prefix(self) -> str:
        # Unique per run, process and instance (a test may make its own beside the fixture's).
        return f"between_test_{run_id()}_{os.getpid()}_t{self._serial}"

    def migrated_url(self) -> str:
        """A database at head, holding only what the migrations put in it."""
        return asyncio.run(self._provide())

    async def _provide(self) -> str:
        if self._template is None:
            template = f"{self._prefix}_template"
            await self._admin(f'CREATE DATABASE "{template}"')
            self._created.append(template)
            await migrate_url(self.server.url_for(template))
            self._snapshot = await self._take_snapshot(template)
            self._template = template
        if self._working is not None:
            try:
                await self._reset(self._working)
                return self.server.url_for(self._working)
            except (OSError, asyncpg.PostgresError, SchemaChanged) as error:
                print(f"tests/databases.py: reset of {self._working} failed ({error!r}); copying")
                await self._admin(f'DROP DATABASE IF EXISTS "{self._working}" WITH (FORCE)')
                self._working = None
        working = f"{self._prefix}_migrated"
        await self._admin(f'DROP DATABASE IF EXISTS "{working}" WITH (FORCE)')
        await self._admin(f'CREATE DATABASE "{working}" TEMPLATE "{self._template}"')
        if working not in self._created:
            self._created.append(working)
        self._working = working
        return self.server.url_for(working)

    async def _admin(self, statement: str) -> None:
        connection = await asyncpg.connect(self.server.url, timeout=10)
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    async def _connect(self, database: str) -> asyncpg.Connection:
        return await asyncpg.connect(self.server.url_for(database, driver="postgresql"), timeout=10)

    async def _take_snapshot(self, database: str) -> _Snapshot:
        connection = await self._connect(database)
        try:
            tables = [
                row["name"]
                for row in await connection.fetch(
                    "SELECT quote_ident(tablename) AS name FROM pg_tables "
                    "WHERE schemaname = current_schema() ORDER BY tablename"
                )
            ]
            rows: dict[str, bytes] = {}
            for table in tables:
                if await connection.fetchval(f"SELECT EXISTS (SELECT 1 FROM {table})"):
                    buffer = io.BytesIO()
                    await connection.copy_from_table(table, output=buffer, format="binary")
                    rows[table] = buffer.getvalue()
            sequences = []
            for row in await connection.fetch(
                "SELECT quote_ident(sequencename) AS name FROM pg_sequences "
                "WHERE schemaname = current_schema()"
            ):
                state = await connection.fetchrow(
                    f"SELECT last_value, is_called FROM {row['name']}"
                )
                sequences.append((row["name"], state["last_value"], state["is_called"]))
            return _Snapshot(tables=tables, rows=rows, sequences=sequences)
        finally:
            await connection.close()

    async def _reset(self, database: str) -> None:
        snapshot = self._snapshot
        assert snapshot is not None
        # A connection a test left open would hold locks (and its transaction) over.
        await self._admin(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            f"WHERE datname = '{database}' AND pid <> pg_backend_pid()"
        )
        connection = await self._connect(database)
        try:
            current = {
                row["name"]
                for row in await connection.fetch(
                    "SELECT quote_ident(tablename) AS name FROM pg_tables "
                    "WHERE schemaname = current_schema()"
                )
            }
            if current != set(snapshot.tables):
                raise SchemaChanged(f"tables changed: {sorted(current)}")
            async with connection.transaction():
                # Never wait long on a lock: the fallback below copies the template again.
                await connection.execute("SET LOCAL lock_timeout = '10s'")
                # Foreign keys are not checked while emptying (every table is emptied).
                await connection.execute("SET LOCAL session_replication_role = replica")
                for table in snapshot.tables:
                    await connection.execute(f"DELETE FROM {table}")
                for table, data in snapshot.rows.items():
                    await connection.copy_to_table(table, source=io.BytesIO(data), format="binary")
                for name, last_value, is_called in snapshot.sequences:
                    await connection.execute(
                        "SELECT setval($1::regclass, $2, $3)", name, last_value, is_called
                    )
        finally:
            await connection.close()

    def drop_all(self) -> None:
        async def drop() -> None:
            for name in reversed(self._created):
                await self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

        asyncio.run(drop())
        self._created.clear()
        self._template = self._working = None
