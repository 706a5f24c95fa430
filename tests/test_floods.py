"""Incoming floods: one user sending a lot at once gets one polite "slow down", and nothing
they send is lost (commands answered, answers stored, the crisis check run)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.db.models import ProgramAnswer
from bot.flood import FloodGuard
from bot.offline.fake_bot_api import FakeBotApi
from tests.lesson_helpers import make_client
from tests.safety_support import bot_with
from tests.test_crisis_flow import flags
from tests.test_program_questions import SKIP, deliver_in_program, finish_reading

SLOW_DOWN = {
    "en": "Please slow down a little",
    "de": "Bitte mach etwas langsamer",
    "es": "Ve un poco más despacio",
}
HELP = {"en": "/help", "de": "/help", "es": "/help"}
CRISIS = {
    "en": "I can't do this anymore, I want to kill myself",
    "de": "Ich kann nicht mehr, ich will mich umbringen",
    "es": "Ya no puedo más, quiero matarme",
}
CALM_OPENING = {
    "en": "Thank you for telling me.",
    "de": "Danke, dass du mir das schreibst.",
    "es": "Gracias por contármelo.",
}
T0 = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def test_the_bucket_refills_warns_once_a_minute_and_forgets_the_least_recent_user():
    guard = FloodGuard(burst=3, per_minute=60, max_users=2)
    verdicts = [guard.admit(1, T0) for _ in range(5)]
    assert [v.flooding for v in verdicts] == [False, False, False, True, True]
    assert [v.warn for v in verdicts] == [False, False, False, True, False]
    assert not guard.admit(1, T0 + timedelta(seconds=1)).flooding  # one token back per second
    assert guard.admit(1, T0 + timedelta(seconds=1)).flooding
    later = guard.admit(1, T0 + timedelta(seconds=61, milliseconds=-500))
    assert not later.flooding  # refilled (to the burst at most)
    for _ in range(2):
        assert not guard.admit(1, T0 + timedelta(seconds=61)).flooding
    again = guard.admit(1, T0 + timedelta(seconds=61))
    assert again.flooding and again.warn  # a minute after the last warning: a new one
    guard.admit(2, T0)
    guard.admit(3, T0)  # a third user: the least recently seen (1) is forgotten
    assert len(guard) == 2
    assert not guard.admit(1, T0 + timedelta(seconds=61)).flooding  # starts afresh


@pytest.mark.parametrize("language", ["en", "de", "es"])
async def test_a_flood_gets_one_slow_down_and_loses_nothing(
    fake_api: FakeBotApi, migrated_url: str, language: str
):
    async with bot_with(fake_api, migrated_url, flood_per_minute=0.1) as bot:
        services = bot.bot_data["services"]
        services.flood.burst = 1000  # the setup below is not a flood
        user_id = await make_client(bot, 8201, language)
        client = fake_api.user(8201, language_code=language)
        reflection = await finish_reading(
            client, await deliver_in_program(bot, client, user_id), language
        )
        client.press(reflection, SKIP[language])
        await client.expect_one()  # the program's first question waits for an answer
        services.flood.burst = 4
        services.flood._buckets.clear()  # count from here

        for _ in range(10):
            client.send(HELP[language])
        received = await client.expect(11)  # ten answers to /help, one "slow down"
        slow = [m for m in received if SLOW_DOWN[language] in m.plain_text]
        assert len(slow) == 1 and "/help" in slow[0].plain_text, [
            m.plain_text[:60] for m in received
        ]
        helps = {m.plain_text for m in received if m not in slow}
        assert len(helps) == 1  # the same /help answer, ten times
        await client.expect_nothing(0.3)  # and nothing else

        client.send("Meeting Jo for coffee.")  # still flooding: the answer is still stored
        await client.expect(2)  # thanks, and the next question
        async with services.sessions() as session:
            stored = await session.scalar(select(ProgramAnswer.answer_text))
        assert stored == "Meeting Jo for coffee."

        client.send(CRISIS[language])  # still flooding: the crisis check still runs
        assert (await client.expect_one()).plain_text.startswith(CALM_OPENING[language])
        assert [f.user_id for f in await flags(bot, 1)] == [user_id]

        client.send("hello again")  # only the "nobody reads this" acknowledgement is left out
        await client.expect_nothing(0.5)

        other = fake_api.user(8202, language_code=language)  # someone else is not slowed
        other.send("/help")
        reply = await other.expect_one()
        assert SLOW_DOWN[language] not in reply.plain_text
