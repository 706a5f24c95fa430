"""A check-in over the fake Bot API: goals one at a time, strategies, the note, idempotence,
/checkin once a day, expiry, streaks and their words, two low ratings, /progress."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from bot.app import BotApplication
from bot.checkins import messages as texts
from bot.checkins.delivery import mark_missed
from bot.db.base import utcnow
from bot.db.models import (
    Checkin,
    CheckinSource,
    CheckinStatus,
    GoalRating,
    RatingChange,
    Schedule,
    StrategyAnswer,
    StreakState,
    User,
)
from bot.delivery import add_schedule
from bot.domain.streaks import MILESTONES
from bot.offline.fake_bot_api import FakeBotApi
from tests.checkin_helpers import (
    add_goal,
    add_strategy,
    answer_of,
    checkin_of,
    edited,
    make_client,
    past_days,
    safety_flags,
    services_of,
    today_in,
)
from tests.enrollment_helpers import press_forged

LANGUAGES = ["en", "de", "es"]
OF = {"en": "(1 of 2)", "de": "(1 von 2)", "es": "(1 de 2)"}
OF2 = {"en": "(2 of 2)", "de": "(2 von 2)", "es": "(2 de 2)"}
HOW = {
    "en": "How was it today, from 0 to 10?",
    "de": "Wie war es heute, von 0 bis 10?",
    "es": "¿Cómo fue hoy, del 0 al 10?",
}
DID = {
    "en": "Did you do this in the last 24 hours?",
    "de": "Hast du das in den letzten 24 Stunden gemacht?",
    "es": "¿Lo hiciste en las últimas 24 horas?",
}
DONE = {"en": "Done ✓", "de": "Fertig ✓", "es": "Hecho ✓"}
NO_NOTE = {"en": "No note today", "de": "Heute keine Notiz", "es": "Hoy sin nota"}
SKIP = {"en": "Skip today", "de": "Heute auslassen", "es": "Saltar hoy"}
BACK = {"en": "« Back", "de": "« Zurück", "es": "« Atrás"}
THANKS = {
    "en": "Thank you — your check-in is saved.",
    "de": "Danke — dein Check-in ist gespeichert.",
    "es": "Gracias — tu check-in está guardado.",
}
STREAK_1 = {
    "en": "Streak: 1 day (your best: 1).",
    "de": "Serie: 1 Tag (Rekord: 1).",
    "es": "Racha: 1 día (récord: 1).",
}
ALREADY = {
    "en": "You've already checked in today",
    "de": "Du hast heute schon eingecheckt",
    "es": "Ya hiciste el check-in hoy",
}
EXPIRED = {
    "en": "This check-in has expired.",
    "de": "Dieser Check-in ist abgelaufen.",
    "es": "Este check-in ha caducado.",
}


async def _client_with_goals(bot: BotApplication, telegram_id: int, language: str):
    user_id = await make_client(bot, telegram_id, language)
    sleep = await add_goal(bot, user_id, "Sleep <8h> & rest", low="awful", high="great")
    walk = await add_goal(bot, user_id, "Walk more")
    strategy = await add_strategy(bot, walk, "10-minute walk after lunch")
    return user_id, sleep, walk, strategy


@pytest.mark.parametrize("language", LANGUAGES)
async def test_an_early_checkin_asks_each_goal_then_strategies_then_a_note(
    fake_api: FakeBotApi, bot: BotApplication, language: str
):
    user_id, sleep, walk, strategy = await _client_with_goals(bot, 5001, language)
    client = fake_api.user(5001, language_code=language)

    client.send("/checkin")
    prompt = await client.expect_one()
    assert OF[language] in prompt.plain_text and HOW[language] in prompt.plain_text
    assert "Sleep <8h> & rest" in prompt.plain_text  # the client's words, escaped as HTML
    assert "0 = awful · 10 = great" in prompt.plain_text
    labels = [label for label, _ in prompt.buttons]
    assert labels == [str(v) for v in range(11)] + [SKIP[language]]

    client.press(prompt, "7")
    second = await edited(client, prompt)
    assert OF2[language] in second.plain_text and "Walk more" in second.plain_text
    # Every later question offers Back and Skip today too.
    assert [label for label, _ in second.buttons][-2:] == [BACK[language], SKIP[language]]
    client.press(second, "3")
    third = await edited(client, prompt, 2)
    assert DID[language] in third.plain_text and "10-minute walk" in third.plain_text
    client.press(third, DONE[language])
    fourth = await edited(client, prompt, 3)
    assert [label for label, _ in fourth.buttons] == [
        NO_NOTE[language],
        BACK[language],
        SKIP[language],
    ]

    note = client.send("Slept badly <again> but walked")
    thanks = await client.expect_one()
    assert THANKS[language] in thanks.plain_text
    assert STREAK_1[language] in thanks.plain_text

    today = today_in()
    checkin = await checkin_of(bot, user_id, today)
    assert checkin.status is CheckinStatus.ANSWERED and checkin.source is CheckinSource.EARLY
    assert checkin.step == "done" and checkin.note == "Slept badly <again> but walked"
    assert checkin.note_message_id == note["message_id"]
    async with services_of(bot).sessions() as session:
        ratings = (await session.scalars(select(GoalRating).order_by(GoalRating.goal_id))).all()
        answers = (await session.scalars(select(StrategyAnswer))).all()
        raw = await session.scalar(text("SELECT note FROM checkins"))
        streak = await session.get(StreakState, user_id)
    assert [(r.goal_id, r.value, r.local_date) for r in ratings] == [
        (sleep, 7, today),
        (walk, 3, today),
    ]
    assert [(a.strategy_id, a.done) for a in answers] == [(strategy, True)]
    assert "Slept" not in raw  # encrypted at rest
    assert (streak.current, streak.best) == (1, 1)


@pytest.mark.parametrize("language", LANGUAGES)
async def test_checkin_once_a_day_and_the_scheduled_prompt_is_not_sent_again(
    fake_api: FakeBotApi, bot: BotApplication, language: str
):
    user_id = await make_client(bot, 5101, language)
    await add_goal(bot, user_id, "Sleep")
    async with services_of(bot).sessions() as session, session.begin():
        user = await session.get(User, user_id)
        await add_schedule(
            session, user, kind="checkin_reminder", now=utcnow(), default_timezone="UTC"
        )
    client = fake_api.user(5101, language_code=language)
    client.send("/checkin")
    prompt = await client.expect_one()
    client.press(prompt, "8")
    note = await edited(client, prompt)
    client.press(note, NO_NOTE[language])
    assert THANKS[language] in (await edited(client, prompt, 2)).plain_text

    client.send("/checkin")
    again = await client.expect_one()
    assert ALREADY[language] in again.plain_text
    assert "Sleep: 8/10" in again.plain_text
    assert again.buttons == []
    async with services_of(bot).sessions() as session:
        schedule = await session.scalar(select(Schedule))
        count = len((await session.scalars(select(Checkin))).all())
    today = today_in()
    assert schedule.last_slot_date == today  # today's scheduled prompt is served already
    assert schedule.next_slot_date > today
    assert count == 1


async def test_a_double_tap_a_redelivered_update_and_an_edited_note_record_once(
    fake_api: FakeBotApi, bot: BotApplication
):
    user_id = await make_client(bot, 5201)
    goal = await add_goal(bot, user_id, "Sleep")
    client = fake_api.user(5201)
    client.send("/checkin")
    prompt = await client.expect_one()
    data = dict((label, d) for label, d in prompt.buttons)["7"]
    client.press(prompt, "7")
    note_question = await edited(client, prompt)
    # The same button again (a double tap, or Telegram redelivering the press).
    query = press_forged(fake_api, client, note_question, data)
    assert (await answer_of(client, query))["text"] == "Already noted. ✓"
    # A changed answer inside the window: replaced, and the change kept.
    changed = press_forged(fake_api, client, note_question, data.rsplit(":", 1)[0] + ":9")
    assert (await answer_of(client, changed))["text"] == "Changed. ✓"

    sent = client.send("first words")
    await client.expect_one()
    fake_api._world.publish("message", lambda: dict(sent))  # redelivered by Telegram
    client.edit(sent, "second words")  # an edited message is not a second note
    client.send("/checkin")
    assert "You've already checked in today" in (await client.expect_one()).plain_text

    async with services_of(bot).sessions() as session:
        ratings = (await session.scalars(select(GoalRating))).all()
        changes = (await session.scalars(select(RatingChange))).all()
        checkin = await session.scalar(select(Checkin))
    assert [(r.goal_id, r.value) for r in ratings] == [(goal, 9)]
    assert [(c.rating_id, c.previous_value, c.new_value) for c in changes] == [
        (ratings[0].id, 7, 9)
    ]
    assert checkin.note == "first words"
    await client.expect_nothing()
    assert len(client.messages()) == 3  # prompt, thanks, "already": nothing for the repeats


@pytest.mark.parametrize("language", LANGUAGES)
async def test_an_expired_checkin_refuses_its_buttons(
    fake_api: FakeBotApi, bot: BotApplication, language: str
):
    user_id = await make_client(bot, 5301, language)
    await add_goal(bot, user_id, "Sleep")
    client = fake_api.user(5301, language_code=language)
    client.send("/checkin")
    prompt = await client.expect_one()
    checkin = await checkin_of(bot, user_id, today_in())
    async with services_of(bot).sessions() as session, session.begin():
        assert await mark_missed(session, now=checkin.closes_at, grace_days=1) == 1
    client.press(prompt, "5")
    expired = await edited(client, prompt)
    assert EXPIRED[language] in expired.plain_text and expired.buttons == []
    async with services_of(bot).sessions() as session:
        assert (await session.scalars(select(GoalRating))).all() == []
        row = await session.scalar(select(Checkin))
    assert row.status is CheckinStatus.MISSED


async def test_someone_elses_goal_or_a_junk_button_changes_nothing(
    fake_api: FakeBotApi, bot: BotApplication
):
    owner_id = await make_client(bot, 5401)
    goal = await add_goal(bot, owner_id, "Sleep")
    other_id = await make_client(bot, 5402)
    await add_goal(bot, other_id, "Walk")
    other = fake_api.user(5402)
    other.send("/checkin")
    prompt = await other.expect_one()
    day = texts.day_code(today_in())
    for data in (f"ck:{day}:g:{goal}:3", "ck:junk:g:1:1", f"ck:{day}:g:{goal}:99", "ck:"):
        query = press_forged(fake_api, other, prompt, data)
        assert "no longer works" in (await answer_of(other, query))["text"]
    async with services_of(bot).sessions() as session:
        assert (await session.scalars(select(GoalRating))).all() == []


async def test_no_goals_means_nothing_to_rate_yet(fake_api: FakeBotApi, bot: BotApplication):
    await make_client(bot, 5501)
    client = fake_api.user(5501)
    client.send("/checkin")
    reply = await client.expect_one()
    assert "nothing to rate yet" in reply.plain_text and "/goals" in reply.plain_text
    async with services_of(bot).sessions() as session:
        assert (await session.scalars(select(Checkin))).all() == []


# --- streaks


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_streak_survives_a_pause_and_a_grace_day(
    fake_api: FakeBotApi, bot: BotApplication, language: str
):
    user_id = await make_client(bot, 5601, language)
    goal = await add_goal(bot, user_id, "Sleep")
    today = today_in()
    A, M = CheckinStatus.ANSWERED, CheckinStatus.MISSED
    # Ten days ago and before: answered; a paused week (no rows at all); one missed day
    # (the grace day); then answered again until yesterday.
    history = {today - timedelta(days=d): A for d in (12, 11, 10)}
    history[today - timedelta(days=3)] = M
    history.update({today - timedelta(days=d): A for d in (2, 1)})
    await past_days(bot, user_id, history, goal_id=goal)
    client = fake_api.user(5601, language_code=language)
    client.send("/checkin")
    prompt = await client.expect_one()
    client.press(prompt, "6")
    note = await edited(client, prompt)
    client.press(note, NO_NOTE[language])
    thanks = await edited(client, prompt, 2)
    expected = {
        "en": "Streak: 6 days (your best: 6).",
        "de": "Serie: 6 Tage (Rekord: 6).",
        "es": "Racha: 6 días (récord: 6).",
    }
    assert expected[language] in thanks.plain_text
    async with services_of(bot).sessions() as session:
        state = await session.get(StreakState, user_id)
    assert (state.current, state.best, state.through_date) == (6, 6, today)


MILESTONE_WORDS = {
    "en": ("in a row", "running", "streak of"),
    "de": ("in Folge", "am Stück", "Serie von"),
    "es": ("seguido", "racha de"),
}


@pytest.mark.parametrize("milestone", MILESTONES)
async def test_each_milestone_is_celebrated_once(
    fake_api: FakeBotApi, bot: BotApplication, milestone: int
):
    language = LANGUAGES[milestone % 3]
    user_id = await make_client(bot, 5700 + milestone, language)
    goal = await add_goal(bot, user_id, "Sleep")
    today = today_in()
    await past_days(
        bot,
        user_id,
        {today - timedelta(days=d): CheckinStatus.ANSWERED for d in range(1, milestone)},
        goal_id=goal,
    )
    client = fake_api.user(5700 + milestone, language_code=language)
    client.send("/checkin")
    prompt = await client.expect_one()
    client.press(prompt, "6")
    client.press(await edited(client, prompt), NO_NOTE[language])
    thanks = (await edited(client, prompt, 2)).plain_text
    celebration = texts.milestone(
        services_of(bot).catalogs.translator(language), milestone, variant=user_id + milestone
    )
    assert str(milestone) in celebration
    assert any(word in celebration for word in MILESTONE_WORDS[language])
    assert celebration in thanks
    async with services_of(bot).sessions() as session:
        state = await session.get(StreakState, user_id)
    assert (state.current, state.milestone) == (milestone, milestone)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_milestone_variant_is_translated(bot_catalogs, language: str):
    translator = bot_catalogs.translator(language)
    english = bot_catalogs.translator("en")
    for milestone in MILESTONES:
        said = {texts.milestone(translator, milestone, variant=v) for v in range(4)}
        assert len(said) == 4  # varied
        assert all(str(milestone) in line for line in said)
        if language != "en":
            assert said.isdisjoint(
                {texts.milestone(english, milestone, variant=v) for v in range(4)}
            )


@pytest.fixture
def bot_catalogs():
    from bot.i18n import Catalogs
    from bot.settings import PROJECT_ROOT, SUPPORTED_LOCALES

    return Catalogs.load(PROJECT_ROOT / "locales", SUPPORTED_LOCALES, "en")


WELCOME = {
    "en": ("Welcome back!", "Nice to have you back."),
    "de": ("Willkommen zurück!", "Schön, dass du wieder da bist."),
    "es": ("¡Bienvenido de vuelta!", "Qué bien tenerte de vuelta."),
}


@pytest.mark.parametrize("language", LANGUAGES)
async def test_after_a_break_a_warm_welcome_back(
    fake_api: FakeBotApi, bot: BotApplication, language: str
):
    user_id = await make_client(bot, 5801, language)
    goal = await add_goal(bot, user_id, "Sleep")
    today = today_in()
    A, M = CheckinStatus.ANSWERED, CheckinStatus.MISSED
    await past_days(
        bot,
        user_id,
        {
            today - timedelta(days=6): A,
            today - timedelta(days=5): A,
            today - timedelta(days=4): A,
            today - timedelta(days=3): M,
            today - timedelta(days=2): M,
        },
        goal_id=goal,
    )
    client = fake_api.user(5801, language_code=language)
    client.send("/checkin")
    prompt = await client.expect_one()
    client.press(prompt, "6")
    client.press(await edited(client, prompt), NO_NOTE[language])
    thanks = (await edited(client, prompt, 2)).plain_text
    assert any(words in thanks for words in WELCOME[language])
    assert STREAK_AFTER_BREAK[language] in thanks  # a fresh start; the best is kept
    for word in ("missed", "broke", "verpasst", "perdiste"):
        assert word not in thanks


STREAK_AFTER_BREAK = {
    "en": "Streak: 1 day (your best: 3).",
    "de": "Serie: 1 Tag (Rekord: 3).",
    "es": "Racha: 1 día (récord: 3).",
}
LOW = {
    "en": "Two hard days in a row",
    "de": "Zwei schwere Tage hintereinander",
    "es": "Dos días difíciles seguidos",
}


@pytest.mark.parametrize("language", LANGUAGES)
async def test_two_very_low_ratings_in_a_row_point_gently_to_help(
    fake_api: FakeBotApi, bot: BotApplication, language: str
):
    user_id = await make_client(bot, 5901, language)
    goal = await add_goal(bot, user_id, "Mood")
    await past_days(
        bot,
        user_id,
        {today_in() - timedelta(days=1): CheckinStatus.ANSWERED},
        goal_id=goal,
        value=1,
    )
    client = fake_api.user(5901, language_code=language)
    client.send("/checkin")
    prompt = await client.expect_one()
    client.press(prompt, "2")
    gentle = await client.expect_one()
    assert LOW[language] in gentle.plain_text and "/help" in gentle.plain_text


async def test_one_low_rating_alone_says_nothing_extra(fake_api: FakeBotApi, bot: BotApplication):
    user_id = await make_client(bot, 5902)
    goal = await add_goal(bot, user_id, "Mood")
    await past_days(
        bot, user_id, {today_in() - timedelta(days=1): CheckinStatus.ANSWERED}, goal_id=goal
    )
    client = fake_api.user(5902)
    client.send("/checkin")
    prompt = await client.expect_one()
    client.press(prompt, "1")
    await edited(client, prompt)
    await client.expect_nothing()


# --- /progress

PROGRESS = {"en": "Your progress", "de": "Dein Fortschritt", "es": "Tu progreso"}


@pytest.mark.parametrize("language", LANGUAGES)
async def test_progress_sends_a_chart_with_streak_and_encouragement(
    fake_api: FakeBotApi, bot: BotApplication, language: str
):
    user_id = await make_client(bot, 6001, language)
    goal = await add_goal(bot, user_id, "Sleep")
    today = today_in()
    await past_days(
        bot,
        user_id,
        {today - timedelta(days=d): CheckinStatus.ANSWERED for d in range(1, 6)},
        goal_id=goal,
    )
    async with services_of(bot).sessions() as session, session.begin():
        session.add(StreakState(user_id=user_id, current=5, best=9, milestone=3))
    client = fake_api.user(6001, language_code=language)
    client.send("/progress")
    photo = await client.expect_one(timeout=20)
    assert photo.method == "sendPhoto"
    assert photo.file.startswith(b"\x89PNG")
    assert PROGRESS[language] in photo.plain_caption
    assert "5" in photo.plain_caption and "9" in photo.plain_caption
    assert "Sleep" in photo.plain_caption  # the encouragement names their own goal


async def test_progress_without_ratings_is_a_kind_text(fake_api: FakeBotApi, bot: BotApplication):
    await make_client(bot, 6002)
    client = fake_api.user(6002)
    client.send("/progress")
    reply = await client.expect_one()
    assert reply.method == "sendMessage"
    assert "/checkin" in reply.plain_text


async def test_a_note_in_crisis_is_stored_then_answered_with_the_crisis_resources(
    fake_api: FakeBotApi, bot: BotApplication
):
    user_id = await make_client(bot, 6101)
    await add_goal(bot, user_id, "Mood")
    client = fake_api.user(6101)
    client.send("/checkin")
    prompt = await client.expect_one()
    client.press(prompt, "1")
    await edited(client, prompt)
    client.send("I can't do this anymore, I want to kill myself")
    reply = await client.expect_one()
    assert reply.plain_text.startswith("Thank you for telling me.")
    assert "Thank you — your check-in is saved." not in reply.plain_text
    checkin = await checkin_of(bot, user_id, today_in())
    assert checkin.note == "I can't do this anymore, I want to kill myself"
    assert checkin.step == "done"
    assert [flag.user_id for flag in await safety_flags(bot, 1)] == [user_id]


async def test_a_low_rating_weeks_ago_is_not_in_a_row(fake_api: FakeBotApi, bot: BotApplication):
    user_id = await make_client(bot, 5903)
    goal = await add_goal(bot, user_id, "Mood")
    await past_days(
        bot,
        user_id,
        {today_in() - timedelta(days=20): CheckinStatus.ANSWERED},
        goal_id=goal,
        value=0,
    )
    client = fake_api.user(5903)
    client.send("/checkin")
    prompt = await client.expect_one()
    client.press(prompt, "1")
    await edited(client, prompt)
    await client.expect_nothing()


async def test_progress_draws_a_goal_whose_title_has_dollar_signs(
    fake_api: FakeBotApi, bot: BotApplication
):
    """`$_$` would start matplotlib's math mode (and fail to parse): shown as typed."""
    user_id = await make_client(bot, 6003)
    goal = await add_goal(bot, user_id, "cost $_$ x")
    today = today_in()
    await past_days(
        bot,
        user_id,
        {today - timedelta(days=d): CheckinStatus.ANSWERED for d in range(1, 4)},
        goal_id=goal,
    )
    client = fake_api.user(6003)
    client.send("/progress")
    photo = await client.expect_one(timeout=20)
    assert photo.method == "sendPhoto"
    assert photo.file.startswith(b"\x89PNG")
    assert PROGRESS["en"] in photo.plain_caption


CARE = {
    "en": "Whatever today is like, you don't have to carry it alone.",
    "de": "Wie auch immer es dir heute geht: Du musst das nicht allein tragen.",
    "es": "Sea como sea tu día, no tienes que cargarlo a solas.",
}
CRISIS = {
    "en": "I can't do this anymore, I want to kill myself",
    "de": "Ich kann nicht mehr, ich will mich umbringen",
    "es": "Ya no puedo más, quiero matarme",
}


@pytest.mark.parametrize("language", LANGUAGES)
async def test_progress_right_after_a_crisis_message_celebrates_nothing(
    fake_api: FakeBotApi, bot: BotApplication, language: str
):
    user_id = await make_client(bot, 6101, language)
    goal = await add_goal(bot, user_id, "Sleep")
    today = today_in()
    await past_days(bot, user_id, {today - timedelta(days=2): CheckinStatus.ANSWERED}, goal_id=goal)
    await past_days(
        bot, user_id, {today - timedelta(days=1): CheckinStatus.ANSWERED}, goal_id=goal, value=9
    )
    client = fake_api.user(6101, language_code=language)
    client.send(CRISIS[language])
    await safety_flags(bot, 1)  # recorded once the calm reply with resources was sent
    client.send("/progress")
    photo = None
    for _ in range(400):
        photo = next((m for m in client.messages() if m.method == "sendPhoto"), None)
        if photo is not None:
            break
        await asyncio.sleep(0.05)
    assert photo is not None
    assert "9/10" not in photo.plain_caption  # no "best day" right after a crisis message
    assert CARE[language] in photo.plain_caption


async def test_progress_counts_today_once_a_question_is_answered_though_the_check_in_is_not_done(
    fake_api: FakeBotApi, bot: BotApplication
):
    """A press leaves the streak to the end of the check-in (or the sweep); /progress
    counts a day answered and then left, at once."""
    user_id = await make_client(bot, 6003)
    sleep = await add_goal(bot, user_id, "Sleep")
    await add_goal(bot, user_id, "Walk")
    today = today_in()
    await past_days(
        bot,
        user_id,
        {today - timedelta(days=d): CheckinStatus.ANSWERED for d in (1, 2)},
        goal_id=sleep,
    )
    async with services_of(bot).sessions() as session, session.begin():
        session.add(StreakState(user_id=user_id, current=2, best=2, milestone=0))
    client = fake_api.user(6003)
    client.send("/checkin")
    prompt = await client.expect_one()
    client.press(prompt, "6")  # the first goal only; the second question stays open
    await edited(client, prompt)

    client.send("/progress")
    photo = await client.expect_one(timeout=20)
    assert "Streak: 3 days (your best: 3)." in photo.plain_caption
    async with services_of(bot).sessions() as session:
        streak = await session.get(StreakState, user_id)
    assert streak is not None and (streak.current, streak.best) == (3, 3)
