"""/pause [days], /resume and /stop for clients.

A pause is a holiday: no prompts until it ends, and streaks are frozen (the
scheduler and streaks read ``users.paused_until``). /stop ends the companion:
nothing more is sent, the team is told, the data stays until the client deletes it.
Callback data: ``pz:<days>``, ``stop:yes``, ``stop:no``.
"""

from __future__ import annotations

import contextlib
import logging

from babel.dates import format_date
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardMarkup, Update
from telegram.error import BadRequest

from bot.answers import usecases as typed
from bot.answers.open_question import STOP
from bot.callbacks import PauseFor, StopAnswer, YesNo
from bot.context import BotContext
from bot.db.base import utcnow
from bot.db.models import Role, User, UserStatus
from bot.delivery.scheduling import reschedule_user
from bot.enrollment import authorization, clients
from bot.enrollment.client_lookup import client_label
from bot.errors import answer_press
from bot.flows import fallback, keyboards
from bot.flows.outgoing import Outgoing

logger = logging.getLogger(__name__)

PAUSE_CHOICES = (3, 7, 14)


def _is_client(context: BotContext) -> bool:
    user = context.user_record
    return user is not None and user.role == Role.CLIENT


async def _not_for_you(update: Update, context: BotContext) -> None:
    _ = context.t._
    await update.effective_message.reply_text(
        _("This command is for clients who joined with an invite. /help shows what you can do.")
    )


async def pause(update: Update, context: BotContext) -> None:
    """/pause 7 pauses at once; /pause alone offers a few lengths."""
    _ = context.t._
    if not _is_client(context):
        await _not_for_you(update, context)
        return
    if context.args:
        raw = context.args[0]
        if not raw.isdigit() or not 1 <= int(raw) <= clients.MAX_PAUSE_DAYS:
            await update.effective_message.reply_text(
                _(
                    "Tell me a number of days from 1 to {most}, like /pause 7.",
                    most=clients.MAX_PAUSE_DAYS,
                )
            )
            return
        await _pause_for(update, context, int(raw))
        return
    buttons = [
        (context.t.ngettext("{count} day", "{count} days", days), PauseFor(days).pack())
        for days in PAUSE_CHOICES
    ]
    await update.effective_message.reply_text(
        _("How long would you like a break? I won't send anything until it ends."),
        reply_markup=keyboards.inline(buttons),
    )


async def pause_button(update: Update, context: BotContext) -> None:
    """One of the pause lengths."""
    query = update.callback_query
    parsed = PauseFor.parse(query.data)
    if not _is_client(context) or parsed is None or parsed.days not in PAUSE_CHOICES:
        await fallback.stale_button(update, context)
        return
    await answer_press(query)
    await _pause_for(update, context, parsed.days)


async def _pause_for(update: Update, context: BotContext, days: int) -> None:
    _ = context.t._
    async with context.services.sessions() as session, session.begin():
        user = await session.get(User, context.user_record.id)
        if user is None:  # erased meanwhile (/delete on another device): nothing to change
            return
        until = await clients.pause(user, days, utcnow())
    logger.info("event=client.paused user_id=%s days=%s", user.id, days)
    await context.bot.send_message(
        update.effective_chat.id,
        _(
            "Enjoy your break. I won't send anything until {date}, and your streak is safe. "
            "/resume brings me back earlier.",
            date=format_date(until, "long", locale=context.t.locale),
        ),
    )


async def resume(update: Update, context: BotContext) -> None:
    """End a pause, or come back after /stop."""
    _ = context.t._
    if not _is_client(context):
        await _not_for_you(update, context)
        return
    out = Outgoing(update.effective_chat.id)
    async with context.services.sessions() as session, session.begin():
        user = await session.get(User, context.user_record.id)
        if user is None:  # erased meanwhile (/delete on another device): nothing to change
            return
        paused = user.paused_until is not None and user.paused_until > utcnow()
        if not paused and user.status != UserStatus.STOPPED:
            await update.effective_message.reply_text(
                _("You're not on a break, so nothing to resume. /pause starts one.")
            )
            return
        if await clients.resume(user):
            await _tell_team(context, session, user, out, stopped=False)
        # Scheduled messages pick up again from the next slot.
        await reschedule_user(
            session,
            user.id,
            now=utcnow(),
            default_timezone=context.services.settings.default_timezone,
        )
    logger.info("event=client.resumed user_id=%s", user.id)
    await update.effective_message.reply_text(_("Welcome back! We carry on as before."))
    await out.send(context)


async def stop(update: Update, context: BotContext) -> None:
    """/stop: ask once, since it ends the companion."""
    _ = context.t._
    if not _is_client(context) or context.user_record.status == UserStatus.STOPPED:
        await _not_for_you(update, context)
        return
    async with context.services.sessions() as session, session.begin():
        # A typed "yes" / "no" answers it too.
        await typed.ask_confirmation(session, context.user_record.id, STOP)
    text, buttons = stop_question(context)
    await update.effective_message.reply_text(text, reply_markup=buttons)


def stop_question(context: BotContext) -> tuple[str, InlineKeyboardMarkup]:
    """ "Do you want to stop the companion?" with its two buttons."""
    _ = context.t._
    text = (
        _(
            "Do you want to stop the companion? I won't write to you any more, and your "
            "practitioner will be told. Your data stays until you delete it with /delete."
        )
        if not (days := context.services.settings.retention_days)
        else context.t.ngettext(
            "Do you want to stop the companion? I won't write to you any more, and your "
            "practitioner will be told. Your data is erased {days} day after you stop, or "
            "sooner if you delete it with /delete.",
            "Do you want to stop the companion? I won't write to you any more, and your "
            "practitioner will be told. Your data is erased {days} days after you stop, or "
            "sooner if you delete it with /delete.",
            days,
            days=days,
        )
    )
    buttons = keyboards.inline(
        [
            (_("Yes, stop"), StopAnswer(YesNo.YES).pack()),
            (_("No, carry on"), StopAnswer(YesNo.NO).pack()),
        ]
    )
    return text, buttons


async def stop_button(update: Update, context: BotContext) -> None:
    """The answer to "do you want to stop?"."""
    query = update.callback_query
    parsed = StopAnswer.parse(query.data)
    if not _is_client(context) or parsed is None:
        await fallback.stale_button(update, context)
        return
    await answer_press(query)
    with contextlib.suppress(BadRequest):  # the buttons may be gone already: harmless
        await query.edit_message_reply_markup(None)
    await stop_answered(update, context, yes=parsed.answer is YesNo.YES)


async def stop_answered(update: Update, context: BotContext, *, yes: bool) -> None:
    """ "Do you want to stop?" answered, with a button or typed."""
    _ = context.t._
    out = Outgoing(update.effective_chat.id)
    async with context.services.sessions() as session, session.begin():
        await typed.close_confirmation(session, context.user_record.id)
        if yes:
            await _stop(context, session, context.user_record.id, out)
        else:
            out.say(_("Good, we carry on."))
    await out.send(context)


async def _stop(context: BotContext, session: AsyncSession, user_id: int, out: Outgoing) -> None:
    """End the companion for the client, and say so (once)."""
    _ = context.t._
    user = await session.get(User, user_id)
    if user is None:  # erased meanwhile (/delete on another device): nothing to change
        return
    if user.status == UserStatus.STOPPED:  # a second tap: already done
        out.say(_("You've already stopped. /resume starts again."))
        return
    await clients.stop(session, user, utcnow())
    await _tell_team(context, session, user, out, stopped=True)
    logger.info("event=client.stopped user_id=%s", user.id)
    days = context.services.settings.retention_days
    out.say(
        _(
            "Done. I won't write to you any more. Your data stays until you delete it "
            "with /delete, and /resume starts again if you change your mind."
        )
        if not days
        else context.t.ngettext(
            "Done. I won't write to you any more. Your data is erased in {days} day "
            "unless you /resume; /delete erases it now.",
            "Done. I won't write to you any more. Your data is erased in {days} days "
            "unless you /resume; /delete erases it now.",
            days,
            days=days,
        )
    )


async def _tell_team(
    context: BotContext, session: AsyncSession, user: User, out: Outgoing, *, stopped: bool
) -> None:
    """Queue a notice to everyone on the client's team (sent after the commit)."""
    catalogs = context.services.catalogs
    for viewer in await authorization.team_viewers(session, user.id):
        their = catalogs.translator(catalogs.resolve(viewer.locale, None))
        name = client_label(their, viewer.alias, user.id)
        text = (
            their._("<b>{client}</b> stopped the companion. Their data is kept.", client=name)
            if stopped
            else their._("<b>{client}</b> started the companion again.", client=name)
        )
        out.notice(
            viewer.telegram_id, text, event="client.stopped" if stopped else "client.restarted"
        )
