"""What one check-in answer costs the database: a fixed number of statements, whatever
the client's number of goals, strategies and days of history — never a query per goal,
per strategy or per day. (Throughput itself is measured in bench/, not here.)"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bot.app import BotApplication
from bot.checkins import streaks
from bot.db.base import utcnow
from bot.db.models import CheckinStatus, GoalRating, StreakState
from bot.offline.fake_bot_api import FakeBotApi
from tests.checkin_helpers import (
    add_goal,
    add_strategy,
    edited,
    make_client,
    past_days,
    services_of,
    statements_run,
    this_task,
    today_in,
)

#: Load the sender; load the check-in with its plan (goals with strategies) in one
#: query; insert the rating; write the check-in (answered, next step) once, reading back
#: whether a nudge was queued. No nudge was queued, so none is withdrawn; the streak
#: waits for the end of the check-in (or the sweep). On PostgreSQL the rating and the
#: check-in's write are one statement (a data-modifying WITH).
STATEMENTS_PER_FIRST_ANSWER = {"sqlite": 4, "postgresql": 3}


def handling_an_update(task: asyncio.Task[Any]) -> bool:
    """PTB's task for one update (the running bot's background jobs are left out)."""
    return "process_concurrent_update" in task.get_name()


async def _first_press(
    fake_api: FakeBotApi, bot: BotApplication, telegram_id: int, *, goals: int, history: int
) -> list[str]:
    user_id = await make_client(bot, telegram_id)
    goal_ids = [await add_goal(bot, user_id, f"Goal {n}") for n in range(goals)]
    for goal_id in goal_ids:
        await add_strategy(bot, goal_id, "A daily step")
    today = today_in()
    await past_days(
        bot,
        user_id,
        {today - timedelta(days=d): CheckinStatus.ANSWERED for d in range(1, history + 1)},
        goal_id=goal_ids[0],
    )
    client = fake_api.user(telegram_id)
    client.send("/checkin")
    prompt = await client.expect_one()
    with statements_run(bot, handling_an_update) as statements:
        client.press(prompt, "7")
        await edited(client, prompt)
    return statements


async def test_an_answer_costs_the_same_few_statements_for_a_small_or_a_busy_client(
    fake_api: FakeBotApi, bot: BotApplication
):
    small = await _first_press(fake_api, bot, 7001, goals=1, history=0)
    busy = await _first_press(fake_api, bot, 7002, goals=3, history=60)

    dialect = services_of(bot).engine.dialect.name
    assert len(small) == len(busy) == STATEMENTS_PER_FIRST_ANSWER[dialect], "\n".join(busy)
    if dialect == "postgresql":
        assert "WITH rated AS" in busy[2] and "UPDATE checkins" in busy[2]
    async with services_of(bot).sessions() as session:
        recorded = await session.scalars(
            select(GoalRating.value).where(GoalRating.local_date == today_in())
        )
        assert list(recorded) == [7, 7]  # each press was recorded, not merely counted


async def test_one_upsert_stores_many_streaks_keeping_each_best(bot: BotApplication):
    """The sweep's path: several clients at once, new and stored, in one statement."""
    today = today_in()
    fresh = await make_client(bot, 7101)
    fell = await make_client(bot, 7102)
    rising = await make_client(bot, 7103)
    for user_id, answered_days in ((fresh, 2), (fell, 2), (rising, 8)):
        await past_days(
            bot,
            user_id,
            {
                today - timedelta(days=d): CheckinStatus.ANSWERED
                for d in range(1, answered_days + 1)
            },
        )
    now = utcnow()
    async with services_of(bot).sessions() as session, session.begin():
        session.add_all(
            [
                # Had a 10-day streak and its 7-day milestone; now only 2 days: the best stays,
                # the milestone is forgotten so reaching 7 again is celebrated again.
                StreakState(user_id=fell, current=10, best=10, milestone=7, updated_at=now),
                StreakState(user_id=rising, current=1, best=1, milestone=0, updated_at=now),
            ]
        )
    with statements_run(bot, this_task()) as statements:
        async with services_of(bot).sessions() as session, session.begin():
            stored = await streaks.recompute(session, [fresh, fell, rising], now=now, grace_days=1)
    upserts = [s for s in statements if s.lstrip().upper().startswith("INSERT INTO STREAKS")]
    assert len(upserts) == 1

    assert {u: (s.current, s.best, s.milestone) for u, s in stored.items()} == {
        fresh: (2, 2, 0),
        fell: (2, 10, 0),
        rising: (8, 8, 0),
    }
    async with services_of(bot).sessions() as session:
        rows = {
            s.user_id: (s.current, s.best, s.milestone)
            for s in await session.scalars(select(StreakState))
        }
    assert rows == {fresh: (2, 2, 0), fell: (2, 10, 0), rising: (8, 8, 0)}
