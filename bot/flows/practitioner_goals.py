"""A practitioner sets and follows a client's goals.

    /goals Anna M.                        -> Anna's goals, numbered, with GAS levels and strategies
    /goal Anna M. Walk after lunch        -> a new ACTIVE goal; Anna is told
    /goal Anna M. edit 2 Walk 15 minutes  -> new wording (the old one kept in goal_revisions)
    /goal Anna M. pause|resume|achieve|drop 2
    /gas Anna M. 2 +1 Walks 4 days a week -> describes GAS level +1 of goal 2
    /strategy Anna M. 2 mon,wed,fri A walk after lunch

The client is named by alias or number, looked for only among the sender's own
care teams (longest matching name first: "Anna M." before "Anna"). Any active team
member may read the goals; only the lead changes them. Reads and changes are in the
access log (``bot.audit``), in the same transaction. Argument parsing is pure, in
``bot.domain.goal_commands``.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Awaitable, Callable

from babel.dates import format_date
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update

from bot import audit
from bot.audit import AuditAction
from bot.context import BotContext
from bot.db.base import utcnow
from bot.db.models import Goal, GoalStatus, TeamRole, User, UserStatus
from bot.domain import goal_commands as commands
from bot.domain.goal_commands import Problem, Verb
from bot.enrollment import authorization
from bot.enrollment.authorization import VisibleClient
from bot.enrollment.client_lookup import find_clients
from bot.flows import review
from bot.flows.onboarding import client_label
from bot.flows.outgoing import Outgoing
from bot.flows.practitioner_commands import not_for_you, one_client, practitioner
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


# --------------------------------------------------------------------------- naming a client


async def _named_client(
    out: Outgoing, t: Translator, session: AsyncSession, user: User, words: list[str]
) -> tuple[VisibleClient, list[str]] | None:
    """The client the first words name (longest name first) and the words after it."""
    for typed, rest in commands.alias_splits(words):
        matches = await find_clients(session, user.id, typed)
        if len(matches) == 1:
            return matches[0], rest
        if matches:
            one_client(out, t, typed, matches)
            return None
    one_client(out, t, words[0] if words else "", [])
    return None


async def _lead_of(
    out: Outgoing, t: Translator, session: AsyncSession, user: User, found: VisibleClient
) -> User | None:
    """The client, when the sender may change their goals now; otherwise says why not."""
    label = client_label(t, found.alias, found.client.id)
    if found.role != TeamRole.LEAD or not await authorization.is_lead(
        session, user.id, found.client.id
    ):
        out.say(
            t._(
                "Only the lead practitioner of {client} can change their goals. "
                "You can see them with /goals.",
                client=label,
            )
        )
        return None
    if found.client.status == UserStatus.STOPPED:
        out.say(
            t._(
                "{client} has stopped the companion, so I won't change their goals. "
                "Nothing was changed.",
                client=label,
            )
        )
        return None
    return found.client


def _usage(t: Translator, problem: Problem, command: str) -> str:
    if problem == Problem.TOO_LONG:
        return t._("That is a little long: please keep it under 300 characters.")
    if command == "gas":
        return t._(
            "Like this: /gas Anna 2 +1 Walks four days a week — the client, the goal number "
            "from /goals Anna, a level from -2 to +2, and what that level looks like. "
            "Without a description, /gas Anna 2 +1 records the level goal 2 has reached now."
        )
    if command == "strategy":
        return t._(
            "Like this: /strategy Anna 2 mon,wed,fri A walk after lunch — the client, the goal "
            "number from /goals Anna, how often (daily, 3/week or days like mon,wed,fri) and "
            "the strategy."
        )
    return t._(
        "Like this: /goal Anna Walk 20 minutes after lunch. To change goal 2 (numbers from "
        "/goals Anna): /goal Anna edit 2 Walk 15 minutes; /goal Anna pause 2, resume 2, "
        "achieve 2 or drop 2."
    )


def _no_goal(t: Translator, label: str, number: int) -> str:
    return t._(
        "{client} has no goal number {number}. /goals shows their goals with numbers.",
        client=label,
        number=number,
    )


# --------------------------------------------------------------------------- /goals <client>


async def list_goals(update: Update, context: BotContext) -> None:
    """/goals <client>: the client's goals, numbered, for anyone on their care team."""
    t = context.t
    user = practitioner(context)
    if user is None:
        await not_for_you(update, context)
        return
    if not context.args:
        await update.effective_message.reply_text(
            t._("Tell me whose goals to show, like /goals Anna. /clients lists your clients.")
        )
        return
    out = Outgoing(update.effective_chat.id)
    typed = " ".join(context.args)
    async with context.services.sessions() as session, session.begin():
        matches = await find_clients(session, user.id, typed)
        if len(matches) != 1:
            one_client(out, t, typed, matches)
        elif await authorization.may_see(session, user.id, matches[0].client.id):
            found = matches[0]
            client_id = found.client.id
            goals = await manage.numbered_goals(session, client_id)
            ids = [goal.id for goal in goals]
            levels = await manage.gas_levels(session, ids)
            steps = await manage.strategies(session, ids)
            await audit.record(session, user.id, AuditAction.GOALS_VIEW, client_id)
            out.say(_goal_list(t, client_label(t, found.alias, client_id), goals, levels, steps))
            logger.info("event=goals.viewed client_id=%s by=%s", client_id, user.id)
    await out.send(context)


def _goal_list(
    t: Translator,
    label: str,
    goals: list[Goal],
    levels: dict[int, dict[int, str]],
    steps: dict[int, list],
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
        for strategy in steps.get(goal.id, []):
            often = frequency_text(t, manage.frequency_of(strategy))
            lines.append(f"   ↻ {html.escape(strategy.title)} ({often})")
    return "\n".join(lines)


# --------------------------------------------------------------------------- writes


Act = Callable[[Outgoing, BotContext, AsyncSession, User, User, str, list[str]], Awaitable[None]]


async def _write(update: Update, context: BotContext, command: str, act: Act) -> None:
    """Shared frame of /goal, /gas, /strategy: who, which client, lead only, then ``act``."""
    t = context.t
    user = practitioner(context)
    if user is None:
        await not_for_you(update, context)
        return
    args = list(context.args or [])
    if not args:
        await update.effective_message.reply_text(_usage(t, Problem.NO_TEXT, command))
        return
    out = Outgoing(update.effective_chat.id)
    async with context.services.sessions() as session, session.begin():
        named = await _named_client(out, t, session, user, args)
        if named is not None:
            found, rest = named
            client = await _lead_of(out, t, session, user, found)
            if client is not None:
                label = client_label(t, found.alias, client.id)
                await act(out, context, session, user, client, label, rest)
    await out.send(context)


async def goal(update: Update, context: BotContext) -> None:
    """/goal <client> <text> | edit <n> <text> | pause|resume|achieve|drop <n>."""
    await _write(update, context, "goal", _goal)


async def _goal(
    out: Outgoing,
    context: BotContext,
    session: AsyncSession,
    user: User,
    client: User,
    label: str,
    rest: list[str],
) -> None:
    t = context.t
    parsed = commands.parse_goal(rest)
    if isinstance(parsed, Problem):
        out.say(_usage(t, parsed, "goal"))
        return
    now = utcnow()
    limit = context.services.settings.max_active_goals
    if isinstance(parsed, commands.Create):
        active = await conversation.count_active(session, client.id)
        if active >= limit:
            out.say(_full(t, label, active))
            return
        made = await manage.create(session, client.id, user.id, parsed.text)
        await audit.record(session, user.id, AuditAction.GOAL_CREATE, client.id)
        number = len(await manage.numbered_goals(session, client.id))
        out.say(
            t._(
                "Added goal {number} for {client}: <b>{goal}</b>. I've let them know. "
                "GAS levels: /gas; strategies: /strategy.",
                number=number,
                client=label,
                goal=html.escape(made.title),
            )
        )
        await goal_notices.tell_client(
            session, client, made, goal_notices.CREATED, by_id=user.id, now=now
        )
        logger.info("event=goal.created client_id=%s goal_id=%s by=%s", client.id, made.id, user.id)
        return
    target = await manage.goal_number(session, client.id, parsed.number)
    if target is None:
        out.say(_no_goal(t, label, parsed.number))
        return
    if parsed.verb == Verb.EDIT:
        if not await manage.edit(session, target, user.id, parsed.text or "", now):
            out.say(
                t._(
                    "That is already how goal {number} reads. Nothing was changed.",
                    number=parsed.number,
                )
            )
            return
        await audit.record(session, user.id, AuditAction.GOAL_CHANGE, client.id)
        out.say(
            t._(
                "Goal {number} of {client} now reads: <b>{goal}</b>. The earlier wording is "
                "kept in its history. I've let them know.",
                number=parsed.number,
                client=label,
                goal=html.escape(target.title or ""),
            )
        )
        await goal_notices.tell_client(
            session, client, target, goal_notices.EDITED, by_id=user.id, now=now
        )
        logger.info("event=goal.edited goal_id=%s by=%s", target.id, user.id)
        return
    if not manage.may_change(target, parsed.verb):
        out.say(
            t._(
                "Goal {number} of {client} is {status}, so that doesn't apply. Nothing was "
                "changed.",
                number=parsed.number,
                client=label,
                status=t._(STATUS[target.status]),
            )
        )
        return
    if parsed.verb == Verb.RESUME:
        active = await conversation.count_active(session, client.id)
        if active >= limit:
            out.say(_full(t, label, active))
            return
    await manage.change_status(session, target, user.id, parsed.verb, now)
    await audit.record(session, user.id, AuditAction.GOAL_CHANGE, client.id)
    out.say(
        t._(
            "Goal {number} of {client} is now {status}. I've let them know.",
            number=parsed.number,
            client=label,
            status=t._(STATUS[target.status]),
        )
    )
    await goal_notices.tell_client(
        session, client, target, parsed.verb.value, by_id=user.id, now=now
    )
    logger.info(
        "event=goal.status goal_id=%s status=%s by=%s", target.id, target.status.value, user.id
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


async def gas(update: Update, context: BotContext) -> None:
    """/gas <client> <n> <level -2..+2> <what that level looks like> describes a level;
    without a description, /gas <client> <n> <level> records the level reached now."""
    if review.is_gas_score(context.args or []):
        await review.gas_score(update, context)
        return
    await _write(update, context, "gas", _gas)


async def _gas(
    out: Outgoing,
    context: BotContext,
    session: AsyncSession,
    user: User,
    client: User,
    label: str,
    rest: list[str],
) -> None:
    t = context.t
    parsed = commands.parse_gas(rest)
    if isinstance(parsed, Problem):
        out.say(_usage(t, parsed, "gas"))
        return
    target = await manage.goal_number(session, client.id, parsed.number)
    if target is None:
        out.say(_no_goal(t, label, parsed.number))
        return
    await manage.set_gas_level(session, target, parsed.level, parsed.description)
    await audit.record(session, user.id, AuditAction.GOAL_GAS, client.id)
    out.say(
        t._(
            "Goal {number} of {client}, GAS level {level}: {description}",
            number=parsed.number,
            client=label,
            level=f"{parsed.level:+d}",
            description=html.escape(parsed.description),
        )
    )
    logger.info("event=goal.gas goal_id=%s level=%s by=%s", target.id, parsed.level, user.id)


async def strategy(update: Update, context: BotContext) -> None:
    """/strategy <client> <n> <daily | N/week | mon,wed,fri> <the strategy>."""
    await _write(update, context, "strategy", _strategy)


async def _strategy(
    out: Outgoing,
    context: BotContext,
    session: AsyncSession,
    user: User,
    client: User,
    label: str,
    rest: list[str],
) -> None:
    t = context.t
    parsed = commands.parse_strategy(rest)
    if isinstance(parsed, Problem):
        out.say(_usage(t, parsed, "strategy"))
        return
    target = await manage.goal_number(session, client.id, parsed.number)
    if target is None:
        out.say(_no_goal(t, label, parsed.number))
        return
    if target.status not in manage.OPEN:
        out.say(
            t._(
                "Goal {number} of {client} is {status}, so that doesn't apply. Nothing was "
                "changed.",
                number=parsed.number,
                client=label,
                status=t._(STATUS[target.status]),
            )
        )
        return
    made = await manage.add_strategy(session, target, user.id, parsed.text, parsed.frequency)
    await audit.record(session, user.id, AuditAction.STRATEGY_ADD, client.id)
    out.say(
        t._(
            "Strategy for goal {number} of {client}: {strategy} ({often}). I've let them know.",
            number=parsed.number,
            client=label,
            strategy=html.escape(made.title),
            often=frequency_text(t, parsed.frequency),
        )
    )
    await goal_notices.tell_client(
        session,
        client,
        target,
        goal_notices.STRATEGY,
        by_id=user.id,
        now=utcnow(),
        strategy_id=made.id,
    )
    logger.info("event=strategy.added goal_id=%s strategy_id=%s by=%s", target.id, made.id, user.id)
