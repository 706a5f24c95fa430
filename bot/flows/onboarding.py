"""A client's onboarding, top to bottom: welcome and consent, then the four questions
(language, time zone, check-in time, quiet hours), then "you're all set".

Before "I agree" nothing about the client is stored except on the invite they
opened. After it, the open question lives in the database (``conversation_steps``),
so leaving half-way, or a restart of the bot, resumes at the same question; old
buttons are checked against it. The questions themselves are step objects
(``bot/preferences/steps.py``), asked and answered by ``bot/flows/questions.py``;
/settings asks the same ones one at a time (the ``st:`` prefix instead of ``ob:``),
and its buttons and messages come in here too, since the open step says which flow
it belongs to.

Callback data (codecs in ``bot/callbacks.py``): ``ob:agree:<invite>``,
``ob:later:<invite>``, and per question ``<ob|st>:lang:<code>``, ``:tzr:<region>``,
``:tzp:<zone>``, ``:city:<geonameid>``, ``:tzok:<zone>``, ``:tzno``, ``:ci:<HHMM|skip>``,
``:qh:<HHMM-HHMM|none>``. Data that is not one of these gets the stale-button answer.
"""

from __future__ import annotations

import html
import logging

from babel.dates import format_date
from babel.lists import format_list
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardMarkup, Update
from telegram.ext import ApplicationHandlerStop

from bot.callbacks import Consent, ConsentAnswer, OnboardingAnswer, SettingsAnswer
from bot.context import BotContext
from bot.db.base import utcnow
from bot.db.models import Invite, Role, Schedule, User
from bot.delivery import checkin_reminder
from bot.delivery.scheduling import add_schedule
from bot.enrollment import authorization, clients, invites
from bot.enrollment.client_lookup import client_label
from bot.errors import answer_press
from bot.flows import crisis, fallback, keyboards, menus, questions, settings
from bot.flows.measures import start_intake
from bot.flows.outgoing import Outgoing
from bot.lessons import schedule as lesson_schedule
from bot.measures import defaults as measure_defaults
from bot.measures.usecases import CADENCE_NAMES
from bot.preferences.labels import preferences_summary

logger = logging.getLogger(__name__)


# --------------------------------------------------------------------------- 1. welcome, consent


async def welcome(
    update: Update, context: BotContext, out: Outgoing, session: AsyncSession, invite: Invite
) -> None:
    """A client invite was opened: name the practitioner, explain, ask for consent."""
    _ = context.t._
    known = context.user_record
    if known is not None:
        if known.role == Role.PRACTITIONER:
            text = _(
                "This is a client's invite, and you're registered as a practitioner, so it "
                "stays unused. Please pass it on to your client."
            )
        elif invite.used_by_id == known.id:
            await questions.resume(context, out, session, known)
            return
        else:
            text = _("You're already enrolled, so this link stays unused. /team shows your team.")
        out.say(text)
        return
    invite.opened_by_telegram_id = update.effective_user.id
    out.say(
        await consent_text(context, session, invite), reply_markup=consent_buttons(context, invite)
    )


async def consent_text(context: BotContext, session: AsyncSession, invite: Invite) -> str:
    _ = context.t._
    name = html.escape(await authorization.practitioner_name(session, invite.created_by_id or 0))
    return "\n\n".join(
        (
            _(
                "Hello! <b>{practitioner}</b> invited you to Between, a companion for the days "
                "between your sessions: short lessons, quick check-ins on your goals, and your "
                "progress in one place.",
                practitioner=name,
            ),
            _(
                "<b>Before we start</b>\n"
                "• What I keep: your settings, your goals, your answers (check-ins, lessons, "
                "questionnaires) and what you write.\n"
                "• Who sees it: {practitioner}, and other professionals only if you agree to "
                "each one.\n"
                "• I am not an emergency service, and nobody reads these messages in real "
                "time. /help lists where to turn in a crisis.\n"
                "• You can see and delete everything I keep at any time (/mydata, /delete), "
                "and pause or stop whenever you like.",
                practitioner=name,
            ),
            _("Do you agree?"),
        )
    )


def consent_buttons(context: BotContext, invite: Invite) -> InlineKeyboardMarkup:
    _ = context.t._
    return keyboards.inline(
        [
            (_("I agree"), Consent(ConsentAnswer.AGREE, invite.id).pack()),
            (_("Not now"), Consent(ConsentAnswer.LATER, invite.id).pack()),
        ]
    )


async def consent_answer(update: Update, context: BotContext) -> None:
    """ "I agree" stores the client and starts the questions; "Not now" stores nothing."""
    parsed = Consent.parse(update.callback_query.data)
    if parsed is None:
        await fallback.stale_button(update, context)
        return
    out = Outgoing(update.effective_chat.id)
    async with context.services.sessions() as session, session.begin():
        await _consent_answer(update, context, out, session, parsed.answer, parsed.invite_id)
    await out.send(context)


async def _consent_answer(
    update: Update,
    context: BotContext,
    out: Outgoing,
    session: AsyncSession,
    answer: str,
    invite_id: int,
) -> None:
    query = update.callback_query
    sender = update.effective_user
    _ = context.t._
    if answer == ConsentAnswer.LATER:
        invite = await session.get(Invite, invite_id)
        if not await clients.not_now(session, invite_id, sender.id) or invite is None:
            await _refuse_button(update, context, "consent")
            return
        until = format_date(invite.expires_at, "long", locale=context.t.locale)
        await answer_press(query)
        await questions.drop_buttons(update)
        out.say(
            _(
                "That's fine. Nothing about you was stored. Open the link again whenever "
                "you're ready: it works until {date}.",
                date=until,
            )
        )
        return
    joined = await clients.agree(
        session, invite_id, sender.id, locale=context.t.locale, now=utcnow()
    )
    if joined is None:
        await _refuse_button(update, context, "consent")
        return
    await answer_press(query)
    await questions.drop_buttons(update)
    if not joined.created:  # a second tap: show where we are, unless that was just shown
        step = await clients.open_step(session, joined.user.id)
        if step is None or not questions.just_asked(step):
            await questions.resume(context, out, session, joined.user)
        return
    logger.info("event=client.consented user_id=%s", joined.user.id)
    questions.ask(context, out, clients.ONBOARDING, clients.STEPS[0])


# --------------------------------------------------------------------------- 2. the questions


async def answer(update: Update, context: BotContext) -> None:
    """A button of one of the questions (``ob:`` here, ``st:`` from /settings)."""
    data = update.callback_query.data
    parsed = OnboardingAnswer.parse(data) or SettingsAnswer.parse(data)
    if parsed is None:
        await fallback.stale_button(update, context)
        return
    flow = clients.ONBOARDING if isinstance(parsed, OnboardingAnswer) else clients.SETTINGS
    out = Outgoing(update.effective_chat.id)
    async with context.services.sessions() as session, session.begin():
        done = await questions.answer_button(
            update, context, out, session, flow, parsed.question, parsed.value or ""
        )
        if done is not None:
            await saved(context, out, session, done)
    await out.send(context)


async def open_question(update: Update, context: BotContext) -> None:
    """Anything typed or sent while a question is open (consent or one of the four).

    Runs before the general handlers; when no question is open it does nothing and
    the update goes on to them.
    """
    sender = update.effective_user
    if sender is None:
        return
    if await _crisis_while_asking(update, context, sender.id):
        raise ApplicationHandlerStop  # the resources were sent; the question stays open
    out = Outgoing(update.effective_chat.id)
    async with context.services.sessions() as session, session.begin():
        if context.user_record is None:
            invite = await invites.pending_for(session, sender.id, utcnow())
            if invite is None:
                return
            out.say(
                await consent_text(context, session, invite),
                reply_markup=consent_buttons(context, invite),
            )
        else:
            user = await session.get(User, context.user_record.id)
            step = await clients.open_step(session, user.id) if user else None
            if user is None or step is None:
                return
            # Take the question (waits for a racing answer to commit), then see where it is.
            await clients.claim_step(session, user.id, step.flow, step.step)
            step = await clients.open_step(session, user.id)
            if step is None:
                return
            done = await questions.answer_message(update, context, out, user, step)
            if done is not None:
                await saved(context, out, session, done)
    await out.send(context)
    raise ApplicationHandlerStop


async def _crisis_while_asking(update: Update, context: BotContext, telegram_id: int) -> bool:
    """Typed text while consent or a question is open goes to the crisis check first (in
    its own transaction, before the question's): True when it matched."""
    message = update.effective_message
    text = message.text if message is not None else None
    if not text or text.startswith("/"):
        return False
    async with context.services.sessions() as session:
        user = context.user_record
        if user is None:
            waiting = await invites.pending_for(session, telegram_id, utcnow()) is not None
        else:
            waiting = await clients.open_step(session, user.id) is not None
    return waiting and (await crisis.screen(update, context, text)).matched


# --------------------------------------------------------------------------- 3. next question, done


async def saved(
    context: BotContext, out: Outgoing, session: AsyncSession, done: questions.Saved
) -> None:
    """An answer was stored: onboarding asks the next question; /settings confirms."""
    user, step = done.user, done.step
    if step.flow == clients.SETTINGS:
        await settings.saved(context, out, session, user)
        return
    following = clients.step_after(step.step)
    if following is not None:
        step.step = following
        questions.ask(context, out, step.flow, following)
        return
    await _finish(context, out, session, user)


async def _finish(context: BotContext, out: Outgoing, session: AsyncSession, user: User) -> None:
    """The last answer: the client is active, follows the default program, gets check-ins,
    their team hears of it, and the intake questions come right after."""
    _ = context.t._
    viewers = await clients.finish_onboarding(session, user)
    await _start_default_program(context, session, user)
    await _schedule_checkins(context, session, user)
    logger.info("event=client.onboarded user_id=%s", user.id)
    out.say(
        "\n\n".join(
            (
                _("You're all set!"),
                preferences_summary(context.t, user, context.services.settings.default_timezone),
                _(
                    "/settings changes any of this, /pause takes a break, /team shows who "
                    "sees your data, and /help says what I can and can't do."
                ),
            )
        ),
    )
    await menus.publish_for(context, user.telegram_id, Role.CLIENT, context.t.locale)
    catalogs = context.services.catalogs
    for viewer in viewers:
        their = catalogs.translator(catalogs.resolve(viewer.locale, None))
        out.notice(
            viewer.telegram_id,
            their._(
                "<b>{client}</b> has joined and finished setting up.",
                client=client_label(their, viewer.alias, user.id),
            ),
            event="client.joined",
        )
    await _default_measures(context, session, user, out)
    await start_intake(context, session, user, out)


async def _default_measures(
    context: BotContext, session: AsyncSession, user: User, out: Outgoing
) -> None:
    """The questionnaires the lead gives every new client (/measures), and telling them."""
    services = context.services
    given = await measure_defaults.apply_defaults(
        session,
        user,
        measures=services.measures,
        now=utcnow(),
        default_timezone=services.settings.default_timezone,
    )
    if given is None:
        return
    measures, cadence, lead_id = given
    _ = context.t._
    out.say(
        _(
            "{name} would like you to answer a few short questionnaires: {measures}, "
            "{how_often} at your check-in time. You can skip any question.",
            name=html.escape(await authorization.practitioner_name(session, lead_id)),
            measures=format_list(
                [f"<b>{html.escape(m.title.get(context.t.locale))}</b>" for m in measures],
                locale=context.t.locale,
            ),
            how_often=_(CADENCE_NAMES[cadence]),
        )
    )


# --------------------------------------------------------------------------- helpers


async def _refuse_button(update: Update, context: BotContext, what: str) -> None:
    _ = context.t._
    logger.warning("event=callback.refused user_id=%s what=%s", update.effective_user.id, what)
    await answer_press(
        update.callback_query,
        _("This button doesn't work any more. /help shows what you can do."),
        show_alert=True,
    )


async def _start_default_program(context: BotContext, session: AsyncSession, user: User) -> None:
    """New clients follow the default program from their first local day."""
    settings = context.services.settings
    today = lesson_schedule.local_date(utcnow(), user.timezone, settings.default_timezone)
    await lesson_schedule.enroll(
        session,
        context.services.content,
        user_id=user.id,
        program_id=settings.default_program,
        start_on=today,
    )


async def _schedule_checkins(context: BotContext, session: AsyncSession, user: User) -> None:
    """The daily check-in at the client's chosen time (none until they choose one)."""
    existing = await session.scalar(
        select(Schedule.id).where(
            Schedule.user_id == user.id, Schedule.kind == checkin_reminder.KIND
        )
    )
    if existing is None:
        await add_schedule(
            session,
            user,
            kind=checkin_reminder.KIND,
            now=utcnow(),
            default_timezone=context.services.settings.default_timezone,
        )
