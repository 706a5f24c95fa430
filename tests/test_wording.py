"""Language (issue 16, item 8): Spanish in one register (neutral Latin-American, tú: no
vosotros, no "vale", no Peninsular words) with one word for check-in; German with one name
and gender for the bot and natural streak wording; a quiz verdict said once; /help after
onboarding lists what a client can do, in every language."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from babel.messages.pofile import read_po

from bot.app import BotApplication
from bot.content.library import load_content
from bot.db.models import CheckinStatus, StreakState
from bot.flows.menus import CLIENT_MENU
from bot.i18n import Catalogs
from bot.lessons.messages import quiz_feedback
from bot.offline.fake_bot_api import FakeBotApi
from tests.checkin_helpers import add_goal, make_client, past_days, services_of, today_in

ROOT = Path(__file__).resolve().parents[1]
LOCALES = ROOT / "locales"
CONTENT = ROOT / "content"
LANGUAGES = ("en", "de", "es")


def catalog_texts(locale: str) -> Iterator[tuple[str, str]]:
    """(msgid, msgstr) for every translation of ``locale``, each plural form on its own."""
    with (LOCALES / locale / "LC_MESSAGES" / "messages.po").open("rb") as file:
        catalog = read_po(file, locale=locale)
    for message in catalog:
        if not message.id:
            continue
        msgid = message.id if isinstance(message.id, str) else message.id[0]
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in strings:
            yield msgid, text


def _values_in(node: object, locale: str) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == locale and isinstance(value, str):
                yield value
            else:
                yield from _values_in(value, locale)
    elif isinstance(node, list):
        for item in node:
            yield from _values_in(item, locale)


def content_texts(locale: str) -> Iterator[tuple[str, str]]:
    """(where, text) for everything the bot says in ``locale`` from ``content/``: the lesson
    files of that language and the ``<locale>:`` texts of the YAML files. The safety
    lexicons are left out: they hold what clients write, in any register."""
    for path in sorted(CONTENT.glob(f"**/{locale}/**/*")):
        if path.is_file():
            yield str(path.relative_to(ROOT)), path.read_text(encoding="utf-8")
    for path in sorted(CONTENT.glob("**/*.yaml")):
        if path.parent.name == "safety" and path.stem in LANGUAGES:
            continue
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for text in _values_in(data, locale):
            yield str(path.relative_to(ROOT)), text


def everything_said(locale: str) -> list[tuple[str, str]]:
    said = [(f"msgid {msgid[:60]!r}", text) for msgid, text in catalog_texts(locale)]
    return said + list(content_texts(locale))


# --- Spanish: one register

# Forms of the Peninsular register: vosotros and its verbs and pronouns, "vale" as
# "okay" (the verb in "vale la pena" is fine), and words Latin America says otherwise.
PENINSULAR = re.compile(
    r"\b(?:vosotr[oa]s|vuestr[oa]s?|os|\w+áis|\w+éis|vale(?!\s+la\s+pena)"
    r"|móvil(?:es)?|ordenador(?:es)?|coger|coge|apetece|enfadad[oa]s?|enfado)\b",
    re.IGNORECASE,
)


def test_the_scan_finds_the_forms_it_looks_for():
    for text in ("para que podáis ver", "os dice más", "¡Vale!", "Vale, lo dejamos", "el móvil"):
        assert PENINSULAR.search(text), text
    for text in ("no vale la pena seguir", "Valeria", "tú y tu profesional pueden", "osos"):
        assert not PENINSULAR.search(text), text


def test_spanish_speaks_one_register_with_tu():
    found = [
        f"{where}: …{text[max(0, m.start() - 30) : m.end() + 30]}…"
        for where, text in everything_said("es")
        for m in PENINSULAR.finditer(text)
    ]
    assert found == []


CHECK_IN = re.compile(r"\bcheck[ -]?ins?\b|\bchecked in\b", re.IGNORECASE)
# Words once used for the check-in besides "check-in" itself.
OTHER_CHECK_IN_WORDS = re.compile(
    r"\bregistros?\s+(?:diarios?|rápidos?)\b|\bchequeos?\b|\bcontrol diario\b", re.IGNORECASE
)


def test_spanish_has_one_word_for_check_in():
    """Whatever the English calls a check-in, the Spanish calls "check-in" — in the
    messages, the lessons and the command menu alike."""
    missing = [
        msgid
        for msgid, text in catalog_texts("es")
        if CHECK_IN.search(msgid) and "check-in" not in text.lower()
    ]
    assert missing == []
    others = [
        f"{where}: {m.group(0)}"
        for where, text in everything_said("es")
        for m in OTHER_CHECK_IN_WORDS.finditer(text)
    ]
    assert others == []
    for path in sorted((CONTENT / "psychoeducation" / "en").glob("*.md")):
        if re.search(r"\bcheck-ins?\b", path.read_text(encoding="utf-8"), re.IGNORECASE):
            spanish = CONTENT / "psychoeducation" / "es" / path.name
            assert "check-in" in spanish.read_text(encoding="utf-8").lower(), spanish.name
    catalogs = Catalogs.load(LOCALES, LANGUAGES, "en")
    (checkin,) = [text for name, text in CLIENT_MENU if name == "checkin"]
    assert "check-in" in catalogs.translator("es")._(checkin).lower()


# --- German: one name and gender for the bot


def test_german_calls_the_bot_by_one_name_and_gender():
    """Between is "der Begleiter" (never "die Begleitung", which also means a person
    accompanying someone and was used for the practitioner too); ending it is
    "Between beenden"."""
    feminine = re.compile(r"\bBegleitung\b|\b(?:die|eine|einer)\s+Begleiter\b")
    found = [
        f"{where}: {m.group(0)}"
        for where, text in everything_said("de")
        for m in feminine.finditer(text)
    ]
    assert found == []
    catalogs = Catalogs.load(LOCALES, LANGUAGES, "en")
    assert catalogs.translator("de")._("End the companion") == "Between beenden"


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "Streak: 5 days (your best: 5)."),
        ("de", "Serie: 5 Tage (Rekord: 5)."),
        ("es", "Racha: 5 días (récord: 5)."),
    ],
)
async def test_progress_words_the_streak_naturally(
    fake_api: FakeBotApi, bot: BotApplication, language: str, expected: str
):
    user_id = await make_client(bot, 6701, language)
    goal_id = await add_goal(bot, user_id, "Sleep")
    await past_days(bot, user_id, {today_in(): CheckinStatus.ANSWERED}, goal_id=goal_id)
    async with services_of(bot).sessions() as session, session.begin():
        session.add(StreakState(user_id=user_id, current=5, best=5, milestone=3))
    client = fake_api.user(6701, language_code=language)
    client.send("/progress")
    photo = await client.expect_one(timeout=20)
    assert expected in photo.plain_caption


# --- The quiz: the verdict said once

# Words that open a verdict in any language; an explanation that starts with one says
# the verdict a second time.
VERDICT_OPENINGS = re.compile(
    r"^(?:not quite|right|yes|correct|that's right|nicht ganz|richtig|genau|ja|stimmt"
    r"|no exactamente|así es|eso es|exacto|correcto|sí)\b",
    re.IGNORECASE,
)


@pytest.mark.parametrize("language", LANGUAGES)
def test_quiz_feedback_says_the_verdict_once(language: str):
    library, _problems = load_content(CONTENT, LANGUAGES)
    t = Catalogs.load(LOCALES, LANGUAGES, "en").translator(language)
    right, wrong = t._("That's right."), t._("Not quite.")
    checked = 0
    for lesson in library.lessons[language].values():
        for index, question in enumerate(lesson.meta.quiz):
            for chosen, answer in enumerate(question.answers):
                assert not VERDICT_OPENINGS.match(answer.explanation), (lesson.id, chosen)
                said = quiz_feedback(t, lesson=lesson, index=index, chosen=chosen)
                verdict = right if answer.correct else wrong
                assert said.count(verdict) == 1, (lesson.id, chosen)
                checked += 1
    assert checked >= 10


# --- /help after onboarding


@pytest.mark.parametrize("language", LANGUAGES)
async def test_help_lists_what_a_client_can_do(
    fake_api: FakeBotApi, bot: BotApplication, language: str
):
    await make_client(bot, 6801, language)
    t = services_of(bot).catalogs.translator(language)
    client = fake_api.user(6801, language_code=language)
    client.send("/help")
    text = (await client.expect_one()).plain_text
    assert t._("<b>What you can do</b>").removeprefix("<b>").removesuffix("</b>") in text
    for name, description in CLIENT_MENU:
        assert f"/{name} – {t._(description)}" in text
    # Still there: what the bot is not, and where to turn.
    assert t._("<b>If you need help now</b>").removeprefix("<b>").removesuffix("</b>") in text


async def test_help_for_someone_without_an_invite_says_how_to_begin(
    fake_api: FakeBotApi, bot: BotApplication
):
    stranger = fake_api.user(6802)
    stranger.send("/help")
    text = (await stranger.expect_one()).plain_text
    assert "/start" in text
    assert "/checkin" not in text and "/mydata" not in text
