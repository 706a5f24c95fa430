"""Skip today and Back on every check-in question, over the fake Bot API, and what the
database holds afterwards; a goal with one anchor; the strategy question's wording."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.app import BotApplication
from bot.checkins import messages as texts
from bot.db.models import CheckinStatus, GoalRating, RatingChange, StrategyAnswer
from bot.offline.fake_bot_api import FakeBotApi, FakeUser, SentMessage
from tests.checkin_helpers import (
    add_goal,
    add_strategy,
    answer_of,
    checkin_of,
    edited,
    make_client,
    services_of,
    today_in,
)
from tests.enrollment_helpers import press_forged

LANGUAGES = ["en", "de", "es"]
SKIP = {"en": "Skip today", "de": "Heute auslassen", "es": "Saltar hoy"}
BACK = {"en": "« Back", "de": "« Zurück", "es": "« Atrás"}
DONE = {"en": "Done ✓", "de": "Fertig ✓", "es": "Hecho ✓"}
NOT_THIS_TIME = {"en": "Not this time", "de": "Diesmal nicht", "es": "Esta vez no"}
ANSWER_WAS = {
    "en": "Your answer was {}. Tap it again to keep it.",
    "de": "Deine Antwort war {}. Tippe sie noch einmal an, um sie zu behalten.",
    "es": "Tu respuesta fue {}. Tócala de nuevo para mantenerla.",
}
LAST_24_HOURS = {
    "en": "Did you do this in the last 24 hours?",
    "de": "Hast du das in den letzten 24 Stunden gemacht?",
    "es": "¿Lo hiciste en las últimas 24 horas?",
}


def _say(bot: BotApplication, language: str, text: str) -> str:
    """A catalog text in ``language`` (wording other work may still polish)."""
    return services_of(bot).catalogs.translator(language)._(text)


def _thanks(bot: BotApplication, language: str) -> str:
    return _say(bot, language, "Thank you — your check-in is saved. 🌱")


async def _client(bot: BotApplication, telegram_id: int, language: str):
    user_id = await make_client(bot, telegram_id, language)
    sleep = await add_goal(bot, user_id, "Sleep")
    walk = await add_goal(bot, user_id, "Walk more")
    strategy = await add_strategy(bot, walk, "Screens off at 23:00")
    return user_id, sleep, walk, strategy


def _labels(message: SentMessage) -> list[str]:
    return [label for label, _data in message.buttons]


async def _ratings(bot: BotApplication, user_id: int) -> dict[int, int]:
    async with services_of(bot).sessions() as session:
        rows = await session.scalars(select(GoalRating).where(GoalRating.user_id == user_id))
        return {row.goal_id: row.value for row in rows}


async def _strategy_answers(bot: BotApplication) -> list[tuple[int, bool]]:
    async with services_of(bot).sessions() as session:
        return [(a.strategy_id, a.done) for a in await session.scalars(select(StrategyAnswer))]


async def _changes(bot: BotApplication) -> list[tuple[int, int]]:
    async with services_of(bot).sessions() as session:
        rows = await session.scalars(select(RatingChange).order_by(RatingChange.id))
        return [(row.previous_value, row.new_value) for row in rows]


async def _walk_to(client: FakeUser, prompt: SentMessage, step: int, language: str) -> int:
    """Answer the first ``step`` questions (7, 3, Done); returns the edits so far."""
    for number, label in enumerate(("7", "3", DONE[language])[:step], start=1):
        client.press(prompt, label)
        await edited(client, prompt, number)
    return step


@pytest.mark.parametrize("language", LANGUAGES)
async def test_skip_today_is_on_every_question_and_keeps_what_was_answered(
    fake_api: FakeBotApi, bot: BotApplication, language: str
):
    today = today_in()
    for step in range(4):  # goal 1, goal 2, the strategy, the note
        telegram_id = 8100 + step
        user_id, sleep, walk, strategy = await _client(bot, telegram_id, language)
        client = fake_api.user(telegram_id, language_code=language)
        client.send("/checkin")
        prompt = await client.expect_one()
        edits = await _walk_to(client, prompt, step, language)
        shown = await edited(client, prompt, edits) if edits else prompt
        assert SKIP[language] in _labels(shown), step

        client.press(shown, SKIP[language])
        after = await edited(client, prompt, edits + 1)
        checkin = await checkin_of(bot, user_id, today)
        assert checkin.step == "done"
        if step == 0:  # nothing answered: a skipped day, no blame
            t = services_of(bot).catalogs.translator(language)
            assert texts.skipped(t) in after.plain_text
            assert checkin.status is CheckinStatus.SKIPPED
        else:  # what was answered is kept, and the day counts
            assert _thanks(bot, language) in after.plain_text
            assert checkin.status is CheckinStatus.ANSWERED
        expected = {sleep: 7, walk: 3}
        assert await _ratings(bot, user_id) == {
            goal: value for goal, value in list(expected.items())[:step]
        }
        answered = [(s, d) for s, d in await _strategy_answers(bot) if s == strategy]
        assert answered == ([(strategy, True)] if step == 3 else [])
        assert not after.buttons


@pytest.mark.parametrize("language", LANGUAGES)
async def test_back_on_every_question_changes_the_last_answer_once(
    fake_api: FakeBotApi, bot: BotApplication, language: str
):
    user_id, sleep, walk, strategy = await _client(bot, 8201, language)
    client = fake_api.user(8201, language_code=language)
    today = today_in()
    client.send("/checkin")
    prompt = await client.expect_one()
    assert BACK[language] not in _labels(prompt)  # nothing before the first question

    # Goal 2 → Back → goal 1 again; a double tap of that Back goes back only once.
    client.press(prompt, "7")
    second = await edited(client, prompt, 1)
    assert "Walk more" in second.plain_text and BACK[language] in _labels(second)
    client.press(second, BACK[language])
    back = await edited(client, prompt, 2)
    assert "Sleep" in back.plain_text and "Walk more" not in back.plain_text
    assert ANSWER_WAS[language].format(7) in back.plain_text  # what they said, to change
    assert (await checkin_of(bot, user_id, today)).step == f"goal:{sleep}"
    again = press_forged(fake_api, client, back, texts.back_data(today, f"goal:{walk}"))
    await answer_of(client, again)
    assert (await checkin_of(bot, user_id, today)).step == f"goal:{sleep}"

    # A new answer replaces the old one, recorded as a change, and moves on.
    client.press(back, "4")
    assert "Walk more" in (await edited(client, prompt, 3)).plain_text
    assert await _ratings(bot, user_id) == {sleep: 4}
    assert await _changes(bot) == [(7, 4)]

    # Strategy → Back → goal 2; the same answer again moves on and writes nothing.
    client.press(prompt, "3")
    question = await edited(client, prompt, 4)
    assert LAST_24_HOURS[language] in question.plain_text
    assert _labels(question) == [
        DONE[language],
        NOT_THIS_TIME[language],
        BACK[language],
        SKIP[language],
    ]
    client.press(question, BACK[language])
    assert "Walk more" in (await edited(client, prompt, 5)).plain_text
    client.press(prompt, "3")
    assert "Screens off at 23:00" in (await edited(client, prompt, 6)).plain_text
    assert await _ratings(bot, user_id) == {sleep: 4, walk: 3}
    assert await _changes(bot) == [(7, 4)]

    # Note → Back → the strategy: "Not this time" replaces "Done".
    client.press(prompt, DONE[language])
    note = await edited(client, prompt, 7)
    assert _labels(note)[0] == _say(bot, language, "No note today")
    assert (await checkin_of(bot, user_id, today)).step == "note"
    client.press(note, BACK[language])
    strategy_again = await edited(client, prompt, 8)
    assert "Screens off at 23:00" in strategy_again.plain_text
    said = {"en": "“Done ✓”", "de": "„Fertig ✓“", "es": "“Hecho ✓”"}[language]
    assert ANSWER_WAS[language].format(said) in strategy_again.plain_text
    # Gone back from the note: typed text now is not taken as the note.
    assert (await checkin_of(bot, user_id, today)).step == f"strategy:{strategy}"
    client.press(prompt, NOT_THIS_TIME[language])
    assert _labels(await edited(client, prompt, 9))[0] == _say(bot, language, "No note today")
    assert await _strategy_answers(bot) == [(strategy, False)]

    client.press(prompt, _say(bot, language, "No note today"))
    assert _thanks(bot, language) in (await edited(client, prompt, 10)).plain_text
    checkin = await checkin_of(bot, user_id, today)
    assert (checkin.status, checkin.step) == (CheckinStatus.ANSWERED, "done")
    assert await _ratings(bot, user_id) == {sleep: 4, walk: 3}
    assert await _changes(bot) == [(7, 4)]


async def test_back_after_the_check_in_closed_changes_nothing(
    fake_api: FakeBotApi, bot: BotApplication
):
    user_id, sleep, _walk, _strategy = await _client(bot, 8301, "en")
    client = fake_api.user(8301)
    today = today_in()
    client.send("/checkin")
    prompt = await client.expect_one()
    client.press(prompt, "6")
    second = await edited(client, prompt, 1)
    async with services_of(bot).sessions() as session, session.begin():
        checkin = await checkin_of(bot, user_id, today)
        row = await session.merge(checkin)
        row.closes_at = row.opened_at  # the window has closed
    client.press(second, BACK["en"])
    assert "expired" in (await edited(client, prompt, 2)).plain_text
    assert (await checkin_of(bot, user_id, today)).step != f"goal:{sleep}"


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_goal_with_one_anchor_shows_it(
    fake_api: FakeBotApi, bot: BotApplication, language: str
):
    user_id = await make_client(bot, 8401, language)
    await add_goal(bot, user_id, "Calm", low="panicky", high=None)
    await add_goal(bot, user_id, "Walk", low=None, high="every day")
    client = fake_api.user(8401, language_code=language)
    client.send("/checkin")
    prompt = await client.expect_one()
    assert "0 = panicky" in prompt.plain_text and "10 =" not in prompt.plain_text
    client.press(prompt, "5")
    second = await edited(client, prompt, 1)
    assert "10 = every day" in second.plain_text and "\n0 =" not in second.plain_text
