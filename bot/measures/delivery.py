"""Scheduled measures through the delivery engine: the job, the renderer, the on-sent hook.

The job (``run``) opens the due administrations batch by batch and expires the
overdue ones; the outbox row (kind ``measure``, payload ``administration_id``) is
rendered at send time in the client's language, at the item they are on.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.base import table_of
from bot.db.models import AdministrationStatus, MeasureAdministration, MeasureAnswer
from bot.delivery.renderers import RenderContext, Rendered, SentContext
from bot.measures import administrations, messages
from bot.measures.model import Item, ItemKind, Measure
from bot.measures.scheduling import KIND, open_due_batch

logger = logging.getLogger(__name__)

MAX_BATCHES = 1000

__all__ = ["KIND", "on_sent", "prefetch", "renderer", "run"]


async def run(
    sessions: async_sessionmaker[AsyncSession],
    measures: dict[str, Measure],
    *,
    now: datetime,
    default_timezone: str,
    batch_size: int = 500,
) -> tuple[int, int]:
    """Expire what is overdue, then open what is due; returns (opened slots, expired)."""
    async with sessions() as session, session.begin():
        expired = await administrations.expire_overdue(session, now=now)
    handled = 0
    for _ in range(MAX_BATCHES):
        async with sessions() as session, session.begin():
            batch = await open_due_batch(
                session,
                measures,
                now=now,
                default_timezone=default_timezone,
                batch_size=batch_size,
            )
        handled += batch
        if batch < batch_size:
            break
    return handled, expired


@dataclass(frozen=True)
class Open:
    """What the measures of one claimed batch need, read at once: each administration
    (by id), and the options picked so far on the choice item each is on."""

    administrations: dict[int, MeasureAdministration]
    picked: dict[int, tuple[int, ...]]


def prefetch(
    measures: dict[str, Measure],
) -> Callable[[AsyncSession, Sequence[RenderContext]], Awaitable[Open]]:
    """The administrations of the batch's rows (one query) and, for those on a choice
    item, what was picked on it (one query): not one or two per row."""

    async def load(session: AsyncSession, contexts: Sequence[RenderContext]) -> Open:
        ids = {i for c in contexts if isinstance(i := c.payload.get("administration_id"), int)}
        found = {
            a.id: a
            for a in await session.scalars(
                select(MeasureAdministration).where(MeasureAdministration.id.in_(ids))
            )
        }
        on_choice = [
            (a.id, item.id)
            for a in found.values()
            if (item := _current_item(measures, a)) is not None and item.kind is ItemKind.CHOICE
        ]
        picked: dict[int, tuple[int, ...]] = {}
        if on_choice:
            rows = await session.execute(
                select(MeasureAnswer.administration_id, MeasureAnswer.choices).where(
                    tuple_(MeasureAnswer.administration_id, MeasureAnswer.item_id).in_(on_choice)
                )
            )
            picked = {answered: tuple(choices or ()) for answered, choices in rows}
        return Open(found, picked)

    return load


def _current_item(
    measures: dict[str, Measure], administration: MeasureAdministration
) -> Item | None:
    measure = measures.get(administration.measure_id)
    if measure is None or not 0 <= administration.current_item < len(measure.items):
        return None
    return measure.items[administration.current_item]


def renderer(measures: dict[str, Measure]) -> Callable[[RenderContext], Awaitable[Rendered]]:
    """The item the client is on (the first, unless they answered from elsewhere)."""

    async def render(context: RenderContext) -> Rendered:
        administration_id = context.payload["administration_id"]
        read = context.prefetched if isinstance(context.prefetched, Open) else None
        if read is not None:
            administration = read.administrations.get(administration_id)
        else:
            administration = await context.session.get(MeasureAdministration, administration_id)
        if administration is None:
            raise LookupError("the administration is gone (the client deleted their data?)")
        if administration.status is not AdministrationStatus.OPEN:
            raise LookupError(f"administration {administration.id} is {administration.status}")
        measure = measures.get(administration.measure_id)
        if measure is None:
            raise LookupError(f"measure {administration.measure_id!r} is no longer in content")
        item = measure.items[administration.current_item]
        picked: tuple[int, ...] = ()
        if item.kind is ItemKind.CHOICE:
            if read is not None:
                picked = read.picked.get(administration.id, ())
            else:
                picked = await administrations.picked(context.session, administration.id, item.id)
        return messages.item_message(context.t, measure, administration, picked=picked)

    return render


async def on_sent(session: AsyncSession, sent: Sequence[SentContext]) -> None:
    """Remember the messages that carry the buttons (those sent together: one statement)."""
    table = table_of(MeasureAdministration)
    await session.execute(
        update(table)
        .where(table.c.id == bindparam("administration"))
        .values(message_id=bindparam("message")),
        [
            {"administration": context.payload["administration_id"], "message": context.message_id}
            for context in sent
        ],
    )
