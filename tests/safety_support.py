"""Helpers for the safety tests: a bot with particular settings, snapshots of the database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event, select

from bot.app import BotApplication, build_application, running
from bot.db import migrate
from bot.db.base import Base
from bot.db.session import create_engine
from bot.offline.fake_bot_api import FakeBotApi
from tests.conftest import make_settings


@asynccontextmanager
async def bot_with(
    fake_api: FakeBotApi, database_url: str, **overrides: object
) -> AsyncIterator[BotApplication]:
    """The real application on a migrated database, with some settings changed."""
    settings = make_settings(fake_api, database_url, **overrides)
    engine = create_engine(settings.database_url)
    try:
        await migrate.upgrade(engine)
    finally:
        await engine.dispose()
    application = build_application(settings)
    async with running(application, poll_timeout=1):
        yield application


class Writes:
    """Counts the statements that can change rows (anything but SELECT) run through the
    bot's engine, so that a sweep re-reads the database only when a write happened since
    its last read began: with no write in between, no row can differ. (Most refused
    attempts write nothing; reading every table after each of them was most of a sweep's
    time.)"""

    def __init__(self, bot: BotApplication) -> None:
        self._engine = bot.bot_data["services"].engine.sync_engine
        self._count = 0
        self._seen: int | None = None
        event.listen(self._engine, "before_cursor_execute", self._on_execute)

    def _on_execute(self, _conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if statement.lstrip()[:6].upper() != "SELECT" and not any(
            table in statement for table in OPERATIONAL_TABLES
        ):
            self._count += 1

    def since_last_read(self) -> bool:
        """True when a row may have changed since the last call that returned True (or
        ever, the first time); the caller then reads the rows."""
        if self._seen == self._count:
            return False
        self._seen = self._count  # counted before reading: a write during it is seen next time
        return True

    def close(self) -> None:
        event.remove(self._engine, "before_cursor_execute", self._on_execute)


# Bookkeeping that any update may touch without it being "someone's data".
VOLATILE_COLUMNS = {"updated_at"}
# The instances' heartbeats (the shared send limit, PostgreSQL): written every few
# seconds whatever anyone does, and nobody's data.
OPERATIONAL_TABLES = {"instance_heartbeats"}


async def snapshot(bot: BotApplication, *, skip_tables: tuple[str, ...] = ()) -> dict[str, Any]:
    """Every row of every table, as comparable plain values (decrypted, as the ORM reads)."""
    tables: dict[str, Any] = {}
    async with bot.bot_data["services"].sessions() as session:
        for table in Base.metadata.sorted_tables:
            if table.name in skip_tables or table.name in OPERATIONAL_TABLES:
                continue
            columns = [c for c in table.columns if c.name not in VOLATILE_COLUMNS]
            rows = (await session.execute(select(*columns))).all()
            tables[table.name] = sorted(tuple(map(repr, row)) for row in rows)
    return tables
