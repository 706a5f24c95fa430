"""Check-in prompts rendered as a batch: what the sender claims together is read together.

A prompt prefetched with its batch says exactly what it says rendered alone (same text,
same buttons), and a batch of prompts costs the same few statements for 4 clients or
for 12: never a query per client, neither to render them nor to mark them sent and
open their check-ins."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import event, select

from bot.app import SENDER_KEY, BotApplication
from bot.checkins import core
from bot.checkins import delivery as checkin_delivery
from bot.db.base import utcnow
from bot.db.models import (
    Checkin,
    CheckinSource,
    CheckinStatus,
    GoalStatus,
    OutboxMessage,
    OutboxStatus,
    StrategyAnswer,
    StrategyFrequency,
)
from bot.delivery import OutboxItem, RenderContext, enqueue_many
from bot.offline.fake_bot_api import FakeBotApi
from tests.checkin_helpers import add_goal, add_strategy, make_client, services_of, today_in
from tests.delivery_support import wait_until_settled

THURSDAY = date(2027, 3, 11)
WEDNESDAY = THURSDAY - timedelta(days=1)
MONDAY = THURSDAY - timedelta(days=3)


async def _day_with_answers(
    bot: BotApplication, user_id: int, day: date, answers: dict[int, bool], step: str = "done"
) -> None:
    """A check-in of ``day`` with these strategy answers (strategy id -> done); today's
    opened a minute ago (the running bot's sweep neither nudges nor closes it)."""
    at = datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=18)
    if day >= today_in():
        at = utcnow() - timedelta(minutes=1)
    async with services_of(bot).sessions() as session, session.begin():
        checkin = Checkin(
            user_id=user_id,
            local_date=day,
            source=CheckinSource.SCHEDULED,
            status=CheckinStatus.ANSWERED if answers else CheckinStatus.OPEN,
            opened_at=at,
            closes_at=at + timedelta(hours=12),
            step=step,
        )
        session.add(checkin)
        await session.flush()
        for strategy_id, done in answers.items():
            session.add(StrategyAnswer(checkin_id=checkin.id, strategy_id=strategy_id, done=done))


async def test_a_prefetched_prompt_renders_exactly_as_one_rendered_alone(bot: BotApplication):
    # Two goals; a daily strategy, one done twice a week (Monday and Wednesday: still due on
    # Wednesday, no longer on Thursday) and one on Thursdays only.
    weekly = await make_client(bot, 8001)
    sleep = await add_goal(bot, weekly, "Sleep & rest")
    walk = await add_goal(bot, weekly, "Walk", low=None)
    await add_strategy(bot, sleep, "Lights out by 11")
    twice = await add_strategy(
        bot, walk, "A long walk", StrategyFrequency.TIMES_PER_WEEK, times_per_week=2
    )
    await add_strategy(bot, walk, "Stairs", StrategyFrequency.WEEKDAYS, weekdays=1 << 3)
    await _day_with_answers(bot, weekly, MONDAY, {twice: True})
    await _day_with_answers(bot, weekly, WEDNESDAY, {twice: True})
    # Three times a week: done once this week (a "not done" does not count), twice last week.
    thrice_client = await make_client(bot, 8002, "de")
    goal = await add_goal(bot, thrice_client, "Ruhe")
    thrice = await add_strategy(
        bot, goal, "Yoga", StrategyFrequency.TIMES_PER_WEEK, times_per_week=3
    )
    await _day_with_answers(bot, thrice_client, MONDAY - timedelta(days=4), {thrice: True})
    await _day_with_answers(bot, thrice_client, MONDAY - timedelta(days=2), {thrice: True})
    await _day_with_answers(bot, thrice_client, MONDAY, {thrice: False})
    await _day_with_answers(bot, thrice_client, MONDAY + timedelta(days=1), {thrice: True})
    # Without active goals (a paused one): the gentle reminder.
    paused = await make_client(bot, 8003)
    await add_goal(bot, paused, "Paused", status=GoalStatus.PAUSED)
    # A check-in already open on Thursday, half answered: its open question.
    halfway = await make_client(bot, 8004)
    first = await add_goal(bot, halfway, "First")
    daily = await add_strategy(bot, first, "Daily step")
    await _day_with_answers(bot, halfway, THURSDAY, {}, step=f"strategy:{daily}")
    # One open on a question no longer planned: the note.
    moved = await make_client(bot, 8005, "es")
    await add_goal(bot, moved, "Mover")
    await _day_with_answers(bot, moved, THURSDAY, {}, step="goal:999999")

    services = services_of(bot)
    prompts = [
        (weekly, THURSDAY, "en"),
        (weekly, WEDNESDAY, "en"),
        (thrice_client, THURSDAY, "de"),
        (paused, THURSDAY, "en"),
        (halfway, THURSDAY, "en"),
        (moved, THURSDAY, "es"),
        (weekly, None, "en"),  # no date in the payload: the reminder
    ]
    async with services.sessions() as session:
        contexts = [
            RenderContext(
                outbox_id=n + 1,
                user_id=user_id,
                kind=checkin_delivery.KIND,
                payload={"schedule_id": 1, "local_date": day.isoformat()} if day else {},
                due_at=utcnow(),
                t=services.catalogs.translator(language),
                session=session,
            )
            for n, (user_id, day, language) in enumerate(prompts)
        ]
        alone = [await checkin_delivery.render(context) for context in contexts]
        batch = await checkin_delivery.prefetch(session, contexts)
        together = [
            await checkin_delivery.render(replace(context, prefetched=batch))
            for context in contexts
        ]
        # What each plan holds, read one at a time, to check the batch's against.
        plans = {
            (user_id, day): await core.plan(session, user_id, day)
            for user_id, day, _language in prompts
            if day is not None
        }

    assert together == alone  # the same text and buttons
    assert {day: plan.steps for day, plan in batch.plans.items()} == {
        day: plan.steps for day, plan in plans.items()
    }
    assert f"strategy:{twice}" in plans[(weekly, WEDNESDAY)].steps
    assert f"strategy:{twice}" not in plans[(weekly, THURSDAY)].steps
    assert f"strategy:{thrice}" in plans[(thrice_client, THURSDAY)].steps
    assert "Daily step" in alone[4].text and "Mover" not in alone[5].text
    # What each prompt hands the sent hook: the check-in's first step, none without goals.
    assert [r.hook_data.first_step for r in together] == [
        plans[(weekly, THURSDAY)].first,
        plans[(weekly, WEDNESDAY)].first,
        plans[(thrice_client, THURSDAY)].first,
        None,
        plans[(halfway, THURSDAY)].first,
        plans[(moved, THURSDAY)].first,
        None,
    ]


@dataclass
class _Seen:
    """SQL run by the sender's task (claims, renders) and by its recorder (outcomes)."""

    rendering: list[str] = field(default_factory=list)
    recording: list[str] = field(default_factory=list)
    recorder_commits: int = 0


@contextmanager
def _sender_statements(bot: BotApplication) -> Iterator[_Seen]:
    seen = _Seen()
    engine = services_of(bot).engine.sync_engine

    def task_name() -> str:
        task = asyncio.current_task()
        return task.get_name() if task is not None else ""

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        name = task_name()
        # The claim runs again whenever sends finish, until nothing is due: not rendering.
        if name == "delivery-sender" and not statement.lstrip().upper().startswith("UPDATE OUTBOX"):
            seen.rendering.append(statement)
        elif name == "delivery-recorder":
            seen.recording.append(statement)

    def committed(_conn: Any) -> None:
        if task_name() == "delivery-recorder":
            seen.recorder_commits += 1

    event.listen(engine, "before_cursor_execute", record)
    event.listen(engine, "commit", committed)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)
        event.remove(engine, "commit", committed)


async def _clients(fake_api: FakeBotApi, bot: BotApplication, first: int, count: int) -> list[int]:
    """Clients of four sorts in turn: a goal; a goal with a strategy done so many times a
    week (its count is read); no goals; a goal and today's check-in already open."""
    today = today_in()
    users = []
    for n in range(count):
        telegram_id = first + n
        fake_api.user(telegram_id)
        user_id = await make_client(bot, telegram_id, ("en", "de", "es")[n % 3])
        users.append(user_id)
        sort = n % 4
        if sort == 2:
            continue
        goal = await add_goal(bot, user_id, f"Goal {n}")
        if sort == 1:
            await add_strategy(bot, goal, "Run", StrategyFrequency.TIMES_PER_WEEK, times_per_week=3)
        if sort == 3:
            await _day_with_answers(bot, user_id, today, {}, step=f"goal:{goal}")
    return users


async def _prompt(bot: BotApplication, users: list[int], telegram_from: int) -> None:
    today = today_in()
    now = utcnow()
    async with services_of(bot).sessions() as session, session.begin():
        await enqueue_many(
            session,
            [
                OutboxItem(
                    user_id=user_id,
                    chat_id=telegram_from + n,
                    kind=checkin_delivery.KIND,
                    key=f"checkin_reminder:{user_id}:0:{today.isoformat()}",
                    payload={"schedule_id": 0, "local_date": today.isoformat()},
                    due_at=now - timedelta(seconds=1),
                    expires_at=now + timedelta(hours=1),
                )
                for n, user_id in enumerate(users)
            ],
        )
    bot.bot_data[SENDER_KEY].wake()


async def test_a_batch_of_prompts_costs_the_same_statements_for_4_or_12_clients(
    fake_api: FakeBotApi, bot: BotApplication
):
    sessions = services_of(bot).sessions
    seen: dict[int, _Seen] = {}
    sent = 0
    for size, first in ((4, 8100), (12, 8200)):
        users = await _clients(fake_api, bot, first, size)
        await asyncio.sleep(0.2)  # the sender idle: one claim takes the whole batch
        with _sender_statements(bot) as seen[size]:
            await _prompt(bot, users, first)
            sent += size
            counts = await wait_until_settled(sessions, sent)
            await asyncio.sleep(0.2)  # the last sends' tasks have ended
        assert counts == {OutboxStatus.SENT: sent}

    # Rendering: the users' locales; the plans (goals with strategies); this week's counts
    # of the strategies done so many times a week; the check-ins already open.
    assert len(seen[4].rendering) == len(seen[12].rendering) == 4, "\n".join(seen[12].rendering)
    # Recording: per transaction, the rows sent (one UPDATE, executemany) and the
    # check-ins opened (one INSERT), however many rows the transaction holds.
    for size in (4, 12):
        recorded = seen[size]
        kinds = [s.lstrip().split()[0:3] for s in recorded.recording]
        assert all(
            k in (["UPDATE", "outbox", "SET"], ["INSERT", "INTO", "checkins"]) for k in kinds
        )
        updates = sum(1 for k in kinds if k[0] == "UPDATE")
        assert updates == recorded.recorder_commits
        assert len(recorded.recording) <= 2 * recorded.recorder_commits

    async with sessions() as session:
        opened = (
            await session.scalars(select(Checkin.user_id).where(Checkin.local_date == today_in()))
        ).all()
        prompted = (
            await session.scalars(select(OutboxMessage.user_id).order_by(OutboxMessage.id))
        ).all()
    # Every client with goals has today's check-in (once); none without goals.
    assert sorted(opened) == sorted(user for n, user in enumerate(prompted) if n % 4 != 2)
