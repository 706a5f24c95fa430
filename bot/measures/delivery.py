"""Scheduled measures through the delivery engine: the job, the renderer, the on-sent hook.

The job (``run``) opens the due administrations batch by batch and expires the
overdue ones; the outbox row (kind ``measure``, payload ``administration_id``) is
rendered at send time in the client's language, at the item they are on.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import AdministrationStatus, MeasureAdministration
from bot.delivery.renderers import RenderContext, Rendered, SentContext
from bot.measures import administrations, messages
from bot.measures.model import ItemKind, Measure
from bot.measures.scheduling import KIND, open_due_batch

logger = logging.getLogger(__name__)

MAX_BATCHES = 1000

__all__ = ["KIND", "on_sent", "renderer", "run"]


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


def renderer(measures: dict[str, Measure]) -> Callable[[RenderContext], Awaitable[Rendered]]:
    """The item the client is on (the first, unless they answered from elsewhere)."""

    async def render(context: RenderContext) -> Rendered:
        administration = await context.session.get(
            MeasureAdministration, context.payload["administration_id"]
        )
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
            picked = await administrations.picked(context.session, administration.id, item.id)
        return messages.item_message(context.t, measure, administration, picked=picked)

    return render


async def on_sent(session: AsyncSession, sent: SentContext) -> None:
    """Remember the message that carries the buttons."""
    await session.execute(
        update(MeasureAdministration)
        .where(MeasureAdministration.id == sent.payload["administration_id"])
        .values(message_id=sent.message_id)
        .execution_options(synchronize_session=False)
    )
