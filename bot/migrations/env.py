"""Alembic environment.

The bot runs migrations itself (``python -m bot db upgrade``) and hands Alembic an
open connection through ``config.attributes["connection"]``; the async engine is
only built here when Alembic is driven from its own command line.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from bot.db import models  # noqa: F401  (registers every table on the metadata)
from bot.db.base import Base

config = context.config
target_metadata = Base.metadata


def _configure_and_run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_with_own_engine() -> None:
    from bot.db.session import create_engine
    from bot.settings import load_settings

    url = config.get_main_option("sqlalchemy.url") or load_settings().database_url
    engine = create_engine(url)
    async with engine.connect() as connection:
        await connection.run_sync(_configure_and_run)
        await connection.commit()
    await engine.dispose()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure_and_run(connection)
    else:
        asyncio.run(_run_with_own_engine())


if context.is_offline_mode():
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
