"""The schema is built by migrations alone, and the migrations match the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from bot.db import migrate
from bot.db.base import Base
from bot.db.session import create_engine


async def test_upgrade_from_empty_to_head_then_models_and_migrations_agree(database_url: str):
    engine = create_engine(database_url)
    try:
        before = await migrate.schema_state(engine)
        assert before.empty and not before.up_to_date

        await migrate.upgrade(engine)

        after = await migrate.schema_state(engine)
        assert after.up_to_date
        async with engine.connect() as connection:
            tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
            differences = await connection.run_sync(
                lambda c: compare_metadata(MigrationContext.configure(c), Base.metadata)
            )
        assert set(Base.metadata.tables) <= tables
        assert differences == []
    finally:
        await engine.dispose()


async def test_downgrade_to_base_and_upgrade_again(database_url: str):
    engine = create_engine(database_url)
    try:
        await migrate.upgrade(engine)
        await migrate.downgrade(engine, "base")
        async with engine.connect() as connection:
            tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
        assert not set(Base.metadata.tables) & tables
        await migrate.upgrade(engine)
        assert (await migrate.schema_state(engine)).up_to_date
    finally:
        await engine.dispose()


async def test_upgrade_twice_changes_nothing(database_url: str):
    engine = create_engine(database_url)
    try:
        await migrate.upgrade(engine)
        first = await migrate.schema_state(engine)
        await migrate.upgrade(engine)
        assert await migrate.schema_state(engine) == first
    finally:
        await engine.dispose()
