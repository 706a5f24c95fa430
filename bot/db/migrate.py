"""Running Alembic from inside the bot, on the bot's own async engine."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

SCRIPT_LOCATION = str(Path(__file__).resolve().parent.parent / "migrations")


def alembic_config(database_url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    if database_url:
        config.set_main_option("sqlalchemy.url", database_url)
    return config


@dataclass(frozen=True)
class SchemaState:
    current: frozenset[str]
    head: frozenset[str]

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head

    @property
    def empty(self) -> bool:
        return not self.current


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` in one transaction."""
    config = alembic_config()

    def _upgrade(connection: Connection) -> None:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    async with engine.begin() as connection:
        await connection.run_sync(_upgrade)


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    config = alembic_config()

    def _downgrade(connection: Connection) -> None:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)

    async with engine.begin() as connection:
        await connection.run_sync(_downgrade)


async def schema_state(engine: AsyncEngine) -> SchemaState:
    """Which revisions the database is at, and which the code expects."""
    head = frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())

    def _current(connection: Connection) -> frozenset[str]:
        return frozenset(MigrationContext.configure(connection).get_current_heads())

    async with engine.connect() as connection:
        current = await connection.run_sync(_current)
    return SchemaState(current=current, head=head)


async def autogenerate(message: str, rev_id: str | None = None) -> str:
    """Write a migration for what the models have and the migrations lack (developers' tool)."""
    from bot.db.session import create_engine

    config = alembic_config()
    script = ScriptDirectory.from_config(config)
    if rev_id is None:
        numbers = [int(r.revision) for r in script.walk_revisions() if r.revision.isdigit()]
        rev_id = f"{max(numbers, default=0) + 1:04d}"
    with tempfile.TemporaryDirectory() as scratch:
        engine = create_engine(f"sqlite+aiosqlite:///{scratch}/scratch.db")
        try:
            await upgrade(engine)
            written: list[str] = []

            def _revision(connection: Connection) -> None:
                config.attributes["connection"] = connection
                result = command.revision(config, message=message, autogenerate=True, rev_id=rev_id)
                scripts = result if isinstance(result, list) else [result]
                written.extend(s.path for s in scripts if s is not None)

            async with engine.begin() as connection:
                await connection.run_sync(_revision)
        finally:
            await engine.dispose()
    return ", ".join(written)
