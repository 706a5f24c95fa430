"""A throwaway PostgreSQL database per test, on the local server.

``TEST_POSTGRES_URL`` names the server (default: the local one with trust auth).
Where no server answers, PostgreSQL tests skip and say why; with
``BETWEEN_REQUIRE_POSTGRES=1`` (set by ``.ci/run``) they fail instead.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import uuid
from dataclasses import dataclass

import asyncpg
import pytest

DEFAULT_SERVER_URL = "postgresql://postgres@127.0.0.1:5432/test"
_RUN_ID = uuid.uuid4().hex[:8]
_counter = itertools.count()


def run_id() -> str:
    """This test run's mark in database names (with the process id: unique per xdist worker)."""
    return _RUN_ID


@dataclass(frozen=True)
class PostgresServer:
    url: str  # plain libpq URL of the maintenance database

    def url_for(self, database: str, driver: str = "postgresql+asyncpg") -> str:
        base, _, _ = self.url.rpartition("/")
        return f"{driver}{base.removeprefix('postgresql')}/{database}"

    async def _execute(self, statement: str) -> None:
        connection = await asyncpg.connect(self.url, timeout=5)
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    def create_database(self) -> str:
        name = f"between_test_{_RUN_ID}_{os.getpid()}_{next(_counter)}"
        asyncio.run(self._execute(f'CREATE DATABASE "{name}"'))
        return name

    def drop_database(self, name: str) -> None:
        asyncio.run(self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def server_or_skip() -> PostgresServer:
    url = os.environ.get("TEST_POSTGRES_URL", DEFAULT_SERVER_URL)
    server = PostgresServer(url)
    try:
        asyncio.run(server._execute("SELECT 1"))
    except (OSError, asyncpg.PostgresError, TimeoutError) as error:
        reason = (
            f"PostgreSQL is not reachable at {url} ({type(error).__name__}: {error}); "
            "set TEST_POSTGRES_URL to run these tests"
        )
        if os.environ.get("BETWEEN_REQUIRE_POSTGRES") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    return server
