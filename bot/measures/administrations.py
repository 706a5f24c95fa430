"""Giving a measure to a client: opening an administration, recording each answer,
scoring when the last item is answered, and expiring what was left too long.

Use cases: plain values and a session in, plain data out; they never commit.
The step (``current_item``) is advanced with a conditional UPDATE (``WHERE
current_item = <index pressed>``), so a double tap or a redelivered update moves
it once, on SQLite and PostgreSQL alike; a tap on an item already passed replaces
that item's answer when it differs and does nothing when it is the same.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import AdministrationStatus, MeasureAdministration, MeasureAnswer
from bot.db.rows import rowcount
from bot.domain.scoring import score
from bot.measures import item_alerts
from bot.measures.callbacks import Action, MeasureCallback
from bot.measures.model import Item, ItemKind, Measure

logger = logging.getLogger(__name__)

INTAKE = "intake"


def open_administration(
    session: AsyncSession,
    measure: Measure,
    *,
    user_id: int,
    now: datetime,
    assignment_id: int | None = None,
    slot_date=None,
) -> MeasureAdministration:
    """A new administration, open from ``now`` for the measure's window. No flush."""
    administration = MeasureAdministration(
        user_id=user_id,
        assignment_id=assignment_id,
        measure_id=measure.id,
        measure_version=measure.version,
        slot_date=slot_date,
        status=AdministrationStatus.OPEN,
        current_item=0,
        opened_at=now,
        closes_at=now + timedelta(hours=measure.window_hours),
    )
    session.add(administration)
    return administration


async def open_intake(
    session: AsyncSession, measure: Measure, *, user_id: int, now: datetime
) -> MeasureAdministration | None:
    """The intake for a client who just finished onboarding; None if they ever had one."""
    existing = await session.scalar(
        select(MeasureAdministration.id)
        .where(
            MeasureAdministration.user_id == user_id,
            MeasureAdministration.measure_id == measure.id,
        )
        .limit(1)
    )
    if existing is not None:
        return None
    administration = open_administration(session, measure, user_id=user_id, now=now)
    await session.flush()
    logger.info(
        "event=measure.opened administration_id=%s user_id=%s measure=%s",
        administration.id,
        user_id,
        measure.id,
    )
    return administration


async def picked(session: AsyncSession, administration_id: int, item_id: str) -> tuple[int, ...]:
    """The options picked so far on a choice item."""
    choices = await session.scalar(
        select(MeasureAnswer.choices).where(
            MeasureAnswer.administration_id == administration_id,
            MeasureAnswer.item_id == item_id,
        )
    )
    return tuple(choices or ())


class Outcome(StrEnum):
    REFUSED = "refused"  # not the sender's, unknown, or a malformed tap: nothing written
    STALE = "stale"  # a tap for an item not asked yet (forged or from the future)
    EXPIRED = "expired"
    ALREADY_DONE = "already_done"
    DUPLICATE = "duplicate"  # the same answer again (double tap): nothing written
    REPLACED = "replaced"  # a different answer to an item already passed
    TOGGLED = "toggled"  # a choice item's pick changed; still the same item
    NEXT = "next"  # answered; the next item is asked
    COMPLETED = "completed"  # the last item answered: scored


@dataclass(frozen=True)
class Answered:
    outcome: Outcome
    administration: MeasureAdministration | None = None
    measure: Measure | None = None
    # The answer is one the measure declares as an alert (e.g. PHQ-9 item 9 ≥ 1): the lead
    # was alerted (once) and the client is to be shown the crisis resources.
    alert: bool = False


async def answer(
    session: AsyncSession,
    measures: dict[str, Measure],
    tap: MeasureCallback,
    *,
    user_id: int,
    now: datetime,
) -> Answered:
    """Record one tap of ``user_id`` on a questionnaire button."""
    administration = await session.get(MeasureAdministration, tap.administration_id)
    if administration is None or administration.user_id != user_id:
        return Answered(Outcome.REFUSED)
    measure = measures.get(administration.measure_id)
    if measure is None or measure.version != administration.measure_version:
        return Answered(Outcome.REFUSED)
    found = Answered(Outcome.REFUSED, administration, measure)
    if administration.status is AdministrationStatus.COMPLETED:
        return _with(found, Outcome.ALREADY_DONE)
    if administration.status is AdministrationStatus.EXPIRED or administration.closes_at <= now:
        administration.status = AdministrationStatus.EXPIRED
        return _with(found, Outcome.EXPIRED)
    if tap.item_index >= len(measure.items) or tap.item_index > administration.current_item:
        return _with(found, Outcome.STALE)
    item = measure.items[tap.item_index]
    if not _fits(measure, item, tap):
        return _with(found, Outcome.REFUSED)
    if item.kind is ItemKind.CHOICE and tap.action is Action.TOGGLE:
        if tap.item_index != administration.current_item:
            return _with(found, Outcome.DUPLICATE)
        if tap.value is None:  # a toggle always names its option; a forged one may not
            return _with(found, Outcome.REFUSED)
        current = set(await picked(session, administration.id, item.id))
        current ^= {tap.value}
        order = [o.value for o in measure.option_sets[item.options] if o.value in current]
        await _store(session, administration.id, item.id, now, choices=order)
        return _with(found, Outcome.TOGGLED)
    # Move on only if this tap is for the item being asked (atomic: one tap wins).
    moved = await session.execute(
        update(MeasureAdministration)
        .where(
            MeasureAdministration.id == administration.id,
            MeasureAdministration.current_item == tap.item_index,
            MeasureAdministration.status == AdministrationStatus.OPEN,
        )
        .values(current_item=tap.item_index + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    await session.refresh(administration)
    if rowcount(moved) == 0:  # a later item is asked already: an old or repeated tap
        if item.kind is ItemKind.CHOICE:
            return _with(found, Outcome.DUPLICATE)
        again = await _again(session, administration.id, item.id, tap, now)
        alert = again is Outcome.REPLACED and await _alert(
            session, measure, item, tap, administration, now
        )
        return replace(_with(found, again), alert=alert)
    if item.kind is ItemKind.CHOICE:
        if not await picked(session, administration.id, item.id):
            await _store(session, administration.id, item.id, now, skipped=True)
    elif tap.action is Action.SKIP:
        await _store(session, administration.id, item.id, now, skipped=True)
    else:
        await _store(session, administration.id, item.id, now, value=tap.value)
    alert = await _alert(session, measure, item, tap, administration, now)
    if administration.current_item >= len(measure.items):
        await _complete(session, measure, administration, now)
        return replace(_with(found, Outcome.COMPLETED), alert=alert)
    return replace(_with(found, Outcome.NEXT), alert=alert)


async def _alert(
    session: AsyncSession,
    measure: Measure,
    item: Item,
    tap: MeasureCallback,
    administration: MeasureAdministration,
    now: datetime,
) -> bool:
    if tap.action is not Action.ANSWER or not measure.alerts:
        return False
    return await item_alerts.raise_for_answer(
        session,
        measure,
        item,
        tap.value,
        user_id=administration.user_id,
        administration_id=administration.id,
        now=now,
    )


def _with(found: Answered, outcome: Outcome) -> Answered:
    return Answered(outcome, found.administration, found.measure)


def _fits(measure: Measure, item, tap: MeasureCallback) -> bool:
    """Whether the tap is something this item offers (else it was made up)."""
    values = measure.option_values(item)
    if item.kind is ItemKind.CHOICE:
        return tap.action is Action.DONE or (tap.action is Action.TOGGLE and tap.value in values)
    return tap.action is Action.SKIP or (tap.action is Action.ANSWER and tap.value in values)


async def _again(
    session: AsyncSession, administration_id: int, item_id: str, tap: MeasureCallback, now
) -> Outcome:
    existing = await _answer_row(session, administration_id, item_id)
    skipped = tap.action is Action.SKIP
    if existing is not None and existing.skipped == skipped and existing.value == tap.value:
        return Outcome.DUPLICATE
    await _store(session, administration_id, item_id, now, value=tap.value, skipped=skipped)
    return Outcome.REPLACED


async def _answer_row(
    session: AsyncSession, administration_id: int, item_id: str
) -> MeasureAnswer | None:
    return await session.scalar(
        select(MeasureAnswer).where(
            MeasureAnswer.administration_id == administration_id,
            MeasureAnswer.item_id == item_id,
        )
    )


async def _store(
    session: AsyncSession,
    administration_id: int,
    item_id: str,
    now: datetime,
    *,
    value: int | None = None,
    choices: list[int] | None = None,
    skipped: bool = False,
) -> None:
    """Write the item's answer, replacing an earlier one (one row per item)."""
    row = await _answer_row(session, administration_id, item_id)
    if row is None:
        row = MeasureAnswer(administration_id=administration_id, item_id=item_id)
        session.add(row)
    row.value = None if skipped else value
    if choices is not None or skipped:
        row.choices = None if skipped else list(choices or ())
    row.skipped = skipped
    row.answered_at = now
    await session.flush()


async def answers_of(session: AsyncSession, administration_id: int) -> dict[str, MeasureAnswer]:
    rows = await session.scalars(
        select(MeasureAnswer).where(MeasureAnswer.administration_id == administration_id)
    )
    return {row.item_id: row for row in rows}


async def _complete(
    session: AsyncSession, measure: Measure, administration: MeasureAdministration, now: datetime
) -> None:
    answers = await answers_of(session, administration.id)
    result = score(measure, {item_id: row.value for item_id, row in answers.items()})
    administration.status = AdministrationStatus.COMPLETED
    administration.completed_at = now
    if result.total is not None:
        administration.score_total = result.total.value
        administration.score_subscales = {
            name: scale.value for name, scale in result.subscales.items()
        }
        bands = measure.scoring.bands if measure.scoring else ()
        administration.band = bands.index(result.band) if result.band in bands else None
    await session.flush()
    logger.info(
        "event=measure.completed administration_id=%s user_id=%s measure=%s",
        administration.id,
        administration.user_id,
        measure.id,
    )


def chosen_items(measure: Measure, answers: dict[str, MeasureAnswer]) -> list[str]:
    """The item ids the client picked on the measure's choice items (their areas)."""
    found: list[str] = []
    for item in measure.items:
        row = answers.get(item.id)
        if item.kind is not ItemKind.CHOICE or row is None or not row.choices:
            continue
        by_value = {option.value: option for option in measure.option_sets[item.options]}
        for value in row.choices:
            option = by_value.get(value)
            if option is not None and option.item is not None and option.item not in found:
                found.append(option.item)
    return found


async def expire_overdue(session: AsyncSession, *, now: datetime) -> int:
    """Every open administration whose window has passed becomes expired (one UPDATE)."""
    result = await session.execute(
        update(MeasureAdministration)
        .where(
            MeasureAdministration.status == AdministrationStatus.OPEN,
            MeasureAdministration.closes_at <= now,
        )
        .values(status=AdministrationStatus.EXPIRED, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    expired = rowcount(result)
    if expired:
        logger.info("event=measure.expired count=%s", expired)
    return expired
