"""Telling a client that their practitioner changed one of their goals.

Queued in the outbox with ids only (the goal, the change, who, a strategy); the
text is written at send time, in the client's language then, from the goal as it
is then (goal wording is health data and never sits in an outbox payload).
"""

from __future__ import annotations

import html
from datetime import datetime, timedelta

from babel.dates import get_day_names
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Goal, Strategy, User
from bot.delivery.outbox import enqueue
from bot.delivery.renderers import RenderContext, Rendered
from bot.domain.goal_commands import Frequency, FrequencyKind
from bot.enrollment.authorization import practitioner_name
from bot.goals import manage
from bot.i18n import Translator

KIND = "goal_change"
# News about now: worth sending after a short outage, not days later.
VALID_FOR = timedelta(hours=24)

CREATED, EDITED, PAUSED, RESUMED, ACHIEVED, DROPPED, STRATEGY = (
    "created",
    "edited",
    "pause",
    "resume",
    "achieve",
    "drop",
    "strategy",
)
STRATEGY_EDITED, STRATEGY_STOPPED = "strategy_edited", "strategy_stopped"


async def tell_client(
    session: AsyncSession,
    client: User,
    goal: Goal,
    change: str,
    *,
    by_id: int,
    now: datetime,
    strategy_id: int | None = None,
) -> None:
    """Queue the notice (the caller commits). The key names this change of this goal."""
    detail: int | str = strategy_id if strategy_id is not None else goal.version
    if change == STRATEGY_EDITED:  # a strategy may be reworded more than once
        detail = f"{strategy_id}@{now.isoformat()}"
    await enqueue(
        session,
        user_id=client.id,
        chat_id=client.telegram_id,
        kind=KIND,
        key=f"{KIND}:{goal.id}:{change}:{detail}",
        payload={"goal_id": goal.id, "change": change, "by": by_id, "strategy_id": strategy_id},
        due_at=now,
        expires_at=now + VALID_FOR,
    )


def frequency_text(t: Translator, frequency: Frequency) -> str:
    """How often, in words: daily, 3 times a week, Mon, Wed, Fri."""
    if frequency.kind == FrequencyKind.DAILY:
        return t._("daily")
    if frequency.kind == FrequencyKind.TIMES_PER_WEEK:
        count = frequency.times_per_week or 0
        return t.ngettext("{count} time a week", "{count} times a week", count)
    names = get_day_names("abbreviated", locale=t.locale)
    return ", ".join(str(names[day]) for day in frequency.days)


async def render(context: RenderContext) -> Rendered:
    payload = context.payload
    goal = await context.session.get(Goal, payload["goal_id"])
    if goal is None or goal.user_id != context.user_id:
        raise LookupError("the goal is gone (the client deleted their data?)")
    t = context.t
    name = html.escape(await practitioner_name(context.session, int(payload["by"])))
    title = html.escape(goal.title or "")
    change = payload["change"]
    if change in (STRATEGY, STRATEGY_EDITED, STRATEGY_STOPPED):
        strategy = await context.session.get(Strategy, payload["strategy_id"])
        if strategy is None or strategy.goal_id != goal.id:
            raise LookupError("the strategy is gone")
        step = html.escape(strategy.title)
        often = frequency_text(t, manage.frequency_of(strategy))
        if change == STRATEGY_STOPPED:
            return Rendered(
                t._(
                    "{name} took the step “{strategy}” off your goal <b>{goal}</b>. "
                    "I won't ask about it any more.",
                    name=name,
                    goal=title,
                    strategy=step,
                )
            )
        if change == STRATEGY_EDITED:
            return Rendered(
                t._(
                    "{name} changed a step toward your goal <b>{goal}</b>. It now reads: "
                    "{strategy} ({often}).",
                    name=name,
                    goal=title,
                    strategy=step,
                    often=often,
                )
            )
        return Rendered(
            t._(
                "{name} added a step toward your goal <b>{goal}</b>: {strategy} ({often}).",
                name=name,
                goal=title,
                strategy=step,
                often=often,
            )
        )
    texts = {
        CREATED: lambda: t._(
            "{name} added a goal for you: <b>{goal}</b>. /goals shows your goals.",
            name=name,
            goal=title,
        ),
        EDITED: lambda: t._(
            "{name} reworded one of your goals. It now reads: <b>{goal}</b>.",
            name=name,
            goal=title,
        ),
        PAUSED: lambda: t._(
            "{name} paused your goal <b>{goal}</b> for now. It stays saved, and I won't ask "
            "about it until it's picked up again.",
            name=name,
            goal=title,
        ),
        RESUMED: lambda: t._(
            "{name} picked up your goal <b>{goal}</b> again.", name=name, goal=title
        ),
        ACHIEVED: lambda: t._(
            "{name} marked your goal <b>{goal}</b> as achieved. Well done: that took real effort.",
            name=name,
            goal=title,
        ),
        DROPPED: lambda: t._(
            "{name} set your goal <b>{goal}</b> aside. That's okay: goals change as we learn "
            "what helps.",
            name=name,
            goal=title,
        ),
    }
    if change not in texts:
        raise LookupError(f"unknown goal change {change!r}")
    return Rendered(texts[change]())
