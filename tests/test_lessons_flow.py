"""Reading a lesson over the fake Bot API: pages, Done, reflection, quiz, /learn, forged buttons."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select

from bot.app import BotApplication
from bot.db.models import LessonDelivery, LessonQuizAnswer
from bot.lessons.progress import client_progress, reflection_already_saved
from bot.offline.fake_bot_api import FakeBotApi
from tests.lesson_helpers import (
    answer_of,
    deliver,
    delivery_row,
    edited,
    make_client,
    services_of,
)

LANGUAGES = ["en", "de", "es"]
LESSON = "thoughts-feelings-actions"  # two pages, a "try this", a reflection and a quiz
PAGE = {
    "en": "page {page} of 2",
    "de": "Seite {page} von 2",
    "es": "página {page} de 2",
}
NEXT = {"en": "Next »", "de": "Weiter »", "es": "Siguiente »"}
BACK = {"en": "« Back", "de": "« Zurück", "es": "« Atrás"}
DONE = {"en": "Done ✓", "de": "Fertig ✓", "es": "Hecho ✓"}
SKIP = {"en": "Skip", "de": "Überspringen", "es": "Saltar"}
TRY_THIS = {"en": "Try this", "de": "Probier das aus", "es": "Pruébalo"}
SAVED = {
    "en": "I've saved your answer",
    "de": "Ich habe deine Antwort gespeichert",
    "es": "He guardado tu respuesta",
}
WELL_DONE = {"en": "Well done", "de": "Gut gemacht", "es": "Bien hecho"}
STALE = "This button no longer works"


def lesson_in(bot: BotApplication, language: str):
    return services_of(bot).content.lesson(LESSON, language)


@pytest.mark.parametrize("language", LANGUAGES)
async def test_paging_forward_and_back_edits_one_message(
    fake_api: FakeBotApi, bot: BotApplication, language: str
):
    user_id = await make_client(bot, 2001, language)
    client = fake_api.user(2001, language_code=language)
    lesson = lesson_in(bot, language)

    first = await deliver(bot, client, user_id, LESSON)
    assert lesson.meta.title in first.plain_text
    assert PAGE[language].format(page=1) in first.plain_text
    assert [text for text, _ in first.buttons] == [NEXT[language]]

    client.press(first, NEXT[language])
    second = await edited(client, first)
    assert PAGE[language].format(page=2) in second.plain_text
    assert TRY_THIS[language] in second.plain_text
    assert [text for text, _ in second.buttons] == [BACK[language], DONE[language]]

    client.press(second, BACK[language])
    again = await edited(client, first, times=2)
    assert again.plain_text == first.plain_text
    await client.expect_nothing(0.2)  # edited in place: no new message
    assert (await delivery_row(bot, user_id, LESSON)).opened_at is not None


async def test_a_double_tap_on_back_is_harmless(fake_api: FakeBotApi, bot: BotApplication):
    user_id = await make_client(bot, 2002, "en")
    client = fake_api.user(2002, language_code="en")
    first = await deliver(bot, client, user_id, LESSON)
    client.press(first, NEXT["en"])
    second = await edited(client, first)
    # Both presses see page 2; the second edit changes nothing ("message is not modified").
    queries = [client.press(second, BACK["en"]), client.press(second, BACK["en"])]
    for query in queries:
        await answer_of(client, query)
    await client.expect_nothing(0.3)  # no apology, no second message
    assert PAGE["en"].format(page=1) in (await edited(client, first, times=2)).plain_text


@pytest.mark.parametrize("language", LANGUAGES)
async def test_done_asks_the_reflection_and_stores_the_answer(
    fake_api: FakeBotApi, bot: BotApplication, language: str
):
    user_id = await make_client(bot, 2003, language)
    client = fake_api.user(2003, language_code=language)
    lesson = lesson_in(bot, language)
    first = await deliver(bot, client, user_id, LESSON)
    client.press(first, NEXT[language])
    second = await edited(client, first)

    client.press(second, DONE[language])
    prompt = await client.expect_one()
    assert lesson.meta.reflection in prompt.plain_text
    assert [text for text, _ in prompt.buttons] == [SKIP[language]]
    assert (await edited(client, first, times=2)).buttons == []  # Done cannot be pressed twice

    answer = client.send("I thought <they> were annoyed & I checked my phone.")
    thanks, question = await client.expect(2)
    assert SAVED[language] in thanks.plain_text
    assert lesson.meta.quiz[0].question in question.plain_text

    row = await delivery_row(bot, user_id, LESSON)
    assert row.reflection_text == "I thought <they> were annoyed & I checked my phone."
    assert row.reflection_answered_at is not None and row.finished_at is not None
    assert row.reflection_asked_at is None
    async with services_of(bot).sessions() as session:  # a redelivered update is recognised
        assert await reflection_already_saved(session, user_id, answer["message_id"])

    right = next(i for i, a in enumerate(lesson.meta.quiz[0].answers) if a.correct)
    client.press(question, lesson.meta.quiz[0].answers[right].text)
    explained = await edited(client, question)
    assert lesson.meta.quiz[0].answers[right].explanation in explained.plain_text
    closing = await client.expect_one()
    assert WELL_DONE[language] in closing.plain_text and "/learn" in closing.plain_text
    async with services_of(bot).sessions() as session:
        answers = (await session.scalars(select(LessonQuizAnswer))).all()
    assert [(a.question, a.answer, a.correct) for a in answers] == [(0, right, True)]

    # What the practitioner's view (issue 3) will show: in the practitioner's language.
    async with services_of(bot).sessions() as session:
        (seen,) = await client_progress(session, services_of(bot).content, "en", user_id)
    assert seen.lesson_id == LESSON and seen.title == "Thoughts, feelings and actions"
    assert seen.reflection == "I thought <they> were annoyed & I checked my phone."
    assert seen.finished_at is not None and seen.opened_at is not None
    assert [(q.question, q.answer, q.correct) for q in seen.quiz] == [(0, right, True)]

    client.send("Just saying hello.")  # nothing awaits an answer now: the usual reply
    reply = await client.expect_one()
    assert "/help" in reply.plain_text
    row = await delivery_row(bot, user_id, LESSON)
    assert row.reflection_text == "I thought <they> were annoyed & I checked my phone."


async def test_skipping_the_reflection_stores_nothing_and_goes_on(
    fake_api: FakeBotApi, bot: BotApplication
):
    user_id = await make_client(bot, 2004, "en")
    client = fake_api.user(2004, language_code="en")
    first = await deliver(bot, client, user_id, "values")  # no quiz
    client.press(first, NEXT["en"])
    client.press(await edited(client, first), DONE["en"])
    prompt = await client.expect_one()
    client.press(prompt, SKIP["en"])
    closing = await client.expect_one()
    assert WELL_DONE["en"] in closing.plain_text
    client.send("some later text")
    assert "nobody reads them in real time" in (await client.expect_one()).plain_text
    row = await delivery_row(bot, user_id, "values")
    assert row.reflection_text is None and row.finished_at is not None


@pytest.mark.parametrize("language", LANGUAGES)
async def test_learn_lists_delivered_lessons_and_reopens_one(
    fake_api: FakeBotApi, bot: BotApplication, language: str
):
    user_id = await make_client(bot, 2005, language)
    client = fake_api.user(2005, language_code=language)
    client.send("/learn")
    empty = await client.expect_one()
    assert empty.buttons == []  # no lessons yet, and it says so

    await deliver(bot, client, user_id, "paced-breathing")
    await deliver(bot, client, user_id, LESSON)
    client.send("/learn")
    listing = await client.expect_one()
    content = services_of(bot).content
    titles = [content.lesson(i, language).meta.title for i in (LESSON, "paced-breathing")]
    assert [text for text, _ in listing.buttons] == titles  # newest first

    client.press(listing, titles[1])
    reopened = await client.expect_one()
    assert titles[1] in reopened.plain_text
    assert PAGE[language].format(page=1) in reopened.plain_text
    assert (await delivery_row(bot, user_id, "paced-breathing")).opened_at is not None


async def test_a_button_for_someone_elses_delivery_is_refused_and_changes_nothing(
    fake_api: FakeBotApi, bot: BotApplication
):
    owner_id = await make_client(bot, 2006, "en")
    await make_client(bot, 2007, "de")
    owner = fake_api.user(2006, language_code="en")
    intruder = fake_api.user(2007, language_code="de")
    lesson_message = await deliver(bot, owner, owner_id, LESSON)

    # The intruder's client sends callback data naming the owner's delivery.
    query = intruder.press(lesson_message, NEXT["en"])
    answer = await answer_of(intruder, query)
    assert "Diese Schaltfläche funktioniert nicht mehr" in answer["text"]
    await owner.expect_nothing(0.2)
    current = next(m for m in owner.messages() if m.message_id == lesson_message.message_id)
    assert current.edited == 0
    row = await delivery_row(bot, owner_id, LESSON)
    assert row.opened_at is None and row.finished_at is None


async def test_a_button_for_a_delivery_that_no_longer_exists_is_refused(
    fake_api: FakeBotApi, bot: BotApplication
):
    user_id = await make_client(bot, 2008, "en")
    client = fake_api.user(2008, language_code="en")
    message = await deliver(bot, client, user_id, LESSON)
    async with services_of(bot).sessions() as session, session.begin():
        await session.execute(delete(LessonDelivery))
    answer = await answer_of(client, client.press(message, NEXT["en"]))
    assert STALE in answer["text"]
    await client.expect_nothing(0.2)


async def test_a_stranger_pressing_a_lesson_button_is_refused(
    fake_api: FakeBotApi, bot: BotApplication
):
    user_id = await make_client(bot, 2009, "en")
    client = fake_api.user(2009, language_code="en")
    message = await deliver(bot, client, user_id, LESSON)
    stranger = fake_api.user(2010, language_code="es")  # no record at all
    answer = await answer_of(stranger, stranger.press(message, NEXT["en"]))
    assert "Este botón ya no funciona" in answer["text"]


async def test_a_double_tap_on_done_asks_the_reflection_once(
    fake_api: FakeBotApi, bot: BotApplication
):
    user_id = await make_client(bot, 2011, "en")
    client = fake_api.user(2011, language_code="en")
    first = await deliver(bot, client, user_id, LESSON)
    client.press(first, NEXT["en"])
    second = await edited(client, first)
    queries = [client.press(second, DONE["en"]), client.press(second, DONE["en"])]
    for query in queries:
        await answer_of(client, query)
    prompt = await client.expect_one()
    assert SKIP["en"] in [text for text, _ in prompt.buttons]
    await client.expect_nothing(0.3)
    assert (await delivery_row(bot, user_id, LESSON)).finished_at is not None
