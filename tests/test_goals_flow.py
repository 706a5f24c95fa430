"""A client builds a SMART goal: one question at a time, low confidence, dates re-asked,
a restart resumes, at most MAX_ACTIVE_GOALS active goals; /goals lists them."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select, text

from bot.app import BotApplication, build_application, running
from bot.db.base import utcnow
from bot.db.models import Goal, GoalStatus, LessonDelivery
from bot.flows import goals as goal_flow
from bot.flows.outgoing import Outgoing
from bot.offline.fake_bot_api import FakeBotApi, FakeUser, SentMessage
from bot.settings import Settings
from tests.enrollment_helpers import (
    answer_of,
    onboard_client,
    practitioner,
    press_forged,
    services,
    user_row,
)
from tests.lesson_helpers import deliver, delivery_row

# What the client sees, per language (the catalogs are the source; these pin the wording).
SEEN = {
    "en": {
        "none": "You have no goals yet.",
        "new": "Set a new goal",
        "what": "What would you like to work toward?",
        "low": "What would 0 look like for you?",
        "high": "And what would 10 look like?",
        "confidence": "How sure are you that you can do this",
        "offer": "Would you like to make this one smaller?",
        "smaller": "What would a smaller first step be?",
        "why": "Why does this matter to you?",
        "when": "By when would you like to get there?",
        "unreadable": "I couldn't read that as a date",
        "past": "That day is already here or behind us",
        "done": "Your goal is set: ",
        "goals": "Your goals",
        "area": "Let's make a goal about your sleep.",
        "limit": "You already have 3 active goals",
        "keep": "Keep it",
        "smaller_button": "Make it smaller",
        "skip": "Skip",
        "cancel": "Cancel",
        "cancelled": "I've set this goal aside",
        "deadline": "in 6 weeks",
    },
    "de": {
        "none": "Du hast noch keine Ziele.",
        "new": "Neues Ziel setzen",
        "what": "Worauf möchtest du hinarbeiten?",
        "low": "Wie sähe 0 für dich aus?",
        "high": "Und wie sähe 10 aus?",
        "confidence": "Wie sicher bist du, dass du das schaffst",
        "offer": "Möchtest du dieses Ziel kleiner machen?",
        "smaller": "Was wäre ein kleinerer erster Schritt?",
        "why": "Warum ist dir das wichtig?",
        "when": "Bis wann möchtest du dort sein?",
        "unreadable": "das konnte ich nicht als Datum lesen",
        "past": "Dieser Tag ist schon da oder vorbei",
        "done": "Dein Ziel steht: ",
        "goals": "Deine Ziele",
        "area": "Lass uns ein Ziel für deinen Schlaf finden.",
        "limit": "Du hast schon 3 aktive Ziele",
        "keep": "So lassen",
        "smaller_button": "Kleiner machen",
        "skip": "Überspringen",
        "cancel": "Abbrechen",
        "cancelled": "Ich habe dieses Ziel beiseitegelegt",
        "deadline": "in 6 Wochen",
    },
    "es": {
        "none": "Todavía no tienes objetivos.",
        "new": "Poner un objetivo nuevo",
        "what": "¿Hacia qué te gustaría avanzar?",
        "low": "¿Cómo sería el 0 para ti?",
        "high": "¿Y cómo sería el 10?",
        "confidence": "¿Qué tan seguro/a estás de poder hacerlo",
        "offer": "¿Te gustaría hacerlo más pequeño?",
        "smaller": "¿Cuál sería un primer paso más pequeño?",
        "why": "¿Por qué es importante para ti?",
        "when": "¿Para cuándo te gustaría lograrlo?",
        "unreadable": "no he podido leer eso como una fecha",
        "past": "Ese día ya llegó o ya pasó",
        "done": "Tu objetivo está listo: ",
        "goals": "Tus objetivos",
        "area": "Busquemos un objetivo para tu sueño.",
        "limit": "Ya tienes 3 objetivos activos",
        "keep": "Dejarlo así",
        "smaller_button": "Hacerlo más pequeño",
        "skip": "Saltar",
        "cancel": "Cancelar",
        "cancelled": "He dejado este objetivo a un lado",
        "deadline": "en 6 semanas",
    },
}


async def _client(fake_api: FakeBotApi, bot: BotApplication, telegram_id: int, language: str):
    lead, _row = await practitioner(fake_api, bot, telegram_id + 500, language=language)
    client = await onboard_client(fake_api, lead, telegram_id, language=language)
    return lead, client


async def _goals(bot: BotApplication, telegram_id: int) -> list[Goal]:
    client = await user_row(bot, telegram_id)
    async with services(bot).sessions() as session:
        return list(
            await session.scalars(select(Goal).where(Goal.user_id == client.id).order_by(Goal.id))
        )


async def _start(client: FakeUser, seen: dict[str, str]) -> SentMessage:
    client.send("/goals")
    listing = await client.expect_one()
    client.press(listing, "gl:new")
    return await client.expect_one()


@pytest.mark.parametrize("language", ["en", "de", "es"])
async def test_a_client_builds_a_smart_goal_end_to_end(
    fake_api: FakeBotApi, bot: BotApplication, language: str
):
    seen = SEEN[language]
    _lead, client = await _client(fake_api, bot, 7001, language)
    client.send("/goals")
    listing = await client.expect_one()
    assert seen["none"] in listing.plain_text
    assert [label for label, _data in listing.buttons] == [seen["new"]]
    client.press(listing, "gl:new")
    what = await client.expect_one()
    assert seen["what"] in what.plain_text
    assert [label for label, _ in what.buttons] == [seen["cancel"]]

    client.send("Walk 20 minutes after lunch")
    low = await client.expect_one()
    assert seen["low"] in low.plain_text
    assert [label for label, _ in low.buttons] == [seen["skip"], seen["cancel"]]
    client.send("I stay at my desk")
    high = await client.expect_one()
    assert seen["high"] in high.plain_text
    client.send("I walk every weekday")
    confidence = await client.expect_one()
    assert seen["confidence"] in confidence.plain_text
    assert [data for _, data in confidence.buttons][:11] == [
        f"gl:c:{(await _goals(bot, 7001))[0].id}:{n}" for n in range(11)
    ]
    client.press(confidence, "8")
    why = await client.expect_one()
    assert seen["why"] in why.plain_text
    client.send("I feel clearer in the afternoon")
    when = await client.expect_one()
    assert seen["when"] in when.plain_text
    client.send(seen["deadline"])
    done = await client.expect_one()
    assert seen["done"] in done.plain_text
    assert "Walk 20 minutes after lunch" in done.plain_text

    [goal] = await _goals(bot, 7001)
    assert goal.status == GoalStatus.ACTIVE
    assert goal.draft_step is None
    assert goal.title == "Walk 20 minutes after lunch"
    assert (goal.anchor_low, goal.anchor_high) == ("I stay at my desk", "I walk every weekday")
    assert goal.confidence == 8
    assert goal.why == "I feel clearer in the afternoon"
    assert date.today() + timedelta(days=40) <= goal.target_date
    assert goal.target_date <= date.today() + timedelta(days=44)
    assert goal.created_by_id is None
    async with services(bot).sessions() as session:  # free text is encrypted at rest
        raw = (
            await session.execute(text("SELECT title, anchor_low, anchor_high, why FROM goals"))
        ).one()
    assert all(value and "Walk" not in value and "desk" not in value for value in raw)
    assert "weekday" not in raw[2] and "clearer" not in raw[3]

    client.send("/goals")
    listing = await client.expect_one()
    assert seen["goals"] in listing.plain_text
    assert "Walk 20 minutes after lunch" in listing.plain_text
    # a button of an answered question does nothing
    query = press_forged(fake_api, client, confidence, confidence.buttons[3][1])
    assert (await answer_of(client, query))["text"]
    assert (await _goals(bot, 7001))[0].confidence == 8


@pytest.mark.parametrize("language", ["en", "de", "es"])
async def test_low_confidence_offers_a_smaller_step_or_keeping_it(
    fake_api: FakeBotApi, bot: BotApplication, language: str
):
    seen = SEEN[language]
    _lead, client = await _client(fake_api, bot, 7011, language)
    await _start(client, seen)
    client.send("Run a marathon")
    low = await client.expect_one()
    client.press(low, f"gl:s:{(await _goals(bot, 7011))[0].id}:low")  # skip the 0 picture
    high = await client.expect_one()
    assert seen["high"] in high.plain_text
    client.press(high, seen["skip"])
    confidence = await client.expect_one()
    client.press(confidence, "4")
    offer = await client.expect_one()
    assert seen["offer"] in offer.plain_text
    assert [label for label, _ in offer.buttons] == [
        seen["smaller_button"],
        seen["keep"],
        seen["cancel"],
    ]
    client.press(offer, seen["smaller_button"])
    smaller = await client.expect_one()
    assert seen["smaller"] in smaller.plain_text
    client.send("Run 2 km on Saturday")
    again = await client.expect_one()  # confidence again, for the smaller step
    assert seen["confidence"] in again.plain_text
    [goal] = await _goals(bot, 7011)
    assert goal.title == "Run 2 km on Saturday"
    assert goal.confidence is None
    client.press(again, "5")  # still below 7: offered again; this time kept
    offer = await client.expect_one()
    client.press(offer, seen["keep"])
    why = await client.expect_one()
    assert seen["why"] in why.plain_text
    [goal] = await _goals(bot, 7011)
    assert (goal.title, goal.confidence, goal.anchor_low) == ("Run 2 km on Saturday", 5, None)


@pytest.mark.parametrize("language", ["en", "de", "es"])
async def test_an_unreadable_and_a_past_date_are_asked_again(
    fake_api: FakeBotApi, bot: BotApplication, language: str
):
    seen = SEEN[language]
    _lead, client = await _client(fake_api, bot, 7021, language)
    await _start(client, seen)
    client.send("Call my sister every Sunday")
    low = await client.expect_one()
    client.press(low, seen["skip"])
    high = await client.expect_one()
    client.press(high, seen["skip"])
    confidence = await client.expect_one()
    client.press(confidence, "9")
    why = await client.expect_one()
    client.press(why, seen["skip"])
    when = await client.expect_one()
    assert seen["when"] in when.plain_text

    client.send("when the purple moon sings")
    unreadable = await client.expect_one()
    assert seen["unreadable"] in unreadable.plain_text
    past = (date.today() - timedelta(days=30)).strftime(
        "%d.%m.%Y" if language != "en" else "%m/%d/%Y"
    )
    client.send(past)
    past_reply = await client.expect_one()
    assert seen["past"] in past_reply.plain_text
    [goal] = await _goals(bot, 7021)
    assert goal.status == GoalStatus.DRAFT and goal.target_date is None
    client.send(seen["deadline"])
    assert seen["done"] in (await client.expect_one()).plain_text
    [goal] = await _goals(bot, 7021)
    assert goal.status == GoalStatus.ACTIVE and goal.target_date > date.today()
    assert (goal.anchor_low, goal.why) == (None, None)


async def test_a_restart_resumes_at_the_open_question(fake_api: FakeBotApi, migrated: Settings):
    first = build_application(migrated)
    async with running(first, poll_timeout=1):
        _lead, client = await _client(fake_api, first, 7031, "de")
        await _start(client, SEEN["de"])
        client.send("Jeden Abend lesen")
        await client.expect_one()  # the 0 question
        client.send("Ich lese gar nicht")
        await client.expect_one()  # the 10 question
    [goal] = await _goals(first, 7031)
    assert goal.draft_step.startswith("high:")
    # the bot is down; the client answers meanwhile, then it comes back on the same database
    client.send("Ich lese jeden Abend 20 Minuten")
    second = build_application(migrated)
    async with running(second, poll_timeout=1):
        confidence = await client.expect_one()
        assert SEEN["de"]["confidence"] in confidence.plain_text
        [goal] = await _goals(second, 7031)
        assert goal.anchor_high == "Ich lese jeden Abend 20 Minuten"
        assert goal.draft_step == "conf" or goal.draft_step.startswith("conf:")


async def test_cancel_and_a_foreign_button(fake_api: FakeBotApi, bot: BotApplication):
    lead, client = await _client(fake_api, bot, 7041, "en")
    other = await onboard_client(fake_api, lead, 7042, alias="Ben")
    what = await _start(client, SEEN["en"])
    [draft] = await _goals(bot, 7041)
    # someone else's draft: refused, nothing changed
    query = press_forged(fake_api, other, what, f"gl:x:{draft.id}")
    assert (await answer_of(other, query))["text"]
    assert len(await _goals(bot, 7041)) == 1
    client.press(what, SEEN["en"]["cancel"])
    assert SEEN["en"]["cancelled"] in (await client.expect_one()).plain_text
    assert await _goals(bot, 7041) == []
    # free text is no longer taken as a goal answer
    client.send("Hello there")
    await client.expect_one()
    assert await _goals(bot, 7041) == []


@pytest.mark.parametrize("language", ["en", "de", "es"])
async def test_at_most_three_active_goals(fake_api: FakeBotApi, bot: BotApplication, language: str):
    seen = SEEN[language]
    _lead, client = await _client(fake_api, bot, 7051, language)
    row = await user_row(bot, 7051)
    async with services(bot).sessions() as session, session.begin():
        for title in ("One thing", "Two things", "Three things"):
            session.add(Goal(user_id=row.id, status=GoalStatus.ACTIVE, title=title))
    client.send("/goals")
    listing = await client.expect_one()
    assert seen["limit"] in listing.plain_text
    assert listing.buttons == []
    # an old "new goal" button is refused kindly too
    press_forged(fake_api, client, listing, "gl:new")
    assert seen["limit"] in (await client.expect_one()).plain_text
    assert all(goal.status == GoalStatus.ACTIVE for goal in await _goals(bot, 7051))
    assert len(await _goals(bot, 7051)) == 3


@pytest.mark.parametrize("language", ["en", "de", "es"])
async def test_begin_from_the_intake_names_the_life_area(
    fake_api: FakeBotApi, bot: BotApplication, language: str
):
    """The intake's end calls ``begin(..., area=...)``; the first question names the area."""
    seen = SEEN[language]
    _lead, client = await _client(fake_api, bot, 7061, language)
    row = await user_row(bot, 7061)
    context = _Context(bot, language)
    out = Outgoing(7061)
    async with services(bot).sessions() as session, session.begin():
        await goal_flow.begin(context, session, row, out, area="sleep")
    await out.send(context)
    question = await client.expect_one()
    assert seen["area"] in question.plain_text
    client.send("Bed by eleven on weeknights")
    assert seen["low"] in (await client.expect_one()).plain_text
    [goal] = await _goals(bot, 7061)
    assert (goal.area, goal.title) == ("sleep", "Bed by eleven on weeknights")


class _Context:
    """The little of a BotContext that ``begin`` and ``Outgoing.send`` use."""

    def __init__(self, bot: BotApplication, language: str) -> None:
        self.bot = bot.bot
        self.services = services(bot)
        self.t = self.services.catalogs.translator(language)


def test_callback_data_fits():
    assert len(f"gl:c:{10**12 - 1}:10".encode()) <= 64
    assert len(f"gl:s:{10**12 - 1}:small".encode()) <= 64


async def test_a_redelivered_answer_is_not_stored_twice(fake_api: FakeBotApi, bot: BotApplication):
    _lead, client = await _client(fake_api, bot, 7071, "en")
    await _start(client, SEEN["en"])
    answer = client.send("Walk 20 minutes after lunch")
    assert SEEN["en"]["low"] in (await client.expect_one()).plain_text
    # Telegram delivers the same message again (the bot stopped before confirming it)
    fake_api._world.publish("message", lambda: dict(answer))
    await client.expect_nothing(0.5)
    [goal] = await _goals(bot, 7071)
    assert goal.title == "Walk 20 minutes after lunch"
    assert goal.anchor_low is None
    assert goal.draft_step == f"low:{answer['message_id']}"


async def test_a_reflection_asked_after_the_goal_question_gets_the_text(
    fake_api: FakeBotApi, bot: BotApplication
):
    """Two open questions: the one asked last takes what the client types."""
    _lead, client = await _client(fake_api, bot, 7081, "en")
    row = await user_row(bot, 7081)
    await _start(client, SEEN["en"])  # the goal's "what" question is open
    lesson = "thoughts-feelings-actions"
    await deliver(bot, client, row.id, lesson)
    async with services(bot).sessions() as session, session.begin():
        delivery = await session.get(LessonDelivery, (await delivery_row(bot, row.id, lesson)).id)
        delivery.reflection_asked_at = utcnow()  # "Done" was pressed: the reflection is asked
    client.send("I noticed my thoughts racing before the call")
    await client.expect(2)  # thanks, and the lesson's quiz
    assert (await delivery_row(bot, row.id, lesson)).reflection_text == (
        "I noticed my thoughts racing before the call"
    )
    [goal] = await _goals(bot, 7081)
    assert goal.title is None
    # the reflection is answered: the goal's question takes the next text
    client.send("Walk 20 minutes after lunch")
    assert SEEN["en"]["low"] in (await client.expect_one()).plain_text
    [goal] = await _goals(bot, 7081)
    assert goal.title == "Walk 20 minutes after lunch"
