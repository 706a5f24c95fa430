"""/assign and /lessons: a practitioner chooses a client's program and reads their progress.

    /assign Anna foundations -> Anna follows "foundations" from today; Anna is told
    /assign Anna             -> the programs as buttons; a tap does the same
    /lessons Anna            -> every lesson delivered to Anna, with what she did with it

A client is named by the alias the practitioner gave them (or their number), and is
looked for only among the practitioner's own care teams. Only the lead chooses a
program; any practitioner on the team may read the progress. Every read and every
assignment is written to the access log (``bot.audit``) in the same transaction.

Callback data: ``pa:<client id>:<program id>`` (at most 3 + 12 + 1 + 40 bytes),
checked against the sender's care teams before anything is read.
"""

from __future__ import annotations

import contextlib
import html
import logging
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardMarkup, Update
from telegram.error import BadRequest

from bot import audit
from bot.audit import AuditAction
from bot.callbacks import AssignProgram
from bot.context import BotContext
from bot.db.base import utcnow
from bot.db.models import CareTeamMember, ProgramEnrollment, TeamRole, User, UserStatus
from bot.delivery.outbox import enqueue
from bot.domain.schedule import zone_or_default
from bot.enrollment import authorization
from bot.enrollment.client_lookup import find_clients
from bot.flows import keyboards
from bot.flows.onboarding import client_label
from bot.flows.outgoing import Outgoing
from bot.flows.practitioner_commands import ECHO_LENGTH, not_for_you, one_client, practitioner
from bot.i18n import Translator
from bot.lessons import delivery as lesson_delivery
from bot.lessons import progress_report, schedule
from bot.lessons.progress import client_progress, deliver_lesson

logger = logging.getLogger(__name__)

CALLBACK_PATTERN = r"^pa:"
# --------------------------------------------------------------------------- /assign


async def assign(update: Update, context: BotContext) -> None:
    """/assign <client> [<program>]: assign at once, or offer the programs as buttons."""
    _ = context.t._
    user = practitioner(context)
    if user is None:
        await not_for_you(update, context)
        return
    args = context.args or []
    if not args:
        await update.effective_message.reply_text(
            _("Tell me whose program to choose, like /assign Anna. /clients lists your clients.")
        )
        return
    out = Outgoing(update.effective_chat.id)
    async with context.services.sessions() as session, session.begin():
        # "/assign Anna M." names a client; "/assign Anna M. calm-skills" adds a program.
        named, program_id = " ".join(args), None
        matches = await find_clients(session, user.id, named)
        if not matches and len(args) > 1:
            named, program_id = " ".join(args[:-1]), args[-1]
            matches = await find_clients(session, user.id, named)
        found = one_client(out, context.t, named, matches)
        if found is not None:
            if program_id is None:
                await _offer_programs(out, context, session, user, found.client.id)
            else:
                await _assign(out, context, session, user, found.client.id, program_id)
    await out.send(context)


async def assign_button(update: Update, context: BotContext) -> None:
    """pa:<client>:<program>: the lead tapped a program for a client."""
    query = update.callback_query
    parsed = AssignProgram.parse(query.data)
    user = practitioner(context)
    if parsed is None or user is None:
        await _refuse(update, context)
        return
    client_id, program_id = parsed.client_id, parsed.program_id
    out = Outgoing(update.effective_chat.id)
    async with context.services.sessions() as session, session.begin():
        allowed = await _assign(out, context, session, user, client_id, program_id)
    if not allowed:
        await _refuse(update, context)
        return
    await query.answer()
    with contextlib.suppress(BadRequest):  # already removed by an earlier tap: harmless
        await query.edit_message_reply_markup(None)
    await out.send(context)


async def _offer_programs(
    out: Outgoing, context: BotContext, session: AsyncSession, user: User, client_id: int
) -> None:
    membership = await authorization.membership(session, user.id, client_id)
    if membership is None:  # cannot happen after the lookup, but never assume it
        return
    found = await _assignable(out, context.t, session, membership)
    if found is None:
        return
    membership, _client = found
    label = client_label(context.t, membership.alias, client_id)
    out.say(
        context.t._("Which program should {client} follow?", client=label),
        reply_markup=_program_buttons(context, client_id),
    )


async def _assign(
    out: Outgoing,
    context: BotContext,
    session: AsyncSession,
    user: User,
    client_id: int,
    program_id: str,
) -> bool:
    """Put the client on the program and tell them; False when the sender may not see them
    at all (the caller refuses without a word about the client)."""
    t = context.t
    membership = await authorization.membership(session, user.id, client_id)
    if membership is None:
        return False
    found = await _assignable(out, t, session, membership)
    if found is None:
        return True
    membership, client = found
    label = client_label(t, membership.alias, client_id)
    library = context.services.content
    program = library.program(program_id)
    if program is None and library.lesson(program_id, "en") is not None:
        await _send_lesson_now(out, context, session, user, client, label, program_id)
        return True
    if program is None:
        out.say(
            t._(
                "I don't know a program called “{program}”. Which one should {client} follow?",
                program=html.escape(program_id[:ECHO_LENGTH]),
                client=label,
            ),
            reply_markup=_program_buttons(context, client_id),
        )
        return True
    title = html.escape(program.title_in(t.locale))
    current = await session.get(ProgramEnrollment, client_id)
    if current is not None and current.program_id == program.id:  # a double tap, or a repeat
        out.say(
            t._(
                "{client} already follows <b>{program}</b>. Nothing was changed.",
                client=label,
                program=title,
            )
        )
        return True
    settings = context.services.settings
    today = schedule.local_date(utcnow(), client.timezone, settings.default_timezone)
    await schedule.enroll(
        session, library, user_id=client_id, program_id=program.id, start_on=today
    )
    await audit.record(session, user.id, AuditAction.PROGRAM_ASSIGN, client_id)
    logger.info(
        "event=program.assigned client_id=%s program_id=%s by=%s", client_id, program.id, user.id
    )
    out.say(
        t._(
            "{client} now follows <b>{program}</b>, starting today. I've let them know.",
            client=label,
            program=title,
        )
    )
    catalogs = context.services.catalogs
    their = catalogs.translator(catalogs.resolve(client.locale, None))
    out.notice(
        client.telegram_id,
        their._(
            "{name} chose a set of lessons for you: <b>{program}</b>. "
            "They arrive one at a time, at your usual time.",
            name=html.escape(await authorization.practitioner_name(session, user.id)),
            program=html.escape(program.title_in(their.locale)),
        ),
        event="program.assigned",
    )
    return True


async def _send_lesson_now(
    out: Outgoing,
    context: BotContext,
    session: AsyncSession,
    user: User,
    client: User,
    label: str,
    lesson_id: str,
) -> None:
    """/assign <client> <lesson id>: one lesson now, through the delivery engine."""
    t = context.t
    services = context.services
    lesson = services.content.lesson(lesson_id, t.locale)
    title = html.escape(lesson.meta.title) if lesson else html.escape(lesson_id)
    now = utcnow()
    delivered = await deliver_lesson(
        session,
        services.content,
        services.catalogs,
        user_id=client.id,
        lesson_id=lesson_id,
        now=now,
    )
    queued = (
        delivered is not None
        and delivered.created
        and await enqueue(
            session,
            user_id=client.id,
            chat_id=client.telegram_id,
            kind=lesson_delivery.KIND,
            key=f"{lesson_delivery.KIND}:{client.id}:{lesson_id}",
            payload={"delivery_id": delivered.delivery_id},
            due_at=now,
            expires_at=now + timedelta(minutes=services.settings.prompt_window_minutes),
        )
    )
    if not queued:
        out.say(
            t._(
                "{client} already has <b>{lesson}</b>: they can open it again with /learn. "
                "Nothing was changed.",
                client=label,
                lesson=title,
            )
        )
        return
    await audit.record(session, user.id, AuditAction.LESSON_SEND, client.id)
    logger.info("event=lesson.sent_now client_id=%s by=%s", client.id, user.id)
    out.say(t._("{client} gets <b>{lesson}</b> now.", client=label, lesson=title))


async def _assignable(
    out: Outgoing, t: Translator, session: AsyncSession, membership: CareTeamMember
) -> tuple[CareTeamMember, User] | None:
    """The lead's membership and the client, when a program may be chosen for them now;
    otherwise says why not (kindly) and returns None."""
    client_id = membership.client_id
    client = await session.get(User, client_id)
    if client is None:
        return None
    label = client_label(t, membership.alias, client_id)
    if membership.role != TeamRole.LEAD:
        out.say(
            t._(
                "Only the lead practitioner of {client} can choose their program. "
                "You can follow their lessons with /lessons.",
                client=label,
            )
        )
        return None
    why_not = {
        UserStatus.ONBOARDING: t._(
            "{client} hasn't finished setting up yet. Once they have, you can choose "
            "their program here.",
            client=label,
        ),
        UserStatus.STOPPED: t._(
            "{client} has stopped the companion, so I won't start a program for them. "
            "Nothing was changed.",
            client=label,
        ),
        UserStatus.UNREACHABLE: t._(
            "I can't reach {client} at the moment (they may have blocked me), so nothing "
            "was changed.",
            client=label,
        ),
    }
    if client.status in why_not:
        out.say(why_not[client.status])
        return None
    return membership, client


def _program_buttons(context: BotContext, client_id: int) -> InlineKeyboardMarkup:
    programs = sorted(context.services.content.programs.values(), key=lambda p: p.id)
    buttons = []
    for program in programs:
        data = f"pa:{client_id}:{program.id}"
        assert len(data.encode()) <= 64, data  # program ids are at most 40 ASCII characters
        buttons.append((program.title_in(context.t.locale), data))
    return keyboards.inline(*keyboards.in_rows(buttons, 1))


async def _refuse(update: Update, context: BotContext) -> None:
    """A button naming a client who isn't the sender's: refuse kindly, change nothing."""
    logger.warning("event=callback.refused user_id=%s action=pa", update.effective_user.id)
    await update.callback_query.answer(
        context.t._(
            "Sorry, this button isn't for you, or it no longer works. Nothing was changed."
        ),
        show_alert=True,
    )


# --------------------------------------------------------------------------- /lessons


async def lessons(update: Update, context: BotContext) -> None:
    """/lessons <client>: what the client did with each lesson, with their reflections."""
    t = context.t
    user = practitioner(context)
    if user is None:
        await not_for_you(update, context)
        return
    if not context.args:
        await update.effective_message.reply_text(
            t._("Tell me whose lessons to show, like /lessons Anna. /clients lists your clients.")
        )
        return
    out = Outgoing(update.effective_chat.id)
    library = context.services.content
    typed = " ".join(context.args)
    async with context.services.sessions() as session, session.begin():
        found = one_client(out, t, typed, await find_clients(session, user.id, typed))
        if found is not None and await authorization.may_see(session, user.id, found.client.id):
            client_id = found.client.id
            seen = await client_progress(session, library, t.locale, client_id)
            enrollment = await session.get(ProgramEnrollment, client_id)
            # Logged in the read's own transaction: nothing is shown that was not logged.
            await audit.record(session, user.id, AuditAction.LESSONS_VIEW, client_id)
            program = library.program(enrollment.program_id) if enrollment else None
            for part in progress_report.render(
                t,
                client=client_label(t, found.alias, client_id),
                program_title=program.title_in(t.locale) if program else None,
                lessons=seen,
                zone=zone_or_default(user.timezone, context.services.settings.default_timezone),
            ):
                out.say(part)
            logger.info(
                "event=lessons.viewed client_id=%s by=%s lessons=%s", client_id, user.id, len(seen)
            )
    await out.send(context)
