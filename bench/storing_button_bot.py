"""A minimal *storing* python-telegram-bot bot: what a competent developer writes first
for a check-in button. ``/checkin`` sends a question with eleven buttons; on a press it
looks the user up and inserts one rating row with SQLAlchemy's async ORM, in one
transaction, then answers the press and edits the message. No middleware, no state
machine, no idempotency: the yardstick Between's answers are measured against in
``python -m bench.checkins`` (the issue's target is 0.8 of its rate).

Its own two tables (``peer_users``, ``peer_ratings``) in the database it is given; the
SQLite engine gets the same WAL and busy-timeout pragmas as Between's (without them
concurrent writers fail with "database is locked"), PostgreSQL the driver's defaults.

Usage: python -m bench.storing_button_bot <api url> <token> <concurrent updates> <database url>
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, Integer, event, select
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ContextTypes

from bench.bare_application import run
from bench.bare_button_bot import ask
from bot.db.session import _sqlite_pragmas


class Base(DeclarativeBase):
    pass


class PeerUser(Base):
    __tablename__ = "peer_users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True)


class PeerRating(Base):
    __tablename__ = "peer_ratings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("peer_users.id"), index=True)
    value: Mapped[int] = mapped_column(Integer)
    answered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def engine_for(database_url: str) -> AsyncEngine:
    if database_url.startswith("sqlite"):
        engine = create_async_engine(database_url, connect_args={"timeout": 30})
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(database_url)


async def prepare(database_url: str, telegram_ids: list[int]) -> None:
    """The peer's tables and its users (run by the bench before the bot starts)."""
    engine = engine_for(database_url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(Base.metadata.create_all)
        async with async_sessionmaker(engine)() as session, session.begin():
            session.add_all(PeerUser(telegram_id=telegram_id) for telegram_id in telegram_ids)
    finally:
        await engine.dispose()


def main() -> None:
    sessions = async_sessionmaker(engine_for(sys.argv[4]), expire_on_commit=False)

    async def answer(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        async with sessions() as session, session.begin():
            user = await session.scalar(
                select(PeerUser).where(PeerUser.telegram_id == update.effective_user.id)
            )
            if user is None:
                return
            session.add(
                PeerRating(
                    user_id=user.id, value=int(query.data[2:]), answered_at=datetime.now(UTC)
                )
            )
        await query.answer()
        await query.edit_message_text(f"Noted: {query.data[2:]}. Anything else?")

    run(CommandHandler("checkin", ask), CallbackQueryHandler(answer))


if __name__ == "__main__":
    main()
