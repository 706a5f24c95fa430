"""SQLite's driver adapter (bot/db/sqlite_driver.py): every statement takes one hand-off
to aiosqlite's thread, and SQLAlchemy still gets what a DB-API cursor gives — rows,
row counts, the last row id, many rows at once, errors as the DB-API's own."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    event,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import create_async_engine

from bot.db.session import create_engine
from bot.db.sqlite_driver import one_hop_dbapi, writes

metadata = MetaData()
notes = Table(
    "notes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("word", String, unique=True, nullable=False),
)


@pytest.fixture
async def engine(tmp_path: Path) -> Any:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'driver.db'}")
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    yield engine
    await engine.dispose()


@pytest.fixture
def hand_offs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The name of every call queued on an aiosqlite connection's thread."""
    seen: list[str] = []
    queue = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(getattr(fn, "__name__", repr(fn)))
        return await queue(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    return seen


async def test_each_statement_is_one_hand_off(engine: Any, hand_offs: list[str]) -> None:
    async with engine.begin() as connection:
        hand_offs.clear()
        await connection.execute(insert(notes).values(word="calm"))
        rows = (await connection.execute(select(notes.c.word))).all()
        assert len(hand_offs) == 2, hand_offs  # was 3 (insert) + 4 (select)
    assert rows == [("calm",)]
    assert hand_offs[-1] == "commit"


async def test_a_cursor_reports_what_sqlalchemy_reads(engine: Any) -> None:
    async with engine.begin() as connection:
        first = await connection.execute(insert(notes).values(word="walk"))
        assert first.inserted_primary_key == (1,)  # lastrowid
        await connection.execute(insert(notes), [{"word": "tea"}, {"word": "sleep"}])  # many
        changed = await connection.execute(
            update(notes).where(notes.c.word != "walk").values(word=notes.c.word + "!")
        )
        assert changed.rowcount == 2
        result = await connection.execute(select(notes.c.word).order_by(notes.c.id))
        assert result.fetchmany(2) == [("walk",), ("tea!",)]
        assert result.fetchall() == [("sleep!",)]
        returned = await connection.execute(
            text("UPDATE notes SET word = 'rest' WHERE id = 1 RETURNING id")
        )
        assert returned.scalar_one() == 1


async def test_errors_are_the_database_errors_and_the_transaction_rolls_back(
    engine: Any,
) -> None:
    async with engine.begin() as connection:
        await connection.execute(insert(notes).values(word="same"))
    with pytest.raises(IntegrityError):
        async with engine.begin() as connection:
            await connection.execute(insert(notes).values(word="other"))
            await connection.execute(insert(notes).values(word="same"))
    async with engine.connect() as connection:
        words = (await connection.execute(select(notes.c.word))).scalars().all()
    assert words == ["same"]  # "other" went with the failed transaction


async def test_streamed_results_still_work(engine: Any) -> None:
    async with engine.begin() as connection:
        await connection.execute(insert(notes), [{"word": f"w{n}"} for n in range(5)])
    async with engine.connect() as connection:
        streamed = await connection.stream(select(notes.c.word).order_by(notes.c.id))
        words = [row.word async for row in streamed]
    assert words == [f"w{n}" for n in range(5)]


# --- the write gate: in-process writers queue in the event loop, not in SQLite


def _engine_without_busy_wait(path: Path, gate_timeout: float = 5.0) -> Any:
    """An engine whose connections never wait in SQLite's busy handler (timeout 0): a
    second writer that reached SQLite while another holds the lock fails at once."""
    engine = create_async_engine(
        f"sqlite+aiosqlite:///{path}",
        module=one_hop_dbapi(gate_timeout),
        connect_args={"timeout": 0},
        pool_size=12,
        pool_reset_on_return=None,
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _wal(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    return engine


async def _create_notes(engine: Any) -> None:
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)


async def test_concurrent_writers_take_turns_instead_of_failing(tmp_path: Path) -> None:
    engine = _engine_without_busy_wait(tmp_path / "gate.db")
    try:
        await _create_notes(engine)

        async def two_writes(n: int) -> None:
            async with engine.begin() as connection:
                await connection.execute(insert(notes).values(word=f"a{n}"))
                await asyncio.sleep(0.01)  # the others try to write meanwhile
                await connection.execute(insert(notes).values(word=f"b{n}"))

        await asyncio.gather(*(two_writes(n) for n in range(10)))
        async with engine.connect() as connection:
            count = (await connection.execute(select(func.count()).select_from(notes))).scalar()
        assert count == 20  # without the gate: "database is locked" for all but one
    finally:
        await engine.dispose()


async def test_readers_do_not_wait_for_a_writer(tmp_path: Path) -> None:
    engine = _engine_without_busy_wait(tmp_path / "gate.db")
    try:
        await _create_notes(engine)
        async with engine.begin() as connection:
            await connection.execute(insert(notes).values(word="before"))
        writing, read_done = asyncio.Event(), asyncio.Event()

        async def writer() -> None:
            async with engine.begin() as connection:
                await connection.execute(insert(notes).values(word="pending"))
                writing.set()
                await asyncio.wait_for(read_done.wait(), 5)

        task = asyncio.create_task(writer())
        await writing.wait()
        async with engine.connect() as connection:  # while the writer holds the gate
            words = (await connection.execute(select(notes.c.word))).scalars().all()
        read_done.set()
        await task
        assert words == ["before"]  # read at once; the uncommitted row not seen
    finally:
        await engine.dispose()


async def test_a_writer_kept_waiting_past_the_timeout_gets_database_is_locked(
    tmp_path: Path,
) -> None:
    engine = _engine_without_busy_wait(tmp_path / "gate.db", gate_timeout=0.2)
    try:
        await _create_notes(engine)
        holding, release = asyncio.Event(), asyncio.Event()

        async def slow_writer() -> None:
            async with engine.begin() as connection:
                await connection.execute(insert(notes).values(word="slow"))
                holding.set()
                await asyncio.wait_for(release.wait(), 5)

        task = asyncio.create_task(slow_writer())
        await holding.wait()
        with pytest.raises(OperationalError, match="database is locked"):
            async with engine.begin() as connection:
                await connection.execute(insert(notes).values(word="late"))
        release.set()
        await task
        # The gate was given back by both transactions: the next writer goes through.
        async with engine.begin() as connection:
            await connection.execute(insert(notes).values(word="after"))
        async with engine.connect() as connection:
            words = (await connection.execute(select(notes.c.word))).scalars().all()
        assert sorted(words) == ["after", "slow"]
    finally:
        await engine.dispose()


async def test_a_write_that_ended_gives_the_gate_back(tmp_path: Path) -> None:
    engine = _engine_without_busy_wait(tmp_path / "gate.db", gate_timeout=0.5)
    try:
        await _create_notes(engine)
        async with engine.begin() as connection:
            await connection.execute(insert(notes).values(word="same"))
        # Each failing connection stays checked out, so the next write is another
        # connection's: it would wait for a gate still held, and time out.
        async with engine.connect() as failed:
            with pytest.raises(IntegrityError):
                async with failed.begin():
                    await failed.execute(insert(notes).values(word="same"))
            async with engine.begin() as other:
                await other.execute(insert(notes).values(word="after a rollback"))
        async with engine.connect() as failed:  # outside a transaction: autocommit DDL
            with pytest.raises(OperationalError, match="already exists"):
                await failed.execute(text("CREATE TABLE notes (id INTEGER)"))
            async with engine.begin() as other:
                await other.execute(insert(notes).values(word="after a failed DDL"))
        async with engine.connect() as done:  # a DDL that worked is committed at once
            await done.execute(text("CREATE TABLE extra (id INTEGER)"))
            async with engine.begin() as other:
                await other.execute(insert(notes).values(word="after a DDL"))
        async with engine.connect() as connection:
            words = (await connection.execute(select(notes.c.word))).scalars().all()
        assert sorted(words) == ["after a DDL", "after a failed DDL", "after a rollback", "same"]
    finally:
        await engine.dispose()


@pytest.mark.parametrize(
    ("statement", "takes_the_lock"),
    [
        ("INSERT INTO notes (word) VALUES (?)", True),
        ("  update notes SET word = ?", True),
        ("DELETE FROM notes", True),
        ("WITH x AS (SELECT 1) INSERT INTO notes (word) SELECT 'a' FROM x", True),
        ("CREATE TABLE t (id INTEGER)", True),
        ("SELECT notes.word FROM notes", False),
        ("WITH x AS (SELECT 1) SELECT * FROM x", False),
        ("PRAGMA journal_mode=WAL", False),
        ("SAVEPOINT sa_savepoint_1", False),
    ],
)
def test_which_statements_take_the_write_lock(statement: str, takes_the_lock: bool) -> None:
    assert writes(statement) is takes_the_lock
