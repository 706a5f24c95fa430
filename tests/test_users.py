"""Who sent an update: the middleware's record of the sender, read without a session.

``read_sender`` must give what a session's lookup gives once the session is closed:
every column, the identity, no pending change — so a handler can still put it into its
own session and change it there. On SQLite and PostgreSQL (the ``migrated`` fixture).
"""

from __future__ import annotations

from datetime import UTC, datetime, time

from sqlalchemy import inspect

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
