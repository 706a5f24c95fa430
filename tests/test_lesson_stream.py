"""The lesson stream follows the client (issue 20, items 3–5): the intake's areas choose
the programs, which take turns in one stream; two unopened lessons hold the next one
(one gentle line, a button to resume); "Another lesson now" once a day; a look-back
question a week after a lesson, answered and counted in the practitioner's view."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from bot.app import SENDER_KEY, BotApplication
from bot.callbacks import LessonMore, More, ReviewAnswer, ReviewSkip
from bot.db.models import (
    LessonDelivery,
    LessonReview,
    MeasureAdministration,
    ProgramEnrollment,
    User,
)
from bot.domain.lesson_stream import Sent, StreamProgram, held, next_lesson, spacing
from bot.lessons import delivery as lesson_delivery
from bot.lessons import reviews
from bot.lessons.schedule import enroll, enroll_many
from bot.measures import callbacks as measure_callbacks
from bot.offline.fake_bot_api import FakeBotApi, FakeUser
from tests.enrollment_helpers import (
    answer_of,
    onboard_client,
    practitioner,
    press_forged,
    user_row,
)
from tests.lesson_helpers import edited, make_client, services_of

NOW = datetime(2026, 12, 6, 12, tzinfo=UTC)


def sent(lesson: str, program: str | None, days_ago: int, *, opened=True, reflected=False):
    return Sent(lesson, program, NOW - timedelta(days=days_ago), opened, reflected)


SLEEP = StreamProgram("sleep", ("a", "shared", "b"), 3, 1)
WORRY = StreamProgram("worry", ("shared", "c", "d"), 3)


def test_programs_take_turns_and_a_shared_lesson_comes_once():
    assert next_lesson([SLEEP, WORRY], []) == ("sleep", "a")
    assert next_lesson([SLEEP, WORRY], [sent("a", "sleep", 3)]) == ("worry", "shared")
    history = [sent("a", "sleep", 6), sent("shared", "worry", 3)]
    assert next_lesson([SLEEP, WORRY], history) == ("sleep", "b")
    history.append(sent("b", "sleep", 1))
    assert next_lesson([SLEEP, WORRY], history) == ("worry", "c")
    # lessons from an earlier program (the default one) are not sent again
    assert next_lesson([WORRY], [sent("shared", "foundations", 9)]) == ("worry", "c")
    done = [sent(x, "sleep", 1) for x in ("a", "shared", "b")]
    assert next_lesson([SLEEP], done) is None


def test_two_unopened_hold_and_a_reflection_moves_on_sooner():
    assert not held([sent("a", "sleep", 6, opened=False)])
    assert held([sent("a", "sleep", 6, opened=False), sent("b", "sleep", 3, opened=False)])
    assert not held([sent("a", "sleep", 6, opened=False), sent("b", "sleep", 3)])
    assert spacing([SLEEP, WORRY], [sent("a", "sleep", 1)]) == 3
    assert spacing([SLEEP, WORRY], [sent("a", "sleep", 1, reflected=True)]) == 1
    assert spacing([SLEEP, WORRY], [sent("shared", "worry", 1, reflected=True)]) == 3


# ----------------------------------------------------------------------- over the fake API


async def plan(bot: BotApplication) -> int:
    services = services_of(bot)
    queued = await lesson_delivery.plan_lessons(
        services.sessions,
        services.content,
        services.catalogs,
        now=datetime.now(UTC),
        default_timezone="UTC",
        window=timedelta(hours=12),
    )
    bot.bot_data[SENDER_KEY].wake()
    return queued


async def days_pass(bot: BotApplication, user_id: int, days: int, *, open_them: bool) -> None:
    """As if every lesson so far had been delivered ``days`` earlier (opened, or not)."""
    async with services_of(bot).sessions() as session, session.begin():
        for row in await session.scalars(
            select(LessonDelivery).where(LessonDelivery.user_id == user_id)
        ):
            row.delivered_at -= timedelta(days=days)
            if open_them and row.opened_at is None:
                row.opened_at = row.delivered_at
        enrollment = await session.get(ProgramEnrollment, user_id)
        enrollment.started_on -= timedelta(days=days)


async def deliveries(bot: BotApplication, user_id: int) -> list[LessonDelivery]:
    async with services_of(bot).sessions() as session:
        return list(
            await session.scalars(
                select(LessonDelivery)
                .where(LessonDelivery.user_id == user_id)
                .order_by(LessonDelivery.id)
            )
        )


def read_all(user: FakeUser) -> None:
    """Mark every message so far read (what came before the part under test)."""
    with user._world.lock:
        unread = user._world.log.unread(user._chat_id)
        user._world.log.mark_read(user._chat_id, len(unread))


def title(bot: BotApplication, lesson_id: str, language: str) -> str:
    return services_of(bot).content.lesson(lesson_id, language).meta.title


@pytest.mark.parametrize("language", ["en", "de", "es"])
async def test_an_intake_choosing_sleep_and_worry_brings_those_lessons(
    fake_api: FakeBotApi, bot: BotApplication, language: str
):
    lead, _row = await practitioner(fake_api, bot, 9501)
    client = await onboard_client(fake_api, lead, 9502, language=language, alias="Lou")
    intake = client.messages()[-1]
    user = await user_row(bot, 9502)
    async with services_of(bot).sessions() as session, session.begin():
        admin_id = await session.scalar(
            select(MeasureAdministration.id).where(MeasureAdministration.user_id == user.id)
        )
        # lessons now, whatever the time of day the test runs at
        await session.execute(
            update(User)
            .where(User.id == user.id)
            .values(checkin_time=None, quiet_start=None, quiet_end=None)
        )
    for index in range(8):
        client.press(intake, measure_callbacks.skip(admin_id, index))
        await edited(client, intake, index + 1)
    client.press(intake, measure_callbacks.toggle(admin_id, 8, 3))  # sleep
    await edited(client, intake, 9)
    client.press(intake, measure_callbacks.toggle(admin_id, 8, 2))  # worry
    await edited(client, intake, 10)
    client.press(intake, measure_callbacks.done(admin_id, 8))
    await edited(client, intake, 11)
    await lead.expect_one(timeout=10)  # "has answered the first questions"
    for _ in range(500):
        async with services_of(bot).sessions() as session:
            enrollment = await session.get(ProgramEnrollment, user.id)
            if enrollment is not None and len(enrollment.programs) == 2:
                break
    assert set(enrollment.programs) == {"sleep", "worry"}

    read_all(client)
    received = []
    for _ in range(3):
        assert await plan(bot) == 1
        lesson = await client.expect_one(timeout=10)
        received.append(lesson.plain_text)
        await days_pass(bot, user.id, 3, open_them=True)
    rows = await deliveries(bot, user.id)
    first = enrollment.programs[0]
    other = enrollment.programs[1]
    assert [row.program_id for row in rows] == [first, other, first]
    content = services_of(bot).content
    expected = [
        content.program(first).lesson_ids[0],
        content.program(other).lesson_ids[0],
        content.program(first).lesson_ids[1],
    ]
    assert [row.lesson_id for row in rows] == expected
    for text, lesson_id in zip(received, expected, strict=True):
        assert title(bot, lesson_id, language) in text


async def on_stream(bot: BotApplication, telegram_id: int, language: str, *programs: str) -> int:
    user_id = await make_client(bot, telegram_id, language)
    services = services_of(bot)
    async with services.sessions() as session, session.begin():
        await enroll_many(
            session,
            services.content,
            user_id=user_id,
            program_ids=list(programs),
            start_on=datetime.now(UTC).date(),
        )
    return user_id


HELD = {
    "en": "Your last two lessons are still waiting for you",
    "de": "Deine letzten zwei Lektionen warten noch auf dich",
    "es": "Tus dos últimas lecciones todavía te esperan",
}


@pytest.mark.parametrize("language", ["en", "de", "es"])
async def test_two_unopened_lessons_hold_the_third_until_the_client_resumes(
    fake_api: FakeBotApi, bot: BotApplication, language: str
):
    user_id = await on_stream(bot, 9511, language, "sleep", "worry")
    client = fake_api.user(9511, language_code=language)
    for _ in range(2):
        assert await plan(bot) == 1
        await client.expect_one(timeout=10)
        await days_pass(bot, user_id, 3, open_them=False)
    assert len(await deliveries(bot, user_id)) == 2
    # due, but held: one gentle line with a button, and no third lesson
    assert await plan(bot) == 1
    notice = await client.expect_one(timeout=10)
    assert HELD[language] in notice.plain_text
    assert [data for _text, data in notice.buttons] == [LessonMore(More.RESUME, user_id).pack()]
    assert await plan(bot) == 0  # told once
    await days_pass(bot, user_id, 3, open_them=False)
    assert await plan(bot) == 0  # still held, still told only once
    await client.expect_nothing(0.3)
    assert len(await deliveries(bot, user_id)) == 2

    client.press(notice, LessonMore(More.RESUME, user_id).pack())
    third = await client.expect_one(timeout=10)
    rows = await deliveries(bot, user_id)
    assert len(rows) == 3
    assert title(bot, rows[2].lesson_id, language) in third.plain_text
    assert not (await edited(client, notice)).buttons
    # pressed again (a double tap, or an old copy): nothing more comes
    query = press_forged(fake_api, client, notice, LessonMore(More.RESUME, user_id).pack())
    assert (await answer_of(client, query))["text"] == STALE[language]
    await client.expect_nothing(0.3)
    assert len(await deliveries(bot, user_id)) == 3


STALE = {
    "en": "This button no longer works. /help shows what you can do.",
    "de": "Diese Schaltfläche funktioniert nicht mehr. /help zeigt, was du tun kannst.",
    "es": "Este botón ya no funciona. /help muestra lo que puedes hacer.",
}
ANOTHER = {"en": "Another lesson now", "de": "Noch eine Lektion jetzt", "es": "Otra lección ahora"}
USED_UP = {
    "en": "You've had your extra lesson today, and that's great.",
    "de": "Deine Extra-Lektion für heute hattest du schon.",
    "es": "Ya tuviste tu lección extra de hoy.",
}


@pytest.mark.parametrize("language", ["en", "de", "es"])
async def test_another_lesson_now_once_a_day(
    fake_api: FakeBotApi, bot: BotApplication, language: str
):
    user_id = await on_stream(bot, 9521, language, "sleep")
    client = fake_api.user(9521, language_code=language)
    client.send("/lessons")
    listing = await client.expect_one(timeout=10)
    assert [text for text, _data in listing.buttons] == [ANOTHER[language]]
    client.press(listing, ANOTHER[language])
    lesson = await client.expect_one(timeout=10)
    first = services_of(bot).content.program("sleep").lesson_ids[0]
    assert title(bot, first, language) in lesson.plain_text
    client.send("/lessons")
    listing = await client.expect_one(timeout=10)
    assert ANOTHER[language] in [text for text, _data in listing.buttons]
    client.press(listing, ANOTHER[language])
    used_up = await client.expect_one(timeout=10)
    assert USED_UP[language] in used_up.plain_text
    assert [row.lesson_id for row in await deliveries(bot, user_id)] == [first]
    # the planned stream waits its spacing after the extra lesson
    assert await plan(bot) == 0


async def test_a_practitioner_chooses_two_programs_with_one_command(
    fake_api: FakeBotApi, bot: BotApplication
):
    lead, _row = await practitioner(fake_api, bot, 9531)
    client = await onboard_client(fake_api, lead, 9532, alias="Lou")
    user = await user_row(bot, 9532)
    read_all(client)
    read_all(lead)
    lead.send("/assign Lou sleep,worry")
    reply = await lead.expect_one(timeout=10)
    assert reply.plain_text == (
        "Lou now follows Better sleep, Worry and stress, starting today. I've let them know."
    )
    async with services_of(bot).sessions() as session:
        enrollment = await session.get(ProgramEnrollment, user.id)
    assert enrollment.programs == ("sleep", "worry")
    told = await client.expect_one(timeout=10)
    assert "Better sleep, Worry and stress" in told.plain_text
    lead.send("/assign Lou sleep,nothing")
    assert "nothing" in (await lead.expect_one(timeout=10)).plain_text
    async with services_of(bot).sessions() as session:
        assert (await session.get(ProgramEnrollment, user.id)).programs == ("sleep", "worry")


async def test_a_look_back_question_a_week_later_answered_and_shown(
    fake_api: FakeBotApi, bot: BotApplication
):
    lead, _row = await practitioner(fake_api, bot, 9541)
    client = await onboard_client(fake_api, lead, 9542, alias="Lou")
    user = await user_row(bot, 9542)
    services = services_of(bot)
    async with services.sessions() as session, session.begin():
        await session.execute(
            update(User)
            .where(User.id == user.id)
            .values(checkin_time=None, quiet_start=None, quiet_end=None)
        )
        await enroll(
            session,
            services.content,
            user_id=user.id,
            program_id="sleep",
            start_on=datetime.now(UTC).date(),
        )
    read_all(client)
    assert await plan(bot) == 1
    await client.expect_one(timeout=10)
    lesson_id = services.content.program("sleep").lesson_ids[0]
    review = services.content.lesson(lesson_id, "en").meta.review
    assert review is not None and review.answers

    async def plan_reviews() -> int:
        queued = await reviews.plan_reviews(
            services.sessions,
            services.content,
            now=datetime.now(UTC),
            default_timezone="UTC",
            window=timedelta(hours=12),
        )
        bot.bot_data[SENDER_KEY].wake()
        return queued

    await days_pass(bot, user.id, 3, open_them=False)
    assert await plan_reviews() == 0  # unopened, and not a week yet
    await days_pass(bot, user.id, 5, open_them=True)
    # (the stream's next lesson is not planned here: only the review)
    assert await plan_reviews() == 1
    assert await plan_reviews() == 0  # asked once
    question = await client.expect_one(timeout=10)
    assert review.question in question.plain_text
    assert title(bot, lesson_id, "en") in question.plain_text
    async with services.sessions() as session:
        row = await session.scalar(select(LessonReview))
    right = next(i for i, answer in enumerate(review.answers) if answer.correct)
    assert [data for _t, data in question.buttons] == [
        *(ReviewAnswer(row.id, i).pack() for i in range(len(review.answers))),
        ReviewSkip(row.id).pack(),
    ]
    client.press(question, ReviewAnswer(row.id, right).pack())
    shown = await edited(client, question)
    assert "That's right." in shown.plain_text and not shown.buttons
    async with services.sessions() as session:
        row = await session.scalar(select(LessonReview))
    assert row.answer == right and row.correct and row.answered_at is not None

    read_all(lead)
    lead.send("/client Lou")
    view = "\n".join(m.plain_text or "" for m in await lead.expect(1, timeout=10))
    assert "Lessons by area: Better sleep: 1 delivered, 1 opened, 0 finished, 0 reflected on" in (
        view
    )
    assert "Look-back questions: 1 of 1 answered, 1 right" in view
    lead.send("/digest")  # the weekly digest's block for Lou has the same two lines
    digest = (await lead.expect_one(timeout=20)).plain_text
    assert "Lessons by area: Better sleep: 1 delivered, 1 opened" in digest
    assert "Look-back questions: 1 of 1 answered, 1 right" in digest
    lead.send("/lessons Lou")  # and under the lesson, in the practitioner's lesson view
    lessons = (await lead.expect_one(timeout=20)).plain_text
    assert "Look-back question a week later: answered right" in lessons
    lead.send("/export Lou")  # the CSV bundle has the answer; the PDF has the block above
    bundle, report = await lead.expect(2, timeout=30)
    with zipfile.ZipFile(io.BytesIO(bundle.file)) as archive:
        rows = list(csv.DictReader(io.StringIO(archive.read("lesson_reviews.csv").decode())))
    assert [(r["lesson_id"], r["answer"], r["correct"]) for r in rows] == [
        (lesson_id, str(right), "True")
    ]
    assert report.file.startswith(b"%PDF")


async def test_an_answered_reflection_brings_the_next_lesson_sooner(
    fake_api: FakeBotApi, bot: BotApplication
):
    """sleep: every 3 days, or 2 after a lesson finished with its reflection answered."""
    # Both have a chat with the bot before anything is sent (Telegram answers a send to
    # an unknown chat with 400, which is not retried).
    chats = [fake_api.user(9551), fake_api.user(9552)]
    plain = await on_stream(bot, 9551, "en", "sleep")
    engaged = await on_stream(bot, 9552, "en", "sleep")
    assert await plan(bot) == 2
    for chat in chats:
        await chat.expect_one(timeout=10)
    async with services_of(bot).sessions() as session, session.begin():
        now = datetime.now(UTC)
        await session.execute(
            update(LessonDelivery)
            .where(LessonDelivery.user_id.in_([plain, engaged]))
            .values(opened_at=now, finished_at=now)
        )
        await session.execute(
            update(LessonDelivery)
            .where(LessonDelivery.user_id == engaged)
            .values(reflection_text="Less screen time", reflection_answered_at=now)
        )
    for user_id in (plain, engaged):
        await days_pass(bot, user_id, 2, open_them=True)
    assert await plan(bot) == 1
    assert len(await deliveries(bot, engaged)) == 2
    assert len(await deliveries(bot, plain)) == 1


def test_a_review_keeps_its_first_answer_and_a_free_one_counts_when_thought_over():
    review = LessonReview(delivery_id=1, asked_at=NOW)
    assert reviews.record_answer(review, answer=1, correct=False, now=NOW)
    assert not reviews.record_answer(review, answer=0, correct=True, now=NOW)  # a change of mind
    assert not reviews.record_skip(review, thought_over=False, now=NOW)
    assert (review.answer, review.correct, review.skipped_at) == (1, False, None)
    free = LessonReview(delivery_id=2, asked_at=NOW)
    assert reviews.record_skip(free, thought_over=True, now=NOW)
    assert (free.answered_at, free.correct, free.skipped_at) == (NOW, None, None)
    skipped = LessonReview(delivery_id=3, asked_at=NOW)
    assert reviews.record_skip(skipped, thought_over=False, now=NOW)
    assert skipped.answered_at is None and skipped.skipped_at == NOW
