"""The preference questions as step objects (bot/preferences/steps.py), without a bot:
what each asks, how it reads a button, a typed answer or a location, what it stores.

Onboarding and /settings both drive these; the flow tests cover the conversation.
"""

from __future__ import annotations

from datetime import time

import pytest

from bot.callbacks import Question
from bot.db.models import User
from bot.enrollment import clients, timezones
from bot.flows import questions
from bot.flows.outgoing import Outgoing
from bot.i18n import Catalogs
from bot.preferences import labels
from bot.preferences.steps import (
    CHOOSE_FROM_LIST,
    SKIP,
    STEP_OF,
    STEPS,
    CheckinStep,
    Choice,
    Env,
    LanguageStep,
    QuietStep,
    Reask,
    Refused,
    Save,
    Show,
    TimezoneStep,
)
from bot.settings import PROJECT_ROOT, SUPPORTED_LOCALES

DEFAULT_ZONE = "Europe/Vienna"


@pytest.fixture(scope="module")
def catalogs() -> Catalogs:
    return Catalogs.load(PROJECT_ROOT / "locales", SUPPORTED_LOCALES, "en")


@pytest.fixture
def en(catalogs: Catalogs) -> Env:
    return Env(catalogs.translator("en"), catalogs, DEFAULT_ZONE)


@pytest.fixture
def de(catalogs: Catalogs) -> Env:
    return Env(catalogs.translator("de"), catalogs, DEFAULT_ZONE)


def _values(choices: tuple[tuple[Choice, ...], ...]) -> list[tuple[Question, str | None]]:
    return [(choice.question, choice.value) for row in choices for choice in row]


# --------------------------------------------------------------------------- the table


def test_one_step_per_stored_step_name_in_onboarding_order():
    # conversation_steps stores these names: a client mid-way keeps going after an upgrade.
    assert tuple(STEPS) == clients.STEPS == ("language", "timezone", "checkin", "quiet")
    assert all(STEPS[name].name == name for name in STEPS)


def test_every_button_question_belongs_to_exactly_one_step():
    assert set(STEP_OF) == set(Question)
    assert STEP_OF[Question.LANGUAGE] == "language"
    assert STEP_OF[Question.CITY] == STEP_OF[Question.ZONE_NO] == "timezone"
    assert STEP_OF[Question.CHECKIN] == "checkin"
    assert STEP_OF[Question.QUIET] == "quiet"


# --------------------------------------------------------------------------- language


def test_language_offers_every_catalog_in_its_own_name_marking_the_current(de: Env):
    prompt = LanguageStep().ask(de)
    assert prompt.text == de.t._("Which language should I use with you?")
    assert [choice.label for row in prompt.choices for choice in row] == [
        "English",
        "✓ Deutsch",
        "Español",
    ]
    assert _values(prompt.choices) == [(Question.LANGUAGE, code) for code in SUPPORTED_LOCALES]


async def test_language_button_saves_a_known_language_and_refuses_another(en: Env):
    step = LanguageStep()
    assert await step.on_button(en, Question.LANGUAGE, "es") == Save("es")
    assert await step.on_button(en, Question.LANGUAGE, "xx") == Refused()
    assert await step.on_button(en, Question.LANGUAGE, "") == Refused()
    user = User(locale="en")
    step.save(user, "es")
    assert user.locale == "es"
    assert step.switches_language


async def test_a_typed_language_asks_for_the_buttons(en: Env):
    outcome = await LanguageStep().on_text(en, "Deutsch")
    assert outcome == Reask("Please choose with one of the buttons.")


def test_only_the_time_zone_takes_a_location(en: Env):
    for step in (LanguageStep(), CheckinStep(), QuietStep()):
        assert step.on_location(en, 52.52, 13.40) is None


# --------------------------------------------------------------------------- check-in time


def test_checkin_offers_times_in_rows_of_four_and_skip(en: Env):
    prompt = CheckinStep().ask(en)
    assert [len(row) for row in prompt.choices] == [4, 4, 1]
    assert _values(prompt.choices)[:2] == [(Question.CHECKIN, "0700"), (Question.CHECKIN, "0800")]
    assert prompt.choices[-1][0] == Choice("Skip for now", Question.CHECKIN, "skip")


@pytest.mark.parametrize(
    ("typed", "chosen"),
    [("20:30", time(20, 30)), ("8 pm", time(20)), ("7.15", time(7, 15)), ("20 Uhr", time(20))],
)
async def test_checkin_reads_a_typed_time(en: Env, typed: str, chosen: time):
    assert await CheckinStep().on_text(en, typed) == Save(chosen)


@pytest.mark.parametrize("typed", ["25:00", "20:75", "13 pm", "soon", "8:3", "20:30 tomorrow"])
async def test_checkin_asks_again_for_what_is_not_a_time(de: Env, typed: str):
    outcome = await CheckinStep().on_text(de, typed)
    assert outcome == Reask(de.t._("I didn't catch a time there."))
    assert outcome.lead != "I didn't catch a time there."  # said in the user's language


async def test_checkin_buttons(en: Env):
    step = CheckinStep()
    assert await step.on_button(en, Question.CHECKIN, "0830") == Save(time(8, 30))
    assert await step.on_button(en, Question.CHECKIN, "0000") == Save(time(0, 0))
    assert await step.on_button(en, Question.CHECKIN, "skip") == Save(None)
    for forged in ("2460", "2400", "830", "abcd", ""):
        assert await step.on_button(en, Question.CHECKIN, forged) == Refused()


def test_checkin_skip_keeps_the_time_already_chosen():
    user = User(checkin_time=time(9))
    CheckinStep().save(user, None)
    assert user.checkin_time == time(9)
    CheckinStep().save(user, time(20, 30))
    assert user.checkin_time == time(20, 30)


# --------------------------------------------------------------------------- quiet hours


def test_quiet_hours_offers_three_spans_and_none(en: Env):
    prompt = QuietStep().ask(en)
    assert _values(prompt.choices) == [
        (Question.QUIET, "2200-0700"),
        (Question.QUIET, "2100-0800"),
        (Question.QUIET, "2300-0900"),
        (Question.QUIET, "none"),
    ]
    assert prompt.choices[0][0].label == labels.quiet_label("en", time(22), time(7))


@pytest.mark.parametrize(
    ("typed", "hours"),
    [
        ("22-7", (time(22), time(7))),
        ("22:30 bis 06:45", (time(22, 30), time(6, 45))),
        ("13-14", (time(13), time(14))),
    ],
)
async def test_quiet_hours_read_a_typed_span(en: Env, typed: str, hours: tuple[time, time]):
    assert await QuietStep().on_text(en, typed) == Save(hours)


@pytest.mark.parametrize("typed", ["22-22", "22", "late", "22-25", "from 10"])
async def test_quiet_hours_ask_again_for_what_is_not_a_span(en: Env, typed: str):
    assert await QuietStep().on_text(en, typed) == Reask("I didn't catch a time there.")


async def test_quiet_hours_buttons(en: Env):
    step = QuietStep()
    assert await step.on_button(en, Question.QUIET, "2200-0700") == Save((time(22), time(7)))
    assert await step.on_button(en, Question.QUIET, "none") == Save(None)
    for forged in ("2200-2200", "2200", "2200-", "2500-0700", "x-y", ""):
        assert await step.on_button(en, Question.QUIET, forged) == Refused()


def test_no_quiet_hours_clears_them():
    user = User(quiet_start=time(22), quiet_end=time(7))
    QuietStep().save(user, None)
    assert (user.quiet_start, user.quiet_end) == (None, None)
    QuietStep().save(user, (time(23), time(6)))
    assert (user.quiet_start, user.quiet_end) == (time(23), time(6))


# --------------------------------------------------------------------------- time zone


def test_time_zone_asks_with_the_location_keyboard(en: Env):
    prompt = TimezoneStep().ask(en)
    assert prompt.choices == ()
    assert [[(key.label, key.location) for key in row] for row in prompt.keyboard] == [
        [("📍 Share my location", True)],
        [("🗺 Choose from a list", False), ("Skip for now", False)],
    ]


async def test_time_zone_list_in_any_language_and_skip(en: Env, de: Env):
    step = TimezoneStep()
    german_list = de.t._(CHOOSE_FROM_LIST)
    assert german_list != CHOOSE_FROM_LIST
    # Just switched to English, still tapping the German keyboard: the regions come.
    shown = await step.on_text(en, german_list)
    assert isinstance(shown, Show)
    assert _values(shown.prompt.choices)[0] == (Question.REGION, "eu")
    skipped = await step.on_text(de, de.t._(SKIP))
    assert isinstance(skipped, Save) and skipped.value is None
    assert skipped.note is not None and DEFAULT_ZONE in skipped.note
    user = User(timezone="Asia/Tokyo")
    step.save(user, None)
    assert user.timezone == "Asia/Tokyo"


async def test_a_typed_city_is_confirmed_with_its_zone(en: Env):
    shown = await TimezoneStep().on_text(en, "Reykjavik")
    assert isinstance(shown, Show) and not shown.drop
    assert "Reykjav" in shown.prompt.text
    assert _values(shown.prompt.choices) == [
        (Question.ZONE_OK, "Atlantic/Reykjavik"),
        (Question.ZONE_NO, None),
    ]


async def test_an_unknown_city_is_asked_again_escaped(en: Env):
    outcome = await TimezoneStep().on_text(en, "Qxzzyvv <b>")
    assert isinstance(outcome, Reask)
    assert outcome.lead is not None
    assert "Qxzzyvv &lt;b&gt;" in outcome.lead and "<b>" not in outcome.lead


async def test_time_zone_buttons(en: Env):
    step = TimezoneStep()
    region = await step.on_button(en, Question.REGION, "eu")
    assert isinstance(region, Show) and region.drop
    zones = _values(region.prompt.choices)
    assert (Question.ZONE, "Europe/Berlin") in zones
    assert all(question == Question.ZONE for question, _ in zones)

    confirm = await step.on_button(en, Question.ZONE, "Europe/Berlin")
    assert isinstance(confirm, Show) and not confirm.drop
    assert (Question.ZONE_OK, "Europe/Berlin") in _values(confirm.prompt.choices)

    ok = await step.on_button(en, Question.ZONE_OK, "Europe/Berlin")
    assert isinstance(ok, Save) and ok.value == "Europe/Berlin"
    assert ok.note == "Time zone: {place} ✓".format(
        place=timezones.zone_label("Europe/Berlin", "en")
    )
    assert await step.on_button(en, Question.ZONE_NO, "") == Reask(drop=True)

    city = timezones.city_index().search("Reykjavik")[0]
    by_city = await step.on_button(en, Question.CITY, str(city.geonameid))
    assert isinstance(by_city, Show)
    assert (Question.ZONE_OK, city.timezone) in _values(by_city.prompt.choices)
    # A city that is not in the index (any more): the question again, no complaint.
    assert await step.on_button(en, Question.CITY, "999999999") == Reask()

    for question, forged in (
        (Question.REGION, "zz"),
        (Question.ZONE, "Mars/Olympus"),
        (Question.ZONE_OK, "Europe/Atlantis"),
        (Question.CITY, "berlin"),
    ):
        assert await step.on_button(en, question, forged) == Refused()

    user = User(timezone=None)
    step.save(user, "Europe/Berlin")
    assert user.timezone == "Europe/Berlin"


def test_a_shared_location_is_confirmed_with_its_zone(en: Env):
    shown = TimezoneStep().on_location(en, 52.52, 13.405)  # Berlin
    assert isinstance(shown, Show)
    assert (Question.ZONE_OK, "Europe/Berlin") in _values(shown.prompt.choices)


# --------------------------------------------------------------------------- rendered by the flow


@pytest.mark.parametrize(("flow", "prefix"), [("onboarding", "ob"), ("settings", "st")])
def test_a_prompt_becomes_buttons_of_its_flow(en: Env, flow: str, prefix: str):
    out = Outgoing(chat_id=1)
    questions.render(out, flow, QuietStep().ask(en), lead="Saved.")
    [(text, markup)] = out.replies
    assert text.startswith("Saved.\n\nAnd quiet hours")
    data = [button.callback_data for row in markup.inline_keyboard for button in row]
    assert data == [
        f"{prefix}:qh:2200-0700",
        f"{prefix}:qh:2100-0800",
        f"{prefix}:qh:2300-0900",
        f"{prefix}:qh:none",
    ]
