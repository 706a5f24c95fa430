"""The ``pa:`` button: a lead taps a program for a client.

/assign and /lessons themselves are routed by ``bot/flows/practitioner_router.py``
(use cases in ``bot.lessons.usecases``); a tap on a program offered there ends here,
under the same access policy (``bot.access.policy``: the lead, not a stopped client).

Callback data: ``pa:<client id>:<program id>`` (at most 3 + 12 + 1 + 40 bytes),
checked against the sender's care teams before anything is read.
"""

from __future__ import annotations

import contextlib
import logging

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.error import BadRequest

from bot import audit
from bot.access import policy
from bot.access.policy import Refusal
from bot.callbacks import AssignProgram
from bot.context import BotContext
from bot.db.models import User
from bot.enrollment.client_lookup import client_label
from bot.errors import answer_press
from bot.flows import keyboards
from bot.flows.outgoing import Outgoing
from bot.flows.practitioner_commands import practitioner
from bot.i18n import N_
from bot.lessons import usecases

logger = logging.getLogger(__name__)

CALLBACK_PATTERN = r"^pa:"
# Why a program can't be chosen, by /assign and by the button alike.
NOT_LEAD = N_(
    "Only the lead practitioner of {client} can choose their program. "
    "You can follow their lessons with /lessons."
)
STOPPED = N_(
    "{client} has stopped the companion, so I won't start a program for them. Nothing was changed."
)
# --------------------------------------------------------------------------- /assign


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
    await answer_press(query)
    with contextlib.suppress(BadRequest):  # already removed by an earlier tap: harmless
        await query.edit_message_reply_markup(None)
    await out.send(context)


async def _assign(
    out: Outgoing,
    context: BotContext,
    session: AsyncSession,
    user: User,
    client_id: int,
    program_id: str,
) -> bool:
    """Put the client on the program and tell them (the use case, under the access
    policy); False when the sender may not see them at all (the caller refuses without
    a word about the client)."""
    t = context.t
    decided = await policy.authorize_id(session, user, client_id, policy.LEAD_CHANGE)
    if isinstance(decided, policy.Refused) and decided.client is None:
        return False
    found = decided.client
    assert found is not None
    label = client_label(t, found.alias, client_id)
    if isinstance(decided, policy.Refused):
        refusal = NOT_LEAD if decided.reason is Refusal.NOT_LEAD else STOPPED
        out.say(t._(refusal, client=label))
        return True
    services = context.services
    result = await usecases.assign_program(
        session,
        t,
        by_id=user.id,
        client=found.client,
        label=label,
        program_id=program_id,
        library=services.content,
        catalogs=services.catalogs,
        default_timezone=services.settings.default_timezone,
        prompt_window_minutes=services.settings.prompt_window_minutes,
        button_data=program_button,
    )
    if result.audit is not None:
        await audit.record(session, user.id, result.audit, client_id)
    for text, buttons in result.messages:
        out.say(text, keyboards.inline(*buttons) if buttons else None)
    for notice in result.notices:
        out.notice(notice.chat_id, notice.text, event=notice.event)
    return True


def program_button(client_id: int, program_id: str) -> str:
    """The button that chooses a program for a client (:func:`assign_button`)."""
    data = f"pa:{client_id}:{program_id}"
    assert len(data.encode()) <= 64, data  # program ids are at most 40 ASCII characters
    return data


async def _refuse(update: Update, context: BotContext) -> None:
    """A button naming a client who isn't the sender's: refuse kindly, change nothing."""
    logger.warning("event=callback.refused user_id=%s action=pa", update.effective_user.id)
    await answer_press(
        update.callback_query,
        context.t._(
            "Sorry, this button isn't for you, or it no longer works. Nothing was changed."
        ),
        show_alert=True,
    )
