"""A client's onboarding, top to bottom: welcome and consent, then four questions
(language, time zone, check-in time, quiet hours), then "you're all set".

Before "I agree" nothing about the client is stored except on the invite they
opened. After it, the open question lives in the database (``conversation_steps``),
so leaving half-way, or a restart of the bot, resumes at the same question; old
buttons are checked against it. /settings asks the same questions one at a time
(the ``st:`` prefix instead of ``ob:``).

Callback data (codecs in ``bot/callbacks.py``): ``ob:agree:<invite>``,
``ob:later:<invite>``, and per question ``<ob|st>:lang:<code>``, ``:tzr:<region>``,
``:tzp:<zone>``, ``:city:<geonameid>``, ``:tzok:<zone>``, ``:tzno``, ``:ci:<HHMM|skip>``,
``:qh:<HHMM-HHMM|none>``. Data that is not one of these gets the stale-button answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
from datetime import time, timedelta

from babel import Locale
from babel.dates import format_date, format_time
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import (
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.error import BadRequest
from telegram.ext import ApplicationHandlerStop

from bot.callbacks import (
    Consent,
    ConsentAnswer,
    OnboardingAnswer,
    Question,
    SettingsAnswer,
)
from bot.context import BotContext
from bot.db.base import utcnow
from bot.db.models import ConversationStep, Invite, Role, Schedule, User
from bot.delivery import checkin_reminder
from bot.delivery.scheduling import add_schedule, reschedule_user
from bot.enrollment import authorization, clients, invites, times_of_day, timezones
from bot.enrollment.client_lookup import client_label
from bot.flows import fallback, keyboards, menus
from bot.flows.measures import start_intake
from bot.flows.outgoing import Outgoing
from bot.i18n import N_
from bot.lessons import schedule as lesson_schedule
from bot.measures import scheduling as measure_scheduling

logger = logging.getLogger(__name__)

ANSWER: dict[str, type[OnboardingAnswer] | type[SettingsAnswer]] = {
    clients.ONBOARDING: OnboardingAnswer,
    clients.SETTINGS: SettingsAnswer,
}
STEP_OF = {
    Question.LANGUAGE: "language",
    Question.REGION: "timezone",
    Question.ZONE: "timezone",
    Question.CITY: "timezone",
    Question.ZONE_OK: "timezone",
    Question.ZONE_NO: "timezone",
    Question.CHECKIN: "checkin",
    Question.QUIET: "quiet",
}
# Taps this close to the last answer are double taps, not someone coming back.
DOUBLE_TAP = timedelta(seconds=10)
CHECKIN_CHOICES = tuple(time(hour) for hour in (7, 8, 9, 12, 18, 19, 20, 21))
QUIET_CHOICES = ((time(22), time(7)), (time(21), time(8)), (time(23), time(9)))
REGION_NAMES = {
    "eu": N_("Europe"),
    "am": N_("Americas"),
    "af": N_("Africa"),
    "as": N_("Asia"),
    "oc": N_("Oceania"),
}
SHARE_LOCATION = N_("📍 Share my location")
CHOOSE_FROM_LIST = N_("🗺 Choose from a list")
SKIP = N_("Skip for now")


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
            await resume(update, context, out, session, known)
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
                "• What I keep: your settings, your check-in answers and the notes you write.\n"
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
        await query.answer()
        await _drop_buttons(update)
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
    await query.answer()
    await _drop_buttons(update)
    if not joined.created:  # a second tap: show where we are, unless that was just shown
        step = await clients.open_step(session, joined.user.id)
        if step is None or not _just_asked(step):
            await resume(update, context, out, session, joined.user)
        return
    logger.info("event=client.consented user_id=%s", joined.user.id)
    await ask(update, context, out, joined.user, clients.ONBOARDING, clients.STEPS[0])


# --------------------------------------------------------------------------- 2. the questions


async def ask(
    update: Update,
    context: BotContext,
    out: Outgoing,
    user: User,
    flow: str,
    step: str,
    *,
    lead: str | None = None,
) -> None:
    """Send the question of ``step`` (optionally after a short line about the last answer)."""
    _ = context.t._
    data = ANSWER[flow]
    markup: InlineKeyboardMarkup | ReplyKeyboardMarkup
    if step == "language":
        text = _("Which language should I use with you?")
        markup = keyboards.inline(
            [
                (
                    ("✓ " if code == context.t.locale else "") + language_name(code),
                    data(Question.LANGUAGE, code).pack(),
                )
                for code in context.services.catalogs.locales
            ]
        )
    elif step == "timezone":
        text = _(
            "Which time zone are you in? Then I write at the right time of your day.\n"
            "Share your location, type the name of your city, or choose from a list."
        )
        markup = ReplyKeyboardMarkup(
            [
                [KeyboardButton(_(SHARE_LOCATION), request_location=True)],
                [KeyboardButton(_(CHOOSE_FROM_LIST)), KeyboardButton(_(SKIP))],
            ],
            resize_keyboard=True,
            one_time_keyboard=False,
        )
    elif step == "checkin":
        text = _(
            "When would you like your daily check-in? It takes less than a minute.\n"
            "Tap a time, or type one, like 8:30."
        )
        buttons = [
            (
                format_time(choice, "short", locale=context.t.locale),
                data(Question.CHECKIN, times_of_day.encode(choice)).pack(),
            )
            for choice in CHECKIN_CHOICES
        ]
        markup = keyboards.inline(
            *keyboards.in_rows(buttons, 4), [(_(SKIP), data(Question.CHECKIN, "skip").pack())]
        )
    else:
        text = _(
            "And quiet hours: when should I never write to you?\n"
            "Tap a choice, or type one, like 22-7."
        )
        buttons = [
            (
                quiet_label(context, start, end),
                data(
                    Question.QUIET, f"{times_of_day.encode(start)}-{times_of_day.encode(end)}"
                ).pack(),
            )
            for start, end in QUIET_CHOICES
        ]
        markup = keyboards.inline(
            *keyboards.in_rows(buttons, 1),
            [(_("No quiet hours"), data(Question.QUIET, "none").pack())],
        )
    if lead:
        text = f"{lead}\n\n{text}"
    out.say(text, reply_markup=markup)


async def resume(
    update: Update, context: BotContext, out: Outgoing, session: AsyncSession, user: User
) -> None:
    """Show the question this client stopped at, or say that all is set."""
    _ = context.t._
    step = await clients.open_step(session, user.id)
    if step is None:
        out.say(
            _("You're all set up already. /settings shows your choices, /help what I can do."),
        )
        return
    await ask(
        update, context, out, user, step.flow, step.step, lead=_("Let's pick up where we left off.")
    )


# --------------------------------------------------------------------------- 3. answers by button


async def answer(update: Update, context: BotContext) -> None:
    """A button of one of the questions: check it belongs to the open question, then save."""
    data = update.callback_query.data
    parsed = OnboardingAnswer.parse(data) or SettingsAnswer.parse(data)
    if parsed is None:
        await fallback.stale_button(update, context)
        return
    flow = clients.ONBOARDING if isinstance(parsed, OnboardingAnswer) else clients.SETTINGS
    out = Outgoing(update.effective_chat.id)
    async with context.services.sessions() as session, session.begin():
        await _answer(update, context, out, session, flow, parsed.question, parsed.value or "")
    await out.send(context)


async def _answer(
    update: Update,
    context: BotContext,
    out: Outgoing,
    session: AsyncSession,
    flow: str,
    what: Question,
    value: str,
) -> None:
    query = update.callback_query
    _ = context.t._
    expected = STEP_OF[what]
    user = await _sender(session, update)
    claimed = user is not None and await clients.claim_step(session, user.id, flow, expected)
    step = await clients.open_step(session, user.id) if user else None
    if not claimed or user is None or step is None:
        await query.answer(_("This button is from an earlier question."))
        logger.info(
            "event=callback.stale user_id=%s data=%s",
            update.effective_user.id,
            f"{ANSWER[flow].PREFIX}:{what}",
        )
        if user is not None and step is not None and not _just_asked(step):
            await ask(update, context, out, user, step.flow, step.step)
        return
    await query.answer()
    await _button_answer(update, context, session, user, step, what, value, out)


async def _button_answer(
    update: Update,
    context: BotContext,
    session: AsyncSession,
    user: User,
    step: ConversationStep,
    what: Question,
    value: str,
    out: Outgoing,
) -> None:
    _ = context.t._
    flow = step.flow
    if what == "lang" and value in context.services.catalogs.locales:
        user.locale = value
        context.use_locale(value)
        await _drop_buttons(update)
        await menus.publish_for(context, user.telegram_id, user.role, value)
        await saved(update, context, session, user, step, out)
    elif what == "tzr" and value in timezones.REGIONS:
        await _drop_buttons(update)
        await _show_region(update, context, out, flow, value)
    elif what in ("tzp", "tzok") and timezones.is_known_zone(value):
        if what == "tzp":
            await _confirm_zone(
                update, context, out, flow, value, timezones.zone_label(value, context.t.locale)
            )
            return
        await _drop_buttons(update)
        user.timezone = value
        place = timezones.zone_label(value, context.t.locale)
        await _settled_zone(
            update, context, out, _("Time zone: {place} ✓", place=html.escape(place))
        )
        await saved(update, context, session, user, step, out)
    elif what == "city" and value.isdigit():
        index = await asyncio.to_thread(timezones.city_index)
        city = index.get(int(value))
        if city is None:
            await ask(update, context, out, user, flow, "timezone")
            return
        await _confirm_zone(update, context, out, flow, city.timezone, city_label(context, city))
    elif what == "tzno":
        await _drop_buttons(update)
        await ask(update, context, out, user, flow, "timezone")
    elif what == "ci" and (value == "skip" or times_of_day.decode(value)):
        await _drop_buttons(update)
        if value != "skip":
            user.checkin_time = times_of_day.decode(value)
        await saved(update, context, session, user, step, out)
    elif what == "qh" and (value == "none" or _quiet_value(value)):
        await _drop_buttons(update)
        user.quiet_start, user.quiet_end = _quiet_value(value) or (None, None)
        await saved(update, context, session, user, step, out)
    else:
        logger.warning("event=callback.refused user_id=%s step=%s", user.id, step.step)
        await ask(
            update,
            context,
            out,
            user,
            flow,
            step.step,
            lead=_("That button doesn't work here."),
        )


def _quiet_value(value: str) -> tuple[time, time] | None:
    start, _sep, end = value.partition("-")
    first, second = times_of_day.decode(start), times_of_day.decode(end)
    return (first, second) if first and second and first != second else None


async def _show_region(
    update: Update, context: BotContext, out: Outgoing, flow: str, region: str
) -> None:
    _ = context.t._
    buttons = [
        (
            _place_and_time(context, timezones.zone_label(zone, context.t.locale), zone),
            ANSWER[flow](Question.ZONE, zone).pack(),
        )
        for zone in timezones.REGIONS[region]
    ]
    out.say(
        _("Which of these is your time zone? (with the time there now)"),
        reply_markup=keyboards.inline(*keyboards.in_rows(buttons, 2)),
    )


async def _show_regions(update: Update, context: BotContext, out: Outgoing, flow: str) -> None:
    _ = context.t._
    buttons = [
        (_(name), ANSWER[flow](Question.REGION, code).pack()) for code, name in REGION_NAMES.items()
    ]
    out.say(
        _("Where in the world are you?"),
        reply_markup=keyboards.inline(*keyboards.in_rows(buttons, 3)),
    )


async def _confirm_zone(
    update: Update, context: BotContext, out: Outgoing, flow: str, zone: str, place: str
) -> None:
    """Show the choice with its current local time, to be confirmed."""
    _ = context.t._
    data = ANSWER[flow]
    out.say(
        _(
            "{place}: it's {time} there now. Is that right?",
            place=html.escape(place),
            time=timezones.local_time(zone, context.t.locale),
        ),
        reply_markup=keyboards.inline(
            [(_("Yes, that's right"), data(Question.ZONE_OK, zone).pack())],
            [(_("No, choose again"), data(Question.ZONE_NO).pack())],
        ),
    )


async def _settled_zone(update: Update, context: BotContext, out: Outgoing, text: str) -> None:
    """Acknowledge the time zone and take the location keyboard away."""
    out.say(text, reply_markup=ReplyKeyboardRemove())


# --------------------------------------------------------------------------- 4. typed answers


async def open_question(update: Update, context: BotContext) -> None:
    """Anything typed or sent while a question is open (consent or one of the four).

    Runs before the general handlers; when no question is open it does nothing and
    the update goes on to them.
    """
    sender = update.effective_user
    if sender is None:
        return
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
            await _typed_answer(update, context, session, user, step, out)
    await out.send(context)
    raise ApplicationHandlerStop


async def _typed_answer(
    update: Update,
    context: BotContext,
    session: AsyncSession,
    user: User,
    step: ConversationStep,
    out: Outgoing,
) -> None:
    _ = context.t._
    message = update.effective_message
    text = (message.text or "").strip()
    flow = step.flow
    if text.startswith("/start"):
        await ask(
            update, context, out, user, flow, step.step, lead=_("Let's pick up where we left off.")
        )
        return
    if step.step == "timezone" and message.location is not None:
        zone = timezones.zone_at(message.location.latitude, message.location.longitude)
        if zone is None:
            await ask(
                update,
                context,
                out,
                user,
                flow,
                step.step,
                lead=_("I couldn't find a time zone for that place."),
            )
            return
        await _confirm_zone(
            update, context, out, flow, zone, timezones.zone_label(zone, context.t.locale)
        )
        return
    if not text:
        await ask(
            update,
            context,
            out,
            user,
            flow,
            step.step,
            lead=_("Thanks! I can only read text and buttons here."),
        )
        return
    if step.step == "timezone":
        await _typed_place(update, context, session, user, step, text, out)
    elif step.step == "checkin" and (chosen := times_of_day.parse_time(text)):
        user.checkin_time = chosen
        await saved(update, context, session, user, step, out)
    elif step.step == "quiet" and (hours := times_of_day.parse_range(text)):
        user.quiet_start, user.quiet_end = hours
        await saved(update, context, session, user, step, out)
    elif step.step in ("checkin", "quiet"):
        await ask(
            update, context, out, user, flow, step.step, lead=_("I didn't catch a time there.")
        )
    else:
        await ask(
            update,
            context,
            out,
            user,
            flow,
            step.step,
            lead=_("Please choose with one of the buttons."),
        )


async def _typed_place(
    update: Update,
    context: BotContext,
    session: AsyncSession,
    user: User,
    step: ConversationStep,
    text: str,
    out: Outgoing,
) -> None:
    """A typed answer to the time-zone question: a keyboard button, or a city name."""
    _ = context.t._
    flow = step.flow
    if _is_label(context, text, CHOOSE_FROM_LIST):
        await _show_regions(update, context, out, flow)
        return
    if _is_label(context, text, SKIP):
        zone = context.services.settings.default_timezone
        await _settled_zone(
            update, context, out, _("No problem: I'll use {zone} until you choose.", zone=zone)
        )
        await saved(update, context, session, user, step, out)
        return
    index = await asyncio.to_thread(timezones.city_index)
    found = index.search(text)
    if not found:
        await ask(
            update,
            context,
            out,
            user,
            flow,
            step.step,
            lead=_(
                "I couldn't find a city called “{city}”. Try a larger city nearby.",
                city=html.escape(text[:64]),
            ),
        )
        return
    if len(found) == 1:
        await _confirm_zone(
            update, context, out, flow, found[0].timezone, city_label(context, found[0])
        )
        return
    data = ANSWER[flow]
    buttons = [
        (
            _place_and_time(context, city_label(context, city), city.timezone),
            data(Question.CITY, str(city.geonameid)).pack(),
        )
        for city in found
    ]
    out.say(
        _("Which one is yours? (with the time there now)"),
        reply_markup=keyboards.inline(
            *keyboards.in_rows(buttons, 1), [(_("None of these"), data(Question.ZONE_NO).pack())]
        ),
    )


def _is_label(context: BotContext, text: str, label: str) -> bool:
    """A reply-keyboard button in any of our languages (the user may just have switched)."""
    catalogs = context.services.catalogs
    return any(text == catalogs.translator(locale)._(label) for locale in catalogs.locales)


# --------------------------------------------------------------------------- 5. saving, moving on


async def saved(
    update: Update,
    context: BotContext,
    session: AsyncSession,
    user: User,
    step: ConversationStep,
    out: Outgoing,
) -> None:
    """An answer was stored: onboarding asks the next question; settings confirms."""
    _ = context.t._
    logger.info("event=preference.saved user_id=%s flow=%s step=%s", user.id, step.flow, step.step)
    if step.flow == clients.SETTINGS:
        await clients.close_step(session, user.id)
        # "A change applies from the next scheduled message."
        await reschedule_user(
            session,
            user.id,
            now=utcnow(),
            default_timezone=context.services.settings.default_timezone,
        )
        await measure_scheduling.reschedule(
            session,
            user,
            now=utcnow(),
            default_timezone=context.services.settings.default_timezone,
        )
        out.say(
            _("Saved. This applies from the next scheduled message.")
            + "\n\n"
            + preferences_summary(context, user),
        )
        return
    following = clients.step_after(step.step)
    if following is not None:
        step.step = following
        await ask(update, context, out, user, step.flow, following)
        return
    viewers = await clients.finish_onboarding(session, user)
    await _start_default_program(context, session, user)
    await _schedule_checkins(context, session, user)
    logger.info("event=client.onboarded user_id=%s", user.id)
    out.say(
        "\n\n".join(
            (
                _("You're all set!"),
                preferences_summary(context, user),
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
    # The intake questions come right after.
    await start_intake(context, session, user, out)


def preferences_summary(context: BotContext, user: User) -> str:
    _ = context.t._
    locale = context.t.locale
    zone = user.timezone or context.services.settings.default_timezone
    place = html.escape(timezones.zone_label(zone, locale))
    zone_shown = f"{place} ({timezones.local_time(zone, locale)})"
    lines = [
        _("Language: {value}", value=language_name(user.locale or locale)),
        _("Time zone: {value}", value=zone_shown),
    ]
    if user.role == Role.CLIENT:
        checkin = (
            format_time(user.checkin_time, "short", locale=locale)
            if user.checkin_time
            else _("not set yet")
        )
        lines.append(_("Check-in: {value}", value=checkin))
    quiet = (
        quiet_label(context, user.quiet_start, user.quiet_end)
        if user.quiet_start and user.quiet_end
        else _("none")
    )
    lines.append(_("Quiet hours: {value}", value=quiet))
    return "\n".join(lines)


# --------------------------------------------------------------------------- helpers


def language_name(code: str) -> str:
    name = Locale.parse(code).get_display_name(code) or code
    return name[:1].upper() + name[1:]


def quiet_label(context: BotContext, start: time, end: time) -> str:
    locale = context.t.locale
    return (
        f"{format_time(start, 'short', locale=locale)}–{format_time(end, 'short', locale=locale)}"
    )


def _place_and_time(context: BotContext, place: str, zone: str) -> str:
    """A button label: the place, and the time there now (a button is plain text)."""
    return f"{place} · {timezones.local_time(zone, context.t.locale)}"


def city_label(context: BotContext, city: timezones.City) -> str:
    return f"{city.name}, {timezones.country_name(city.country, context.t.locale)}"


def _just_asked(step: ConversationStep) -> bool:
    """The open question was asked a moment ago: a stale tap is a double tap, so the
    question (still on screen) is not sent again."""
    return step.updated_at > utcnow() - DOUBLE_TAP


async def _sender(session: AsyncSession, update: Update) -> User | None:
    from bot.users import find_by_telegram_id

    return await find_by_telegram_id(session, update.effective_user.id)


async def _drop_buttons(update: Update) -> None:
    """Take the buttons off an answered question, so it can't be answered twice."""
    query = update.callback_query
    if query is None or query.message is None:
        return
    # Already gone, or too old to edit: harmless.
    with contextlib.suppress(BadRequest):
        await query.edit_message_reply_markup(None)


async def _refuse_button(update: Update, context: BotContext, what: str) -> None:
    _ = context.t._
    logger.warning("event=callback.refused user_id=%s what=%s", update.effective_user.id, what)
    await update.callback_query.answer(
        _("This button doesn't work any more. /help shows what you can do."), show_alert=True
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
