"""Check-ins through the delivery engine: the scheduled prompt at the client's local time
(three zones, across DST changes), the check-in it opens, the scheduled prompt skipped
after /checkin, exactly one nudge (never in quiet hours), and the missed sweep."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from bot.app import SENDER_KEY, BotApplication, planning
from bot.checkins import delivery as checkin_delivery
from bot.checkins import streaks as checkin_streaks
from bot.db.base import utcnow
from bot.db.models import (
    Checkin,
    CheckinSource,
    CheckinStatus,
    Goal,
    GoalRating,
    GoalStatus,
    OutboxMessage,
    OutboxStatus,
    Schedule,
    StreakState,
    User,
)
from bot.delivery import RenderContext, add_schedule, enqueue
from bot.delivery import engine as delivery_engine
from bot.delivery.scheduling import Planning, enqueue_due_batch, slot_key
from bot.offline.fake_bot_api import FakeBotApi
from tests.checkin_helpers import (
    add_goal,
    checkin_of,
    edited,
    make_client,
    services_of,
    today_in,
)

LANGUAGES = ["en", "de", "es"]
HOW = {
    "en": "How was it today, from 0 to 10?",
    "de": "Wie war es heute, von 0 bis 10?",
    "es": "¿Cómo fue hoy, del 0 al 10?",
}
NUDGE = {
    "en": "Just a gentle nudge",
    "de": "Nur eine sanfte Erinnerung",
    "es": "Solo un recordatorio suave",
}
CHECK_IN_NOW = {"en": "Check in now", "de": "Jetzt einchecken", "es": "Hacer el check-in"}


async def tick(bot: BotApplication) -> None:
    services = services_of(bot)
    await delivery_engine.tick(services.sessions, planning(services.settings))
    bot.bot_data[SENDER_KEY].wake()


async def due_schedule(
    bot: BotApplication,
    user_id: int,
    local_date: date,
    *,
    due_in: timedelta = timedelta(seconds=-1),
) -> None:
    async with services_of(bot).sessions() as session, session.begin():
        session.add(
            Schedule(
                user_id=user_id,
                kind="checkin_reminder",
                weekdays=127,
                next_due_at=utcnow() + due_in,
                next_slot_date=local_date,
            )
        )


async def wait_for_checkin(bot: BotApplication, user_id: int, day: date) -> Checkin:
    for _ in range(500):
        checkin = await checkin_of(bot, user_id, day)
        if checkin is not None:
            return checkin
        await asyncio.sleep(0.01)
    raise AssertionError("no check-in was opened")


async def sweep(bot: BotApplication, now: datetime) -> checkin_delivery.SweepResult:
    settings = services_of(bot).settings
    result = await checkin_delivery.sweep(
        services_of(bot).sessions,
        now=now,
        nudge_after=timedelta(hours=settings.checkin_nudge_after_hours),
        grace_days=settings.streak_grace_days,
        default_timezone=settings.default_timezone,
    )
    bot.bot_data[SENDER_KEY].wake()
    return result


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_scheduled_prompt_asks_the_first_goal_and_opens_the_checkin(
    fake_api: FakeBotApi, bot: BotApplication, language: str
):
    user_id = await make_client(bot, 7001, language)
    goal = await add_goal(bot, user_id, "Sleep & rest")
    today = today_in()
    await due_schedule(bot, user_id, today)
    client = fake_api.user(7001, language_code="en")  # the stored language wins
    await tick(bot)
    prompt = await client.expect_one(timeout=10)
    assert "Sleep & rest" in prompt.plain_text and HOW[language] in prompt.plain_text

    checkin = await wait_for_checkin(bot, user_id, today)
    assert checkin.source is CheckinSource.SCHEDULED and checkin.status is CheckinStatus.OPEN
    assert checkin.closes_at - checkin.opened_at == timedelta(hours=12)
    assert checkin.step == f"goal:{goal}"

    client.press(prompt, "4")
    await edited(client, prompt)
    async with services_of(bot).sessions() as session:
        rating = await session.scalar(select(GoalRating))
        row = await session.scalar(select(Checkin))
    assert (rating.goal_id, rating.value, rating.local_date) == (goal, 4, today)
    assert row.status is CheckinStatus.ANSWERED and row.answered_at is not None


async def test_without_goals_the_prompt_stays_a_gentle_reminder_and_counts_nothing(
    fake_api: FakeBotApi, bot: BotApplication
):
    user_id = await make_client(bot, 7101)
    await due_schedule(bot, user_id, today_in())
    client = fake_api.user(7101)
    await tick(bot)
    prompt = await client.expect_one(timeout=10)
    assert "It's time for your daily check-in." in prompt.plain_text
    assert "/goals" in prompt.plain_text
    assert [label for label, _ in prompt.buttons] == ["Skip today"]
    await asyncio.sleep(0.3)  # the sent hook has run (the row is SENT below)
    async with services_of(bot).sessions() as session:
        assert (await session.scalar(select(OutboxMessage))).status is OutboxStatus.SENT
        assert (await session.scalars(select(Checkin))).all() == []


async def test_after_an_early_checkin_the_scheduled_prompt_for_that_day_is_not_sent(
    fake_api: FakeBotApi, bot: BotApplication
):
    user_id = await make_client(bot, 7201)
    await add_goal(bot, user_id, "Sleep")
    today = today_in()
    # Due later today (not yet: the bot's own tick must not send it before /checkin).
    await due_schedule(bot, user_id, today, due_in=timedelta(minutes=30))
    async with services_of(bot).sessions() as session, session.begin():
        schedule_id = await session.scalar(select(Schedule.id))
        # A prompt for today already queued (later today): it must not go out either.
        now = utcnow()
        await enqueue(
            session,
            user_id=user_id,
            chat_id=7201,
            kind="checkin_reminder",
            key=slot_key("checkin_reminder", user_id, schedule_id, today),
            payload={"schedule_id": schedule_id, "local_date": today.isoformat()},
            due_at=now + timedelta(hours=1),
            expires_at=now + timedelta(hours=4),
        )
    client = fake_api.user(7201)
    client.send("/checkin")
    await client.expect_one()
    await tick(bot)
    await asyncio.sleep(0.5)
    assert len(client.messages()) == 1  # only the /checkin reply
    async with services_of(bot).sessions() as session:
        rows = (await session.scalars(select(OutboxMessage))).all()
        schedule = await session.get(Schedule, schedule_id)
    assert [row.status for row in rows] == [OutboxStatus.EXPIRED]
    assert schedule.last_slot_date == today and schedule.next_slot_date > today


@pytest.mark.parametrize("language", LANGUAGES)
async def test_exactly_one_nudge_and_the_checkin_can_be_done_from_it(
    fake_api: FakeBotApi, bot: BotApplication, language: str
):
    user_id = await make_client(bot, 7301, language)
    await add_goal(bot, user_id, "Sleep")
    client = fake_api.user(7301, language_code=language)
    client.send("/checkin")
    await client.expect_one()
    now = utcnow()
    async with services_of(bot).sessions() as session, session.begin():
        await session.execute(
            update(Checkin).values(
                opened_at=now - timedelta(hours=5), closes_at=now + timedelta(hours=7)
            )
        )
    assert (await sweep(bot, now)).nudged == 1
    assert (await sweep(bot, now + timedelta(minutes=10))).nudged == 0
    nudge = await client.expect_one(timeout=10)
    assert NUDGE[language] in nudge.plain_text
    client.press(nudge, CHECK_IN_NOW[language])
    question = await edited(client, nudge)
    assert HOW[language] in question.plain_text
    async with services_of(bot).sessions() as session:
        nudges = (
            await session.scalars(
                select(OutboxMessage).where(OutboxMessage.kind == checkin_delivery.NUDGE_KIND)
            )
        ).all()
        checkin = await session.scalar(select(Checkin))
    assert len(nudges) == 1 and checkin.nudged_at is not None


async def test_no_nudge_when_answered_and_none_in_quiet_hours(
    fake_api: FakeBotApi, bot: BotApplication
):
    now = utcnow()
    local = now.astimezone(ZoneInfo("Europe/Berlin"))
    quiet_start = (local - timedelta(hours=1)).time().replace(second=0, microsecond=0)
    quiet_end = (local + timedelta(hours=2)).time().replace(minute=0, second=0, microsecond=0)
    answered = await make_client(bot, 7401)
    quiet = await make_client(bot, 7402, quiet_start=quiet_start, quiet_end=quiet_end)
    closing = await make_client(bot, 7403, quiet_start=quiet_start, quiet_end=quiet_end)
    today = today_in()
    async with services_of(bot).sessions() as session, session.begin():
        for user_id, status, closes in (
            (answered, CheckinStatus.ANSWERED, now + timedelta(hours=7)),
            (quiet, CheckinStatus.OPEN, now + timedelta(hours=7)),
            (closing, CheckinStatus.OPEN, now + timedelta(minutes=30)),  # closes in quiet hours
        ):
            session.add(
                Checkin(
                    user_id=user_id,
                    local_date=today,
                    source=CheckinSource.SCHEDULED,
                    status=status,
                    opened_at=now - timedelta(hours=5),
                    closes_at=closes,
                )
            )
    assert (await sweep(bot, now)).nudged == 1
    async with services_of(bot).sessions() as session:
        row = await session.scalar(select(OutboxMessage))
    assert row.user_id == quiet
    due_local = row.due_at.astimezone(ZoneInfo("Europe/Berlin"))
    assert due_local.time().replace(second=0, microsecond=0) == quiet_end  # when quiet ends
    assert row.expires_at == now + timedelta(hours=7)


async def test_the_sweep_marks_missed_and_updates_streaks_in_bulk(
    bot: BotApplication, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(checkin_streaks, "CHUNK", 1)  # several chunks, as with many clients
    now = utcnow()
    today = today_in()
    users = [await make_client(bot, 7500 + n) for n in range(3)]
    async with services_of(bot).sessions() as session, session.begin():
        for n, user_id in enumerate(users):
            for days_ago in (3, 2, 1):
                session.add(
                    Checkin(
                        user_id=user_id,
                        local_date=today - timedelta(days=days_ago),
                        source=CheckinSource.SCHEDULED,
                        status=CheckinStatus.ANSWERED
                        if days_ago > 1 or n == 0
                        else CheckinStatus.OPEN,
                        opened_at=now - timedelta(days=days_ago),
                        closes_at=now - timedelta(days=days_ago) + timedelta(hours=12),
                    )
                )
    result = await sweep(bot, now)
    assert result.missed == 2
    async with services_of(bot).sessions() as session:
        states = {s.user_id: s for s in await session.scalars(select(StreakState))}
        statuses = sorted(s.value for s in await session.scalars(select(Checkin.status).distinct()))
    assert statuses == ["answered", "missed"]
    # Two answered days and a missed one: the grace day keeps the streak at 2.
    assert [states[u].current for u in users[1:]] == [2, 2]
    assert (await sweep(bot, now)).missed == 0


ZONES = {"America/New_York": "en", "Europe/Berlin": "de", "Australia/Sydney": "es"}


async def test_scheduled_checkins_arrive_at_local_time_in_three_zones_across_dst(
    bot: BotApplication,
):
    """8:30 local every day from 10 March to 8 April 2027: New York springs forward on
    14 March, Berlin on 28 March, Sydney falls back on 4 April."""
    services = services_of(bot)
    start = datetime(2027, 3, 10, 0, 0, tzinfo=UTC)
    users: dict[int, str] = {}
    for n, (zone, language) in enumerate(ZONES.items()):
        user_id = await make_client(bot, 7600 + n, language, timezone=zone, checkin=time(8, 30))
        await add_goal(bot, user_id, f"Goal {n}")
        users[user_id] = zone
        async with services.sessions() as session, session.begin():
            user = await session.get(User, user_id)
            await add_schedule(
                session, user, kind="checkin_reminder", now=start, default_timezone="UTC"
            )
    plan = Planning(default_timezone="UTC", window=timedelta(hours=3))
    now = start
    while now < datetime(2027, 4, 9, tzinfo=UTC):
        now += timedelta(hours=2)
        async with services.sessions() as session, session.begin():
            await enqueue_due_batch(session, now=now, planning=plan)
    async with services.sessions() as session:
        rows = (await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
        for user_id, zone in users.items():
            mine = [row for row in rows if row.user_id == user_id]
            local = [row.due_at.astimezone(ZoneInfo(zone)) for row in mine]
            assert {(t.hour, t.minute) for t in local} == {(8, 30)}
            dates = [t.date() for t in local]
            assert dates == sorted(set(dates))  # one a day, none twice
            assert [date.fromisoformat(r.payload["local_date"]) for r in mine] == dates
            assert len(dates) >= 29
        # What the client reads, rendered at send time in their language.
        for row in rows[:3]:
            language = ZONES[users[row.user_id]]
            rendered = await checkin_delivery.render(
                RenderContext(
                    outbox_id=row.id,
                    user_id=row.user_id,
                    kind=row.kind,
                    payload=row.payload,
                    due_at=row.due_at,
                    t=services.catalogs.translator(language),
                    session=session,
                )
            )
            assert HOW[language] in rendered.text
            assert rendered.buttons[0][0].callback_data.startswith(
                "ck:" + row.payload["local_date"].replace("-", "")
            )


async def test_a_queued_nudge_is_withdrawn_once_the_client_answers(
    fake_api: FakeBotApi, bot: BotApplication
):
    now = utcnow()
    local = now.astimezone(ZoneInfo("Europe/Berlin"))
    user_id = await make_client(
        bot,
        7701,
        quiet_start=(local - timedelta(hours=1)).time().replace(second=0, microsecond=0),
        quiet_end=(local + timedelta(hours=2)).time().replace(second=0, microsecond=0),
    )
    await add_goal(bot, user_id, "Sleep")
    client = fake_api.user(7701)
    client.send("/checkin")
    prompt = await client.expect_one()
    async with services_of(bot).sessions() as session, session.begin():
        await session.execute(update(Checkin).values(opened_at=now - timedelta(hours=5)))
    assert (await sweep(bot, now)).nudged == 1  # due when the quiet hours end
    client.press(prompt, "5")
    await edited(client, prompt)
    async with services_of(bot).sessions() as session:
        nudge = await session.scalar(select(OutboxMessage))
    assert nudge.kind == checkin_delivery.NUDGE_KIND and nudge.status is OutboxStatus.EXPIRED


async def test_a_goal_paused_mid_checkin_gives_way_to_the_note(
    fake_api: FakeBotApi, bot: BotApplication
):
    user_id = await make_client(bot, 7801)
    first = await add_goal(bot, user_id, "Sleep")
    second = await add_goal(bot, user_id, "Walk")
    client = fake_api.user(7801)
    client.send("/checkin")
    prompt = await client.expect_one()
    client.press(prompt, "5")
    assert "Walk" in (await edited(client, prompt)).plain_text
    async with services_of(bot).sessions() as session, session.begin():
        goal = await session.get(Goal, second)
        goal.status = GoalStatus.PAUSED
    client.send("/checkin")  # the open question again: the note now
    again = await client.expect_one()
    assert [label for label, _ in again.buttons] == ["No note today", "« Back", "Skip today"]
    assert first != second
