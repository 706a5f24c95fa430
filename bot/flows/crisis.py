"""The crisis check every flow runs first on text a client typed.

On crisis language (explicit, high; or an indirect warning sign, medium): at
once a calm reply with the crisis resources for where the user is (asking
nothing, not counselling); then, for someone the bot knows, a safety flag for
the digest and the practitioner's alert with the severity. On distress below
that, a flag of the distress kind for the practitioner's review, no alert; the
caller that would otherwise brush the text off answers with :func:`distress_reply`.
The text is never logged; a crisis-language match keeps it on the flag, encrypted, for
the "Show message" button of the practitioner's alert (a distress flag keeps none).

Other flows call :func:`screen` before they handle free text (a check-in note, a
reflection) and decide from its result whether to go on.
"""

from __future__ import annotations

import asyncio
import html
import logging

from telegram import Message, Update
from telegram.error import NetworkError

from bot.context import BotContext
from bot.db.base import utcnow
from bot.domain.crisis import CrisisCheck
from bot.domain.crisis_resources import lines_for_client
from bot.safety.alerts import alert_lead_practitioner
from bot.safety.flags import record_flag

logger = logging.getLogger(__name__)


async def screen(update: Update, context: BotContext, text: str | None) -> CrisisCheck:
    """Check ``text``; on a match, answer with the resources and record the flag."""
    services = context.services
    # In a worker thread: a message of Telegram's maximum length takes tens of milliseconds
    # (bench/crisis.py), which the event loop should spend on other updates.
    check = await asyncio.to_thread(services.crisis.check, text or "", context.t.locale)
    if check.distress:
        logger.info(
            "event=crisis.distress user_id=%s rule=%s locale=%s known=%s",
            update.effective_user.id if update.effective_user else None,
            check.distress_rule_id,
            check.locale,
            context.user_record is not None,
        )
        message = update.effective_message
        if context.user_record is not None and message is not None:
            await _flag(context, context.user_record.id, check, _source(message), text)
        return check
    if not check.matched:
        return check
    logger.info(
        "event=crisis.matched user_id=%s rule=%s severity=%s locale=%s known=%s",
        update.effective_user.id if update.effective_user else None,
        check.rule_id,
        check.severity,
        check.locale,
        context.user_record is not None,
    )
    message = update.effective_message
    if message is None:  # screened text always comes in a message; nothing to answer
        return check
    try:
        await _send_resources(message, crisis_reply(context))
    finally:
        # Recorded even when Telegram could not take the reply: the flag must not be lost.
        if context.user_record is not None:
            await _flag(context, context.user_record.id, check, _source(message), text)
    return check


def crisis_reply(context: BotContext) -> str:
    """Calm, short, nothing asked: where to turn, now."""
    _ = context.t._
    return "\n\n".join(
        (
            _(
                "Thank you for telling me. It sounds like things are really hard right now, "
                "and you deserve support from a person. I'm only a bot and nobody reads these "
                "messages in real time, so please reach out now:"
            ),
            resource_list(context),
            _("You don't have to go through this alone."),
        )
    )


def distress_reply(context: BotContext) -> str:
    """Distress, not crisis language: acknowledge, say plainly nobody reads, point to /help."""
    _ = context.t._
    return _(
        "I'm sorry it's so hard right now, and thank you for telling me. I'm only a bot and "
        "nobody reads these messages in real time, so I can't really answer. If you need "
        "someone now, /help lists people you can reach."
    )


def resource_list(context: BotContext) -> str:
    """The crisis lines for where this user is (their time zone's country first), one a line."""
    services = context.services
    user = context.user_record
    lines = lines_for_client(
        services.crisis_resources,
        locale=context.t.locale,
        zone=user.timezone if user is not None else None,
        override_country=services.settings.crisis_country,
    )
    return "\n".join(f"• {html.escape(line, quote=False)}" for line in lines)


async def _send_resources(message: Message, text: str) -> None:
    """The one reply that must get through: a failed send (5xx, time-out) is tried once more.

    After a time-out the first may have arrived after all; twice is better than never.
    """
    try:
        await message.reply_text(text)
    except NetworkError:
        logger.warning("event=crisis.reply_retry chat_id=%s", message.chat_id)
        await message.reply_text(text)


async def _flag(
    context: BotContext, user_id: int, check: CrisisCheck, source: str, text: str | None
) -> None:
    async with context.services.sessions() as session, session.begin():
        flag_id = await record_flag(
            session, user_id=user_id, check=check, source=source, now=utcnow(), text=text
        )
        if flag_id is None:
            logger.info("event=crisis.flag_exists user_id=%s", user_id)
            return
        if not check.matched:
            logger.info("event=crisis.distress_recorded user_id=%s flag_id=%s", user_id, flag_id)
            return  # distress: for the practitioner's review, no real-time alert
        await alert_lead_practitioner(session, client_id=user_id, flag_id=flag_id)
    logger.info("event=crisis.flagged user_id=%s flag_id=%s", user_id, flag_id)


def _source(message: Message) -> str:
    """Where the text was typed: the same message (or its edit) never flags twice."""
    return f"message:{message.chat_id}:{message.message_id}"
