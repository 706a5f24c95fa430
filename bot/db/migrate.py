"""Running Alembic from inside the bot, on the bot's own async engine."""

from __future__ import annotations

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
