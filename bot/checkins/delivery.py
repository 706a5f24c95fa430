"""Check-ins through the delivery engine: the scheduled prompt, the missed sweep, one nudge.

Where each write happens (a render session is read-only):

- the tick queues the scheduled prompt (kind ``checkin_reminder``, as before, so
  existing schedules keep working) at the client's check-in time, outside quiet
  hours and pauses;
- the renderer reads the client's active goals and writes the first question (or,
  without goals, the gentle reminder of old with a pointer to /goals); the plans and
  check-ins of all the prompts the sender claimed together are read at once
  (``prefetch``: two or three queries, not a few per prompt);
- the ``on_sent`` hook opens the ``Checkin`` row (OPEN, window from the send time) in
  the transaction that marks the row sent, with the first step its prompt showed
  (handed over by the render, not read again; the prompts recorded together in one
  INSERT); a press that beats the hook opens it too (both INSERT … ON CONFLICT DO
  NOTHING);
- the sweep marks every open check-in whose window closed as MISSED (one UPDATE),
  recomputes those clients' streaks (two queries), and queues one nudge per check-in
  still unanswered after ``CHECKIN_NUDGE_AFTER_HOURS`` (one SELECT, one INSERT, one
  UPDATE), never in quiet hours; and it counts in the streak the check-ins answered
  but left unfinished since (one SELECT, then the two queries) — a press leaves the
  streak to the end of the check-in.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.checkins import core, messages, streaks
from bot.db.models import Checkin, CheckinSource, CheckinStatus, User, UserStatus
from bot.delivery import checkin_reminder
from bot.delivery.outbox import OutboxItem, enqueue_many
from bot.delivery.renderers import RenderContext, Rendered, SentContext
from bot.domain.schedule import first_moment_from, zone_or_default

logger = logging.getLogger(__name__)

KIND = checkin_reminder.KIND
NUDGE_KIND = "checkin_nudge"


def _payload_date(payload: dict[str, object]) -> date | None:
    value = payload.get("local_date")
    return date.fromisoformat(value) if isinstance(value, str) else None


@dataclass(frozen=True)
class Prompts:
    """What the prompts of one claimed batch need, read once for all of them
    (:func:`prefetch`): each (client, date)'s plan, and the open step of each check-in
    that already exists."""

    plans: dict[core.Day, core.Plan]
    steps: dict[core.Day, str | None]


@dataclass(frozen=True)
class Shown:
    """What a prompt showed, handed to the sent hook: the first step of its check-in,
    None for the reminder without goals (nothing to open)."""

    first_step: str | None


async def prefetch(session: AsyncSession, contexts: Sequence[RenderContext]) -> Prompts:
    """The plans of all the batch's prompts (one query, and one more for times-per-week
    counts when needed) and the existing check-ins of those with goals (one query, none
    when no prompt has goals)."""
    days = {
        (context.user_id, local_date)
        for context in contexts
        if (local_date := _payload_date(context.payload)) is not None
    }
    plans = await core.plans(session, days)
    # Only a prompt with goals shows its check-in's open step (none without goals).
    with_goals = {day for day, plan in plans.items() if plan.goals}
    return Prompts(plans=plans, steps=await core.open_steps(session, with_goals))


async def render(context: RenderContext) -> Rendered:
    """The first open question of that date's check-in, or the reminder when there are no goals.

    Reads what :func:`prefetch` loaded for the batch, or (rendered on its own) the
    database itself."""
    local_date = _payload_date(context.payload)
    if local_date is None:
        return await _without_goals(context)
    day = (context.user_id, local_date)
    prompts = context.prefetched if isinstance(context.prefetched, Prompts) else None
    if prompts is not None and day in prompts.plans:
        plan = prompts.plans[day]
        if not plan.goals:
            return await _without_goals(context)
        step = plan.resolve(prompts.steps[day]) if day in prompts.steps else plan.first
    else:
        plan = await core.plan(context.session, context.user_id, local_date)
        if not plan.goals:
            return await _without_goals(context)
        checkin = await core.find(context.session, context.user_id, local_date)
        step = plan.resolve(checkin.step) if checkin is not None else plan.first
    shown = messages.question(context.t, plan, step, local_date)
    return replace(shown, hook_data=Shown(first_step=plan.first))


async def _without_goals(context: RenderContext) -> Rendered:
    """The gentle reminder of old, with a pointer to /goals (no check-in to open)."""
    old = await checkin_reminder.render(context)
    return Rendered(
        text=f"{old.text}\n\n{messages.no_goals(context.t)}",
        buttons=old.buttons,
        hook_data=Shown(first_step=None),
    )


def on_sent(window: timedelta) -> Callable[[AsyncSession, Sequence[SentContext]], Awaitable[None]]:
    """Open the check-ins of the prompts Telegram accepted (those sent together: in one
    statement), each with the first step its prompt showed."""

    async def opened(session: AsyncSession, sent: Sequence[SentContext]) -> None:
        openings: list[core.Opening] = []
        for context in sent:
            local_date = _payload_date(context.payload)
            if local_date is None:
                continue
            if isinstance(context.hook_data, Shown):  # what the prompt showed: not read again
                first_step = context.hook_data.first_step
            else:
                plan = await core.plan(session, context.user_id, local_date)
                first_step = plan.first if plan.goals else None
            if first_step is None:
                continue  # the reminder without goals: nothing to rate, nothing to count
            openings.append(core.Opening(context.user_id, local_date, first_step, context.sent_at))
        if not openings:
            return
        for checkin_id in await core.open_checkins(
            session, openings, source=CheckinSource.SCHEDULED, window=window
        ):
            logger.info("event=checkin.opened checkin_id=%s source=scheduled", checkin_id)

    return opened


async def render_nudge(context: RenderContext) -> Rendered:
    local_date = _payload_date(context.payload) or context.due_at.date()
    return messages.nudge(context.t, local_date)


@dataclass(frozen=True)
class SweepResult:
    missed: int
    nudged: int


async def sweep(
    sessions: async_sessionmaker[AsyncSession],
    *,
    now: datetime,
    nudge_after: timedelta,
    grace_days: int,
    default_timezone: str,
) -> SweepResult:
    """Close expired windows (MISSED, streaks recomputed), queue due nudges, and count
    check-ins answered but left unfinished in their streaks."""
    async with sessions() as session, session.begin():
        missed = await mark_missed(session, now=now, grace_days=grace_days)
    async with sessions() as session, session.begin():
        nudged = await queue_nudges(
            session, now=now, nudge_after=nudge_after, default_timezone=default_timezone
        )
    async with sessions() as session, session.begin():
        refreshed = await streaks.refresh(session, now=now, grace_days=grace_days)
    if missed or nudged or refreshed:
        logger.info("event=checkin.sweep missed=%s nudged=%s streaks=%s", missed, nudged, refreshed)
    return SweepResult(missed=missed, nudged=nudged)


async def mark_missed(session: AsyncSession, *, now: datetime, grace_days: int) -> int:
    """Every open check-in whose window closed is MISSED; their clients' streaks recomputed."""
    closed = await session.execute(
        update(Checkin)
        .where(Checkin.status == CheckinStatus.OPEN, Checkin.closes_at <= now)
        .values(status=CheckinStatus.MISSED, updated_at=now)
        .returning(Checkin.id, Checkin.user_id)
        .execution_options(synchronize_session=False)
    )
    rows = closed.all()
    await streaks.recompute(session, {row.user_id for row in rows}, now=now, grace_days=grace_days)
    return len(rows)


async def queue_nudges(
    session: AsyncSession, *, now: datetime, nudge_after: timedelta, default_timezone: str
) -> int:
    """One nudge per open, unanswered check-in sent at least ``nudge_after`` ago.

    Due at once, or when the client's quiet hours end; not at all if that is after the
    window closes. ``nudged_at`` is set either way, so a check-in is considered once.
    """
    due = (
        await session.execute(
            select(
                Checkin.id,
                Checkin.user_id,
                Checkin.local_date,
                Checkin.closes_at,
                User.telegram_id,
                User.timezone,
                User.quiet_start,
                User.quiet_end,
                User.status,
                User.paused_until,
            )
            .join(User, User.id == Checkin.user_id)
            .where(
                Checkin.status == CheckinStatus.OPEN,
                Checkin.nudged_at.is_(None),
                Checkin.opened_at <= now - nudge_after,
                Checkin.closes_at > now,
            )
            .with_for_update(of=Checkin, skip_locked=True)
        )
    ).all()
    items: list[OutboxItem] = []
    for row in due:
        if row.status is not UserStatus.ACTIVE or (row.paused_until and row.paused_until > now):
            continue
        zone = zone_or_default(row.timezone, default_timezone)
        due_at = first_moment_from(now, None, zone, (row.quiet_start, row.quiet_end))
        if due_at >= row.closes_at:
            continue
        items.append(
            OutboxItem(
                user_id=row.user_id,
                chat_id=row.telegram_id,
                kind=NUDGE_KIND,
                key=f"{NUDGE_KIND}:{row.id}",
                payload={"checkin_id": row.id, "local_date": row.local_date.isoformat()},
                due_at=due_at,
                expires_at=row.closes_at,
            )
        )
    await enqueue_many(session, items)
    if due:
        await session.execute(
            update(Checkin)
            .where(Checkin.id.in_([row.id for row in due]))
            .values(nudged_at=now)
            .execution_options(synchronize_session=False)
        )
    return len(items)
