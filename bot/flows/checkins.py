"""The check-in, top to bottom: /checkin, each button, the optional note, /progress.

Callback data ``ck:<yyyymmdd>:<op>[:<id>[:<value>]]``: ``g`` a goal's 0–10, ``s`` a
strategy done (1) or not (0), ``n`` no note, ``x`` skip today, ``q`` show the open
question (from the nudge). Every press is checked against the sender: the check-in
is looked up by *their* user id and the date, the goal or strategy must be theirs.
One message carries the whole check-in: each answer edits it into the next question.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, date, datetime, timedelta

from babel.dates import format_date
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest

from bot.callbacks import CheckinPress
from bot.checkins import chart, core, messages, streaks
from bot.context import BotContext
from bot.db.models import (
    Checkin,
    CheckinSource,
    CheckinStatus,
    Goal,
    GoalRating,
    Role,
    Strategy,
    StrategyAnswer,
)
from bot.delivery.renderers import Rendered
from bot.delivery.scheduling import reschedule_user
from bot.domain.checkins import encouragement
from bot.domain.schedule import local_date
from bot.flows import crisis, fallback

logger = logging.getLogger(__name__)

PATTERN = messages.PATTERN
PROGRESS_DAYS = 28


def _markup(rendered: Rendered) -> InlineKeyboardMarkup | None:
    if not rendered.buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(b.text, callback_data=b.callback_data) for b in row]
            for row in rendered.buttons
        ]
    )


def _now() -> datetime:
    return datetime.now(UTC)


def _window(context: BotContext) -> timedelta:
    return timedelta(hours=context.services.settings.checkin_window_hours)


def _today(context: BotContext, now: datetime) -> date:
    user = context.user_record
    return local_date(
        now, user.timezone if user else None, context.services.settings.default_timezone
    )


def _is_client(context: BotContext) -> bool:
    user = context.user_record
    return user is not None and user.role == Role.CLIENT


async def _edit(update: Update, rendered: Rendered | str) -> None:
    """Edit the pressed message; an identical edit (a double tap) is not an error."""
    if isinstance(rendered, str):
        rendered = Rendered(text=rendered)
    try:
        await update.callback_query.edit_message_text(rendered.text, reply_markup=_markup(rendered))
    except BadRequest as error:
        if "not modified" not in error.message.lower():
            raise


# --- /checkin


async def checkin_command(update: Update, context: BotContext) -> None:
    """/checkin: check in now, once per local day; a second time says what was answered."""
    _ = context.t._
    message = update.effective_message
    if not _is_client(context):
        await message.reply_text(
            _("Check-ins are for clients who joined with an invite. /help shows what you can do.")
        )
        return
    user = context.user_record
    now = _now()
    today = _today(context, now)
    settings = context.services.settings
    async with context.services.sessions() as session, session.begin():
        existing = await core.find(session, user.id, today)
        plan = await core.plan(session, user.id, today)
        if existing is None:
            if not plan.goals:
                reply: Rendered | str = "\n\n".join(
                    (_("There is nothing to rate yet."), messages.no_goals(context.t))
                )
            else:
                checkin, _opened = await core.open_checkin(
                    session,
                    user_id=user.id,
                    local_date=today,
                    source=CheckinSource.EARLY,
                    now=now,
                    window=_window(context),
                    first_step=plan.first,
                )
                await core.skip_scheduled_prompt(session, user.id, today, now=now)
                await reschedule_user(
                    session, user.id, now=now, default_timezone=settings.default_timezone
                )
                logger.info("event=checkin.opened checkin_id=%s source=early", checkin.id)
                reply = messages.question(context.t, plan, plan.first, today, skip=True)
        elif existing.status is CheckinStatus.SKIPPED:
            reply = messages.skipped_today(context.t)
        elif existing.status is CheckinStatus.MISSED or existing.closes_at <= now:
            reply = messages.missed_today(context.t)
        elif existing.step in (None, core.DONE):
            reply = messages.already_done(context.t, await core.summary(session, existing))
        else:  # started and not finished: the open question again
            step = plan.resolve(existing.step)
            reply = messages.question(context.t, plan, step, today, skip=step == plan.first)
    if isinstance(reply, str):
        await message.reply_text(reply)
    else:
        await message.reply_text(reply.text, reply_markup=_markup(reply))


# --- buttons


async def on_button(update: Update, context: BotContext) -> None:
    """Any check-in button: record the answer, then show the next question."""
    query = update.callback_query
    parsed = CheckinPress.parse(query.data)
    if parsed is None or not _is_client(context):
        await fallback.stale_button(update, context)
        return
    day, op, ident, value = parsed.day, parsed.op, parsed.ident, parsed.value
    user = context.user_record
    now = _now()
    t = context.t
    toast: str | None = None
    low = False
    reply: Rendered | str
    async with context.services.sessions() as session, session.begin():
        checkin = await core.find(session, user.id, day)
        plan = await core.plan(session, user.id, day)
        if checkin is None and plan.goals and await core.was_prompted(session, user.id, day):
            # The press beat the sent hook: open it now (the hook will find it open).
            checkin, _opened = await core.open_checkin(
                session,
                user_id=user.id,
                local_date=day,
                source=CheckinSource.SCHEDULED,
                now=now,
                window=_window(context),
                first_step=plan.first,
            )
        if checkin is None:
            reply = ""
        elif checkin.status is CheckinStatus.MISSED or checkin.closes_at <= now:
            logger.info("event=checkin.expired_press checkin_id=%s", checkin.id)
            reply = messages.expired(t)
        elif checkin.status is CheckinStatus.SKIPPED:
            reply = messages.skipped(t)
        elif op == "x":
            reply = await _skip(session, checkin, now, context)
        elif op == "q":
            step = plan.resolve(checkin.step or plan.first)
            reply = (
                messages.question(t, plan, step, day, skip=step == plan.first)
                if step != core.DONE
                else messages.already_done(t, await core.summary(session, checkin))
            )
        elif op == "g" and ident is not None and value is not None and 0 <= value <= 10:
            # A goal of today's plan is theirs already; another (paused since) is looked up.
            goal = plan.goals.get(ident) or await core.user_goal(session, user.id, ident)
            if goal is None:
                reply = ""
            else:
                recorded = await core.rate_goal(session, checkin, goal, value, now=now)
                low = recorded.low_twice and recorded.outcome != "same"
                reply, toast = await _after_answer(
                    session, checkin, plan, f"goal:{goal.id}", recorded, now, context
                )
                logger.info(
                    "event=checkin.rated checkin_id=%s goal_id=%s outcome=%s",
                    checkin.id,
                    goal.id,
                    recorded.outcome,
                )
        elif op == "s" and ident is not None and value in (0, 1):
            strategy = await core.user_strategy(session, user.id, ident)
            if strategy is None:
                reply = ""
            else:
                recorded = await core.answer_strategy(
                    session, checkin, strategy.id, bool(value), now=now
                )
                reply, toast = await _after_answer(
                    session, checkin, plan, f"strategy:{strategy.id}", recorded, now, context
                )
        elif op == "n":
            if checkin.step == core.NOTE:
                checkin.step = core.DONE
                reply = await _thanks(session, checkin, now, context)
            else:
                reply, toast = "", t._("Already noted. ✓")
        else:
            reply = ""
    if reply == "" and toast is None:
        await fallback.stale_button(update, context)
        return
    await query.answer(toast)
    if reply:
        await _edit(update, reply)
    if low:
        await query.message.reply_text(messages.low_twice(t))


async def _after_answer(
    session: AsyncSession,
    checkin: Checkin,
    plan: core.Plan,
    step: str,
    recorded: core.Recorded,
    now: datetime,
    context: BotContext,
) -> tuple[Rendered | str, str | None]:
    """After an answer: the next question (same answer again: only a toast)."""
    t = context.t
    if recorded.outcome == "same":
        return "", t._("Already noted. ✓")
    answered_open_question = checkin.step == step
    if answered_open_question:
        # Set before the streak is read below, so the check-in is written once.
        checkin.step = plan.after(step)
    if recorded.first_answer:
        await core.withdraw_nudge(session, checkin.id, now=now)
        if checkin.step != core.DONE:  # else _thanks recomputes it
            await streaks.recompute(
                session,
                [checkin.user_id],
                now=now,
                grace_days=context.services.settings.streak_grace_days,
            )
    if not answered_open_question:
        # An earlier question answered again (a changed answer): keep the open one.
        toast = t._("Changed. ✓") if recorded.outcome == "changed" else None
        return "", toast or t._("Noted. ✓")
    if checkin.step == core.DONE:
        return await _thanks(session, checkin, now, context), None
    return messages.question(t, plan, checkin.step, checkin.local_date, skip=False), None


async def _thanks(
    session: AsyncSession, checkin: Checkin, now: datetime, context: BotContext
) -> str:
    celebration = await streaks.celebrate(
        session,
        checkin.user_id,
        now=now,
        grace_days=context.services.settings.streak_grace_days,
    )
    logger.info(
        "event=checkin.done checkin_id=%s streak=%s milestone=%s",
        checkin.id,
        celebration.current,
        celebration.milestone,
    )
    return messages.thanks(context.t, checkin.user_id, celebration)


async def _skip(session: AsyncSession, checkin: Checkin, now: datetime, context: BotContext) -> str:
    """Skip today: nothing answered yet → SKIPPED (no blame, no count); else finish here."""
    if checkin.status is CheckinStatus.OPEN:
        checkin.status = CheckinStatus.SKIPPED
        checkin.step = core.DONE
        await core.withdraw_nudge(session, checkin.id, now=now)
        await streaks.recompute(
            session,
            [checkin.user_id],
            now=now,
            grace_days=context.services.settings.streak_grace_days,
        )
        logger.info("event=checkin.skipped checkin_id=%s", checkin.id)
        return messages.skipped(context.t)
    checkin.step = core.DONE
    return await _thanks(session, checkin, now, context)


# --- the note (free text)


async def take_note(update: Update, context: BotContext) -> bool:
    """Free text: the optional note of a check-in, if its note question is open."""
    user = context.user_record
    message = update.effective_message
    if user is None or message is None or message.text is None:
        return False
    now = _now()
    async with context.services.sessions() as session, session.begin():
        if await core.note_already_saved(session, user.id, message.message_id):
            return True  # Telegram delivered this update again: stored already
        checkin = await core.awaiting_note(session, user.id, now)
        if checkin is None:
            return False
        checkin.note = message.text
        checkin.note_message_id = message.message_id
        checkin.step = core.DONE
        text = await _thanks(session, checkin, now, context)
    logger.info("event=checkin.note_saved checkin_id=%s", checkin.id)
    if (await crisis.screen(update, context, message.text)).matched:
        return True  # stored, and the crisis resources were sent
    await message.reply_text(text)
    return True


# --- /progress


async def progress(update: Update, context: BotContext) -> None:
    """/progress: a chart of the last four weeks' ratings, the streak, one kind line."""
    _ = context.t._
    message = update.effective_message
    if not _is_client(context):
        await message.reply_text(
            _("This command is for clients who joined with an invite. /help shows what you can do.")
        )
        return
    user = context.user_record
    t = context.t
    today = _today(context, _now())
    since = today - timedelta(days=PROGRESS_DAYS - 1)
    async with context.services.sessions() as session:
        rows = (
            await session.execute(
                select(GoalRating.goal_id, GoalRating.local_date, GoalRating.value)
                .where(GoalRating.user_id == user.id, GoalRating.local_date >= since)
                .order_by(GoalRating.local_date)
            )
        ).all()
        done_counts: dict[int, int] = {}
        for strategy_id in (
            await session.scalars(
                select(StrategyAnswer.strategy_id)
                .join(Checkin, Checkin.id == StrategyAnswer.checkin_id)
                .where(
                    Checkin.user_id == user.id,
                    Checkin.local_date >= since,
                    StrategyAnswer.done.is_(True),
                )
            )
        ).all():
            done_counts[strategy_id] = done_counts.get(strategy_id, 0) + 1
        goal_ids = {row.goal_id for row in rows}
        goals = {
            goal.id: goal.title
            for goal in await session.scalars(select(Goal).where(Goal.id.in_(goal_ids)))
        }
        strategies = {
            s.id: s.title
            for s in await session.scalars(select(Strategy).where(Strategy.id.in_(done_counts)))
        }
        current, best = await streaks.current(session, user.id)
    series: dict[int, list[tuple[date, int]]] = {}
    for row in rows:
        series.setdefault(row.goal_id, []).append((row.local_date, row.value))
    found = encouragement(series, done_counts, today=today)
    line = messages.encouragement_line(t, found, goal_titles=goals, strategy_titles=strategies)
    caption = messages.progress_caption(
        t, current=current, best=best, line=line, has_ratings=bool(series)
    )
    if not series:
        await message.reply_text(caption)
        return
    labels = messages.chart_labels(t)
    days = sorted({day for points in series.values() for day, _v in points})
    png = await asyncio.to_thread(
        chart.ratings_png,
        {goals.get(goal_id) or "…": points for goal_id, points in series.items()},
        title=labels["title"],
        axis=labels["axis"],
        date_label={day: format_date(day, "d MMM", locale=t.locale) for day in days},
    )
    logger.info("event=progress.sent user_id=%s goals=%s", user.id, len(series))
    await message.reply_photo(png, caption=caption)
