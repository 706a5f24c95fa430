"""A practitioner's goal use cases: list a client's goals, change them, GAS, strategies.

Plain values in (the session, the acting practitioner's id, the client, what was
typed, already parsed), a :class:`~bot.access.result.Result` out. The caller (a front
door) has already asked the access policy (``bot.access.policy``) whether the action
is allowed; these functions never commit. Both meanings of ``/gas`` live here:
:func:`gas_reached` (the level a goal has reached now, a score) and
:func:`gas_describe` (what a level looks like).
"""

from __future__ import annotations

import html
import logging
from datetime import datetime

from babel.dates import format_date
from sqlalchemy.ext.asyncio import AsyncSession

from bot.access.result import Result
from bot.audit import AuditAction
from bot.db.base import utcnow
from bot.db.models import GasScore, Goal, GoalStatus, Strategy, User
from bot.domain.goal_commands import Change, Create, Gas, StrategyArgs, StrategyChange, Verb
from bot.domain.practitioner_args import GasReached
from bot.goals import conversation, manage
from bot.goals import delivery as goal_notices
from bot.goals.delivery import frequency_text
from bot.i18n import N_, Translator

logger = logging.getLogger(__name__)

STATUS = {
    GoalStatus.ACTIVE: N_("active"),
    GoalStatus.PAUSED: N_("paused"),
    GoalStatus.ACHIEVED: N_("achieved"),
    GoalStatus.DROPPED: N_("dropped"),
}


def _no_goal(t: Translator, label: str, number: int) -> str:
    return t._(
        "{client} has no goal number {number}. /goals shows their goals with numbers.",
        client=label,
        number=number,
    )


def _does_not_apply(t: Translator, label: str, number: int, goal: Goal) -> str:
    return t._(
        "Goal {number} of {client} is {status}, so that doesn't apply. Nothing was changed.",
        number=number,
        client=label,
        status=t._(STATUS[goal.status]),
    )


def _full(t: Translator, label: str, active: int) -> str:
    return t.ngettext(
        "{client} already has {count} active goal, the most at once. Pause, achieve or drop "
        "it first.",
        "{client} already has {count} active goals, the most at once. Pause, achieve or drop "
        "one first.",
        active,
        client=label,
    )


# --------------------------------------------------------------------------- reading


async def list_goals(session: AsyncSession, t: Translator, *, client_id: int, label: str) -> Result:
    """The client's goals, numbered, with GAS levels and strategies (any team member)."""
    goals = await manage.numbered_goals(session, client_id)
    ids = [goal.id for goal in goals]
    levels = await manage.gas_levels(session, ids)
    steps = await manage.strategies(session, ids)
    return Result().say(goal_list(t, label, goals, levels, steps)).audited(AuditAction.GOALS_VIEW)


def goal_list(
    t: Translator,
    label: str,
    goals: list[Goal],
    levels: dict[int, dict[int, str]],
    steps: dict[int, list[Strategy]],
) -> str:
    if not goals:
        return t._(
            "{client} has no goals yet. Add one with /goal, like /goal Anna Walk after lunch.",
            client=label,
        )
    lines = [t._("<b>Goals of {client}</b>", client=label)]
    for number, goal in enumerate(goals, start=1):
        status = t._(STATUS[goal.status])
        title = html.escape(goal.title or "")
        if goal.target_date:
            day = format_date(goal.target_date, "medium", locale=t.locale)
            lines.append(
                t._(
                    "{number}. <b>{goal}</b> — {status}, by {date}",
                    number=number,
                    goal=title,
                    status=status,
                    date=day,
                )
            )
        else:
            lines.append(
                t._("{number}. <b>{goal}</b> — {status}", number=number, goal=title, status=status)
            )
        if goal.confidence is not None:
            lines.append(t._("   confidence {value}/10", value=goal.confidence))
        for level, description in sorted(levels.get(goal.id, {}).items(), reverse=True):
            lines.append(f"   GAS {level:+d}: {html.escape(description)}")
        for index, strategy in enumerate(steps.get(goal.id, []), 1):
            often = frequency_text(t, manage.frequency_of(strategy))
            lines.append(f"   ↻ {index}. {html.escape(strategy.title)} ({often})")
    return "\n".join(lines)


# --------------------------------------------------------------------------- /goal


async def change_goal(
    session: AsyncSession,
    t: Translator,
    *,
    by_id: int,
    client: User,
    label: str,
    parsed: Create | Change,
    max_active: int,
    now: datetime | None = None,
) -> Result:
    """A new goal, new wording, or pause / resume / achieve / drop (the lead)."""
    now = now or utcnow()
    result = Result()
    if isinstance(parsed, Create):
        active = await conversation.count_active(session, client.id)
        if active >= max_active:
            return result.say(_full(t, label, active))
        made = await manage.create(session, client.id, by_id, parsed.text)
        number = len(await manage.numbered_goals(session, client.id))
        await goal_notices.tell_client(
            session, client, made, goal_notices.CREATED, by_id=by_id, now=now
        )
        logger.info("event=goal.created client_id=%s goal_id=%s by=%s", client.id, made.id, by_id)
        return result.audited(AuditAction.GOAL_CREATE).say(
            t._(
                "Added goal {number} for {client}: <b>{goal}</b>. I've let them know. "
                "GAS levels: /gas; strategies: /strategy.",
                number=number,
                client=label,
                goal=html.escape(made.title or ""),
            )
        )
    target = await manage.goal_number(session, client.id, parsed.number)
    if target is None:
        return result.say(_no_goal(t, label, parsed.number))
    if parsed.verb == Verb.EDIT:
        if not await manage.edit(session, target, by_id, parsed.text or "", now):
            return result.say(
                t._(
                    "That is already how goal {number} reads. Nothing was changed.",
                    number=parsed.number,
                )
            )
        await goal_notices.tell_client(
            session, client, target, goal_notices.EDITED, by_id=by_id, now=now
        )
        logger.info("event=goal.edited goal_id=%s by=%s", target.id, by_id)
        return result.audited(AuditAction.GOAL_CHANGE).say(
            t._(
                "Goal {number} of {client} now reads: <b>{goal}</b>. The earlier wording is "
                "kept in its history. I've let them know.",
                number=parsed.number,
                client=label,
                goal=html.escape(target.title or ""),
            )
        )
    if not manage.may_change(target, parsed.verb):
        return result.say(_does_not_apply(t, label, parsed.number, target))
    if parsed.verb == Verb.RESUME:
        active = await conversation.count_active(session, client.id)
        if active >= max_active:
            return result.say(_full(t, label, active))
    await manage.change_status(session, target, by_id, parsed.verb, now)
    await goal_notices.tell_client(session, client, target, parsed.verb.value, by_id=by_id, now=now)
    logger.info(
        "event=goal.status goal_id=%s status=%s by=%s", target.id, target.status.value, by_id
    )
    return result.audited(AuditAction.GOAL_CHANGE).say(
        t._(
            "Goal {number} of {client} is now {status}. I've let them know.",
            number=parsed.number,
            client=label,
            status=t._(STATUS[target.status]),
        )
    )


# --------------------------------------------------------------------------- /gas


async def gas(
    session: AsyncSession,
    t: Translator,
    *,
    by_id: int,
    client_id: int,
    label: str,
    parsed: Gas | GasReached,
) -> Result:
    """/gas in either meaning: the level a goal reached now, or what a level looks like."""
    if isinstance(parsed, GasReached):
        return await gas_reached(
            session, t, by_id=by_id, client_id=client_id, label=label, parsed=parsed
        )
    return await gas_describe(
        session, t, by_id=by_id, client_id=client_id, label=label, parsed=parsed
    )


async def gas_reached(
    session: AsyncSession,
    t: Translator,
    *,
    by_id: int,
    client_id: int,
    label: str,
    parsed: GasReached,
) -> Result:
    """Goal n is at GAS level ``parsed.level`` now: a score, kept with who rated it."""
    goals = await manage.numbered_goals(session, client_id)
    if not 1 <= parsed.number <= len(goals):
        return Result().say(
            t.ngettext(
                "{client} has {count} goal; the level goes from -2 to +2.",
                "{client} has {count} goals; the level goes from -2 to +2.",
                len(goals),
                client=label,
            )
        )
    goal = goals[parsed.number - 1]
    session.add(GasScore(goal_id=goal.id, level=parsed.level, rated_by_id=by_id))
    await session.flush()
    logger.info("event=gas.scored goal_id=%s level=%s by=%s", goal.id, parsed.level, by_id)
    return (
        Result()
        .audited(AuditAction.GAS_SCORE)
        .say(
            t._(
                "Goal {number} of {client} is at GAS level {level} now.",
                number=parsed.number,
                client=label,
                level=f"{parsed.level:+d}",
            )
        )
    )


async def gas_describe(
    session: AsyncSession,
    t: Translator,
    *,
    by_id: int,
    client_id: int,
    label: str,
    parsed: Gas,
) -> Result:
    """What GAS level ``parsed.level`` of goal n looks like (replaces an earlier one)."""
    target = await manage.goal_number(session, client_id, parsed.number)
    if target is None:
        return Result().say(_no_goal(t, label, parsed.number))
    await manage.set_gas_level(session, target, parsed.level, parsed.description)
    logger.info("event=goal.gas goal_id=%s level=%s by=%s", target.id, parsed.level, by_id)
    return (
        Result()
        .audited(AuditAction.GOAL_GAS)
        .say(
            t._(
                "Goal {number} of {client}, GAS level {level}: {description}",
                number=parsed.number,
                client=label,
                level=f"{parsed.level:+d}",
                description=html.escape(parsed.description),
            )
        )
    )


# --------------------------------------------------------------------------- /strategy


async def _open_goal(
    session: AsyncSession, t: Translator, client_id: int, label: str, number: int
) -> Goal | Result:
    """Goal ``number`` of the client when it is open (strategies go with open goals),
    else the answer that says why not."""
    target = await manage.goal_number(session, client_id, number)
    if target is None:
        return Result().say(_no_goal(t, label, number))
    if target.status not in manage.OPEN:
        return Result().say(_does_not_apply(t, label, number, target))
    return target


async def add_strategy(
    session: AsyncSession,
    t: Translator,
    *,
    by_id: int,
    client: User,
    label: str,
    parsed: StrategyArgs,
    now: datetime | None = None,
) -> Result:
    """A strategy for an open goal, how often it is practised; the client is told."""
    target = await _open_goal(session, t, client.id, label, parsed.number)
    if isinstance(target, Result):
        return target
    made = await manage.add_strategy(session, target, by_id, parsed.text, parsed.frequency)
    await goal_notices.tell_client(
        session,
        client,
        target,
        goal_notices.STRATEGY,
        by_id=by_id,
        now=now or utcnow(),
        strategy_id=made.id,
    )
    logger.info("event=strategy.added goal_id=%s strategy_id=%s by=%s", target.id, made.id, by_id)
    return (
        Result()
        .audited(AuditAction.STRATEGY_ADD)
        .say(
            t._(
                "Strategy for goal {number} of {client}: {strategy} ({often}). I've let them know.",
                number=parsed.number,
                client=label,
                strategy=html.escape(made.title),
                often=frequency_text(t, parsed.frequency),
            )
        )
    )


async def change_strategy(
    session: AsyncSession,
    t: Translator,
    *,
    by_id: int,
    client: User,
    label: str,
    parsed: StrategyChange,
    now: datetime | None = None,
) -> Result:
    """A strategy reworded, practised at another frequency, or stopped; the client is told."""
    target = await _open_goal(session, t, client.id, label, parsed.number)
    if isinstance(target, Result):
        return target
    strategy = await manage.strategy_number(session, target, parsed.strategy)
    if strategy is None:
        return Result().say(
            t._(
                "Goal {number} of {client} has no strategy {strategy}. /goals lists them, "
                "numbered under each goal.",
                number=parsed.number,
                client=label,
                strategy=parsed.strategy,
            )
        )
    now = now or utcnow()
    if parsed.verb == Verb.DROP:
        await manage.stop_strategy(session, strategy)
        change, reply = (
            goal_notices.STRATEGY_STOPPED,
            t._(
                "Strategy {strategy} of goal {number} of {client} is stopped: I won't ask about "
                "it any more, and its answers are kept. I've let them know.",
                strategy=parsed.strategy,
                number=parsed.number,
                client=label,
            ),
        )
    else:
        if not await manage.edit_strategy(session, strategy, parsed.text, parsed.frequency):
            return Result().say(
                t._(
                    "That is already how strategy {strategy} of goal {number} reads. "
                    "Nothing was changed.",
                    strategy=parsed.strategy,
                    number=parsed.number,
                )
            )
        change, reply = (
            goal_notices.STRATEGY_EDITED,
            t._(
                "Strategy {strategy} of goal {number} of {client} now reads: {text} ({often}). "
                "I've let them know.",
                strategy=parsed.strategy,
                number=parsed.number,
                client=label,
                text=html.escape(strategy.title),
                often=frequency_text(t, manage.frequency_of(strategy)),
            ),
        )
    await goal_notices.tell_client(
        session, client, target, change, by_id=by_id, now=now, strategy_id=strategy.id
    )
    logger.info(
        "event=strategy.changed goal_id=%s strategy_id=%s change=%s by=%s",
        target.id,
        strategy.id,
        change,
        by_id,
    )
    return Result().audited(AuditAction.STRATEGY_CHANGE).say(reply)
