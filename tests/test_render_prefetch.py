"""Lessons and measures rendered as a batch: what the sender claims together is read
together (a ``prefetch`` per kind), rendered exactly as one row alone, in the same few
statements for 3 rows or for 9; the measures' sent hook marks them all in one."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bot.app import BotApplication
from bot.db.base import utcnow
from bot.db.models import (
    AdministrationStatus,
    LessonDelivery,
    MeasureAdministration,
    MeasureAnswer,
)
from bot.delivery import RenderContext, SentContext
from bot.lessons import delivery as lesson_delivery
from bot.measures import delivery as measure_delivery
from tests.checkin_helpers import make_client, services_of, statements_run, this_task

LESSONS = ("values", "problem-solving", "asking-for-support")
FOCUS = 8  # the intake's choice item


async def _render_both_ways(
    bot: BotApplication, kind: str, rows: list[tuple[int, dict[str, Any], str]]
) -> tuple[list[Any], list[Any], list[str]]:
    """Each row rendered alone, then the batch prefetched and rendered from it (with the
    statements that cost)."""
    services = services_of(bot)
    renderers = services.renderers
    render = renderers.renderer(kind)
    prefetch = renderers.prefetch(kind)
    assert prefetch is not None
    async with services.sessions() as session:
        contexts = [
            RenderContext(
                outbox_id=n + 1,
                user_id=user_id,
                kind=kind,
                payload=payload,
                due_at=utcnow(),
                t=services.catalogs.translator(language),
                session=session,
            )
            for n, (user_id, payload, language) in enumerate(rows)
        ]
        alone = [await render(context) for context in contexts]
        session.expunge_all()  # what the batch reads, it reads itself
        with statements_run(bot, this_task()) as statements:
            batch = await prefetch(session, contexts)
            together = [await render(replace(c, prefetched=batch)) for c in contexts]
    return alone, together, statements


async def _lesson_rows(bot: BotApplication, first: int, count: int) -> list[Any]:
    rows = []
    languages = [("en", "de", "es")[n % 3] for n in range(count)]
    users = [await make_client(bot, first + n, language) for n, language in enumerate(languages)]
    async with services_of(bot).sessions() as session, session.begin():
        for n, (user_id, language) in enumerate(zip(users, languages, strict=True)):
            delivery = LessonDelivery(
                user_id=user_id, lesson_id=LESSONS[n % 3], delivered_at=utcnow()
            )
            session.add(delivery)
            await session.flush()
            rows.append((user_id, {"delivery_id": delivery.id}, language))
    return rows


async def test_lessons_prefetched_render_as_alone_in_one_query_for_3_or_9(bot: BotApplication):
    costs = []
    for first, count in ((8300, 3), (8400, 9)):
        rows = await _lesson_rows(bot, first, count)
        alone, together, statements = await _render_both_ways(bot, lesson_delivery.KIND, rows)
        assert together == alone
        assert len({r.text for r in alone}) == 3  # three lessons, in three languages
        costs.append(len(statements))
    assert costs == [1, 1]


async def _measure_rows(bot: BotApplication, first: int, count: int) -> list[Any]:
    """Intakes of three sorts in turn: on its first item; on its choice item with two
    options picked; on its choice item with none picked yet."""
    rows = []
    now = utcnow()
    languages = [("en", "de", "es")[n % 3] for n in range(count)]
    users = [await make_client(bot, first + n, language) for n, language in enumerate(languages)]
    async with services_of(bot).sessions() as session, session.begin():
        for n, (user_id, language) in enumerate(zip(users, languages, strict=True)):
            administration = MeasureAdministration(
                user_id=user_id,
                measure_id="intake",
                measure_version=1,
                status=AdministrationStatus.OPEN,
                current_item=0 if n % 3 == 0 else FOCUS,
                opened_at=now,
                closes_at=now + timedelta(days=1),
            )
            session.add(administration)
            await session.flush()
            if n % 3 == 1:
                session.add(
                    MeasureAnswer(
                        administration_id=administration.id,
                        item_id="focus",
                        choices=[1, 3],
                        answered_at=now,
                    )
                )
            rows.append((user_id, {"administration_id": administration.id}, language))
    return rows


async def test_measures_prefetched_render_as_alone_in_two_queries_for_3_or_9(
    bot: BotApplication,
):
    costs = []
    for first, count in ((8500, 3), (8600, 9)):
        rows = await _measure_rows(bot, first, count)
        alone, together, statements = await _render_both_ways(bot, measure_delivery.KIND, rows)
        assert together == alone
        # The picks show: two options marked, none where nothing was picked.
        marked = [
            sum(button.text.startswith("✓ ") for line in r.buttons for button in line)
            for r in alone[:3]
        ]
        assert marked == [0, 2, 0]
        costs.append(len(statements))
    # The administrations; the picks of those on a choice item.
    assert costs == [2, 2]

    # Sent: the message ids kept, all in one statement.
    hook = services_of(bot).renderers.sent_hook(measure_delivery.KIND)
    assert hook is not None
    sent = [
        SentContext(
            outbox_id=n,
            user_id=user_id,
            chat_id=8600 + n,
            kind=measure_delivery.KIND,
            payload=payload,
            message_id=500 + n,
            sent_at=utcnow(),
        )
        for n, (user_id, payload, _language) in enumerate(rows)
    ]
    async with services_of(bot).sessions() as session, session.begin():
        with statements_run(bot, this_task()) as statements:
            await hook(session, sent)
    assert len(statements) == 1
    async with services_of(bot).sessions() as session:
        kept = dict(
            (
                await session.execute(
                    select(MeasureAdministration.id, MeasureAdministration.message_id)
                )
            ).all()
        )
    assert {
        payload["administration_id"]: kept[payload["administration_id"]] for _u, payload, _l in rows
    } == {context.payload["administration_id"]: context.message_id for context in sent}
