"""A program's questions after a lesson: asked one at a time once the reflection is answered
or skipped, each skippable; answers stored encrypted, crisis-screened after storing, shown to
the practitioner in /lessons, and in /mydata. Over the fake Bot API, SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text

from bot.app import BotApplication
from bot.db.models import ProgramAnswer
from bot.flows.keyboards import markup
from bot.lessons.progress import deliver_lesson, program_answer_already_saved
from bot.offline.fake_bot_api import FakeBotApi, FakeUser, SentMessage
from tests.enrollment_helpers import (
    answer_of,
    onboard_client,
    practitioner,
    press_forged,
    user_row,
)
from tests.lesson_helpers import delivery_row, edited, make_client, services_of
from tests.test_crisis_flow import flags

LESSON = "behavioural-activation"  # no quiz; in "foundations" it has two questions
PROGRAM = "foundations"
NEXT = {"en": "Next »", "de": "Weiter »", "es": "Siguiente »"}
DONE = {"en": "Done ✓", "de": "Fertig ✓", "es": "Hecho ✓"}
SKIP = {"en": "Skip", "de": "Überspringen", "es": "Saltar"}
SAVED = {
    "en": "I've saved your answer",
    "de": "Ich habe deine Antwort gespeichert",
    "es": "He guardado tu respuesta",
}
HEADING = {
    "en": "A question from your program (1 of 2)",
    "de": "Eine Frage aus deinem Programm (1 von 2)",
    "es": "Una pregunta de tu programa (1 de 2)",
}
SECOND = {
    "en": "A question from your program (2 of 2)",
    "de": "Eine Frage aus deinem Programm (2 von 2)",
    "es": "Una pregunta de tu programa (2 de 2)",
}
WELL_DONE = {"en": "Well done", "de": "Gut gemacht", "es": "Bien hecho"}
THEIR_ANSWER = {
    "en": "Their answer to “{q}”",
    "de": "Die Antwort auf „{q}“",
    "es": "Su respuesta a «{q}»",
}
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


def questions(bot: BotApplication, language: str) -> list[str]:
    program = services_of(bot).content.program(PROGRAM)
    step = next(s for s in program.lessons if s.lesson == LESSON)
    return [q[language] for q in step.questions]


async def deliver_in_program(
    bot: BotApplication, client: FakeUser, user_id: int, program: str | None = PROGRAM
) -> SentMessage:
    services = services_of(bot)
    async with services.sessions() as session, session.begin():
        delivered = await deliver_lesson(
            session,
            services.content,
            services.catalogs,
            user_id=user_id,
            lesson_id=LESSON,
            now=datetime.now(UTC),
            program_id=program,
        )
    message = delivered.message
    await bot.bot.send_message(message.chat_id, message.text, reply_markup=markup(message.buttons))
    return await client.expect_one()


async def finish_reading(client: FakeUser, first: SentMessage, language: str) -> SentMessage:
    """Page to the end, press Done; returns the reflection question."""
    current, edits = first, 0
    while DONE[language] not in [label for label, _ in current.buttons]:
        client.press(current, NEXT[language])
        edits += 1
        current = await edited(client, first, edits)
    client.press(current, DONE[language])
    return await client.expect_one()


async def answers(bot: BotApplication) -> list[ProgramAnswer]:
    async with services_of(bot).sessions() as session:
        return list(await session.scalars(select(ProgramAnswer).order_by(ProgramAnswer.question)))


@pytest.mark.parametrize("language", ["en", "de", "es"])
async def test_questions_follow_the_reflection_one_at_a_time_and_each_can_be_skipped(
    fake_api: FakeBotApi, bot: BotApplication, language: str
):
    user_id = await make_client(bot, 7101, language)
    client = fake_api.user(7101, language_code=language)
    first = await deliver_in_program(bot, client, user_id)
    reflection = await finish_reading(client, first, language)
    assert await answers(bot) == []  # nothing is asked before the reflection is done

    client.send("Cooking with a friend.")
    thanks, asked = await client.expect(2)
    assert SAVED[language] in thanks.plain_text
    first_q, second_q = questions(bot, language)
    assert HEADING[language] in asked.plain_text and first_q in asked.plain_text
    assert [label for label, _ in asked.buttons] == [SKIP[language]]
    del reflection

    typed = client.send("A walk on <Sunday> & a call to Mum.")
    thanks, asked_again = await client.expect(2)
    assert SAVED[language] in thanks.plain_text
    assert SECOND[language] in asked_again.plain_text and second_q in asked_again.plain_text
    stored = await answers(bot)
    assert stored[0].answer_text == "A walk on <Sunday> & a call to Mum."
    assert stored[0].answered_at is not None and stored[0].message_id == typed["message_id"]
    async with services_of(bot).sessions() as session:  # a redelivered update is recognised
        assert await program_answer_already_saved(session, user_id, typed["message_id"])
    # the reflection was not overwritten by the answer
    assert (await delivery_row(bot, user_id, LESSON)).reflection_text == "Cooking with a friend."

    (skip_data,) = [data for _, data in asked_again.buttons]
    client.press(asked_again, SKIP[language])
    closing = await client.expect_one()
    assert WELL_DONE[language] in closing.plain_text
    stored = await answers(bot)
    assert [(a.question, a.answer_text, a.skipped_at is not None) for a in stored] == [
        (0, "A walk on <Sunday> & a call to Mum.", False),
        (1, None, True),
    ]
    # a second tap (the buttons are gone, but a slow client may still send it): nothing more
    await answer_of(client, press_forged(fake_api, client, asked_again, skip_data))
    await client.expect_nothing(0.3)
    assert [a.skipped_at is not None for a in await answers(bot)] == [False, True]

    client.send("Just saying hello.")  # nothing waits now: the usual reply, nothing stored
    assert "/help" in (await client.expect_one()).plain_text
    assert len(await answers(bot)) == 2

    async with services_of(bot).sessions() as session:  # encrypted at rest
        raw = await session.scalar(text("SELECT answer_text FROM program_answers WHERE question=0"))
    assert "Sunday" not in raw


async def test_skipping_the_reflection_goes_on_to_the_questions(
    fake_api: FakeBotApi, bot: BotApplication
):
    user_id = await make_client(bot, 7102, "en")
    client = fake_api.user(7102, language_code="en")
    reflection = await finish_reading(client, await deliver_in_program(bot, client, user_id), "en")
    client.press(reflection, SKIP["en"])
    asked = await client.expect_one()
    assert HEADING["en"] in asked.plain_text
    client.press(asked, SKIP["en"])
    assert SECOND["en"] in (await client.expect_one()).plain_text


async def test_a_lesson_sent_on_its_own_asks_no_program_question(
    fake_api: FakeBotApi, bot: BotApplication
):
    user_id = await make_client(bot, 7103, "en")
    client = fake_api.user(7103, language_code="en")
    first = await deliver_in_program(bot, client, user_id, program=None)
    reflection = await finish_reading(client, first, "en")
    client.press(reflection, SKIP["en"])
    assert WELL_DONE["en"] in (await client.expect_one()).plain_text
    assert await answers(bot) == []


async def test_someone_elses_skip_button_is_refused_and_changes_nothing(
    fake_api: FakeBotApi, bot: BotApplication
):
    owner_id = await make_client(bot, 7104, "en")
    owner = fake_api.user(7104, language_code="en")
    reflection = await finish_reading(owner, await deliver_in_program(bot, owner, owner_id), "en")
    owner.press(reflection, SKIP["en"])
    asked = await owner.expect_one()
    (data,) = [d for _, d in asked.buttons]

    await make_client(bot, 7105, "en")
    intruder = fake_api.user(7105, language_code="en")
    intruder.send("hello")
    hello = await intruder.expect_one()
    answer = await answer_of(intruder, press_forged(fake_api, intruder, hello, data))
    assert "no longer works" in answer.get("text", "")
    assert [(a.question, a.skipped_at) for a in await answers(bot)] == [(0, None)]


@pytest.mark.parametrize("language", ["en", "de", "es"])
async def test_an_answer_in_crisis_language_is_stored_then_answered_with_resources(
    fake_api: FakeBotApi, bot: BotApplication, language: str
):
    user_id = await make_client(bot, 7106, language)
    client = fake_api.user(7106, language_code=language)
    reflection = await finish_reading(
        client, await deliver_in_program(bot, client, user_id), language
    )
    client.press(reflection, SKIP[language])
    await client.expect_one()  # the first question

    client.send(CRISIS[language])
    reply = await client.expect_one()
    assert reply.plain_text.startswith(CALM_OPENING[language])
    await client.expect_nothing(0.3)  # nothing more is asked now
    stored = await answers(bot)
    assert [(a.question, a.answer_text) for a in stored] == [(0, CRISIS[language])]
    assert [flag.user_id for flag in await flags(bot, 1)] == [user_id]
    # the second question was never shown, so it does not wait: the next text is not taken
    client.send("sorry")
    assert "/help" in (await client.expect_one()).plain_text
    assert len(await answers(bot)) == 1


async def test_a_reflection_in_crisis_language_leaves_no_unseen_question_waiting(
    fake_api: FakeBotApi, bot: BotApplication
):
    user_id = await make_client(bot, 7107, "en")
    client = fake_api.user(7107, language_code="en")
    await finish_reading(client, await deliver_in_program(bot, client, user_id), "en")
    client.send(CRISIS["en"])
    assert (await client.expect_one()).plain_text.startswith(CALM_OPENING["en"])
    await client.expect_nothing(0.3)
    assert await answers(bot) == []  # the program's question was not asked
    assert (await delivery_row(bot, user_id, LESSON)).reflection_text == CRISIS["en"]


@pytest.mark.parametrize("language", ["en", "de", "es"])
async def test_the_practitioner_reads_the_answers_and_the_client_gets_them_in_mydata(
    fake_api: FakeBotApi, bot: BotApplication, language: str
):
    lead, _ = await practitioner(fake_api, bot, 7110, language=language)
    client = await onboard_client(fake_api, lead, 7111, language=language, alias="Anna M.")
    client_row = await user_row(bot, 7111)
    reflection = await finish_reading(
        client, await deliver_in_program(bot, client, client_row.id), language
    )
    client.press(reflection, SKIP[language])
    await client.expect_one()
    client.send("Baking <bread> & tea")
    await client.expect(2)

    lead.send("/lessons Anna M.")
    shown = await lead.expect_one()
    first_q = questions(bot, language)[0]
    assert THEIR_ANSWER[language].format(q=first_q) in shown.plain_text
    assert "Baking <bread> & tea" in shown.plain_text  # shown as text, never as markup
    assert "Baking &lt;bread&gt; &amp; tea" in shown.text

    client.send("/mydata")
    sent = await client.expect_one()
    archive = zipfile.ZipFile(io.BytesIO(sent.file))
    rows = json.loads(archive.read("program_answers.json"))
    assert [(r["question"], r["answer_text"]) for r in rows] == [
        (0, "Baking <bread> & tea"),
        (1, None),  # asked, not answered yet
    ]
