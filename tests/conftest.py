"""Shared fixtures: databases (SQLite and PostgreSQL), the fake Bot API, a running bot.

- ``database_url``: a database on each backend in turn (the test runs twice). Empty,
  unless the test also asks for ``migrated`` (directly, or through ``bot`` or
  ``migrated_sessions``): then it is already at head, copied from this process's
  migrated template (``tests/databases.py``).
- ``settings``: the bot's settings on the fake Bot API and that database.
- ``migrated``: those settings, their database at head and holding only what the
  migrations put there (no migration runs per test; see ``tests/databases.py``).
- ``migrated_sessions``: a session factory on that database.
- ``bot``: the real application, long-polling the fake Bot API, on ``migrated``.
- ``sqlite_template`` / ``postgres_template`` (session): the migrated templates
  behind ``migrated``; tests rarely need them directly.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from bot.app import BotApplication, build_application, running
from bot.crypto import generate_key
from bot.db.session import create_engine, create_session_factory
from bot.enrollment import timezones
from bot.settings import Settings, load_settings
from tests import caching
from tests.databases import PostgresTemplate, SqliteTemplate, migrate_url
from tests.postgres import server_or_skip

# One key for the run: tests never create a development key file in the checkout.
TEST_ENCRYPTION_KEY = generate_key()

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    from bot.offline.fake_bot_api import FakeBotApi


@pytest.fixture(scope="session", autouse=True)
def _content_read_once() -> Iterator[None]:
    """Lessons, measures, catalogs and crisis lexicons are read once per test process and
    file state, not once per bot built (``tests/caching.py``)."""
    with pytest.MonkeyPatch.context() as patch:
        caching.install(patch)
        # The city index (typed time zones) is built once per process, in the background
        # when a bot starts; built here first, so the first test that types a city does
        # not race that build on a busy machine.
        timezones.city_index()
        yield


@pytest.fixture(scope="session")
def postgres_server():
    return server_or_skip()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> SqliteTemplate:
    """A SQLite file migrated once per test process; ``migrated`` tests get copies."""
    return SqliteTemplate(tmp_path_factory.mktemp("sqlite-template"))


@pytest.fixture(scope="session")
def postgres_template(postgres_server) -> Iterator[PostgresTemplate]:
    """A migrated PostgreSQL template and working copy per test process (dropped at the end)."""
    template = PostgresTemplate(postgres_server)
    try:
        yield template
    finally:
        template.drop_all()


# A test that runs in every language and on both databases does not need all six pairs:
# what differs by language (the catalogs, the content) does not depend on the database,
# and what differs by database does not depend on the language. Each such test runs in
# English on both, in German on SQLite and in Spanish on PostgreSQL: every language and
# every database, in four runs instead of six (about a minute of CI's wall clock).
_LANGUAGE_PARAMETERS = ("language", "locale")
_LANGUAGE_ON_ONE_DATABASE = {"de": "sqlite", "es": "postgresql"}


def _redundant_pair(item: pytest.Item) -> bool:
    callspec = getattr(item, "callspec", None)
    if callspec is None or "database_url" not in callspec.params:
        return False
    database = callspec.params["database_url"]
    for name in _LANGUAGE_PARAMETERS:
        language = callspec.params.get(name)
        if language in _LANGUAGE_ON_ONE_DATABASE:
            return _LANGUAGE_ON_ONE_DATABASE[language] != database
    return False


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    redundant = [item for item in items if _redundant_pair(item)]
    if redundant:
        config.hook.pytest_deselected(items=redundant)
        items[:] = [item for item in items if not _redundant_pair(item)]


# The URLs handed out already migrated: ``migrated`` runs the migrations on any other.
_MIGRATED_URLS: set[str] = set()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database on each backend in turn: empty, or at head if the test uses ``migrated``."""
    wants_migrated = "migrated" in request.fixturenames
    if request.param == "sqlite":
        path = tmp_path / "between.db"
        if wants_migrated:
            url = request.getfixturevalue("sqlite_template").copy_to(path)
            _MIGRATED_URLS.add(url)
            yield url
        else:
            yield f"sqlite+aiosqlite:///{path}"
        return
    if wants_migrated:
        url = request.getfixturevalue("postgres_template").migrated_url()
        _MIGRATED_URLS.add(url)
        yield url
        return
    server = request.getfixturevalue("postgres_server")
    name = server.create_database()
    try:
        yield server.url_for(name)
    finally:
        server.drop_database(name)


@pytest.fixture
def postgres_url(postgres_server) -> Iterator[str]:
    """A fresh, empty PostgreSQL database of its own, for tests that start several
    ``python -m bot`` processes on one database (SQLite supports a single instance)."""
    name = postgres_server.create_database()
    try:
        yield postgres_server.url_for(name)
    finally:
        postgres_server.drop_database(name)


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
        # Telegram's one message a second to a chat made every second message of a flow
        # wait a second; the delivery tests that are about that limit set their own.
        "per_chat_rate_per_second": 30,
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
    """The settings, their database at head. ``database_url`` already gave a migrated copy;
    a test that brings its own database (its own ``settings``) gets it migrated here."""
    if settings.database_url not in _MIGRATED_URLS:
        await migrate_url(settings.database_url)
    return settings


@pytest.fixture
async def migrated_sessions(migrated: Settings) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions on the ``migrated`` database, for tests that write or read rows directly:
    one engine per test, disposed afterwards, instead of each test making its own."""
    engine = create_engine(migrated.database_url)
    try:
        yield create_session_factory(engine)
    finally:
        await engine.dispose()


@pytest.fixture
def migrated_url(migrated: Settings) -> str:
    """A database at head, for a test that builds its own bot with other settings
    (``tests/safety_support.bot_with``): a copy of the template, not a migration per test."""
    return migrated.database_url


@pytest.fixture
async def bot(migrated: Settings) -> AsyncIterator[BotApplication]:
    """The real application, long-polling the fake Bot API on a migrated database."""
    application = build_application(migrated)
    async with running(application, poll_timeout=1):
        yield application
