"""The check-in over Telegram: /checkin, each button, the optional note, /progress.

The state machine is ``bot.checkins.answers`` and /progress's data
``bot.checkins.progress`` (no Telegram there); this module parses what Telegram sends,
calls one use case inside one transaction, and renders its outcome once the transaction
is committed.

Callback data ``ck:<yyyymmdd>:<op>[:<id>[:<value>]]``: ``g`` a goal's 0–10, ``s`` a
strategy done (1) or not (0), ``n`` no note, ``x`` skip today (on every question), ``q``
show the open question (from the nudge). ``cb:<yyyymmdd>:<g|s|n>[:<id>]`` is "Back" on
the question it names: the one before it is open again, to change an answer. Every press
is checked against the sender: the check-in is looked up by *their* user id and the
date, the goal or strategy must be theirs. One message carries the whole check-in: each
answer edits it into the next question.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from telegram import Update

from bot import charts
from bot.callbacks import CheckinBack, CheckinPress
from bot.checkins import answers, messages, streaks
from bot.checkins import progress as progress_data
from bot.checkins.answers import Outcome, Show, Toast
from bot.context import BotContext
from bot.db.models import Role
from bot.delivery.renderers import Rendered
from bot.errors import answer_press, harmless_ignored
from bot.flows import crisis, fallback
from bot.flows.keyboards import markup
from bot.i18n import Translator

logger = logging.getLogger(__name__)

PATTERN = messages.PATTERN
BACK_PATTERN = messages.BACK_PATTERN


def _now() -> datetime:
    return datetime.now(UTC)


def rules(context: BotContext) -> answers.Rules:
    settings = context.services.settings
    return answers.Rules(
        window=timedelta(hours=settings.checkin_window_hours),
        grace_days=settings.streak_grace_days,
        default_timezone=settings.default_timezone,
    )


def _is_client(context: BotContext) -> bool:
    user = context.user_record
    return user is not None and user.role == Role.CLIENT


def render(t: Translator, outcome: Outcome) -> Rendered | None:
    """What the check-in's message says after ``outcome`` (None: it stays as it is)."""
    show = outcome.show
    if show is Show.QUESTION:
        assert outcome.plan is not None and outcome.step is not None
        assert outcome.local_date is not None
        return messages.question(
            t, outcome.plan, outcome.step, outcome.local_date, answered=outcome.answered
        )
    if show is Show.THANKS:
        assert outcome.celebration is not None
        text = messages.thanks(t, outcome.user_id, outcome.celebration)
    elif show is Show.ALREADY_DONE:
        assert outcome.summary is not None
        text = messages.already_done(t, outcome.summary)
    elif show is Show.SKIPPED:
        text = messages.skipped(t)
    elif show is Show.EXPIRED:
        text = messages.expired(t)
    elif show is Show.SKIPPED_TODAY:
        text = messages.skipped_today(t)
    elif show is Show.MISSED_TODAY:
        text = messages.missed_today(t)
    elif show is Show.NOTHING_TO_RATE:
        text = "\n\n".join((t._("There is nothing to rate yet."), messages.no_goals(t)))
    else:
        return None
    return Rendered(text=text)


def toast(t: Translator, toast: Toast | None) -> str | None:
    if toast is Toast.ALREADY_NOTED:
        return t._("Already noted. ✓")
    if toast is Toast.CHANGED:
        return t._("Changed. ✓")
    if toast is Toast.NOTED:
        return t._("Noted. ✓")
    return None


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
    async with context.services.sessions() as session, session.begin():
        outcome = await answers.start(
            session, user_id=user.id, now=_now(), zone=user.timezone, rules=rules(context)
        )
    reply = render(context.t, outcome)
    assert reply is not None
    await message.reply_text(reply.text, reply_markup=markup(reply.buttons))


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
    press = answers.Press(day=day, op=op, ident=ident, value=value)
    async with context.services.sessions() as session, session.begin():
        outcome = await answers.answer(
            session, user_id=user.id, press=press, now=_now(), rules=rules(context)
        )
    if outcome.refused:
        await fallback.stale_button(update, context)
        return
    t = context.t
    # Answered already (the same update handled by another instance as well) or too
    # old: the message must still show the next question.
    await answer_press(query, toast(t, outcome.toast))
    rendered = render(t, outcome)
    if rendered is not None:
        # An identical edit (a double tap) is not an error.
        with harmless_ignored():
            await query.edit_message_text(rendered.text, reply_markup=markup(rendered.buttons))
    if outcome.low_twice:
        await query.message.reply_text(messages.low_twice(t))


async def on_back(update: Update, context: BotContext) -> None:
    """The "Back" button: the question before the one shown is open again, to change its answer."""
    query = update.callback_query
    parsed = CheckinBack.parse(query.data)
    if parsed is None or not _is_client(context):
        await fallback.stale_button(update, context)
        return
    user = context.user_record
    async with context.services.sessions() as session, session.begin():
        outcome = await answers.back(
            session,
            user_id=user.id,
            day=parsed.day,
            from_step=messages.step_of(parsed),
            now=_now(),
        )
    if outcome.refused:
        await fallback.stale_button(update, context)
        return
    t = context.t
    await answer_press(query, toast(t, outcome.toast))  # answered already: as above
    rendered = render(t, outcome)
    if rendered is not None:
        with harmless_ignored():  # a double tap shows the same question again
            await query.edit_message_text(rendered.text, reply_markup=markup(rendered.buttons))


# --- the note (free text)


async def take_note(update: Update, context: BotContext) -> bool:
    """Free text: the optional note of a check-in, if its note question is open."""
    user = context.user_record
    message = update.effective_message
    if user is None or message is None or message.text is None:
        return False
    async with context.services.sessions() as session, session.begin():
        note = await answers.take_note(
            session,
            user_id=user.id,
            message_id=message.message_id,
            text=message.text,
            now=_now(),
            rules=rules(context),
        )
    if note.taken is answers.NoteTaken.NOT_ASKED:
        return False
    if note.taken is answers.NoteTaken.AGAIN:
        return True  # Telegram delivered this update again: stored already
    if (await crisis.screen(update, context, message.text)).matched:
        return True  # stored, and the crisis resources were sent
    thanks = render(context.t, note.outcome)
    assert thanks is not None
    await message.reply_text(thanks.text)
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
    now, checkin_rules = _now(), rules(context)
    today = answers.today_for(now, user.timezone, checkin_rules)
    async with context.services.sessions() as session, session.begin():
        # A check-in answered but not finished counts from the next sweep: count it now.
        await streaks.refresh(
            session, now=now, grace_days=checkin_rules.grace_days, user_id=user.id
        )
        found = await progress_data.progress(session, user_id=user.id, today=today)
    line = messages.encouragement_line(
        t,
        found.encouragement,
        goal_titles=found.goal_titles,
        strategy_titles=found.strategy_titles,
    )
    caption = messages.progress_caption(
        t, current=found.current, best=found.best, line=line, has_ratings=found.has_ratings
    )
    if not found.has_ratings:
        await message.reply_text(caption)
        return
    labels = messages.chart_labels(t)
    lines = tuple(
        charts.Line(goal.title or "…", goal.points, goal.target_date) for goal in found.series
    )
    png = await charts.png(
        [
            charts.Panel(
                labels["title"],
                lines,
                charts.Target(charts.TOP, labels["target"]),
                period=(today - timedelta(days=progress_data.PROGRESS_DAYS - 1), today),
            )
        ],
        y_label=labels["axis"],
        locale=t.locale,
    )
    logger.info("event=progress.sent user_id=%s goals=%s", user.id, len(found.series))
    await message.reply_photo(png, caption=caption)
