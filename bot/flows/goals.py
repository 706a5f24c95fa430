"""The client's goals: the guided SMART conversation and /goals.

    /goals (client)       -> their active and paused goals, and "Set a new goal"
    begin(...)            -> the first question (the intake calls it with a life area)
    what -> 0 looks like -> 10 looks like -> confidence (0–10 buttons)
         -> below 7: "make it smaller?" (rephrase, or keep it) -> why it matters -> by when
         -> the goal is ACTIVE (or PAUSED when the client already has the most active goals)

One question at a time; the open one is ``Goal.draft_step`` of the client's DRAFT
goal (``bot.goals.conversation``), so a restart resumes it. Typed answers come
through :func:`take_answer` (a free-text taker, ``bot/flows/free_text.py``); every
question has Cancel, the optional ones Skip.

Callback data: ``gl:new``, ``gl:<action>:<goal id>[:<value>]`` (action s skip,
x cancel, c confidence, k keep, m make smaller), checked against the sender's own
draft and its open step before anything is written.

/goals typed by a practitioner lists a client's goals (``practitioner_router``).
"""

from __future__ import annotations

import contextlib
import html
import logging
from datetime import date, datetime

from babel.dates import format_date
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardMarkup, Update
from telegram.error import BadRequest

from bot.callbacks import GoalAction, GoalPress, NewGoal
from bot.context import BotContext
from bot.db.base import utcnow
from bot.db.models import Goal, GoalStatus, Role, User
from bot.domain.schedule import local_date
from bot.domain.typed_answers import parse_number
from bot.errors import answer_press
from bot.flows import crisis, fallback, keyboards
from bot.flows.outgoing import Outgoing
from bot.goals import conversation
from bot.goals.conversation import Answer, Outcome, Step
from bot.goals.manage import numbered_goals
from bot.i18n import N_, Translator
from bot.lessons.progress import awaiting_reflection

logger = logging.getLogger(__name__)

PATTERN = r"^gl:"

# The intake's life areas (content/measures/intake.yaml item ids), as a goal question names them.
AREAS = {
    "mood": N_("your mood"),
    "worry": N_("worry and stress"),
    "sleep": N_("your sleep"),
    "energy": N_("your energy"),
    "relationships": N_("your relationships"),
    "work_study": N_("work or study"),
    "routine": N_("your daily routine"),
    "health": N_("your physical health"),
}


# --------------------------------------------------------------------------- asking


def _cancel(t: Translator, goal: Goal) -> tuple[str, str]:
    return (t._("Cancel"), GoalPress(GoalAction.CANCEL, goal.id).pack())


def question(t: Translator, goal: Goal, step: Step) -> tuple[str, InlineKeyboardMarkup]:
    """The text and buttons of one step's question."""
    _ = t._
    cancel = _cancel(t, goal)
    skip = (_("Skip"), GoalPress(GoalAction.SKIP, goal.id, step.value).pack())
    if step == Step.WHAT:
        if goal.area in AREAS:
            text = _(
                "Let's make a goal about {area}. What, concretely, would you like to do? "
                "One sentence is enough, like “go to bed by 11 pm on weeknights”.",
                area=_(AREAS[goal.area]),
            )
        else:
            text = _(
                "What would you like to work toward? Say it concretely, in one sentence, "
                "like “a 20-minute walk after lunch”."
            )
        return text, keyboards.inline([cancel])
    if step == Step.LOW:
        text = _(
            "How will you know it's going well? Picture a scale from 0 to 10. "
            "What would <b>0</b> look like for you?"
        )
        return text, keyboards.inline([skip, cancel])
    if step == Step.HIGH:
        return _("And what would <b>10</b> look like?"), keyboards.inline([skip, cancel])
    if step == Step.CONFIDENCE:
        numbers = [
            (str(n), GoalPress(GoalAction.CONFIDENCE, goal.id, str(n)).pack()) for n in range(11)
        ]
        text = _("How sure are you that you can do this, from 0 (not at all) to 10 (completely)?")
        return text, keyboards.inline(numbers[:6], numbers[6:], [cancel])
    if step == Step.OFFER:
        text = _(
            "Thank you for being honest. A smaller first step is often easier to keep, and "
            "it still counts. Would you like to make this one smaller?"
        )
        return text, keyboards.inline(
            [
                (_("Make it smaller"), GoalPress(GoalAction.SMALLER, goal.id).pack()),
                (_("Keep it"), GoalPress(GoalAction.KEEP, goal.id).pack()),
            ],
            [cancel],
        )
    if step == Step.SMALLER:
        text = _("What would a smaller first step be? One sentence is enough.")
        return text, keyboards.inline([cancel])
    if step == Step.WHY:
        return _("Why does this matter to you?"), keyboards.inline([skip, cancel])
    text = _("By when would you like to get there? A date, or something like “in 6 weeks”.")
    return text, keyboards.inline([cancel])


def _say(out: Outgoing, t: Translator, goal: Goal, answer: Answer) -> None:
    """What the client is told after an answer."""
    _ = t._
    again = {
        Outcome.TOO_SHORT: _("Could you say a little more? A few words are enough."),
        Outcome.EMPTY: _("Could you say a little more? A few words are enough."),
        Outcome.TOO_LONG: _("That's a lot for one goal. Could you say it in fewer words?"),
        Outcome.DATE_UNREADABLE: _(
            "Sorry, I couldn't read that as a date. Could you try again, like “31 March” "
            "or “in 6 weeks”?"
        ),
        Outcome.DATE_PAST: _("That day is already here or behind us. Which day ahead works?"),
        Outcome.DATE_TOO_FAR: _(
            "That's more than a year away. How about a nearer milestone, within the next year?"
        ),
    }
    if answer.outcome in (Outcome.DONE, Outcome.DONE_PAUSED):
        out.say(_done(t, goal, answer.outcome))
        return
    if answer.step is None:  # the draft was closed meanwhile: nothing left to ask
        return
    if answer.outcome in again:
        out.say(again[answer.outcome], question(t, goal, answer.step)[1])
        return
    out.say(*question(t, goal, answer.step))


def _done(t: Translator, goal: Goal, outcome: Outcome) -> str:
    title = html.escape(goal.title or "")
    day = format_date(goal.target_date, "long", locale=t.locale) if goal.target_date else "—"
    if outcome == Outcome.DONE:
        return t._(
            "Your goal is set: <b>{goal}</b>, by {date}. Small steps count. "
            "/goals shows your goals.",
            goal=title,
            date=day,
        )
    return t._(
        "Your goal is saved: <b>{goal}</b>, by {date}. You already have as many active goals "
        "as work well at once, so this one waits, paused, until one of them is done.",
        goal=title,
        date=day,
    )


def _limit_reached(t: Translator, count: int) -> str:
    return t.ngettext(
        "You already have {count} active goal, and that is plenty for now. Once it is "
        "achieved or paused, you can add another.",
        "You already have {count} active goals, and that is plenty for now. Once one is "
        "achieved or paused, you can add another.",
        count,
    )


async def begin(
    context: BotContext,
    session: AsyncSession,
    user: User,
    out: Outgoing,
    *,
    area: str | None = None,
) -> None:
    """Start (or restart) the client's SMART goal conversation: ask the first question.

    With ``area`` (an intake item id such as ``"sleep"``) the question names that life
    area. When the client already has the most active goals, says so kindly instead.
    """
    t = context.t
    active = await conversation.count_active(session, user.id)
    if active >= context.services.settings.max_active_goals:
        out.say(_limit_reached(t, active))
        return
    goal = await conversation.begin(session, user.id, area)
    logger.info("event=goal.draft_started user_id=%s goal_id=%s", user.id, goal.id)
    out.say(*question(t, goal, Step.WHAT))


# --------------------------------------------------------------------------- typed answers


async def take_answer(update: Update, context: BotContext) -> bool:
    """Free text: the answer to the open goal question, if the client has one open.

    A lesson reflection asked after the goal's last question gets the text instead.
    """
    user = context.user_record
    if user is None:
        return False
    message = update.effective_message
    now = utcnow()
    t = context.t
    out = Outgoing(message.chat_id)
    async with context.services.sessions() as session, session.begin():
        goal = await conversation.open_draft(session, user.id)
        step, last = conversation.read_step(goal) if goal else (None, 0)
        if goal is None or step is None:
            return False
        if message.message_id <= last:
            return True  # Telegram delivered this update again: it is stored already
        if conversation.is_idle(goal, now):
            return False
        reflection = await awaiting_reflection(session, user.id, now)
        if (
            reflection is not None
            and reflection.reflection_asked_at is not None
            and reflection.reflection_asked_at > goal.updated_at
        ):
            return False
        if step == Step.CONFIDENCE:
            # "7", "seven", "sieben", "7/10": read as the check-in reads a typed rating.
            typed = parse_number(message.text or "", highest=10)
            if typed is not None:
                answer = conversation.take_confidence(goal, typed)
                conversation.set_step(goal, answer.step, message.message_id)
            else:
                conversation.set_step(goal, step, message.message_id)
                answer = Answer(Outcome.ASK, step)
        else:
            answer = await conversation.take_text(
                session,
                goal,
                message.text or "",
                message_id=message.message_id,
                locale=t.locale,
                today=_today(context, user, now),
                max_active=context.services.settings.max_active_goals,
            )
        _say(out, t, goal, answer)
    logger.info(
        "event=goal.answer user_id=%s goal_id=%s step=%s outcome=%s",
        user.id,
        goal.id,
        step.value,
        answer.outcome.value,
    )
    if (await crisis.screen(update, context, message.text)).matched:
        return True  # stored; the crisis resources were sent, nothing more is asked now
    await out.send(context)
    return True


def _today(context: BotContext, user: User, now: datetime) -> date:
    return local_date(now, user.timezone, context.services.settings.default_timezone)


# --------------------------------------------------------------------------- buttons


async def on_button(update: Update, context: BotContext) -> None:
    """Any goal button: check it is the sender's own draft at that step, then do it."""
    query = update.callback_query
    new = NewGoal.parse(query.data)
    press = GoalPress.parse(query.data)
    user = context.user_record
    if (new is None and press is None) or user is None or user.role != Role.CLIENT:
        await fallback.stale_button(update, context)
        return
    out = Outgoing(update.effective_chat.id)
    done = False
    async with context.services.sessions() as session, session.begin():
        if press is None:
            await begin(context, session, user, out)
            done = True
        else:
            goal = await conversation.draft_for(session, press.goal_id, user.id)
            if goal is not None:
                done = await _press(context, session, goal, press.action, press.value, out)
    if not done:
        logger.info("event=goal.callback_refused user_id=%s", user.id)
        await fallback.stale_button(update, context)
        return
    await answer_press(query)
    if press is not None:
        with contextlib.suppress(BadRequest):  # already removed by an earlier tap
            await query.edit_message_reply_markup(None)
    await out.send(context)


async def _press(
    context: BotContext,
    session: AsyncSession,
    goal: Goal,
    action: str,
    value: str | None,
    out: Outgoing,
) -> bool:
    t = context.t
    step, _last = conversation.read_step(goal)
    if step is None:
        return False
    if action == "x":
        await conversation.cancel(session, goal)
        logger.info("event=goal.draft_cancelled user_id=%s", goal.user_id)
        out.say(t._("Okay, I've set this goal aside. You can start again any time with /goals."))
        return True
    if action == "s":
        if value != step.value or step not in conversation.SKIPPABLE:
            return False  # a double tap on an earlier question
        answer = conversation.skip(goal)
    elif action == "c":
        if step != Step.CONFIDENCE or value is None or not value.isdigit() or int(value) > 10:
            return False
        answer = conversation.take_confidence(goal, int(value))
    else:  # k keep, m make smaller
        if step != Step.OFFER:
            return False
        answer = conversation.keep_or_smaller(goal, smaller=action == "m")
    await session.flush()
    _say(out, t, goal, answer)
    return True


# --------------------------------------------------------------------------- /goals


async def goals_command(update: Update, context: BotContext) -> None:
    """/goals: a client's own goals (a practitioner's /goals <client> is routed by
    ``practitioner_router``, which hands everyone else to this)."""
    user = context.user_record
    t = context.t
    if user is None or user.role != Role.CLIENT:
        await update.effective_message.reply_text(
            t._("Goals are for clients of a practitioner. /help says more.")
        )
        return
    out = Outgoing(update.effective_chat.id)
    async with context.services.sessions() as session:
        goals = [
            goal
            for goal in await numbered_goals(session, user.id)
            if goal.status in (GoalStatus.ACTIVE, GoalStatus.PAUSED)
        ]
    active = sum(goal.status == GoalStatus.ACTIVE for goal in goals)
    lines = [t._("<b>Your goals</b>")] if goals else [t._("You have no goals yet.")]
    for goal in goals:
        title = html.escape(goal.title or "")
        if goal.target_date is not None:
            day = format_date(goal.target_date, "medium", locale=t.locale)
            line = t._("• {goal} — by {date}", goal=title, date=day)
        else:
            line = t._("• {goal}", goal=title)
        if goal.status == GoalStatus.PAUSED:
            line = t._("{goal} (paused)", goal=line)
        lines.append(line)
    markup = None
    if active >= context.services.settings.max_active_goals:
        lines.append("")
        lines.append(_limit_reached(t, active))
    else:
        markup = keyboards.inline([(t._("Set a new goal"), NewGoal().pack())])
    out.say("\n".join(lines), markup)
    await out.send(context)
