"""SQLite's driver adapter (bot/db/sqlite_driver.py): every statement takes one hand-off
to aiosqlite's thread, and SQLAlchemy still gets what a DB-API cursor gives — rows,
row counts, the last row id, many rows at once, errors as the DB-API's own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from bot.db.session import create_engine

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
