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


async def test_0013_puts_every_practitioner_into_one_default_practice_and_back(database_url: str):
    from sqlalchemy import text

    engine = create_engine(database_url)
    try:
        await migrate.upgrade(engine, "0012")
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO users (id, telegram_id, role, status) VALUES "
                    "(1, 101, 'practitioner', 'active'), (2, 102, 'practitioner', 'active')"
                )
            )
            await connection.execute(
                text(
                    "INSERT INTO practitioners (user_id, display_name) "
                    "VALUES (1, 'Dr. One'), (2, 'Dr. Two')"
                )
            )
        await migrate.upgrade(engine)
        async with engine.begin() as connection:
            practices = (await connection.execute(text("SELECT id, name FROM practices"))).all()
            assert [name for _id, name in practices] == ["Default"]
            linked = (
                await connection.execute(
                    text("SELECT user_id, practice_id FROM practitioners ORDER BY user_id")
                )
            ).all()
            assert linked == [(1, practices[0][0]), (2, practices[0][0])]
            # The new kind of invite is allowed by the CHECK constraint now.
            await connection.execute(
                text(
                    "INSERT INTO invites (kind, token_hash, expires_at, client_id) "
                    "VALUES ('team', 'abc', CURRENT_TIMESTAMP, 1)"
                )
            )
        await migrate.downgrade(engine, "0012")
        async with engine.connect() as connection:
            tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
            columns = await connection.run_sync(
                lambda c: {col["name"] for col in inspect(c).get_columns("practitioners")}
            )
            left = (await connection.execute(text("SELECT COUNT(*) FROM invites"))).scalar()
        assert "practices" not in tables and "practice_id" not in columns
        assert left == 0  # team invites cannot exist below 0013
    finally:
        await engine.dispose()
