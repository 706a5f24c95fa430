"""Helpers for check-in tests: clients, goals and strategies made directly in the database
(the SMART conversation and the practitioner's commands are other features), past days."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot import users
from bot.app import BotApplication
from bot.db.models import (
    Checkin,
    CheckinSource,
    CheckinStatus,
    Goal,
    GoalRating,
    GoalStatus,
    Role,
    SafetyFlag,
    Strategy,
    StrategyFrequency,
    User,
    UserStatus,
)
from bot.offline.fake_bot_api import FakeUser, SentMessage
from bot.services import Services

ZONE = "Europe/Berlin"


def services_of(bot: BotApplication) -> Services:
    return bot.bot_data["services"]


async def make_client(
    bot: BotApplication,
    telegram_id: int,
    locale: str = "en",
    *,
    timezone: str = ZONE,
    checkin: time = time(20, 0),
    **fields: object,
) -> int:
    async with services_of(bot).sessions() as session, session.begin():
        user = User(
            telegram_id=telegram_id,
            role=Role.CLIENT,
            status=UserStatus.ACTIVE,
            locale=locale,
            timezone=timezone,
            checkin_time=checkin,
            **fields,
        )
        session.add(user)
        await session.flush()
        return user.id


async def add_goal(
    bot: BotApplication,
    user_id: int,
    title: str,
    *,
    low: str | None = "not at all",
    high: str | None = "completely",
    status: GoalStatus = GoalStatus.ACTIVE,
) -> int:
    async with services_of(bot).sessions() as session, session.begin():
        goal = Goal(user_id=user_id, title=title, anchor_low=low, anchor_high=high, status=status)
        session.add(goal)
        await session.flush()
        return goal.id


async def add_strategy(
    bot: BotApplication,
    goal_id: int,
    title: str,
    frequency: StrategyFrequency = StrategyFrequency.DAILY,
    *,
    weekdays: int | None = None,
    times_per_week: int | None = None,
) -> int:
    async with services_of(bot).sessions() as session, session.begin():
        strategy = Strategy(
            goal_id=goal_id,
            title=title,
            frequency=frequency,
            weekdays=weekdays,
            times_per_week=times_per_week,
        )
        session.add(strategy)
        await session.flush()
        return strategy.id


def today_in(zone: str = ZONE) -> date:
    return datetime.now(UTC).astimezone(ZoneInfo(zone)).date()


async def past_days(
    bot: BotApplication,
    user_id: int,
    statuses: dict[date, CheckinStatus],
    *,
    goal_id: int | None = None,
    value: int = 6,
) -> None:
    """Check-ins of past dates, resolved (and a rating on answered days, if a goal is given)."""
    async with services_of(bot).sessions() as session, session.begin():
        for day, status in statuses.items():
            at = datetime.combine(day, time(12), tzinfo=UTC)
            checkin = Checkin(
                user_id=user_id,
                local_date=day,
                source=CheckinSource.SCHEDULED,
                status=status,
                opened_at=at,
                closes_at=at + timedelta(hours=12),
                step="done",
            )
            session.add(checkin)
            await session.flush()
            if goal_id is not None and status is CheckinStatus.ANSWERED:
                session.add(
                    GoalRating(
                        checkin_id=checkin.id,
                        goal_id=goal_id,
                        user_id=user_id,
                        local_date=day,
                        goal_version=1,
                        value=value,
                    )
                )


async def checkin_of(bot: BotApplication, user_id: int, day: date) -> Checkin | None:
    async with services_of(bot).sessions() as session:
        return await session.scalar(
            select(Checkin).where(Checkin.user_id == user_id, Checkin.local_date == day)
        )


async def edited(client: FakeUser, message: SentMessage, times: int = 1) -> SentMessage:
    """The message once it has been edited ``times`` times."""
    for _ in range(500):
        current = next(m for m in client.messages() if m.message_id == message.message_id)
        if current.edited >= times:
            return current
        await asyncio.sleep(0.01)
    raise AssertionError(f"message {message.message_id} was not edited {times} time(s)")


async def answer_of(client: FakeUser, query_id: str) -> dict:
    for _ in range(500):
        answer = client.callback_answer(query_id)
        if answer is not None:
            return answer
        await asyncio.sleep(0.01)
    raise AssertionError("the callback query was not answered")


async def safety_flags(bot: BotApplication, count: int) -> list[SafetyFlag]:
    """The safety flags stored, once there are ``count`` (written after the reply)."""
    rows: list[SafetyFlag] = []
    for _ in range(100):
        async with services_of(bot).sessions() as session:
            rows = list(await session.scalars(select(SafetyFlag).order_by(SafetyFlag.id)))
        if len(rows) >= count:
            break
        await asyncio.sleep(0.05)
    return rows


@contextmanager
def statements_run(
    bot: BotApplication, by: Callable[[asyncio.Task[Any]], bool]
) -> Iterator[list[str]]:
    """SQL run while the block runs, by the asyncio tasks ``by`` accepts (the sender's
    lookup that ``bot.users`` asks of asyncpg directly, past SQLAlchemy, included)."""
    seen: list[str] = []
    engine = services_of(bot).engine.sync_engine

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        task = asyncio.current_task()
        if task is not None and by(task):
            seen.append(statement)

    fetch = users._fetch_with_asyncpg

    async def fetch_recorded(connection: AsyncConnection, telegram_id: int) -> Any:
        record(None, None, users._compiled_for(connection.dialect)[0])
        return await fetch(connection, telegram_id)

    event.listen(engine, "before_cursor_execute", record)
    users._fetch_with_asyncpg = fetch_recorded  # type: ignore[assignment]
    try:
        yield seen
    finally:
        users._fetch_with_asyncpg = fetch
        event.remove(engine, "before_cursor_execute", record)


def this_task() -> Callable[[asyncio.Task[Any]], bool]:
    """For :func:`statements_run`: the statements of the task running now only."""
    this = asyncio.current_task()
    return lambda task: task is this
