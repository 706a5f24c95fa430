"""/mydata and /delete: the client sees everything stored about them, and can erase it.

/mydata sends a zip of JSON and CSV files. /delete asks once, with buttons
(``del:yes`` / ``del:no``: they act only on the sender's own record), then erases
every row about the client, tells their care team, and forgets them.
"""

from __future__ import annotations

import contextlib
import logging

from telegram import InlineKeyboardMarkup, Update
from telegram.error import BadRequest

from bot.answers import usecases as typed
from bot.answers.open_question import DELETE
from bot.callbacks import DeleteAnswer, YesNo
from bot.context import BotContext
from bot.db.base import utcnow
from bot.db.models import Role
from bot.enrollment import authorization
from bot.enrollment.client_lookup import client_label
from bot.errors import answer_press
from bot.flows import fallback, keyboards
from bot.flows.outgoing import Outgoing
from bot.privacy.erase import erase_user
from bot.privacy.export import export_user_data

logger = logging.getLogger(__name__)


async def my_data(update: Update, context: BotContext) -> None:
    """/mydata: a file with everything stored about the sender."""
    _ = context.t._
    if context.user_record is None:
        await update.effective_message.reply_text(
            _("I don't store anything about you: there is nothing to send.")
        )
        return
    async with context.services.sessions() as session:
        archive = await export_user_data(session, context.user_record.id)
    logger.info("event=data.exported user_id=%s", context.user_record.id)
    await update.effective_message.reply_document(
        archive,
        filename=f"between-my-data-{utcnow():%Y-%m-%d}.zip",
        caption=_("Everything I store about you, as JSON and CSV files. /delete erases it all."),
    )


async def delete(update: Update, context: BotContext) -> None:
    """/delete: ask once before erasing."""
    _ = context.t._
    user = context.user_record
    if user is None:
        await update.effective_message.reply_text(
            _("I don't store anything about you: there is nothing to delete.")
        )
        return
    if user.role == Role.PRACTITIONER:
        await update.effective_message.reply_text(
            _(
                "A practitioner's account holds their clients' care teams, so it is removed "
                "by the people who run this bot. Please ask them."
            )
        )
        return
    async with context.services.sessions() as session, session.begin():
        await typed.ask_confirmation(
            session, user.id, DELETE
        )  # a typed "yes" / "no" answers it too
    text, buttons = delete_question(context)
    await update.effective_message.reply_text(text, reply_markup=buttons)


def delete_question(context: BotContext) -> tuple[str, InlineKeyboardMarkup]:
    """ "Delete everything?" with its two buttons."""
    _ = context.t._
    text = _(
        "This erases everything I store about you: settings, check-ins, lessons, "
        "reflections and notes. Your practitioner will be told, and it cannot be undone. "
        "Delete everything?"
    )
    buttons = keyboards.inline(
        [
            (_("Yes, delete everything"), DeleteAnswer(YesNo.YES).pack()),
            (_("No, keep it"), DeleteAnswer(YesNo.NO).pack()),
        ]
    )
    return text, buttons


async def delete_button(update: Update, context: BotContext) -> None:
    """The answer to "delete everything?"."""
    query = update.callback_query
    parsed = DeleteAnswer.parse(query.data)
    if parsed is None:
        await fallback.stale_button(update, context)
        return
    await answer_press(query)
    with contextlib.suppress(BadRequest):  # a second tap: the buttons are gone already
        await query.edit_message_reply_markup(None)
    await answered(update, context, yes=parsed.answer is YesNo.YES)


async def answered(update: Update, context: BotContext, *, yes: bool) -> None:
    """ "Delete everything?" answered, with a button or typed: erase, or keep it all."""
    _ = context.t._
    message = update.effective_message
    user = context.user_record
    if user is None or user.role != Role.CLIENT:
        await message.reply_text(_("There is nothing stored about you any more."))
        return
    if not yes:
        async with context.services.sessions() as session, session.begin():
            await typed.close_confirmation(session, user.id)
        await message.reply_text(_("Nothing was deleted."))
        return
    out = Outgoing(update.effective_chat.id)
    catalogs = context.services.catalogs
    async with context.services.sessions() as session, session.begin():
        viewers = await authorization.team_viewers(session, user.id)
        rows = await erase_user(session, user.id)
    if not rows:  # a double tap: the other one erased it
        await message.reply_text(_("There is nothing stored about you any more."))
        return
    for viewer in viewers:
        their = catalogs.translator(catalogs.resolve(viewer.locale, None))
        out.notice(
            viewer.telegram_id,
            their._(
                "<b>{client}</b> deleted their data from Between. Nothing about them "
                "is stored any more.",
                client=client_label(their, viewer.alias, user.id),
            ),
            event="client.deleted",
        )
    logger.info("event=client.erased user_id=%s rows=%s", user.id, rows)
    out.say(
        _(
            "Done: everything I stored about you is deleted. If you want to come back one "
            "day, your practitioner can send you a new invite."
        )
    )
    await out.send(context)
