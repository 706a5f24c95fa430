"""Typed answers over the fake Bot API: a question with buttons takes a typed answer as
its button would (a check-in rating and strategy, an intake item, /delete's "delete
everything?"), once per message; text that fits nothing offers the question again with
its buttons; a crisis message is never taken as an answer."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from bot.app import BotApplication
from bot.db.base import utcnow
from bot.db.models import (
    CheckinStatus,
    ConversationStep,
    GoalRating,
    MeasureAdministration,
    MeasureAnswer,
    StrategyAnswer,
    TypedAnswer,
    UserStatus,
)
from bot.offline.fake_bot_api import FakeBotApi
from tests.checkin_helpers import (
    add_goal,
    add_strategy,
    checkin_of,
    make_client,
    safety_flags,
    services_of,
    today_in,
)
from tests.enrollment_helpers import onboard_client, practitioner, user_row

LANGUAGES = ["en", "de", "es"]
SEVEN = {"en": "seven", "de": "sieben", "es": "siete"}
SIX_OF_TEN = {"en": "6 of 10", "de": "6 von 10", "es": "6/10"}
YES = {"en": "yes", "de": "Ja!", "es": "sí"}
NO = {"en": "no", "de": "nein", "es": "no"}
OF2 = {"en": "(2 of 2)", "de": "(2 von 2)", "es": "(2 de 2)"}
DID = {
    "en": "Did you do this in the last 24 hours?",
    "de": "Hast du das in den letzten 24 Stunden gemacht?",
    "es": "¿Lo hiciste en las últimas 24 horas?",
}
NO_NOTE = {"en": "No note today", "de": "Heute keine Notiz", "es": "Hoy sin nota"}
SKIP = {"en": "Skip today", "de": "Heute auslassen", "es": "Saltar hoy"}
WAITING_NUMBER = {
    "en": "I'm waiting for your answer to this question. Tap a button, or type a number "
    "from 0 to 10.",
    "de": "Ich warte noch auf deine Antwort auf diese Frage. Tippe auf eine Schaltfläche "
    "oder schreib eine Zahl von 0 bis 10.",
    "es": "Estoy esperando tu respuesta a esta pregunta. Toca un botón o escribe un número "
    "del 0 al 10.",
}
WAITING_YES_NO = {
    "en": "I'm waiting for your answer to this question. Tap a button, or type yes or no.",
    "de": "Ich warte noch auf deine Antwort auf diese Frage. Tippe auf eine Schaltfläche "
    "oder schreib ja oder nein.",
    "es": "Estoy esperando tu respuesta a esta pregunta. Toca un botón o escribe sí o no.",
}
BRUSH_OFF = {
    "en": "I can't answer messages like this",
    "de": "Auf solche Nachrichten kann ich nicht antworten",
    "es": "No puedo responder a mensajes como este",
}
PROGRESS = {"en": "{n} of {total}", "de": "{n} von {total}", "es": "{n} de {total}"}
DELETE_YES = {"en": "Yes, delete everything", "de": "Ja, alles löschen", "es": "Sí, borrar todo"}
DELETED = {
    "en": "everything I stored about you is deleted",
    "de": "ist gelöscht",
    "es": "está borrado",
}
KEPT = {
    "en": "Nothing was deleted.",
    "de": "Es wurde nichts gelöscht.",
    "es": "No se ha borrado nada.",
}
CRISIS = {
    "en": "I want to kill myself",
    "de": "Ich will mich umbringen",
    "es": "Quiero matarme",
}
CALM_OPENING = {
    "en": "Thank you for telling me.",
    "de": "Danke, dass du mir das schreibst.",
    "es": "Gracias por contármelo.",
}


async def _ratings(bot: BotApplication) -> list[tuple[int, int]]:
    async with services_of(bot).sessions() as session:
        rows = await session.scalars(select(GoalRating).order_by(GoalRating.goal_id))
        return [(row.goal_id, row.value) for row in rows]


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_typed_checkin_is_stored_like_pressed_buttons_and_once(
    fake_api: FakeBotApi, bot: BotApplication, language: str
):
    user_id = await make_client(bot, 6101, language)
    sleep = await add_goal(bot, user_id, "Sleep")
    walk = await add_goal(bot, user_id, "Walk more")
    strategy = await add_strategy(bot, walk, "10-minute walk")
    client = fake_api.user(6101, language_code=language)
    client.send("/checkin")
    await client.expect_one()

    seven = client.send(SEVEN[language])
    second = await client.expect_one()  # the next question, with its buttons
    assert OF2[language] in second.plain_text and "Walk more" in second.plain_text
    # The rating buttons (then Skip today and Back, as on every step)
    assert [label for label, _ in second.buttons][:11] == [str(v) for v in range(11)]
    # Telegram delivers the same message again: not taken as the answer to question 2.
    fake_api._world.publish("message", lambda: dict(seven))
    await client.expect_nothing(0.5)
    assert await _ratings(bot) == [(sleep, 7)]

    client.send(SIX_OF_TEN[language])
    third = await client.expect_one()
    assert DID[language] in third.plain_text
    client.send(YES[language])
    note = await client.expect_one()
    assert note.buttons[0][0] == NO_NOTE[language]
    client.press(note, NO_NOTE[language])
    await client.expect_nothing(0.3)

    assert await _ratings(bot) == [(sleep, 7), (walk, 6)]
    async with services_of(bot).sessions() as session:
        answers = [(a.strategy_id, a.done) for a in await session.scalars(select(StrategyAnswer))]
        typed = len((await session.scalars(select(TypedAnswer))).all())
    assert answers == [(strategy, True)]
    assert typed == 3  # one per typed answer, never the text
    checkin = await checkin_of(bot, user_id, today_in())
    assert checkin.status is CheckinStatus.ANSWERED and checkin.step == "done"


@pytest.mark.parametrize("language", LANGUAGES)
async def test_text_that_fits_nothing_offers_the_question_again_with_its_buttons(
    fake_api: FakeBotApi, bot: BotApplication, language: str
):
    user_id = await make_client(bot, 6201, language)
    sleep = await add_goal(bot, user_id, "Sleep")
    client = fake_api.user(6201, language_code=language)
    client.send("/checkin")
    await client.expect_one()

    client.send("hmm, hard to say")
    again = await client.expect_one()
    assert again.plain_text.startswith(WAITING_NUMBER[language]), again.plain_text
    assert BRUSH_OFF[language] not in again.plain_text
    assert "Sleep" in again.plain_text
    assert [label for label, _ in again.buttons] == [str(v) for v in range(11)] + [SKIP[language]]
    assert await _ratings(bot) == []

    client.press(again, "4")  # the offered buttons work
    for _ in range(100):
        if await _ratings(bot):
            break
        await client.expect_nothing(0.05)
    assert await _ratings(bot) == [(sleep, 4)]


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_crisis_message_at_an_open_question_goes_to_the_safety_path(
    fake_api: FakeBotApi, bot: BotApplication, language: str
):
    user_id = await make_client(bot, 6301, language)
    await add_goal(bot, user_id, "Sleep")
    client = fake_api.user(6301, language_code=language)
    client.send("/checkin")
    await client.expect_one()
    client.send(CRISIS[language])
    reply = await client.expect_one()
    assert reply.plain_text.startswith(CALM_OPENING[language])
    assert [f.user_id for f in await safety_flags(bot, 1)] == [user_id]
    await client.expect_nothing(0.3)
    assert await _ratings(bot) == []


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_typed_number_answers_the_intake_item(
    fake_api: FakeBotApi, bot: BotApplication, language: str
):
    lead, _row = await practitioner(fake_api, bot, 6401)
    client = await onboard_client(fake_api, lead, 6402, language=language)
    user = await user_row(bot, 6402)
    five = client.send("5")
    second = await client.expect_one()
    assert PROGRESS[language].format(n=2, total=9) in second.plain_text
    assert second.buttons  # its answers, as buttons
    fake_api._world.publish("message", lambda: dict(five))  # delivered again
    await client.expect_nothing(0.5)

    client.send("quite good really")
    again = await client.expect_one()
    assert again.plain_text.startswith(WAITING_NUMBER[language])
    assert PROGRESS[language].format(n=2, total=9) in again.plain_text
    client.send("8/10")
    third = await client.expect_one()
    assert PROGRESS[language].format(n=3, total=9) in third.plain_text

    async with services_of(bot).sessions() as session:
        administration = await session.scalar(
            select(MeasureAdministration).where(MeasureAdministration.user_id == user.id)
        )
        stored = {
            row.item_id: row.value
            for row in await session.scalars(
                select(MeasureAnswer).where(MeasureAnswer.administration_id == administration.id)
            )
        }
    assert stored == {"mood": 5, "worry": 8}
    assert administration.current_item == 2


@pytest.mark.parametrize("language", LANGUAGES)
async def test_yes_typed_at_delete_erases_and_no_keeps(
    fake_api: FakeBotApi, bot: BotApplication, language: str
):
    await make_client(bot, 6501, language)
    client = fake_api.user(6501, language_code=language)
    client.send("/delete")
    await client.expect_one()
    client.send(NO[language])
    assert (await client.expect_one()).plain_text == KEPT[language]
    client.send(YES[language])  # the question was answered: a "yes" now deletes nothing
    assert BRUSH_OFF[language] in (await client.expect_one()).plain_text
    assert await user_row(bot, 6501) is not None

    client.send("/delete")
    await client.expect_one()
    client.send("what does that mean?")
    again = await client.expect_one()
    assert again.plain_text.startswith(WAITING_YES_NO[language])
    assert DELETE_YES[language] in [label for label, _ in again.buttons]
    client.send(YES[language])
    assert DELETED[language] in (await client.expect_one()).plain_text
    assert await user_row(bot, 6501) is None


async def test_a_delete_question_left_for_a_while_is_no_longer_answered_by_typing(
    fake_api: FakeBotApi, bot: BotApplication
):
    """An erasure cannot be undone: a "yes" typed long after /delete is not taken as one."""
    user_id = await make_client(bot, 6601)
    client = fake_api.user(6601)
    client.send("/delete")
    question = await client.expect_one()
    async with services_of(bot).sessions() as session, session.begin():
        await session.execute(
            update(ConversationStep)
            .where(ConversationStep.user_id == user_id)
            .values(updated_at=utcnow() - timedelta(hours=1))
        )
    client.send("yes")
    assert BRUSH_OFF["en"] in (await client.expect_one()).plain_text
    assert await user_row(bot, 6601) is not None
    client.press(question, DELETE_YES["en"])  # the button still works
    assert DELETED["en"] in (await client.expect_one()).plain_text


CARRY_ON = {"en": "Good, we carry on.", "de": "Gut, wir machen weiter.", "es": "Bien, seguimos."}


@pytest.mark.parametrize("language", LANGUAGES)
async def test_yes_and_no_typed_at_stop(fake_api: FakeBotApi, bot: BotApplication, language: str):
    await make_client(bot, 6901, language)
    client = fake_api.user(6901, language_code=language)
    client.send("/stop")
    await client.expect_one()
    client.send(NO[language])
    assert (await client.expect_one()).plain_text == CARRY_ON[language]
    assert (await user_row(bot, 6901)).status is UserStatus.ACTIVE
    client.send("/stop")
    await client.expect_one()
    client.send(YES[language])
    await client.expect_one()  # done: no more messages from the companion
    assert (await user_row(bot, 6901)).status is UserStatus.STOPPED
