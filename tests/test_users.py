"""Who sent an update: the middleware's record of the sender, read without a session.

``read_sender`` must give what a session's lookup gives once the session is closed:
every column, the identity, no pending change — so a handler can still put it into its
own session and change it there. On SQLite and PostgreSQL (the ``migrated`` fixture).
"""

from __future__ import annotations

from datetime import UTC, datetime, time

from sqlalchemy import inspect, text

from bot.db.models import Role, User, UserStatus
from bot.db.session import create_engine, create_session_factory, reader
from bot.settings import Settings
from bot.users import find_by_telegram_id, read_sender


async def test_the_sender_read_without_a_session_is_the_record_a_session_reads(
    migrated: Settings,
):
    engine = create_engine(migrated.database_url)
    sessions = create_session_factory(engine)
    try:
        async with sessions() as session, session.begin():
            session.add(
                User(
                    telegram_id=9_100_200_300,
                    role=Role.CLIENT,
                    status=UserStatus.ONBOARDING,
                    locale="de",
                    timezone="Europe/Vienna",
                    checkin_time=time(20, 30),
                    quiet_start=time(22, 0),
                    quiet_end=time(7, 0),
                    paused_until=datetime(2026, 12, 24, 8, 0, tzinfo=UTC),
                )
            )
        async with sessions() as session:
            loaded = await find_by_telegram_id(session, 9_100_200_300)
        async with reader(engine).connect() as connection:
            sender = await read_sender(connection, 9_100_200_300)
            nobody = await read_sender(connection, 9_100_200_301)

        assert nobody is None
        assert sender is not None and loaded is not None
        for prop in inspect(User).column_attrs:
            assert getattr(sender, prop.key) == getattr(loaded, prop.key), prop.key
        state = inspect(sender)
        assert state.detached and state.identity == (loaded.id,)

        # A handler may still change it in its own session: nothing else is written,
        # and the change is.
        async with sessions() as session, session.begin():
            session.add(sender)
            assert not session.dirty and not session.new
            sender.locale = "es"
        async with sessions() as session:
            again = await find_by_telegram_id(session, 9_100_200_300)
        assert again is not None
        assert (again.locale, again.status, again.timezone) == (
            "es",
            UserStatus.ONBOARDING,
            "Europe/Vienna",
        )
    finally:
        await engine.dispose()


async def test_a_connection_the_server_dropped_costs_no_lookup(migrated: Settings):
    # On PostgreSQL the sender is read with asyncpg itself: a pooled connection whose
    # server process is gone (a restart, a proxy's timeout) is replaced and the read
    # asked again, not failed. (On SQLite there is no server to lose.)
    if not migrated.database_url.startswith("postgresql"):
        return
    engine = create_engine(migrated.database_url, pool_size=1, max_overflow=0)
    try:
        sessions = create_session_factory(engine)
        async with sessions() as session, session.begin():
            session.add(User(telegram_id=9_100_200_400, role=Role.CLIENT, locale="es"))
        async with reader(engine).connect() as connection:
            backend = await connection.scalar(text("SELECT pg_backend_pid()"))
        other = create_engine(migrated.database_url)
        try:
            async with other.connect() as killer:
                await killer.execute(text("SELECT pg_terminate_backend(:p)"), {"p": backend})
        finally:
            await other.dispose()
        async with reader(engine).connect() as connection:  # the pool's only connection
            sender = await read_sender(connection, 9_100_200_400)
            replaced = await connection.scalar(text("SELECT pg_backend_pid()"))
        assert sender is not None and (sender.role, sender.locale) == (Role.CLIENT, "es")
        assert replaced != backend
    finally:
        await engine.dispose()
