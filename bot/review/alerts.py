"""Alerts that cannot wait, to the client's lead practitioner, through the outbox.

- a goal rated ``ALERT_DROP_POINTS`` or more below the client's recent mean (the
  ratings of the 14 days before, at least three of them);
- ``ALERT_MISSED_IN_A_ROW`` scheduled check-ins missed in a row (skipped days are the
  client's choice and neither count nor break the run);
- the client blocked the bot (a ``user_events`` row of kind ``unreachable``).

Safety flags alert on their own (:mod:`bot.safety.alerts`) and are not repeated here.

The check-in flow lives elsewhere, so this is a sweep run with every scheduler tick:
it reads what is new since its watermarks (``review_watermarks``), a fixed number of
queries whatever the number of clients, and enqueues with keys that name the event
(a rating, the first day of a run of missed check-ins, an event row), so running it
twice — or on two instances — sends each alert once.
"""

from __future__ import annotations

import html
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from babel.numbers import format_decimal
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import (
    CareTeamMember,
    Checkin,
    CheckinStatus,
    GoalRating,
    MembershipState,
    TeamRole,
    User,
    UserEvent,
    Watermark,
)
from bot.delivery.outbox import OutboxItem, enqueue_many
from bot.delivery.renderers import RenderContext, Rendered, dashboard_buttons
from bot.delivery.sender import UNREACHABLE_EVENT
from bot.domain.review import mean, missed_run
from bot.review.alert_reasons import AlertContext, reason_line

logger = logging.getLogger(__name__)

KIND = "review_alert"
VALID_FOR = timedelta(hours=12)
RECENT_DAYS = 14
MIN_RECENT = 3
# A first run (no watermark yet) looks back this far, not over all history.
FIRST_LOOK_BACK = timedelta(days=1)
# Each sweep re-reads this much before its watermark: a row stamped before the last
# sweep but committed after it is still seen (the outbox keys drop the repeats).
OVERLAP = timedelta(minutes=10)
RATINGS = "alerts.ratings"
CHECKINS = "alerts.checkins"


@dataclass(frozen=True)
class Thresholds:
    drop_points: float = 3
    missed_in_row: int = 3


async def _watermark(session: AsyncSession, name: str, now: datetime) -> datetime:
    row = await session.get(Watermark, name)
    return row.value - OVERLAP if row is not None else now - FIRST_LOOK_BACK


async def _advance(session: AsyncSession, name: str, value: datetime) -> None:
    row = await session.get(Watermark, name)
    if row is None:
        session.add(Watermark(name=name, value=value))
    elif value > row.value:
        row.value = value


def drops(
    new: list[tuple[int, int, date, int]],
    history: dict[int, list[tuple[date, int]]],
    points: float,
) -> list[tuple[int, int, int, float]]:
    """(rating id, goal id, value, recent mean) of each new rating ``points`` below the
    mean of the goal's ratings in the ``RECENT_DAYS`` before it (at least ``MIN_RECENT``)."""
    found = []
    for rating_id, goal_id, day, value in new:
        recent = [
            v for d, v in history.get(goal_id, []) if day - timedelta(days=RECENT_DAYS) <= d < day
        ]
        average = mean(recent)
        if len(recent) >= MIN_RECENT and average is not None and average - value >= points:
            found.append((rating_id, goal_id, value, average))
    return found


async def sweep(session: AsyncSession, *, now: datetime, thresholds: Thresholds) -> int:
    """Queue the alerts due since the last sweep; returns how many were queued. No commit."""
    alerts: list[tuple[int, str, dict[str, object]]] = []  # (client, key part, payload)

    # 1. Drops: new ratings, then the recent ratings of their goals (two queries).
    since = await _watermark(session, RATINGS, now)
    new = (
        await session.execute(
            select(
                GoalRating.id,
                GoalRating.user_id,
                GoalRating.goal_id,
                GoalRating.local_date,
                GoalRating.value,
            ).where(GoalRating.answered_at > since, GoalRating.answered_at <= now)
        )
    ).all()
    if new:
        goal_ids = {row.goal_id for row in new}
        first = min(row.local_date for row in new) - timedelta(days=RECENT_DAYS)
        history: dict[int, list[tuple[date, int]]] = defaultdict(list)
        for goal_id, day, value in await session.execute(
            select(GoalRating.goal_id, GoalRating.local_date, GoalRating.value).where(
                GoalRating.goal_id.in_(goal_ids), GoalRating.local_date >= first
            )
        ):
            history[goal_id].append((day, value))
        owner = {row.id: row.user_id for row in new}
        for rating_id, goal_id, value, average in drops(
            [(r.id, r.goal_id, r.local_date, r.value) for r in new],
            history,
            thresholds.drop_points,
        ):
            alerts.append(
                (
                    owner[rating_id],
                    f"drop:{rating_id}",
                    {"alert": "drop", "goal_id": goal_id, "value": value, "mean": average},
                )
            )
    await _advance(session, RATINGS, now)

    # 2. Missed in a row: check-ins newly missed, then their clients' recent check-ins.
    since = await _watermark(session, CHECKINS, now)
    missed = (
        await session.execute(
            select(Checkin.user_id, Checkin.local_date).where(
                Checkin.status == CheckinStatus.MISSED,
                Checkin.updated_at > since,
                Checkin.updated_at <= now,
            )
        )
    ).all()
    if missed:
        users = {row.user_id for row in missed}
        first = min(row.local_date for row in missed) - timedelta(
            days=2 * thresholds.missed_in_row + 14
        )
        days: dict[int, list[tuple[date, str]]] = defaultdict(list)
        for user_id, day, status in await session.execute(
            select(Checkin.user_id, Checkin.local_date, Checkin.status).where(
                Checkin.user_id.in_(users), Checkin.local_date >= first
            )
        ):
            days[user_id].append((day, str(status.value)))
        for user_id in sorted(users):
            run, began = missed_run(days[user_id])
            if run >= thresholds.missed_in_row and began is not None:
                alerts.append(
                    (
                        user_id,
                        f"missed:{user_id}:{began.isoformat()}",
                        {"alert": "missed", "count": run},
                    )
                )
    await _advance(session, CHECKINS, now)

    # 3. Unreachable: events nobody was told about yet (then marked handled).
    events = (
        await session.execute(
            select(UserEvent.id, UserEvent.user_id).where(
                UserEvent.kind == UNREACHABLE_EVENT, UserEvent.handled_at.is_(None)
            )
        )
    ).all()
    for event_id, user_id in events:
        alerts.append((user_id, f"unreachable:{event_id}", {"alert": "unreachable"}))
    if events:
        await session.execute(
            update(UserEvent)
            .where(UserEvent.id.in_([e.id for e in events]))
            .values(handled_at=now)
            .execution_options(synchronize_session=False)
        )

    if not alerts:
        return 0
    # The leads of every client concerned, in one query.
    leads: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for client_id, lead_id, telegram_id in await session.execute(
        select(CareTeamMember.client_id, User.id, User.telegram_id)
        .join(User, User.id == CareTeamMember.practitioner_id)
        .where(
            CareTeamMember.client_id.in_({client for client, _k, _p in alerts}),
            CareTeamMember.role == TeamRole.LEAD,
            CareTeamMember.state == MembershipState.ACTIVE,
        )
    ):
        leads[client_id].append((lead_id, telegram_id))
    items = [
        OutboxItem(
            user_id=lead_id,
            chat_id=telegram_id,
            kind=KIND,
            key=f"{KIND}:{key}:{lead_id}",
            payload={**payload, "client_id": client_id},
            due_at=now,
            expires_at=now + VALID_FOR,
        )
        for client_id, key, payload in alerts
        for lead_id, telegram_id in leads.get(client_id, [])
    ]
    await enqueue_many(session, items)
    logger.info("event=review.alerts_queued count=%s", len(items))
    return len(items)


def renderer(
    alert_context: AlertContext | None = None, web_app_url: str | None = None
) -> Callable[[RenderContext], Awaitable[Rendered]]:
    """The outbox renderer of ``review_alert`` rows: the alert, then the client's traffic
    light with its reasons in one line (as the digest and /client show it); with
    ``web_app_url``, a button that opens the client's page in the web view."""
    settings = alert_context or AlertContext()

    async def render(context: RenderContext) -> Rendered:
        rendered = await _render(context)
        practitioner = await context.session.get(User, context.user_id)
        why = None
        if practitioner is not None:
            why = await reason_line(
                context.session,
                context.t,
                practitioner=practitioner,
                client_id=context.payload["client_id"],
                context=settings,
            )
        buttons = dashboard_buttons(context.t, web_app_url, context.payload["client_id"])
        text = f"{rendered.text}\n{why}" if why else rendered.text
        return replace(rendered, text=text, buttons=rendered.buttons + buttons)

    return render


async def _render(context: RenderContext) -> Rendered:
    """The alert in the lead's language, naming the client by the lead's alias."""
    t = context.t
    _ = t._
    payload = context.payload
    client_id = payload["client_id"]
    alias = await context.session.scalar(
        select(CareTeamMember.alias).where(
            CareTeamMember.practitioner_id == context.user_id,
            CareTeamMember.client_id == client_id,
        )
    )
    client = html.escape(alias) if alias else _("client {number}", number=client_id)
    if payload["alert"] == "drop":
        text = _(
            "📉 <b>{client}</b> rated a goal {value} today, against a recent mean of {mean}. "
            "/client {ref} shows the details.",
            client=client,
            value=payload["value"],
            mean=format_decimal(payload["mean"], "0.0", locale=t.locale),
            ref=html.escape(alias) if alias else client_id,
        )
    elif payload["alert"] == "missed":
        text = t.ngettext(
            "📭 <b>{client}</b> has missed {count} check-in in a row.",
            "📭 <b>{client}</b> has missed {count} check-ins in a row.",
            payload["count"],
            client=client,
        )
    else:
        text = _(
            "⛔ I can't reach <b>{client}</b> any more: they may have blocked me. Their "
            "check-ins and lessons have stopped.",
            client=client,
        )
    return Rendered(text=text)
