"""Shared fixtures: databases (SQLite and PostgreSQL), the fake Bot API, a running bot."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from bot.app import BotApplication, build_application, running
from bot.crypto import generate_key
from bot.db import migrate
from bot.db.session import create_engine
from bot.settings import Settings, load_settings
from tests.postgres import server_or_skip

# One key for the run: tests never create a development key file in the checkout.
TEST_ENCRYPTION_KEY = generate_key()

if TYPE_CHECKING:
    from bot.offline.fake_bot_api import FakeBotApi


@pytest.fixture(scope="session")
def postgres_server():
    return server_or_skip()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database, on each backend in turn."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'between.db'}"
        return
    server = request.getfixturevalue("postgres_server")
    name = server.create_database()
    try:
        yield server.url_for(name)
    finally:
        server.drop_database(name)


@pytest.fixture
def fake_api() -> Iterator[FakeBotApi]:
    from bot.offline.fake_bot_api import FakeBotApi

    with FakeBotApi() as fake:
        yield fake


def make_settings(fake: FakeBotApi, database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "bot_token": fake.token,
        "telegram_api_url": fake.url,
        "database_url": database_url,
        "polling_timeout": 1,
        "rate_limit_per_second": 1000,
        "encryption_keys": TEST_ENCRYPTION_KEY,
        "_env_file": None,  # a developer's .env must not change what the tests see
    }
    values.update(overrides)
    return load_settings(**values)


@pytest.fixture
def settings(fake_api: FakeBotApi, database_url: str) -> Settings:
    return make_settings(fake_api, database_url)


@pytest.fixture
async def migrated(settings: Settings) -> Settings:
    engine = create_engine(settings.database_url)
    try:
        await migrate.upgrade(engine)
    finally:
        await engine.dispose()
    return settings


@pytest.fixture
async def bot(migrated: Settings) -> AsyncIterator[BotApplication]:
    """The real application, long-polling the fake Bot API on a migrated database."""
    application = build_application(migrated)
    async with running(application, poll_timeout=1):
        yield application
