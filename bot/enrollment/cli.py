"""The operator's way in: a practitioner invite made from the command line."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.db.base import utcnow
from bot.db.models import InviteKind
from bot.db.session import create_engine, create_session_factory
from bot.enrollment import invites, tokens
from bot.settings import Settings


async def create_practitioner_invite(
    settings: Settings, username: str, name: str | None
) -> tuple[str, str, datetime]:
    engine = create_engine(settings.database_url)
    try:
        async with create_session_factory(engine)() as session, session.begin():
            made = await invites.create(
                session,
                InviteKind.PRACTITIONER,
                now=utcnow(),
                valid_for=timedelta(days=settings.invite_valid_days),
                display_name=(name or "").strip()[:64] or None,
            )
    finally:
        await engine.dispose()
    return tokens.deep_link(username, made.payload), made.payload, made.expires_at
