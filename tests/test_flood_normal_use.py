"""The flood guard is for abuse, not for normal use (issue 16, item 4): a client tapping
through onboarding, the intake and their first goal as fast as the fake Bot API answers
is never asked to slow down; two hundred messages in a row still are. The limits are
the defaults (FLOOD_BURST, FLOOD_PER_MINUTE), chosen from bench/onboarding_burst.py."""

from __future__ import annotations

import pytest

from bot.app import BotApplication
from bot.callbacks import answers_a_question
from bot.offline.fake_bot_api import FakeBotApi, FakeUser, SentMessage
from tests.checkin_helpers import make_client
from tests.enrollment_helpers import button_data, onboard_client, practitioner
from tests.lesson_helpers import edited
from tests.safety_support import bot_with

SLOW_DOWN = {
    "en": "Please slow down a little",
    "de": "Bitte mach etwas langsamer",
    "es": "Ve un poco más despacio",
}
GOAL_TEXT = {
    "en": ("Walk 20 minutes after lunch", "in 6 weeks"),
    "de": ("Nach dem Mittagessen 20 Minuten gehen", "in 6 Wochen"),
    "es": ("Caminar 20 minutos después de comer", "en 6 semanas"),
}


async def _intake(client: FakeUser) -> None:
    """Every intake item answered by its button as soon as the last press was shown."""
    intake = client.messages()[-1]
    for index in range(8):
        data = button_data(intake, "mq:")
        client.press(intake, next(d for d in data if d.endswith(f":{index % 11}")))
        intake = await edited(client, intake, index + 1)
    areas = button_data(intake, "mq:")
    client.press(intake, next(d for d in areas if ":t" in d))  # one area
    intake = await edited(client, intake, 9)
    client.press(intake, next(d for d in button_data(intake, "mq:") if d.endswith(":d")))
    await edited(client, intake, 10)


async def _first_goal(client: FakeUser, language: str) -> int:
    """The goal conversation the intake started, answered at once: skips where offered,
    8 for confidence, typed words elsewhere. Returns how many updates it took."""
    what, deadline = GOAL_TEXT[language]
    sent = 0
    question: SentMessage = await client.expect_one()
    for _ in range(10):
        data = [d for _label, d in question.buttons if d]
        confidence = [d for d in data if d.startswith("gl:c:") and d.endswith(":8")]
        skip = [d for d in data if d.startswith("gl:s:")]
        if confidence:
            client.press(question, confidence[0])
        elif skip:
            client.press(question, skip[0])
        elif any(d.startswith("gl:x:") for d in data):
            client.send(what if sent == 0 else deadline)
        else:
            break  # no question left: the goal is saved
        sent += 1
        question = await client.expect_one()
    return sent


@pytest.mark.parametrize("language", ["en", "de", "es"])
async def test_a_fast_normal_onboarding_is_never_asked_to_slow_down(
    fake_api: FakeBotApi, bot: BotApplication, language: str
):
    lead, _row = await practitioner(fake_api, bot, 6701)
    client = await onboard_client(fake_api, lead, 6702, language=language)
    await _intake(client)
    goal_steps = await _first_goal(client, language)
    assert goal_steps >= 4  # the goal's questions were answered too

    texts = [m.plain_text for m in client.messages()]
    assert not [t for t in texts if SLOW_DOWN[language] in t]


async def test_presses_that_answer_a_question_are_not_counted(
    fake_api: FakeBotApi, database_url: str
):
    """With a burst far below the onboarding's twenty-odd presses and almost no refill,
    only the few typed messages count: still no "slow down"."""
    async with bot_with(fake_api, database_url, flood_burst=8, flood_per_minute=0.1) as bot:
        lead, _row = await practitioner(fake_api, bot, 6711)
        client = await onboard_client(fake_api, lead, 6712)
        await _intake(client)
        await _first_goal(client, "en")
        # onboard_client pressed 5 buttons (consent, language, zone, check-in, quiet hours)
        # and _intake 10: more than the burst on their own.
        assert not [m for m in client.messages() if SLOW_DOWN["en"] in m.plain_text]
        bucket = bot.bot_data["services"].flood._buckets[6712]
        assert bucket.tokens >= 8 - 5  # /start, the city typed, two goal answers typed


@pytest.mark.parametrize("language", ["en", "de", "es"])
async def test_two_hundred_messages_still_get_one_slow_down(
    fake_api: FakeBotApi, bot: BotApplication, language: str
):
    await make_client(bot, 6801, language)
    client = fake_api.user(6801, language_code=language)
    for n in range(200):
        client.send(f"hello {n}")
    slow: list[SentMessage] = []
    while not slow:
        reply = await client.expect_one(timeout=30)
        slow = [reply] if SLOW_DOWN[language] in reply.plain_text else []
    for _ in range(250):  # read what comes until the bot has been quiet for a second
        try:
            await client.expect_nothing(1.0)
            break
        except AssertionError:
            await client.expect_one()
    texts = [m.plain_text for m in client.messages()]
    assert len([t for t in texts if SLOW_DOWN[language] in t]) == 1
    # The "nobody reads this" acknowledgements stopped: far fewer than the messages.
    assert len(texts) < 100, len(texts)


def test_only_well_formed_answers_are_left_uncounted():
    assert answers_a_question("ck:20261206:g:3:7")
    assert answers_a_question("mq:12:0:5")
    assert answers_a_question("ob:lang:de")
    assert answers_a_question("del:yes")
    assert not answers_a_question("ck:garbage")
    assert not answers_a_question("ct:c:5")  # a practitioner's menu, not an answer
    assert not answers_a_question(None)
    assert not answers_a_question("x" * 64)
