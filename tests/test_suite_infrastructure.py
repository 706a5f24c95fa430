"""The suite's own shortcuts keep their promises: a ``migrated`` database is exactly what a
fresh migration gives, whoever used it before, and cached content follows the files."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import asyncpg
from sqlalchemy import func, select, text

from bot.db import migrate
from bot.db.models import Role, User
from bot.db.session import create_engine, create_session_factory
from bot.measures.catalog import check_measures
from bot.settings import PROJECT_ROOT
from tests.caching import cached
from tests.databases import PostgresTemplate, SqliteTemplate


async def _write_a_user(url: str, telegram_id: int) -> int:
    engine = create_engine(url)
    try:
        async with create_session_factory(engine)() as session, session.begin():
            user = User(telegram_id=telegram_id, role=Role.CLIENT)
            session.add(user)
            await session.flush()
            return user.id
    finally:
        await engine.dispose()


async def _state(url: str) -> tuple[bool, int]:
    engine = create_engine(url)
    try:
        at_head = (await migrate.schema_state(engine)).up_to_date
        async with create_session_factory(engine)() as session:
            users = await session.scalar(select(func.count()).select_from(User))
        return at_head, users
    finally:
        await engine.dispose()


def _hold_a_lock(url: str, locked: threading.Event, done: threading.Event) -> None:
    async def hold() -> None:
        connection = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
        try:
            await connection.execute("BEGIN; LOCK TABLE users IN ACCESS EXCLUSIVE MODE")
            locked.set()
            await asyncio.to_thread(done.wait, 30)
        finally:
            connection.terminate()

    asyncio.run(hold())


def test_each_sqlite_copy_is_fresh_and_at_head(tmp_path: Path):
    template = SqliteTemplate(tmp_path / "template")
    template.directory.mkdir()
    first = template.copy_to(tmp_path / "one.db")
    assert asyncio.run(_write_a_user(first, 1)) == 1
    second = template.copy_to(tmp_path / "two.db")
    assert asyncio.run(_state(second)) == (True, 0)
    assert asyncio.run(_write_a_user(second, 2)) == 1  # ids start again


def test_the_postgres_working_copy_is_reset_between_tests(postgres_server):
    databases = PostgresTemplate(postgres_server)
    try:
        url = databases.migrated_url()
        assert asyncio.run(_state(url)) == (True, 0)
        assert asyncio.run(_write_a_user(url, 1)) == 1

        # A test that left a connection open in a transaction holding a lock: the reset
        # ends that session instead of waiting for it.
        locked, done = threading.Event(), threading.Event()
        holder = threading.Thread(target=_hold_a_lock, args=(url, locked, done))
        holder.start()
        assert locked.wait(10)
        try:
            again = databases.migrated_url()
        finally:
            done.set()
            holder.join(10)
        assert again == url
        assert asyncio.run(_state(again)) == (True, 0)
        assert asyncio.run(_write_a_user(again, 2)) == 1  # the id sequence starts again

        async def add_a_table() -> None:
            engine = create_engine(again)
            try:
                async with engine.begin() as connection:
                    await connection.execute(text("CREATE TABLE stray (id integer)"))
            finally:
                await engine.dispose()

        asyncio.run(add_a_table())
        fresh = databases.migrated_url()  # a changed schema: copied from the template again

        async def tables() -> set[str]:
            connection = await asyncpg.connect(fresh.replace("postgresql+asyncpg", "postgresql"))
            try:
                rows = await connection.fetch(
                    "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
                )
                return {row["tablename"] for row in rows}
            finally:
                await connection.close()

        assert "stray" not in asyncio.run(tables())
        assert asyncio.run(_state(fresh)) == (True, 0)
    finally:
        databases.drop_all()


def test_cached_content_is_a_copy_and_follows_the_files(tmp_path: Path):
    source = PROJECT_ROOT / "content" / "measures" / "wellbeing.yaml"
    (tmp_path / "wellbeing.yaml").write_text(source.read_text(encoding="utf-8"))
    load = cached(check_measures, lambda result: (dict(result[0]), list(result[1])))

    first, _ = load(tmp_path)
    first["added-by-a-test"] = first["wellbeing"]
    second, _ = load(tmp_path)
    assert set(second) == {"wellbeing"}  # one test's change does not reach the next

    (tmp_path / "wellbeing.yaml").write_text("not: [valid", encoding="utf-8")
    third, problems = load(tmp_path)
    assert third == {}
    assert problems
