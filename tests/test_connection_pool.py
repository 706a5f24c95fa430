"""Connections in the pool. PostgreSQL: a connection the server dropped while it sat idle
(a database restart in a quiet hour) is replaced before any update uses it, and a
connection in use a moment ago is handed out without a ping (none on the busy path).
Both databases: the pool holds a connection for every update handled at once."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import text

from bot.db import session as db_session
from bot.db.session import create_engine


async def _backend_pid(engine: Any) -> int:
    async with engine.connect() as connection:
        return int(await connection.scalar(text("SELECT pg_backend_pid()")))


def _count_pings(engine: Any, monkeypatch: pytest.MonkeyPatch) -> list[None]:
    pings: list[None] = []
    dialect = engine.sync_engine.dialect
    ping = dialect.do_ping

    def counted(dbapi_connection: Any) -> bool:
        pings.append(None)
        return bool(ping(dbapi_connection))

    monkeypatch.setattr(dialect, "do_ping", counted)
    return pings


async def test_a_connection_dropped_while_idle_is_replaced_before_use(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db_session, "IDLE_BEFORE_PING_SECONDS", 0.2)
    engine = create_engine(postgres_url)
    admin = create_engine(postgres_url)
    pings = _count_pings(engine, monkeypatch)
    try:
        first = await _backend_pid(engine)
        async with admin.connect() as connection:
            # What a restart does to every connection the bot holds.
            await connection.execute(text(f"SELECT pg_terminate_backend({first})"))
        await asyncio.sleep(0.3)
        # No error: the dead connection was pinged, dropped and replaced.
        assert await _backend_pid(engine) != first
        assert len(pings) == 1
    finally:
        await engine.dispose()
        await admin.dispose()


async def test_a_connection_in_use_a_moment_ago_is_not_pinged(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db_session, "IDLE_BEFORE_PING_SECONDS", 60.0)
    engine = create_engine(postgres_url)
    pings = _count_pings(engine, monkeypatch)
    try:
        pids = {await _backend_pid(engine) for _ in range(5)}
        assert len(pids) == 1  # the same pooled connection each time
        assert pings == []
    finally:
        await engine.dispose()


async def test_the_pool_keeps_a_connection_for_each_update_handled_at_once(
    migrated: Any,
) -> None:
    """CONCURRENT_UPDATES updates, each with its session at the same moment, twice: the
    second round opens no connection (beyond the pool's size each would be opened and
    closed again per use)."""
    from sqlalchemy import event

    from bot.app import build_services

    services = build_services(migrated)
    opened: list[None] = []
    event.listen(services.engine.sync_engine, "connect", lambda *_: opened.append(None))
    at_once = migrated.concurrent_updates

    async def one_update(ready: asyncio.Barrier) -> None:
        async with services.sessions() as session:
            await session.execute(text("SELECT 1"))
            await ready.wait()  # every session holds its connection at the same moment

    try:
        for _round in range(2):
            barrier = asyncio.Barrier(at_once)
            await asyncio.gather(*(one_update(barrier) for _ in range(at_once)))
            if _round == 0:
                assert len(opened) == at_once
        assert len(opened) == at_once  # the second round reused them all
    finally:
        await services.engine.dispose()
