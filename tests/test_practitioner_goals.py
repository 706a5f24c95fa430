"""A practitioner sets a client's goals (/goal), their GAS levels (/gas) and strategies
(/strategy), lists them (/goals <client>); the client is told; history is kept; nobody
but the lead changes them."""

from __future__ import annotations

import asyncio
import json

import pytest
from sqlalchemy import select, text

from bot.app import BotApplication
from bot.audit import AuditAction
from bot.db.models import (
    AuditEvent,
    CareTeamMember,
    GasLevel,
    GasScore,
    Goal,
    GoalRevision,
    GoalStatus,
    MembershipState,
    OutboxMessage,
    Strategy,
    StrategyFrequency,
    TeamRole,
)
from bot.offline.fake_bot_api import FakeBotApi
from tests.enrollment_helpers import onboard_client, practitioner, services, user_row
from tests.safety_support import bot_with

TOLD = {
    "en": {
        "strategy_edited": "Dr. Weber changed a step toward your goal <b>Walk after lunch</b>. "
        "It now reads: Stretch for ten minutes (daily).",
        "strategy_stopped": "Dr. Weber took the step “A 20-minute walk” off your goal "
        "<b>Walk after lunch</b>. I won't ask about it any more.",
        "created": "Dr. Weber added a goal for you: <b>Walk after lunch</b>. /goals shows your "
        "goals.",
        "strategy": "Dr. Weber added a step toward your goal <b>Walk after lunch</b>: "
        "A 20-minute walk (Mon, Wed, Fri).",
        "edited": "Dr. Weber reworded one of your goals. It now reads: <b>Walk 15 minutes after "
        "lunch</b>.",
        "paused": "Dr. Weber paused your goal <b>Walk 15 minutes after lunch</b> for now.",
        "achieved": "Dr. Weber marked your goal <b>Walk 15 minutes after lunch</b> as achieved.",
        "dropped": "Dr. Weber set your goal <b>Call a friend</b> aside.",
    },
    "de": {
        "strategy_edited": "Dr. Weber hat einen Schritt zu deinem Ziel <b>Walk after lunch</b> "
        "geändert. Er lautet jetzt: Stretch for ten minutes (täglich).",
        "strategy_stopped": "Dr. Weber hat den Schritt „A 20-minute walk“ von deinem Ziel "
        "<b>Walk after lunch</b> genommen. Ich frage nicht mehr danach.",
        "created": "Dr. Weber hat ein Ziel für dich eingetragen: <b>Walk after lunch</b>. "
        "/goals zeigt deine Ziele.",
        "strategy": "Dr. Weber hat einen Schritt zu deinem Ziel <b>Walk after lunch</b> "
        "eingetragen: A 20-minute walk (Mo., Mi., Fr.).",
        "edited": "Dr. Weber hat eines deiner Ziele neu formuliert. Es lautet jetzt: <b>Walk 15 "
        "minutes after lunch</b>.",
        "paused": "Dr. Weber hat dein Ziel <b>Walk 15 minutes after lunch</b> vorerst pausiert.",
        "achieved": "Dr. Weber hat dein Ziel <b>Walk 15 minutes after lunch</b> als erreicht "
        "markiert.",
        "dropped": "Dr. Weber hat dein Ziel <b>Call a friend</b> beiseitegelegt.",
    },
    "es": {
        "strategy_edited": "Dr. Weber ha cambiado un paso hacia tu objetivo "
        "<b>Walk after lunch</b>. Ahora dice: Stretch for ten minutes (a diario).",
        "strategy_stopped": "Dr. Weber ha quitado el paso «A 20-minute walk» de tu objetivo "
        "<b>Walk after lunch</b>. Ya no te preguntaré por él.",
        "created": "Dr. Weber ha añadido un objetivo para ti: <b>Walk after lunch</b>. /goals "
        "muestra tus objetivos.",
        "strategy": "Dr. Weber ha añadido un paso hacia tu objetivo <b>Walk after lunch</b>: "
        "A 20-minute walk (lun, mié, vie).",
        "edited": "Dr. Weber ha reformulado uno de tus objetivos. Ahora dice: <b>Walk 15 minutes "
        "after lunch</b>.",
        "paused": "Dr. Weber ha pausado tu objetivo <b>Walk 15 minutes after lunch</b> por ahora.",
        "achieved": "Dr. Weber ha marcado tu objetivo <b>Walk 15 minutes after lunch</b> como "
        "logrado.",
        "dropped": "Dr. Weber ha dejado a un lado tu objetivo <b>Call a friend</b>.",
    },
}


async def _goals(bot: BotApplication, client_id: int) -> list[Goal]:
    async with services(bot).sessions() as session:
        rows = await session.scalars(
            select(Goal).where(Goal.user_id == client_id).order_by(Goal.id)
        )
        return list(rows)


async def _all(bot: BotApplication, model) -> list:
    async with services(bot).sessions() as session:
        return list(await session.scalars(select(model).order_by(model.id)))


@pytest.mark.parametrize("language", ["en", "de", "es"])
async def test_the_lead_adds_a_goal_with_gas_levels_and_a_strategy(
    fake_api: FakeBotApi, bot: BotApplication, language: str
):
    told = TOLD[language]
    lead, lead_row = await practitioner(fake_api, bot, 8001, name="Dr. Weber")
    client = await onboard_client(fake_api, lead, 8002, language=language, alias="Anna M.")
    client_row = await user_row(bot, 8002)

    lead.send("/goal anna m. Walk after lunch")  # any case; the longest name that matches
    added = await lead.expect_one()
    assert "Added goal 1 for Anna M.: Walk after lunch. I've let them know." in added.plain_text
    assert (await client.expect_one()).text == told["created"]
    [goal] = await _goals(bot, client_row.id)
    assert (goal.status, goal.title, goal.created_by_id) == (
        GoalStatus.ACTIVE,
        "Walk after lunch",
        lead_row.id,
    )

    for level, description in (
        ("-2", "Stays at the desk"),
        ("0", "Walks twice a week"),
        ("+2", "Walks every weekday"),
    ):
        lead.send(f"/gas Anna M. 1 {level} {description}")
        assert description in (await lead.expect_one()).plain_text
    lead.send("/gas Anna M. 1 −2 Never leaves the desk")  # a typographic minus; replaces -2
    await lead.expect_one()
    levels = {row.level: row.description for row in await _all(bot, GasLevel)}
    assert levels == {
        -2: "Never leaves the desk",
        0: "Walks twice a week",
        2: "Walks every weekday",
    }
    await client.expect_nothing(0.2)  # GAS levels are the practitioner's scale

    lead.send("/strategy Anna M. 1 mon,wed,fri A 20-minute walk")
    done = await lead.expect_one()
    assert "Strategy for goal 1 of Anna M.: A 20-minute walk (Mon, Wed, Fri)" in done.plain_text
    assert (await client.expect_one()).text == told["strategy"]
    [strategy] = await _all(bot, Strategy)
    assert (strategy.goal_id, strategy.title, strategy.frequency, strategy.weekdays) == (
        goal.id,
        "A 20-minute walk",
        StrategyFrequency.WEEKDAYS,
        0b10101,
    )
    lead.send("/strategy Anna M. 1 3/week Stretch in the morning")
    assert "3 times a week" in (await lead.expect_one()).plain_text
    await client.expect_one()

    lead.send("/goals Anna M.")
    listing = (await lead.expect_one()).plain_text
    assert "1. Walk after lunch — active" in listing
    assert "GAS +2: Walks every weekday" in listing and "GAS -2: Never leaves the desk" in listing
    assert "A 20-minute walk (Mon, Wed, Fri)" in listing
    assert "Stretch in the morning (3 times a week)" in listing

    lead.send("/strategy Anna M. 1 edit 2 daily Stretch for ten minutes")
    assert "Strategy 2 of goal 1 of Anna M. now reads: Stretch for ten minutes (daily)" in (
        (await lead.expect_one()).plain_text
    )
    assert (await client.expect_one()).text == told["strategy_edited"]
    lead.send("/strategy Anna M. 1 edit 2 daily Stretch for ten minutes")  # the same again
    assert "Nothing was changed" in (await lead.expect_one()).plain_text
    lead.send("/strategy Anna M. 1 stop 1")
    assert "Strategy 1 of goal 1 of Anna M. is stopped" in (await lead.expect_one()).plain_text
    assert (await client.expect_one()).text == told["strategy_stopped"]
    lead.send("/strategy Anna M. 1 stop 3")
    assert "Goal 1 of Anna M. has no strategy 3" in (await lead.expect_one()).plain_text
    await client.expect_nothing(0.2)
    lead.send("/goals Anna M.")
    listing = (await lead.expect_one()).plain_text
    assert "↻ 1. Stretch for ten minutes (daily)" in listing and "20-minute" not in listing
    steps = [(row.title, row.frequency, row.active) for row in await _all(bot, Strategy)]
    assert steps == [
        ("A 20-minute walk", StrategyFrequency.WEEKDAYS, False),  # kept with its answers
        ("Stretch for ten minutes", StrategyFrequency.DAILY, True),
    ]

    async with services(bot).sessions() as session:  # encrypted at rest
        raw = (
            await session.execute(
                text("SELECT g.title, s.title FROM goals g JOIN strategies s ON s.goal_id = g.id")
            )
        ).all()
        raw_levels = (await session.execute(text("SELECT description FROM goal_gas_levels"))).all()
    assert all("Walk" not in value and "walk" not in value for row in raw for value in row)
    assert all("desk" not in value for (value,) in raw_levels)
    notices = [row for row in await _all(bot, OutboxMessage) if row.kind == "goal_change"]
    assert len(notices) == 5  # created, two strategies, one changed, one stopped: ids only
    assert all("walk" not in json.dumps(row.payload).lower() for row in notices)
    actions = [(row.actor_user_id, row.action) for row in await _all(bot, AuditEvent)]
    assert actions == [
        (lead_row.id, AuditAction.GOAL_CREATE),
        *[(lead_row.id, AuditAction.GOAL_GAS)] * 4,
        *[(lead_row.id, AuditAction.STRATEGY_ADD)] * 2,
        (lead_row.id, AuditAction.GOALS_VIEW),
        *[(lead_row.id, AuditAction.STRATEGY_CHANGE)] * 2,
        (lead_row.id, AuditAction.GOALS_VIEW),
    ]


@pytest.mark.parametrize("language", ["en", "de", "es"])
async def test_edit_keeps_history_and_each_change_tells_the_client(
    fake_api: FakeBotApi, bot: BotApplication, language: str
):
    told = TOLD[language]
    lead, lead_row = await practitioner(fake_api, bot, 8011, name="Dr. Weber")
    client = await onboard_client(fake_api, lead, 8012, language=language, alias="Anna")
    client_row = await user_row(bot, 8012)
    lead.send("/goal Anna Walk after lunch")
    await lead.expect_one()
    await client.expect_one()
    lead.send("/goal Anna Call a friend")
    await lead.expect_one()
    await client.expect_one()

    lead.send("/goal Anna edit 1 Walk 15 minutes after lunch")
    assert "The earlier wording is kept" in (await lead.expect_one()).plain_text
    assert (await client.expect_one()).text == told["edited"]
    first, second = await _goals(bot, client_row.id)
    assert (first.title, first.version) == ("Walk 15 minutes after lunch", 2)
    [revision] = await _all(bot, GoalRevision)
    assert (revision.goal_id, revision.version, revision.changed_by_id) == (
        first.id,
        1,
        lead_row.id,
    )
    assert json.loads(revision.snapshot)["title"] == "Walk after lunch"
    async with services(bot).sessions() as session:
        raw = (await session.execute(text("SELECT snapshot FROM goal_revisions"))).scalar_one()
    assert "Walk after lunch" not in raw  # the history is encrypted like the goal

    lead.send("/goal Anna pause 1")
    assert "Goal 1 of Anna is now paused" in (await lead.expect_one()).plain_text
    assert told["paused"] in (await client.expect_one()).text
    lead.send("/goal Anna pause 1")  # again: nothing to do, nobody told
    assert "Nothing was changed" in (await lead.expect_one()).plain_text
    await client.expect_nothing(0.2)
    lead.send("/goal Anna resume 1")
    await lead.expect_one()
    await client.expect_one()
    lead.send("/goal Anna achieve 1")
    await lead.expect_one()
    assert told["achieved"] in (await client.expect_one()).text
    lead.send("/goal Anna drop 2")
    await lead.expect_one()
    assert told["dropped"] in (await client.expect_one()).text

    first, second = await _goals(bot, client_row.id)
    assert (first.status, first.version) == (GoalStatus.ACHIEVED, 5)
    assert first.closed_at is not None
    assert (second.status, second.version) == (GoalStatus.DROPPED, 2)
    history = [
        (row.goal_id, row.version, json.loads(row.snapshot)["status"])
        for row in await _all(bot, GoalRevision)
    ]
    assert history == [
        (first.id, 1, "active"),
        (first.id, 2, "active"),
        (first.id, 3, "paused"),
        (first.id, 4, "active"),
        (second.id, 1, "active"),
    ]
    lead.send("/goals Anna")
    listing = (await lead.expect_one()).plain_text
    assert "1. Walk 15 minutes after lunch — achieved" in listing
    assert "2. Call a friend — dropped" in listing


async def test_a_second_practitioner_and_a_client_are_refused(
    fake_api: FakeBotApi, bot: BotApplication
):
    lead, _lead_row = await practitioner(fake_api, bot, 8021, name="Dr. Weber")
    client = await onboard_client(fake_api, lead, 8022, alias="Anna")
    client_row = await user_row(bot, 8022)
    lead.send("/goal Anna Walk after lunch")
    await lead.expect_one()
    await client.expect_one()
    colleague, colleague_row = await practitioner(fake_api, bot, 8023, name="Dr. Sam")
    stranger, _stranger_row = await practitioner(fake_api, bot, 8024, name="Dr. Nobody")
    async with services(bot).sessions() as session, session.begin():
        session.add(
            CareTeamMember(
                client_id=client_row.id,
                practitioner_id=colleague_row.id,
                role=TeamRole.MEMBER,
                state=MembershipState.ACTIVE,
                alias="Anna",
            )
        )

    # a team member may read, not write
    colleague.send("/goals Anna")
    assert "1. Walk after lunch — active" in (await colleague.expect_one()).plain_text
    for command in (
        "/goal Anna Something else",
        "/goal Anna edit 1 Changed",
        "/goal Anna drop 1",
        "/gas Anna 1 +1 Better",
        "/strategy Anna 1 daily Walk",
    ):
        colleague.send(command)
        assert "Only the lead practitioner of Anna" in (await colleague.expect_one()).plain_text
    # a practitioner outside the team does not even find the client
    stranger.send("/goal Anna drop 1")
    assert "I can't find “Anna” among your clients" in (await stranger.expect_one()).plain_text
    stranger.send("/goals Anna")
    assert "I can't find" in (await stranger.expect_one()).plain_text
    # the client cannot use the practitioner commands
    for command in ("/goal Anna drop 1", "/gas Anna 1 +1 x", "/strategy Anna 1 daily x"):
        client.send(command)
        assert "This command is for practitioners." in (await client.expect_one()).plain_text
    await client.expect_nothing(0.2)

    [goal] = await _goals(bot, client_row.id)
    assert (goal.status, goal.title, goal.version) == (GoalStatus.ACTIVE, "Walk after lunch", 1)
    assert await _all(bot, GasLevel) == [] and await _all(bot, Strategy) == []
    assert await _all(bot, GoalRevision) == []


async def test_bad_input_gets_a_kind_answer(fake_api: FakeBotApi, bot: BotApplication):
    lead, _row = await practitioner(fake_api, bot, 8031)
    client = await onboard_client(fake_api, lead, 8032, alias="Anna")
    client_row = await user_row(bot, 8032)
    answers = {
        "/goal": "Like this: /goal Anna",
        "/goal Anna": "Like this: /goal Anna",
        "/goal Anna pause 3": "Anna has no goal number 3",
        "/gas Anna 1 +3 Too good": "a level from -2 to +2",
        "/strategy Anna 1 sometimes Walk": "how often (daily, 3/week",
        "/goals Nobody": "I can't find “Nobody” among your clients",
        "/goals": "Tell me whose goals to show",
        "/goals Anna extra": "I can't find “Anna extra” among your clients",
    }
    for command, expected in answers.items():
        lead.send(command)
        assert expected in (await lead.expect_one()).plain_text, command
    await client.expect_nothing(0.2)
    assert await _goals(bot, client_row.id) == []


async def test_the_practitioner_respects_the_goal_limit(fake_api: FakeBotApi, bot: BotApplication):
    lead, _row = await practitioner(fake_api, bot, 8041)
    client = await onboard_client(fake_api, lead, 8042, alias="Anna")
    client_row = await user_row(bot, 8042)
    for title in ("One thing", "Two things", "Three things"):
        lead.send(f"/goal Anna {title}")
        await lead.expect_one()
        await client.expect_one()
    lead.send("/goal Anna Four things")
    assert "Anna already has 3 active goals" in (await lead.expect_one()).plain_text
    await client.expect_nothing(0.2)
    assert len(await _goals(bot, client_row.id)) == 3


async def test_a_goal_number_stays_put_when_an_older_draft_is_finished(
    fake_api: FakeBotApi, bot: BotApplication
):
    """The client begins a goal and leaves it half-way; the lead adds one (goal 1); the
    client then finishes theirs. It becomes goal 2, and "/goal … pause 1" still means the
    lead's goal, not the one begun first."""
    lead, _lead_row = await practitioner(fake_api, bot, 8101, name="Dr. Weber")
    client = await onboard_client(fake_api, lead, 8102, alias="Anna M.")
    client_row = await user_row(bot, 8102)

    client.send("/goals")
    client.press(await client.expect_one(), "gl:new")
    await client.expect_one()  # what would you like to work on?
    client.send("Sleep before midnight")
    await client.expect_one()  # the draft now waits for what 0 means

    lead.send("/goal Anna M. Walk after lunch")
    assert "Added goal 1 for Anna M." in (await lead.expect_one()).plain_text
    await client.expect_one()  # told about the lead's goal

    for answer in ("Awake at 2", "Asleep at 11", "8", "Mornings feel better", "in 6 weeks"):
        if answer == "8":
            client.press(await client.expect_one(), "8")
        else:
            if answer != "Awake at 2":
                await client.expect_one()
            client.send(answer)
    await client.expect_one()  # the goal is set

    lead.send("/goals Anna M.")
    listing = (await lead.expect_one()).plain_text
    assert listing.index("1. Walk after lunch") < listing.index("2. Sleep before midnight")
    lead.send("/client Anna M.")
    view = (await lead.expect_one(timeout=20)).plain_text  # no ratings yet: no chart
    assert view.index("1. Walk after lunch") < view.index("2. Sleep before midnight")

    # Every command that takes a goal's number means the same goal.
    lead.send("/gas Anna M. 1 +1")  # the level goal 1 reached
    assert "Goal 1 of Anna M. is at GAS level +1 now." in (await lead.expect_one()).plain_text
    [score] = await _all(bot, GasScore)
    lead.send("/goal Anna M. pause 1")
    await lead.expect_one()
    statuses = {goal.title: goal.status for goal in await _goals(bot, client_row.id)}
    assert statuses == {
        "Walk after lunch": GoalStatus.PAUSED,
        "Sleep before midnight": GoalStatus.ACTIVE,
    }
    walk = next(goal for goal in await _goals(bot, client_row.id) if goal.title.startswith("Walk"))
    assert score.goal_id == walk.id


async def test_a_notice_goes_out_when_its_transaction_commits_not_at_the_next_poll(
    fake_api: FakeBotApi, migrated_url: str
):
    """The sender is woken by the commit that queued the client's notice: with an idle
    sender that looks for due rows only once a minute, the client still hears at once."""
    async with bot_with(
        fake_api, migrated_url, delivery_poll_seconds=60, scheduler_tick_seconds=3600
    ) as bot:
        lead, _lead_row = await practitioner(fake_api, bot, 8091, name="Dr. Weber")
        client = await onboard_client(fake_api, lead, 8092, alias="Anna")
        await asyncio.sleep(1)  # the sender's last wake-up (a tick, a notice) is behind it
        lead.send("/goal Anna Walk after lunch")
        await lead.expect_one()
        notice = await client.expect_one(timeout=10)
        assert notice.plain_text.startswith("Dr. Weber added a goal for you: Walk after lunch.")
